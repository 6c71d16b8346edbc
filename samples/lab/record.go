//go:build linux

package lab

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"time"
)

// labFile is the run's full record inside a bundle: the truth rules read
// it (with the capture), so the truth of a kept sample can be derived again
// without the kernel. halfopen does not read it.
const labFile = "lab.json"

// Record is everything a run observed besides the capture and the bundle's
// snapshot files.
type Record struct {
	Scenario     Scenario        `json:"scenario"`
	Pair         *Pair           `json:"pair"`
	CaptureStart time.Time       `json:"capture_start"`
	CaptureStop  time.Time       `json:"capture_stop"`
	Servers      []ListenSpec    `json:"servers"`
	Inodes       []uint64        `json:"inodes"`
	Phases       []Phase         `json:"phases"`
	Rules        []*Rule         `json:"rules"`
	Clients      []ClientRecord  `json:"clients"`
	Accepts      []AcceptRecord  `json:"accepts"`
	Listeners    []ListenerEvent `json:"listener_events"`
	Raw          []RawRecord     `json:"raw_syns"`
	Steps        []Step          `json:"steps"`
	Queues       []QueueSample   `json:"queue_samples"` // only samples where something changed
	ScriptError  string          `json:"script_error,omitempty"`
}

func (rec *Record) save(path string) error {
	b, err := json.MarshalIndent(rec, "", " ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return os.WriteFile(path, b, 0o644)
}

// LoadRecord reads a bundle's lab.json.
func LoadRecord(path string) (*Record, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("lab record: %w", err)
	}
	var rec Record
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("lab record %s: %w", path, err)
	}
	return &rec, nil
}

// compressSamples keeps a sample only when the state differs from the
// previous or the next one (and the first and last), so lab.json stays
// small while every change stays bracketed by the two samples around it.
func compressSamples(in []QueueSample) []QueueSample {
	same := func(a, b QueueSample) bool {
		return maps.Equal(a.AcceptQ, b.AcceptQ) && maps.Equal(a.SynRecv, b.SynRecv)
	}
	var out []QueueSample
	for i, s := range in {
		if i == 0 || i == len(in)-1 || !same(s, in[i-1]) || !same(s, in[i+1]) {
			out = append(out, s)
		}
	}
	return out
}
