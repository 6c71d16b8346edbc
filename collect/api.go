package collect

import (
	"errors"
	"io"
	"os"
	"time"
)

// Options say what to collect.
type Options struct {
	Port          int              // TCP port of the listener (required)
	Iface         string           // interface to capture on; "any" for all
	Duration      time.Duration    // 0: until Stop (Ctrl-C)
	MaxSize       int64            // bytes the bundle holds at most: capture ring, snapshot series, one-shot files
	Output        string           // bundle.tar.gz, or a directory
	Force         bool             // replace an existing output (a link is replaced, never followed)
	SSInterval    time.Duration    // ss sampling period
	NstatInterval time.Duration    // counter snapshot period
	Snaplen       int              // bytes kept per packet: headers and TCP options
	NoTcpdump     bool             // capture with AF_PACKET even when tcpdump exists
	Stop          <-chan os.Signal // a signal here ends the run early; the bundle is still written
	Log           io.Writer        // progress lines; nil for none
	Version       string           // halfopen's version, for the manifest
	Args          []string         // the command line, for the manifest
}

// Defaults for unset options.
const (
	DefaultDuration      = 60 * time.Second
	DefaultMaxSize       = 200 << 20
	DefaultSSInterval    = 100 * time.Millisecond
	DefaultNstatInterval = 5 * time.Second
	DefaultSnaplen       = 128
	diskCheckEvery       = 2 * time.Second
	maxMissing           = 50 // entries in the manifest's not_collected list
)

// Manifest describes a bundle: what was collected, how, and what was not.
type Manifest struct {
	Tool       string       `json:"tool"`
	Command    []string     `json:"command"`
	Hostname   string       `json:"hostname"`
	Kernel     string       `json:"kernel"`
	Port       int          `json:"port"`
	Iface      string       `json:"iface"`
	Started    string       `json:"started"`
	Ended      string       `json:"ended"`
	Clock      string       `json:"clock"`
	Capture    string       `json:"capture_method"`
	Snaplen    int          `json:"snaplen"`
	MaxSize    int64        `json:"max_size_bytes"`
	SizeNote   string       `json:"size_note,omitempty"` // why max_size_bytes is below --max-size
	CaptureMax int64        `json:"max_capture_bytes"`
	KeptFree   int64        `json:"kept_free_bytes"` // the run stops before the disk has less free
	Truncated  bool         `json:"capture_rotated"` // the ring wrapped: the oldest packets were dropped
	Series     []SeriesInfo `json:"series"`          // how each part was bounded
	Files      []string     `json:"files"`
	Missing    []Missing    `json:"not_collected"`
	Stopped    string       `json:"stopped_by"` // duration, interrupt, low_disk_space, capture_failed
	StopReason string       `json:"stop_reason"`
	Archive    string       `json:"archive,omitempty"` // why the bundle is a directory although an archive was asked for
}

// Missing is something that could not be collected, and why.
type Missing struct {
	What  string `json:"what"`
	Why   string `json:"why"`
	Times int    `json:"times,omitempty"` // when it happened more than once
}

// ErrNotRoot is returned when capturing needs privileges the process lacks.
var ErrNotRoot = errors.New("capturing needs root (or CAP_NET_RAW and CAP_NET_ADMIN): run it with sudo")

// ErrAborted is returned when ctx ends the run before its bundle is written.
var ErrAborted = errors.New("aborted: every child process killed, no bundle written")

// SeriesInfo tells, in the manifest, how a part of the bundle was bounded.
type SeriesInfo struct {
	File    string `json:"file"`
	Cap     int64  `json:"cap_bytes"`
	Bytes   int64  `json:"bytes"`
	Samples int64  `json:"samples"`
	Dropped int64  `json:"samples_dropped"`
	Keeps   string `json:"keeps"`
}
