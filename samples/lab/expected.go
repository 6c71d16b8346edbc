//go:build linux

package lab

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Expected is a bundle's expected.json. The first fields are those
// analyze/samples_test.go reads (scenario, crafted, listeners[].server/
// branch/outcomes/counters); the rest were added by the oracle: per-attempt
// expectations and scenario-level facts.
type Expected struct {
	Scenario  string        `json:"scenario"`
	Seed      int64         `json:"seed,omitempty"`
	Kernel    string        `json:"kernel"`
	Crafted   bool          `json:"crafted"`
	Vantage   string        `json:"vantage"` // where the capture was taken: server or client
	Capture   ExpCapture    `json:"capture"`
	Listeners []ExpListener `json:"listeners"`
	Flood     *ExpFlood     `json:"flood,omitempty"`
	Scans     []ExpScan     `json:"scans,omitempty"`
	Attempts  []ExpAttempt  `json:"attempts"`
	// Ambiguous is true when some attempt's truth is uncertain; such
	// attempts are scored on what is certain only.
	Ambiguous bool   `json:"ambiguous"`
	Notes     string `json:"notes"`
}

// ExpCapture describes the capture itself.
type ExpCapture struct {
	Interface       string `json:"interface"` // any, or the interface name
	LinkType        string `json:"link_type"` // ethernet, sll2, ...
	DuplicateFrames int    `json:"duplicate_frames"`
	StoppedEarly    bool   `json:"stopped_early,omitempty"`
	// DropsAfterCapture: listener drops the counters show after the capture
	// had stopped (the capture cannot contain them).
	DropsAfterCapture int64    `json:"drops_after_capture,omitempty"`
	NstatFiles        []string `json:"nstat_files"`
}

// ExpListener is one server ip:port.
type ExpListener struct {
	Server   string           `json:"server"`
	Branch   string           `json:"branch"` // the branch most of its failed attempts share; "" when healthy
	Outcomes map[string]int64 `json:"outcomes"`
	Counters map[string]int64 `json:"counters"`
	// ClosedAt / ReopenedAt: the listening socket was closed (app exit) or
	// opened again during the capture (RFC 3339).
	ClosedAt   []string `json:"closed_at,omitempty"`
	ReopenedAt []string `json:"reopened_at,omitempty"`
	// NotListening: nothing listened on this port during the capture.
	NotListening bool `json:"not_listening,omitempty"`
}

// ExpFlood describes spoofed SYNs the lab sent.
type ExpFlood struct {
	Server  string `json:"server"`
	Sources int    `json:"sources"`
	SYNs    int    `json:"syns"`
}

// ExpScan describes a port scan the lab sent.
type ExpScan struct {
	Source string `json:"source"`
	Ports  int    `json:"ports"`
	Open   int    `json:"open"`
}

// ExpAttempt is the truth about one handshake attempt of the capture.
type ExpAttempt struct {
	Client   string   `json:"client"`
	Server   string   `json:"server"`
	ISN      uint32   `json:"isn"`
	FirstSYN string   `json:"first_syn"` // RFC 3339 with nanoseconds
	Role     string   `json:"role"`      // client (a connect()), flood, scan, crafted
	Outcomes []string `json:"outcomes"`  // acceptable outcomes, the first is the lab's reading
	Branches []string `json:"branches"`  // acceptable branches; "none" = no failure to explain
	Certain  bool     `json:"certain"`
	Why      string   `json:"why"`
	// ClientResult is what the client saw (client log), when known.
	ClientResult string `json:"client_result,omitempty"`
}

func (e *Expected) write(path string) error {
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return fmt.Errorf("encode expected.json: %w", err)
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// ReadExpected reads a bundle's expected.json.
func ReadExpected(path string) (*Expected, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("expected.json: %w", err)
	}
	var e Expected
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &e, nil
}

// readNstatFile reads nstat -az output (name value rate; # lines ignored).
func readNstatFile(path string) (map[string]int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("nstat file: %w", err)
	}
	defer f.Close()
	out := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) < 2 || strings.HasPrefix(fl[0], "#") {
			continue
		}
		if v, err := strconv.ParseInt(fl[1], 10, 64); err == nil {
			out[fl[0]] = v
		}
	}
	return out, sc.Err()
}

// readSysctlFile reads `sysctl -a` output.
func readSysctlFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("sysctl file: %w", err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " = ")
		if ok {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out, sc.Err()
}
