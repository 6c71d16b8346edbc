package ui

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/halfopen/halfopen/analyze"
	"github.com/halfopen/halfopen/analyze/kernel"
)

// kernelLines is the kernel panel of a listener: the kernel each of its
// captures ran (and how that was found), the listener's effective queue
// limits, and the counter deltas its verdicts rest on, highlighted where
// they support the verdict.
func kernelLines(r *analyze.Report, l *analyze.Listener, width int) []line {
	var out []line
	for n, i := range l.Captures {
		if i < 0 || i >= len(r.Captures) {
			continue
		}
		c := &r.Captures[i]
		if len(l.Captures) > 1 {
			if n > 0 {
				out = append(out, line{})
			}
			out = append(out, hang(line{{fmt.Sprintf("capture %d ", i), roleMuted}}, c.Path, roleMuted, width)...)
		}
		out = append(out, kernelOf(c, width)...)
	}
	out = append(out, line{})
	out = append(out, limitLines(l, width)...)
	if cl := counterLines(l, width); len(cl) > 0 {
		out = append(out, line{})
		out = append(out, cl...)
	}
	return out
}

// captureKernelLines is the kernel panel without a listener.
func captureKernelLines(r *analyze.Report) []line {
	var out []line
	for i := range r.Captures {
		out = append(out, kernelOf(&r.Captures[i], 60)...)
	}
	return out
}

func kernelOf(c *analyze.Capture, width int) []line {
	if c.Error != "" {
		return hang(line{{"error  ", roleBad}}, c.Error, roleBad, width)
	}
	k := c.Kernel
	if k == nil {
		return []line{textLine(roleMuted, "kernel: unknown")}
	}
	out := wrapLine(line{{"Kernel ", roleHead}, {k.Name, roleStrong}, {"  era " + k.Era, roleText}}, width)
	how := "from " + k.Source
	if k.Assumed {
		how += " — assumed, not measured: pass --kernel or a sysctl snapshot"
	}
	out = append(out, hang(line{{"  ", roleText}}, how, roleMuted, width)...)
	for _, e := range k.Evidence {
		out = append(out, hang(line{{"  · ", roleMuted}}, e, roleMuted, width)...)
	}
	for _, w := range c.Warnings {
		out = append(out, hang(line{{"warning ", roleStrong}}, shortPaths(w), roleText, width)...)
	}
	return out
}

// limitRow is one line of the limits table.
type limitRow struct {
	name  string
	value *int
	key   kernel.Limit // for relevance to a branch
}

// limitLines is the listener's effective limits; the ones that decide its
// top verdict are marked, a full accept queue is flagged.
func limitLines(l *analyze.Listener, width int) []line {
	lim := l.Limits
	if lim == nil {
		return []line{textLine(roleHead, "Limits"), textLine(roleMuted, "  unknown: add --sysctl and --ss snapshots")}
	}
	var top kernel.Branch // the decisive limits of the top verdict are marked
	if len(l.Verdicts) > 0 {
		top, _ = kernel.Lookup(l.Verdicts[0].Branch)
	}
	rows := []limitRow{
		{"listen backlog (ss Send-Q)", lim.Backlog, kernel.LimitBacklog},
		{kernel.SysctlSomaxconn, lim.Somaxconn, kernel.LimitSomaxconn},
		{"accept queue capacity", lim.AcceptQueueCapacity, kernel.LimitAcceptQueue},
		{"deepest accept queue (ss)", lim.MaxAcceptDepth, kernel.LimitAcceptDepth},
		{"SYN queue capacity", lim.SynQueueCapacity, kernel.LimitSynQueue},
		{"tcp_max_syn_backlog", lim.MaxSynBacklog, kernel.LimitMaxSynBacklog},
		{"tcp_syncookies", lim.Syncookies, kernel.LimitSyncookies},
		{"tcp_abort_on_overflow", lim.AbortOnOverflow, kernel.LimitAbortOnOverflow},
		{"tcp_tw_recycle", lim.TwRecycle, kernel.LimitTwRecycle},
	}
	title := "Limits"
	if lim.Source != "" {
		title += " (" + lim.Source + ")"
	}
	out := []line{textLine(roleHead, title)}
	nameW := min(27, max(width-14, 8))
	for _, row := range rows {
		v := "-"
		if row.value != nil {
			v = strconv.Itoa(*row.value)
		}
		ro := roleText
		note := ""
		if row.value == nil {
			ro = roleMuted
		}
		if top.DecidedBy(row.key) && row.value != nil {
			ro, note = roleStrong, "  ◀"
		}
		if row.key == kernel.LimitAcceptDepth && row.value != nil && lim.AcceptQueueCapacity != nil && *row.value >= *lim.AcceptQueueCapacity {
			ro, note = roleBad, "  full"
		}
		out = append(out, line{{"  " + pad(cut(row.name, nameW), nameW), roleText}, {padLeft(v, 6), ro}, {note, ro}})
	}
	return out
}

// counterDelta is one counter of a counter evidence line.
type counterDelta struct {
	name  string
	delta int64
}

// counterEvidence is an Evidence of kind "counter" read back into parts:
// "nstat between A and B: TcpExtListenOverflows +12, …: conclusion".
type counterEvidence struct {
	source     string
	deltas     []counterDelta
	conclusion string
}

// parseCounterEvidence splits a counter evidence text; ok is false when
// the text is not in that shape (it is then shown as it is).
func parseCounterEvidence(text string) (counterEvidence, bool) {
	src, rest, found := strings.Cut(text, ": ")
	if !found {
		return counterEvidence{}, false
	}
	list, conclusion, _ := strings.Cut(rest, ": ")
	ce := counterEvidence{source: shortPaths(src), conclusion: conclusion}
	for _, item := range strings.Split(list, ", ") {
		name, num, ok := strings.Cut(strings.TrimSpace(item), " ")
		if !ok || name == "" {
			return counterEvidence{}, false
		}
		d, err := strconv.ParseInt(strings.TrimPrefix(num, "+"), 10, 64)
		if err != nil {
			return counterEvidence{}, false
		}
		ce.deltas = append(ce.deltas, counterDelta{name, d})
	}
	return ce, len(ce.deltas) > 0
}

// shortPaths replaces file paths in s (dir/name.ext) by their base
// names: the panes are narrow and the directory is the capture's.
func shortPaths(s string) string {
	re := regexp.MustCompile(`(?:[\w.~-]*/)+([\w.-]+\.\w+)`)
	return re.ReplaceAllStringFunc(s, filepath.Base)
}

// counterSource words "nstat between A and B" as "A → B".
func counterSource(src string) string {
	if rest, ok := strings.CutPrefix(src, "nstat between "); ok {
		if a, b, ok := strings.Cut(rest, " and "); ok {
			return a + " → " + b
		}
	}
	return src
}

// counterLines are the counter deltas behind the listener's verdicts.
// Counters that moved in evidence for a verdict are highlighted (◀);
// evidence against a verdict is shown muted and says so.
func counterLines(l *analyze.Listener, width int) []line {
	var out []line
	seen := map[string]bool{}
	for _, v := range l.Verdicts {
		for _, e := range v.Evidence {
			if e.Kind != "counter" || seen[e.Text] {
				continue
			}
			seen[e.Text] = true
			stance, sr := "for "+v.Branch, roleStrong
			if e.Against {
				stance, sr = "against "+v.Branch, roleMuted
			}
			if len(out) > 0 {
				out = append(out, line{})
			}
			ce, ok := parseCounterEvidence(e.Text)
			if !ok {
				out = append(out, line{{"Counters ", roleHead}, {stance, sr}})
				ro := roleBad
				if e.Against {
					ro = roleMuted
				}
				out = append(out, hang(line{{"  ", roleText}}, shortPaths(e.Text), ro, width)...)
				continue
			}
			out = append(out, hang(line{{"Counters ", roleHead}}, counterSource(ce.source), roleMuted, width)...)
			out = append(out, line{{"  " + stance, sr}})
			nameW := 0
			for _, d := range ce.deltas {
				nameW = max(nameW, cellWidth(strings.TrimPrefix(d.name, "TcpExt")))
			}
			for _, d := range ce.deltas {
				ro, note := roleMuted, ""
				if d.delta != 0 {
					ro = roleText
					if !e.Against {
						ro, note = roleBad, " ◀"
					}
				}
				out = append(out, line{{"  " + pad(strings.TrimPrefix(d.name, "TcpExt"), nameW), roleText}, {padLeft(fmt.Sprintf("%+d", d.delta), 7), ro}, {note, ro}})
			}
			if ce.conclusion != "" {
				out = append(out, hang(line{{"  → ", roleMuted}}, ce.conclusion, sr, width)...)
			}
		}
	}
	return out
}
