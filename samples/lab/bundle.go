//go:build linux

package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// writeClientResults writes client-results.tsv in the bundle format
// (client, server, result, connect_ms, start_unix_ns, note), one line per
// connect(), by start time.
func writeClientResults(path string, rec *Record) error {
	var b strings.Builder
	b.WriteString("client\tserver\tresult\tconnect_ms\tstart_unix_ns\tnote\n")
	for _, c := range rec.Clients {
		note := c.Note
		var extra []string
		if c.Answered {
			extra = append(extra, fmt.Sprintf("answer after %.0f ms", c.AnswerMS))
		}
		if c.ServerFIN {
			extra = append(extra, "server FIN")
		}
		if c.TSval != 0 {
			extra = append(extra, fmt.Sprintf("tsval=%d", c.TSval))
		}
		if len(extra) > 0 {
			note = strings.TrimPrefix(note+"; "+strings.Join(extra, "; "), "; ")
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\t%.3f\t%d\t%s\n", c.Client, c.Server, c.Result, c.ConnectMS, c.Start.UnixNano(), strings.ReplaceAll(note, "\t", " "))
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// writeReadme writes the bundle's README.md: what was set up, what the
// kernel did (counters, clients, server) and the truth per attempt.
func writeReadme(path string, res *Result, f *facts, about string) error {
	rec, exp := res.Record, res.Expected
	var b strings.Builder
	title := exp.Scenario
	if exp.Seed != 0 {
		title = fmt.Sprintf("%s (seed %d)", exp.Scenario, exp.Seed)
	}
	fmt.Fprintf(&b, "# %s\n\n", title)
	if about != "" {
		b.WriteString(strings.TrimSpace(about) + "\n\n")
	} else if rec.Scenario.Spec != nil {
		b.WriteString(rec.Scenario.Spec.describe() + "\n\n")
	}
	b.WriteString("## Setup\n\n")
	fmt.Fprintf(&b, "- Kernel `%s` (real kernel; nothing in the capture is crafted except raw SYNs the steps below name).\n", exp.Kernel)
	fmt.Fprintf(&b, "- Namespaces: server %s / %s, client %s / %s, veth pair%s. Capture: %s side, interface `%s` (link type %s), offloads off.\n",
		serverV4, serverV6, clientV4, clientV6, netExtras(rec.Scenario.Net), exp.Vantage, exp.Capture.Interface, exp.Capture.LinkType)
	if len(rec.Scenario.ServerSysctls) > 0 {
		fmt.Fprintf(&b, "- Server sysctls: `%s` (everything else: fresh-namespace defaults, sysctl.txt).\n", strings.Join(rec.Scenario.ServerSysctls, "`, `"))
	}
	if len(rec.Scenario.ClientSysctls) > 0 {
		fmt.Fprintf(&b, "- Client sysctls: `%s`.\n", strings.Join(rec.Scenario.ClientSysctls, "`, `"))
	}
	for _, s := range rec.Servers {
		fmt.Fprintf(&b, "- Listener `%s` on %s, listen backlog %d%s.\n", s.Name, s.Addr, s.Backlog, listenExtras(s))
	}
	b.WriteString("\n## Steps (seconds after the capture started)\n\n")
	for _, s := range rec.Steps {
		fmt.Fprintf(&b, "- %+.3f %s\n", s.Time.Sub(rec.CaptureStart).Seconds(), s.Text)
	}
	writeKernelSaid(&b, res, f)
	writeAttemptTable(&b, res)
	b.WriteString("\n## Files\n\n")
	b.WriteString("capture.pcap, sysctl.txt, ss.txt (`ss -ltn` every 100 ms), " + strings.Join(exp.Capture.NstatFiles, ", ") +
		", uname.txt, client-results.tsv, expected.json (the truth), lab.json (everything the lab recorded: phases with counters, rules, client and accept logs, queue samples; read by the truth rules, not by halfopen)")
	if len(rec.Rules) > 0 {
		b.WriteString(", iptables.txt")
	}
	b.WriteString(".\n\n## Regenerate\n\n```\n")
	if exp.Seed != 0 {
		fmt.Fprintf(&b, "sudo go run ./samples/lab/cmd/lab keep --seed %d samples/%s\n", exp.Seed, filepath.Base(res.Dir))
	} else {
		fmt.Fprintf(&b, "sudo go run ./samples/lab/cmd/lab sample %s\n", exp.Scenario)
	}
	b.WriteString("```\n\nTiming on a real kernel is noisy: outcomes are stable between runs, exact counter totals may differ by a few.\n")
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func netExtras(n NetSpec) string {
	var x []string
	if len(n.ClientAddrs) > 0 {
		var a []string
		for _, c := range n.ClientAddrs {
			a = append(a, c.String())
		}
		x = append(x, "extra client addresses "+strings.Join(a, ", "))
	}
	if n.Bridge {
		x = append(x, "server veth in a bridge")
	}
	if n.Spoof {
		x = append(x, spoofNet.String()+" (spoofed sources) routed to the client namespace, which owns none of it")
	}
	if len(x) == 0 {
		return ""
	}
	return " (" + strings.Join(x, "; ") + ")"
}

// writeKernelSaid prints the kernel facts: counters per phase, rule
// counters, the client log and the accept log.
func writeKernelSaid(b *strings.Builder, res *Result, f *facts) {
	rec := res.Record
	b.WriteString("\n## What the kernel said\n\nCounter deltas per phase (server namespace; phases are snapshots the script took at each boundary):\n\n")
	b.WriteString("| phase | counters that moved |\n|---|---|\n")
	for i := 0; i+1 < len(f.phases); i++ {
		d := Delta(Counters{Values: f.phases[i].Server}, Counters{Values: f.phases[i+1].Server})
		fmt.Fprintf(b, "| %s → %s (%+.1f s) | %s |\n", f.phases[i].Name, f.phases[i+1].Name,
			f.phases[i+1].Time.Sub(rec.CaptureStart).Seconds(), formatCounters(d, f.phases[i+1].Rules, f.phases[i].Rules))
	}
	fmt.Fprintf(b, "\nWhole run (nstat files): %s.\n", formatMap(res.Expected.Listeners0Counters()))
	b.WriteString("\nClients (client log):\n\n| group | client | result | connect ms | note |\n|---|---|---|---|---|\n")
	groups := map[string][]ClientRecord{}
	var names []string
	for _, c := range rec.Clients {
		if groups[c.Group] == nil {
			names = append(names, c.Group)
		}
		groups[c.Group] = append(groups[c.Group], c)
	}
	for _, g := range names {
		for _, c := range groups[g] {
			note := c.Note
			if c.Answered {
				note = strings.TrimPrefix(note+"; answered", "; ")
			}
			fmt.Fprintf(b, "| %s | %s | %s | %.0f | %s |\n", g, c.Client, c.Result, c.ConnectMS, note)
		}
	}
	fmt.Fprintf(b, "\nServer accept log: %d connections accepted", len(rec.Accepts))
	by := map[string]int{}
	for _, a := range rec.Accepts {
		by[a.ClosedBy]++
	}
	if len(by) > 0 {
		fmt.Fprintf(b, " (closed by: %s)", formatIntMap(by))
	}
	b.WriteString(".\n")
	if len(rec.Raw) > 0 {
		kinds := map[string]int{}
		for _, r := range rec.Raw {
			kinds[r.Kind]++
		}
		fmt.Fprintf(b, "Raw SYNs sent from the client namespace: %s.\n", formatIntMap(kinds))
	}
}

// Listeners0Counters is the whole-run counter delta listed in expected.json.
func (e *Expected) Listeners0Counters() map[string]int64 {
	out := map[string]int64{}
	for _, l := range e.Listeners {
		for k, v := range l.Counters {
			out[k] = v
		}
	}
	return out
}

func formatCounters(d, rulesAfter, rulesBefore map[string]int64) string {
	var parts []string
	for k, v := range d {
		if strings.HasPrefix(k, "TcpExt") || strings.HasPrefix(k, "Tcp") && !strings.HasPrefix(k, "TcpIn") && !strings.HasPrefix(k, "TcpOutSegs") {
			parts = append(parts, fmt.Sprintf("%s %+d", strings.TrimPrefix(k, "TcpExt"), v))
		}
	}
	for k, v := range rulesAfter {
		if x := v - rulesBefore[k]; x != 0 {
			parts = append(parts, fmt.Sprintf("rule %s %+d", k, x))
		}
	}
	sort.Strings(parts)
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, ", ")
}

func formatMap(m map[string]int64) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(parts)
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func formatIntMap(m map[string]int) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// writeAttemptTable lists every attempt's truth.
func writeAttemptTable(b *strings.Builder, res *Result) {
	exp := res.Expected
	fmt.Fprintf(b, "\n## Truth per attempt (expected.json)\n\n%d attempts in the capture; %d frames were duplicates.", len(exp.Attempts), exp.Capture.DuplicateFrames)
	if exp.Flood != nil {
		fmt.Fprintf(b, " Spoofed flood: %d SYNs from %d sources to %s.", exp.Flood.SYNs, exp.Flood.Sources, exp.Flood.Server)
	}
	for _, s := range exp.Scans {
		fmt.Fprintf(b, " Scan: %s probed %d ports (%d open).", s.Source, s.Ports, s.Open)
	}
	if exp.Capture.StoppedEarly {
		fmt.Fprintf(b, " The capture stopped early; the counters show %d listener drops after it stopped.", exp.Capture.DropsAfterCapture)
	}
	b.WriteString("\n\n| client | server | t (s) | role | outcome | branch | certain | why |\n|---|---|---|---|---|---|---|---|\n")
	shown, floods := 0, 0
	for _, a := range exp.Attempts {
		if a.Role == "flood" {
			floods++
			if floods > 5 {
				continue
			}
		}
		t, _ := time.Parse(time.RFC3339Nano, a.FirstSYN)
		fmt.Fprintf(b, "| %s | %s | %.3f | %s | %s | %s | %v | %s |\n", a.Client, a.Server, t.Sub(res.Record.CaptureStart).Seconds(),
			a.Role, strings.Join(a.Outcomes, " / "), strings.Join(a.Branches, " / "), a.Certain, strings.ReplaceAll(a.Why, "|", "\\|"))
		shown++
	}
	if floods > 5 {
		fmt.Fprintf(b, "\n(%d more flood attempts like the above are in expected.json.)\n", floods-5)
	}
	for _, l := range exp.Listeners {
		fmt.Fprintf(b, "\nListener %s: branch `%s`, outcomes %s.", l.Server, orNone(l.Branch), formatMap(l.Outcomes))
		if len(l.ClosedAt) > 0 {
			fmt.Fprintf(b, " Listening socket closed at %s.", strings.Join(l.ClosedAt, ", "))
		}
		if len(l.ReopenedAt) > 0 {
			fmt.Fprintf(b, " Re-opened at %s.", strings.Join(l.ReopenedAt, ", "))
		}
	}
	b.WriteString("\n")
}

func orNone(s string) string {
	if s == "" {
		return "none (healthy)"
	}
	return s
}
