// Command gen writes deterministic synthetic captures for halfopen's
// benchmarks and their exact expected analysis.
//
// A capture mixes scenarios, each a number of TCP handshake attempts whose
// outcome is known by construction: healthy connections with data,
// spoofed SYN floods, unanswered clients, SYN-ACK retransmits, SYN retries
// and closed-port RSTs. Packets are written in time order as classic pcap
// or pcapng, optionally gzip- or zstd-compressed, and FILE.expected.json
// records the counts halfopen analyze must report for the file.
//
//	go run ./bench/gen --preset mixed -o bench/out/mixed.pcap
//	go run ./bench/gen --preset flood --scale 0.25 -o bench/out/flood-25.pcap
//	go run ./bench/gen --healthy 1000 --unanswered 10 --ipv6 0.5 --format pcapng --compress zstd -o x.pcapng.zst
//
// The captures are synthetic: the server and client behaviour (Linux SYN
// and SYN-ACK retransmit schedules, timer resets, RST on closed ports)
// is modelled, not recorded from a kernel.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

// outOpts are the flags that do not shape the traffic.
type outOpts struct {
	preset string
	scale  float64
	output string
}

func defineFlags(fs *flag.FlagSet, c *Config, o *outOpts) {
	fs.Uint64Var(&c.Seed, "seed", c.Seed, "random `seed`: the same seed and flags give the same bytes")
	fs.IntVar(&c.Healthy, "healthy", c.Healthy, "healthy connections with request/response data")
	fs.IntVar(&c.Flood, "flood", c.Flood, "spoofed SYN-flood attempts")
	fs.IntVar(&c.FloodSources, "flood-sources", c.FloodSources, "distinct spoofed source addresses of the flood")
	fs.Float64Var(&c.FloodRetrans, "flood-retrans", c.FloodRetrans, "share of flood SYNs retransmitted (1-3 times, Linux schedule)")
	fs.Float64Var(&c.FloodAnswered, "flood-answered", c.FloodAnswered, "share of flood SYNs the server answers (SYN-ACK, 0-3 timer retransmits)")
	fs.IntVar(&c.Unanswered, "unanswered", c.Unanswered, "legitimate clients whose SYNs (1-6 retransmits) get no answer")
	fs.IntVar(&c.SynAckRetrans, "synack-retrans", c.SynAckRetrans, "connections whose first SYN-ACK is lost: the server retransmits it before the client's ACK")
	fs.IntVar(&c.SynRetry, "syn-retry", c.SynRetry, "connections whose first SYN is dropped and whose retransmit is answered")
	fs.IntVar(&c.RST, "rst", c.RST, "SYNs to closed ports, answered with RST")
	fs.IntVar(&c.ScanPorts, "scan-ports", c.ScanPorts, "probes of a port scan from one source, each answered with RST")
	fs.Float64Var(&c.IPv6, "ipv6", c.IPv6, "share of IPv6 connections (and flood sources)")
	fs.BoolVar(&c.VLAN, "vlan", c.VLAN, "tag every frame with 802.1Q")
	fs.StringVar(&c.Format, "format", c.Format, "pcap or pcapng")
	fs.StringVar(&c.Compress, "compress", c.Compress, "none, gzip or zstd (klauspost/compress)")
	fs.DurationVar(&c.Duration, "duration", c.Duration, "time over which attempts start")
	fs.DurationVar(&c.Tail, "tail", c.Tail, "quiet time after the last start before a final healthy connection closes the capture (>= 144s lets every attempt time out)")
	fs.StringVar(&o.preset, "preset", o.preset, "start from a preset: "+strings.Join(presetNames(), ", ")+" (explicit flags override it)")
	fs.Float64Var(&o.scale, "scale", 1, "multiply every count and the duration (constant rate)")
	fs.StringVar(&o.output, "o", "", "output `FILE` (required); the expected counts go to FILE.expected.json")
}

// parseArgs reads the flags twice: once to learn the preset, then over the
// preset's values so explicit flags win.
func parseArgs(args []string) (Config, outOpts, error) {
	var probe Config
	var po outOpts
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	defineFlags(fs, &probe, &po)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage()
		}
		return Config{}, po, err
	}
	cfg := DefaultConfig()
	if po.preset != "" {
		p, ok := Presets[po.preset]
		if !ok {
			return Config{}, po, fmt.Errorf("unknown preset %q (have %s)", po.preset, strings.Join(presetNames(), ", "))
		}
		cfg = p
	}
	var o outOpts
	fs = flag.NewFlagSet("gen", flag.ContinueOnError)
	defineFlags(fs, &cfg, &o)
	if err := fs.Parse(args); err != nil {
		return Config{}, o, err
	}
	if fs.NArg() > 0 {
		return Config{}, o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.output == "" {
		return Config{}, o, errors.New("-o FILE is required")
	}
	cfg = cfg.Scaled(o.scale)
	cfg.Name = o.preset
	return cfg, o, cfg.Validate()
}

func usage() {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	var c Config
	var o outOpts
	c = DefaultConfig()
	defineFlags(fs, &c, &o)
	fmt.Fprintln(os.Stderr, "usage: gen [flags] -o FILE")
	fs.SetOutput(os.Stderr)
	fs.PrintDefaults()
}

func presetNames() []string {
	var names []string
	for n := range Presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func main() {
	cfg, o, err := parseArgs(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	} else if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(2)
	}
	start := time.Now()
	exp, err := writeFile(o.output, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "gen: %s: %d packets, %.1f MB capture, %d attempts, %d listeners in %.1fs\n",
		o.output, exp.Packets, float64(exp.CaptureBytes)/1e6, exp.Attempts, exp.Listeners, time.Since(start).Seconds())
}

// writeFile generates cfg into path and writes path.expected.json.
func writeFile(path string, cfg Config) (*Expected, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	exp, err := Generate(bw, cfg)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, err
	}
	if st, err := os.Stat(path); err == nil {
		exp.FileBytes = st.Size()
	}
	js, err := json.MarshalIndent(exp, "", "  ")
	if err != nil {
		return nil, err
	}
	return exp, os.WriteFile(path+".expected.json", append(js, '\n'), 0o644)
}
