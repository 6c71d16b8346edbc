package main

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Config is what to generate.
type Config struct {
	Name          string  `json:"preset,omitempty"`
	Seed          uint64  `json:"seed"`
	Healthy       int     `json:"healthy"`
	Flood         int     `json:"flood"`
	FloodSources  int     `json:"flood_sources"`
	FloodRetrans  float64 `json:"flood_retrans"`
	FloodAnswered float64 `json:"flood_answered"`
	Unanswered    int     `json:"unanswered"`
	SynAckRetrans int     `json:"synack_retrans"`
	SynRetry      int     `json:"syn_retry"`
	RST           int     `json:"rst"`
	ScanPorts     int     `json:"scan_ports"` // probes of a port scan from one source (60000 ports per host)
	// FirstAt, when set, puts one lone SYN stamped at that time first in
	// the file (a capture clock gone wrong: 2100, 1970).
	FirstAt  time.Time     `json:"first_at,omitzero"`
	IPv6     float64       `json:"ipv6"`
	VLAN     bool          `json:"vlan"`
	Format   string        `json:"format"`
	Compress string        `json:"compress"`
	Duration time.Duration `json:"duration_ns"`
	Tail     time.Duration `json:"tail_ns"`
}

// DefaultConfig is the base every preset and flag starts from.
func DefaultConfig() Config {
	return Config{
		Seed: 1, FloodRetrans: 0.25, FloodAnswered: 0.25, IPv6: 0.15,
		Format: "pcap", Compress: "none", Duration: time.Minute, Tail: 150 * time.Second,
	}
}

// Presets are the captures the benchmark uses. mixed is ≈2 M packets and
// ≈900 MB; flood ≈3 M packets from ≈1 M spoofed sources at a constant
// rate, so --scale changes its length, not its intensity. The -small ones
// are a tenth.
var Presets = map[string]Config{}

func init() {
	mixed := DefaultConfig()
	mixed.Healthy, mixed.Unanswered, mixed.SynAckRetrans, mixed.SynRetry, mixed.RST = 150_000, 4_000, 3_000, 3_000, 3_000
	mixed.Flood, mixed.FloodSources = 20_000, 5_000
	mixed.Duration = 10 * time.Minute
	flood := DefaultConfig()
	flood.Flood, flood.FloodSources = 1_250_000, 1_000_000
	flood.Healthy, flood.Unanswered, flood.RST = 10_000, 500, 500
	flood.Duration = 5 * time.Minute
	// The hostile presets (issue 12) test the memory budget, not speed:
	// 9 M spoofed SYNs at 1 M/s from 4 M sources, and 150 k ports scanned.
	huge := DefaultConfig()
	huge.Flood, huge.FloodSources, huge.FloodRetrans, huge.FloodAnswered = 9_000_000, 1<<22, 0, 0.1
	huge.Healthy = 2_000
	huge.Duration = 9 * time.Second
	scan := DefaultConfig()
	scan.ScanPorts, scan.Healthy = 150_000, 2_000
	scan.Duration = 30 * time.Second
	Presets["flood-9m"] = huge
	Presets["scan-150k"] = scan
	Presets["mixed"] = mixed
	Presets["flood"] = flood
	Presets["mixed-small"] = mixed.Scaled(0.1)
	Presets["flood-small"] = flood.Scaled(0.1)
	future := mixed.Scaled(0.1)
	future.FirstAt = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	Presets["far-future"] = future
}

// Scaled multiplies every count and the duration by f.
func (c Config) Scaled(f float64) Config {
	if f == 1 {
		return c
	}
	n := func(v int) int { return int(math.Round(float64(v) * f)) }
	c.Healthy, c.Flood, c.FloodSources = n(c.Healthy), n(c.Flood), n(c.FloodSources)
	c.Unanswered, c.SynAckRetrans, c.SynRetry, c.RST = n(c.Unanswered), n(c.SynAckRetrans), n(c.SynRetry), n(c.RST)
	c.ScanPorts = n(c.ScanPorts)
	c.Duration = time.Duration(float64(c.Duration) * f).Round(time.Second)
	return c
}

// Validate rejects configurations the generator cannot honour.
func (c Config) Validate() error {
	switch {
	case c.Format != "pcap" && c.Format != "pcapng":
		return fmt.Errorf("--format %q: use pcap or pcapng", c.Format)
	case c.Compress != "none" && c.Compress != "gzip" && c.Compress != "zstd":
		return fmt.Errorf("--compress %q: use none, gzip or zstd", c.Compress)
	case c.Healthy < 0 || c.Flood < 0 || c.Unanswered < 0 || c.SynAckRetrans < 0 || c.SynRetry < 0 || c.RST < 0 || c.ScanPorts < 0:
		return errors.New("counts must not be negative")
	case c.Flood > 0 && c.FloodSources <= 0:
		return errors.New("--flood needs --flood-sources > 0")
	case c.FloodSources > 1<<22:
		return errors.New("--flood-sources: at most 4194304 (the spoofed range is a /10)")
	case c.Flood > 0 && c.Flood/max(c.FloodSources, 1) >= 60_000:
		return errors.New("--flood: too many attempts per source for distinct ports")
	case c.IPv6 < 0 || c.IPv6 > 1 || c.FloodRetrans < 0 || c.FloodRetrans > 1 || c.FloodAnswered < 0 || c.FloodAnswered > 1:
		return errors.New("shares must be within 0..1")
	case c.Duration <= 0 || c.Tail < 0:
		return errors.New("--duration must be positive and --tail not negative")
	}
	return nil
}
