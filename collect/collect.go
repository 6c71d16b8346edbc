package collect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Options say what to collect.
type Options struct {
	Port          int           // TCP port of the listener (required)
	Iface         string        // interface to capture on; "any" for all
	Duration      time.Duration // 0: until the context is cancelled (Ctrl-C)
	MaxSize       int64         // bytes of capture kept at most (a ring of files)
	Output        string        // bundle.tar.gz, or a directory
	SSInterval    time.Duration // ss sampling period
	NstatInterval time.Duration // counter snapshot period
	Snaplen       int           // bytes kept per packet: headers and TCP options
	NoTcpdump     bool          // capture with AF_PACKET even when tcpdump exists
	Log           io.Writer     // progress lines; nil for none
	Version       string        // halfopen's version, for the manifest
	Args          []string      // the command line, for the manifest
}

// Defaults for unset options.
const (
	DefaultDuration      = 60 * time.Second
	DefaultMaxSize       = 200 << 20
	DefaultSSInterval    = 100 * time.Millisecond
	DefaultNstatInterval = 5 * time.Second
	DefaultSnaplen       = 128
	ringFiles            = 4
)

// Manifest describes a bundle: what was collected, how, and what was not.
type Manifest struct {
	Tool      string    `json:"tool"`
	Command   []string  `json:"command"`
	Hostname  string    `json:"hostname"`
	Kernel    string    `json:"kernel"`
	Port      int       `json:"port"`
	Iface     string    `json:"iface"`
	Started   string    `json:"started"`
	Ended     string    `json:"ended"`
	Clock     string    `json:"clock"`
	Capture   string    `json:"capture_method"`
	Snaplen   int       `json:"snaplen"`
	MaxSize   int64     `json:"max_capture_bytes"`
	Truncated bool      `json:"capture_rotated"` // the ring wrapped: the oldest packets were dropped
	Files     []string  `json:"files"`
	Missing   []Missing `json:"not_collected"`
	Stopped   string    `json:"stopped_by"`
}

// Missing is something that could not be collected, and why.
type Missing struct {
	What string `json:"what"`
	Why  string `json:"why"`
}

// ErrNotRoot is returned when capturing needs privileges the process lacks.
var ErrNotRoot = errors.New("capturing needs root (or CAP_NET_RAW and CAP_NET_ADMIN): run it with sudo")

// collector holds one run's state.
type collector struct {
	opts    Options
	dir     string // working directory of the bundle
	mu      sync.Mutex
	missing []Missing
	logw    io.Writer
}

func (c *collector) log(format string, args ...any) {
	if c.logw != nil {
		fmt.Fprintf(c.logw, "halfopen collect: "+format+"\n", args...)
	}
}

func (c *collector) miss(what, why string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.missing = append(c.missing, Missing{what, why})
	c.log("not collected: %s (%s)", what, why)
}

func (c *collector) path(name string) string { return filepath.Join(c.dir, name) }

// Run collects until the duration ends or ctx is cancelled, then writes the
// bundle and returns its path. A cancelled run still writes a valid bundle.
func Run(ctx context.Context, opts Options) (string, *Manifest, error) {
	opts = withDefaults(opts)
	if opts.Port <= 0 || opts.Port > 65535 {
		return "", nil, fmt.Errorf("--port %d: give the listener's TCP port (1-65535)", opts.Port)
	}
	if os.Geteuid() != 0 {
		return "", nil, ErrNotRoot
	}
	dir, err := os.MkdirTemp("", "halfopen-collect-")
	if err != nil {
		return "", nil, fmt.Errorf("creating a work directory: %w", err)
	}
	defer os.RemoveAll(dir)
	c := &collector{opts: opts, dir: dir, logw: opts.Log}
	host, _ := os.Hostname()
	m := &Manifest{Tool: "halfopen " + opts.Version, Command: opts.Args, Hostname: host, Port: opts.Port, Iface: opts.Iface,
		Snaplen: opts.Snaplen, MaxSize: opts.MaxSize, Clock: "UTC wall clock (CLOCK_REALTIME); capture and snapshot times share it"}
	m.Kernel = c.oneShots()

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if opts.Duration > 0 {
		runCtx, cancel = context.WithTimeout(runCtx, opts.Duration)
		defer cancel()
	}
	cap, err := c.startCapture()
	if err != nil {
		return "", nil, err
	}
	m.Capture = cap.method()
	m.Started = time.Now().UTC().Format(time.RFC3339Nano)
	c.log("capturing tcp port %d on %s with %s for %s (ring of %d MB); Ctrl-C to stop early", opts.Port, opts.Iface, m.Capture, durationText(opts.Duration), opts.MaxSize>>20)

	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); c.ssLoop(runCtx) }()
	go func() { defer wg.Done(); c.nstatLoop(runCtx) }()
	select {
	case <-runCtx.Done():
	case err := <-cap.failed():
		c.miss("part of the capture", fmt.Sprintf("the capture stopped early: %v", err))
		cancel()
	}
	m.Stopped = "duration"
	if ctx.Err() != nil {
		m.Stopped = "interrupt"
	}
	cancel()
	wg.Wait()
	rotated, capErr := cap.stop()
	if capErr != nil {
		c.miss("capture", capErr.Error())
	}
	m.Truncated = rotated
	c.finalShots()
	m.Ended = time.Now().UTC().Format(time.RFC3339Nano)
	m.Missing = c.missing
	if m.Missing == nil {
		m.Missing = []Missing{}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		m.Files = append(m.Files, e.Name())
	}
	m.Files = append(m.Files, "manifest.json")
	mb, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(c.path("manifest.json"), append(mb, '\n'), 0o644); err != nil {
		return "", nil, fmt.Errorf("writing the manifest: %w", err)
	}
	out, err := writeBundle(dir, opts.Output)
	return out, m, err
}

func withDefaults(o Options) Options {
	if o.Iface == "" {
		o.Iface = "any"
	}
	if o.MaxSize <= 0 {
		o.MaxSize = DefaultMaxSize
	}
	if o.SSInterval <= 0 {
		o.SSInterval = DefaultSSInterval
	}
	if o.NstatInterval <= 0 {
		o.NstatInterval = DefaultNstatInterval
	}
	if o.Snaplen <= 0 {
		o.Snaplen = DefaultSnaplen
	}
	if o.Output == "" {
		o.Output = "bundle.tar.gz"
	}
	return o
}

func durationText(d time.Duration) string {
	if d <= 0 {
		return "until Ctrl-C"
	}
	return d.String()
}

// run executes a command and returns its output; errors name the command.
func run(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && len(ee.Stderr) > 0 {
			return out, fmt.Errorf("%s: %s", name, strings.TrimSpace(string(ee.Stderr)))
		}
		return out, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

// stamp is the block header the ss and nstat parsers read: "# <unix time>".
func stamp(t time.Time) string {
	return fmt.Sprintf("# %d.%09d\n", t.Unix(), t.Nanosecond())
}
