package analyze

import (
	"encoding/json"
	"fmt"
)

// Schema identifies the JSON report format. A consumer should check it:
// fields may be added within a schema version, never removed or renamed.
const Schema = "halfopen/v1"

// Report is the result of an analysis. Treat it as immutable: renderers and
// the UI only read it. JSON field names are the documented schema.
type Report struct {
	Schema    string     `json:"schema"`
	Generator string     `json:"generator"`
	Headline  string     `json:"headline"`
	Notes     []string   `json:"notes"` // how several captures were read together
	Totals    Totals     `json:"totals"`
	Captures  []Capture  `json:"captures"`
	Listeners []Listener `json:"listeners"`
	Attempts  []Attempt  `json:"attempts"`
}

// Totals sums the whole report.
type Totals struct {
	Captures         int              `json:"captures"`
	Packets          int64            `json:"packets"`
	Attempts         int64            `json:"attempts"`
	Failed           int64            `json:"failed"`
	Outcomes         map[string]int64 `json:"outcomes"`
	Listeners        int              `json:"listeners"`
	FailingListeners int              `json:"failing_listeners"`
	Branches         map[string]int64 `json:"branches"`
	FloodAttempts    int64            `json:"flood_attempts"` // not in Attempts
	ScanAttempts     int64            `json:"scan_attempts"`  // not in Attempts
	UntrackedSYNs    int64            `json:"untracked_syns"` // not in Attempts: over the memory budget
	// ListenersOmitted counts listeners not listed (beyond --max-listeners,
	// the least failing first left out); their attempts are in the totals.
	ListenersOmitted int `json:"listeners_omitted"`
}

// Capture describes one input capture.
type Capture struct {
	Index       int      `json:"index"`
	Path        string   `json:"path"`
	Format      string   `json:"format"`
	Compression string   `json:"compression,omitempty"`
	Packets     int64    `json:"packets"`
	TCPPackets  int64    `json:"tcp_packets"`
	LinkTypes   []string `json:"link_types"`
	First       *string  `json:"first"` // RFC 3339, nanoseconds, UTC; null without packets
	Last        *string  `json:"last"`
	Seconds     float64  `json:"seconds"`
	SYN         int64    `json:"syn"`
	SynAck      int64    `json:"synack"`
	RST         int64    `json:"rst"`
	Attempts    int64    `json:"attempts"`
	PreExisting int64    `json:"preexisting_connections"`
	Duplicates  int64    `json:"duplicate_frames"` // second copies of frames, dropped
	Vantage     string   `json:"vantage"`          // server, client, middle or unknown
	VantageWhy  string   `json:"vantage_evidence"`
	Scans       []Scan   `json:"scans"`
	// Untracked sums the SYNs the memory budget let halfopen count but
	// not follow (a flood larger than the budget); null when none.
	Untracked *Untracked `json:"untracked"`
	// OtherListeners sums the listeners beyond the memory budget's count
	// of listeners followed in detail; null when none.
	OtherListeners *OtherListeners `json:"other_listeners"`
	Damaged        bool            `json:"damaged"`
	Error          string          `json:"error,omitempty"` // set when the file could not be read at all
	Warnings       []string        `json:"warnings"`
	Kernel         *Kernel         `json:"kernel"`
	Snapshots      []string        `json:"snapshots"`
	Listeners      []Listener      `json:"listeners"` // this capture's listeners (no attempts)
	file           string          // where to read it again (Path may be a display name)
}

// File is where the capture can be read again: the file analysed, or Path
// for a report loaded from JSON.
func (c *Capture) File() string {
	if c.file != "" {
		return c.file
	}
	return c.Path
}

// Kernel says which kernel model the inference used and how it was chosen.
type Kernel struct {
	Era      string   `json:"era"`
	Name     string   `json:"name"`
	Version  string   `json:"version,omitempty"`
	Source   string   `json:"source"` // "sysctl kernel.osrelease", "--kernel", "uname.txt", "inferred"
	Assumed  bool     `json:"assumed"`
	Evidence []string `json:"evidence"`
}

// Listener aggregates the attempts to one server IP:port.
type Listener struct {
	Server          string           `json:"server"`
	Captures        []int            `json:"captures"`
	Attempts        int64            `json:"attempts"`
	Failed          int64            `json:"failed"`
	FailureRate     float64          `json:"failure_rate"`
	Outcomes        map[string]int64 `json:"outcomes"`
	TimeToSynAck    *Percentiles     `json:"time_to_synack_ms"`
	FirstFailure    *string          `json:"first_failure"`
	LastFailure     *string          `json:"last_failure"`
	PeakFailures    int64            `json:"peak_failures_per_second"`
	Timeline        Timeline         `json:"timeline"`
	ClientSchedules map[string]int64 `json:"client_syn_schedules"`
	ServerSchedules map[string]int64 `json:"server_synack_schedules"`
	Branches        map[string]int64 `json:"branches"`
	Verdicts        []Verdict        `json:"verdicts"`
	Limits          *Limits          `json:"limits"`
	Listed          int              `json:"attempts_listed"`
	Omitted         int64            `json:"attempts_omitted"`
	Closed          *Closed          `json:"closed,omitempty"`
	Flood           *Flood           `json:"flood,omitempty"`
	// FailureRateAll is the failure rate with the flood's attempts
	// counted as failures too (equal to FailureRate without a flood).
	FailureRateAll float64 `json:"failure_rate_all"`
}

// Untracked sums SYNs counted but not followed.
type Untracked struct {
	SYNs      int64          `json:"syns"`
	Listeners int            `json:"listeners"`
	First     string         `json:"first"`
	Last      string         `json:"last"`
	Top       []UntrackedTop `json:"top"` // the listeners with the most
}

// UntrackedTop is one listener's untracked SYNs.
type UntrackedTop struct {
	Server string `json:"server"` // "" for listeners beyond those counted one by one
	SYNs   int64  `json:"syns"`
}

// OtherListeners sums listeners counted without detail.
type OtherListeners struct {
	Listeners int64            `json:"listeners"`
	Attempts  int64            `json:"attempts"`
	Failed    int64            `json:"failed"`
	Outcomes  map[string]int64 `json:"outcomes"`
}

// Scan is one source that probed many ports (or hosts) without
// completing handshakes; its probes are not counted as failing clients.
type Scan struct {
	Source       string `json:"source"`
	Ports        int64  `json:"ports"`     // distinct ports probed
	PortList     []int  `json:"port_list"` // the lowest 64
	Hosts        int64  `json:"hosts"`
	HostsAtLeast bool   `json:"hosts_at_least,omitempty"`
	Attempts     int64  `json:"attempts"`
	Open         int64  `json:"answered"` // probes answered with SYN-ACK
	First        string `json:"first"`
	Last         string `json:"last"`
}

// Flood is a listener's spoofed SYN flood: many sources that sent one SYN
// each and never completed. Its attempts are not in the listener's
// attempts, failures and failure rate.
type Flood struct {
	Sources        int64            `json:"sources"`
	SourcesAtLeast bool             `json:"sources_at_least,omitempty"`
	Attempts       int64            `json:"attempts"`
	First          string           `json:"first"`
	Last           string           `json:"last"`
	Outcomes       map[string]int64 `json:"outcomes"`
}

// Closed says the listener closed during the capture: after answering
// SYNs (or dropping them silently) the port answered them with RST.
type Closed struct {
	At             string  `json:"at"`         // the first RST to a SYN
	LastReset      string  `json:"last_reset"` // the last one
	Resets         int64   `json:"resets"`     // attempts answered by RST
	AnsweringAgain *string `json:"answering_again"`
}

// Percentiles of a duration distribution, in milliseconds.
type Percentiles struct {
	Samples int64   `json:"samples"`
	P50     float64 `json:"p50"`
	P90     float64 `json:"p90"`
	P99     float64 `json:"p99"`
	Max     float64 `json:"max"`
}

// Timeline counts attempts and failures in equal steps over the capture.
type Timeline struct {
	Start    *string   `json:"start"`
	Step     float64   `json:"step_seconds"`
	Attempts []int64   `json:"attempts"`
	Failures []int64   `json:"failures"`
	Depth    []float64 `json:"accept_queue_depth,omitempty"` // from ss; -1 where no sample
	Limit    int       `json:"accept_queue_limit,omitempty"`
}

// Limits are a listener's effective queue limits, when snapshots tell.
type Limits struct {
	Backlog             *int   `json:"backlog"` // ss Send-Q: min(listen() backlog, somaxconn)
	Somaxconn           *int   `json:"somaxconn"`
	AcceptQueueCapacity *int   `json:"accept_queue_capacity"`
	SynQueueCapacity    *int   `json:"syn_queue_capacity"`
	MaxSynBacklog       *int   `json:"tcp_max_syn_backlog"`
	Syncookies          *int   `json:"tcp_syncookies"`
	AbortOnOverflow     *int   `json:"tcp_abort_on_overflow"`
	TwRecycle           *int   `json:"tcp_tw_recycle"`
	MaxAcceptDepth      *int   `json:"max_accept_queue_depth"` // highest ss Recv-Q seen
	Source              string `json:"source"`
}

// Verdict is a branch blamed for some of a listener's failures.
type Verdict struct {
	Branch     string     `json:"branch"`
	Title      string     `json:"title"`
	Confidence float64    `json:"confidence"`
	Attempts   int64      `json:"attempts"`
	Summary    string     `json:"summary"`
	Evidence   []Evidence `json:"evidence"`
	Fix        []Fix      `json:"fix"`
	WontFix    []string   `json:"wont_fix"`
}

// Fix is one step of a remedy, in the order to apply.
type Fix struct {
	Action  string `json:"action"`
	Command string `json:"command,omitempty"`
	Why     string `json:"why,omitempty"`
}

// Evidence is one fact for (or, with Against, against) a branch.
type Evidence struct {
	Kind    string `json:"kind"` // packets, counter, sysctl, ss, capture, kernel
	Text    string `json:"text"`
	Against bool   `json:"against,omitempty"`
}

// Attempt is one handshake attempt as reported.
type Attempt struct {
	Capture        int        `json:"capture"`
	Client         string     `json:"client"`
	Server         string     `json:"server"`
	FirstSYN       string     `json:"first_syn"`
	ISN            uint32     `json:"isn"`
	SYNs           int        `json:"syns"`
	SynAcks        int        `json:"synacks"`
	Outcome        string     `json:"outcome"`
	Branch         *string    `json:"branch"`
	Confidence     *float64   `json:"confidence"`
	Evidence       []Evidence `json:"evidence"`
	TimeToSynAck   *float64   `json:"time_to_synack_ms"`
	SYNTimes       []float64  `json:"syn_ms"`
	SynAckTimes    []SynAck   `json:"synack_ms"`
	ClientSchedule string     `json:"client_schedule,omitempty"`
	ServerSchedule string     `json:"server_schedule,omitempty"`
	Events         Events     `json:"events"`
	SYNOptions     TCPOptions `json:"syn_options"`
	OneSided       bool       `json:"one_sided,omitempty"`
	CaptureEnded   bool       `json:"capture_ended,omitempty"`
	firstNS        int64      // FirstSYN as Unix ns, for ordering
}

// SynAck is one SYN-ACK of an attempt.
type SynAck struct {
	At        float64 `json:"at"`
	Triggered bool    `json:"triggered,omitempty"`
	AfterAck  bool    `json:"after_ack,omitempty"`
}

// Events are offsets in milliseconds from the first SYN; null when absent.
type Events struct {
	FinalAck      *float64 `json:"final_ack"`
	ClientData    *float64 `json:"client_data"`
	ServerData    *float64 `json:"server_data"`
	ServerAckData *float64 `json:"server_ack_data"`
	ServerRST     *float64 `json:"server_rst"`
	ClientRST     *float64 `json:"client_rst"`
	ServerBareAck *float64 `json:"server_bare_ack"`
	ClientFIN     *float64 `json:"client_fin"`
	ServerFIN     *float64 `json:"server_fin"`
}

// TCPOptions are the SYN's TCP options; Unknown when the snaplen cut them.
type TCPOptions struct {
	MSS       *int    `json:"mss"`
	WScale    *int    `json:"wscale"`
	SACK      bool    `json:"sack"`
	Timestamp *uint32 `json:"tsval"`
	FastOpen  bool    `json:"fastopen,omitempty"`
	Unknown   bool    `json:"unknown,omitempty"`
}

// ReadReport decodes a JSON report written by halfopen (schema halfopen/v1).
func ReadReport(data []byte) (*Report, error) {
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("not a halfopen JSON report: %v", err)
	}
	if r.Schema != Schema {
		return nil, fmt.Errorf("JSON report schema %q, want %q", r.Schema, Schema)
	}
	if err := validateReport(&r); err != nil {
		return nil, fmt.Errorf("not a consistent halfopen JSON report: %v", err)
	}
	return &r, nil
}
