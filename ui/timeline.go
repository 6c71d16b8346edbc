package ui

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/halfopen/halfopen/analyze"
	"github.com/halfopen/halfopen/analyze/render"
)

// timeSpan is the stretch of time a timeline covers.
type timeSpan struct{ start, end time.Time }

// listenerSpan is the time covered by the captures the listener was seen in.
func listenerSpan(r *analyze.Report, l *analyze.Listener) timeSpan {
	var s timeSpan
	for _, i := range l.Captures {
		if i < 0 || i >= len(r.Captures) {
			continue
		}
		c := r.Captures[i]
		if f := render.ParseTime(c.First); !f.IsZero() && (s.start.IsZero() || f.Before(s.start)) {
			s.start = f
		}
		if t := render.ParseTime(c.Last); t.After(s.end) {
			s.end = t
		}
	}
	return s
}

func timelineTitle(l *analyze.Listener) string {
	return "Timeline of " + l.Server + " across the capture"
}

// timelineLines draws a listener's timeline across the capture: attempts
// and failures per step as bar charts (two rows each when tall, else
// one), the accept-queue depth against its limit when ss gave a series,
// ▲ where SYNs were dropped and a time axis. width is the pane's inner
// width.
func timelineLines(l *analyze.Listener, span timeSpan, width int, tall bool) []line {
	tl := l.Timeline
	if len(tl.Attempts) == 0 {
		return []line{textLine(roleMuted, "no attempts to this listener")}
	}
	step := time.Duration(tl.Step * float64(time.Second))
	if step <= 0 {
		step = time.Second
	}
	start := render.ParseTime(tl.Start)
	if start.IsZero() {
		span = timeSpan{}
	}
	// The axis starts at the capture's start (on the listener's step grid)
	// and ends with the capture, so a listener busy only at the end shows
	// an empty beginning.
	// The padding is bounded by the listener's own span: a capture whose
	// first or last frame carries an absurd stamp (1970, 2100) must not
	// stretch the axis over decades, nor its arrays over gigabytes.
	lead, tail := 0, 0
	n := len(tl.Attempts)
	room := max(n, 60)
	if !span.start.IsZero() && span.start.Before(start) {
		lead = min(int((start.Sub(span.start)+step-1)/step), room)
	}
	if !span.end.IsZero() {
		end := start.Add(time.Duration(n) * step)
		if span.end.After(end) {
			tail = min(int((span.end.Sub(end)+step-1)/step), room)
		}
	}
	n += lead + tail
	axisStart := start.Add(-time.Duration(lead) * step)

	attempts := make([]int64, n)
	failures := make([]int64, n)
	depth := make([]float64, n)
	for i := range depth {
		depth[i] = -1
	}
	for i := range tl.Attempts {
		attempts[lead+i] = tl.Attempts[i]
		if i < len(tl.Failures) {
			failures[lead+i] = tl.Failures[i]
		}
		if i < len(tl.Depth) {
			depth[lead+i] = tl.Depth[i]
		}
	}
	hasDepth := len(tl.Depth) > 0

	labels := []string{"attempts", "failures", "accept queue", "dropped"}
	labelW := 0
	for _, s := range labels {
		labelW = max(labelW, cellWidth(s))
	}
	labelW += 6 // room for the scale: " 1,234"
	chartW := max(width-labelW-1, 8)
	per := (n + chartW - 1) / chartW // buckets merged per column
	cols := (n + per - 1) / per
	colW := max(1, chartW/cols)

	sumA := merge(attempts, per)
	sumF := merge(failures, per)
	maxD := mergeMax(depth, per)
	peakA, peakF := peak(sumA), peak(sumF)
	perStep := step * time.Duration(per)

	label := func(name string, v string) string {
		return pad(name, labelW-cellWidth(v)) + v
	}
	var out []line
	// series adds a bar chart: one or two rows, a label on the first and
	// a note on the second.
	series := func(name, scale, note string, top, bottom line) {
		if !tall {
			out = append(out, append(line{{label(name, scale), roleText}, {"│", roleMuted}}, bottom...))
			return
		}
		out = append(out,
			append(line{{label(name, scale), roleText}, {"│", roleMuted}}, top...),
			append(line{{pad(note, labelW), roleMuted}, {"│", roleMuted}}, bottom...))
	}
	levels := 16
	if !tall {
		levels = 8
	}
	top, bottom := bars(sumA, peakA, colW, levels)
	series("attempts", render.Count(peakA), "  per "+seconds(perStep), textLine(roleText, top), textLine(roleText, bottom))
	top, bottom = bars(sumF, peakF, colW, levels)
	series("failures", render.Count(peakF), "", textLine(roleBad, top), textLine(roleBad, bottom))
	if hasDepth {
		limit := float64(tl.Limit)
		scale := limit
		for _, d := range maxD {
			scale = max(scale, d)
		}
		top, bottom := barRows(maxD, scale, colW, levels)
		full := make([]bool, len(maxD))
		for i, d := range maxD {
			full[i] = limit > 0 && d >= limit
		}
		lim := "?"
		if tl.Limit > 0 {
			lim = fmt.Sprint(tl.Limit)
		}
		series("accept queue", fmt.Sprintf("%.0f", scale), "  limit "+lim, markFull(top, full, colW), markFull(bottom, full, colW))
	}
	var drops strings.Builder
	for _, f := range sumF {
		cell := strings.Repeat(" ", colW)
		if f > 0 {
			mid := (colW - 1) / 2
			cell = strings.Repeat(" ", mid) + "▲" + strings.Repeat(" ", colW-mid-1)
		}
		drops.WriteString(cell)
	}
	out = append(out, line{{pad("dropped", labelW), roleText}, {"│", roleMuted}, {drops.String(), roleBad}})
	out = append(out, line{{pad("", labelW), roleMuted}, {"└", roleMuted}, {axis(axisStart, perStep, cols, colW), roleMuted}})
	return out
}

// merge sums every per values into one.
func merge(v []int64, per int) []int64 {
	out := make([]int64, 0, (len(v)+per-1)/per)
	for i := 0; i < len(v); i += per {
		var s int64
		for _, x := range v[i:min(i+per, len(v))] {
			s += x
		}
		out = append(out, s)
	}
	return out
}

// mergeMax keeps the largest of every per values (-1: no sample).
func mergeMax(v []float64, per int) []float64 {
	out := make([]float64, 0, (len(v)+per-1)/per)
	for i := 0; i < len(v); i += per {
		m := -1.0
		for _, x := range v[i:min(i+per, len(v))] {
			m = max(m, x)
		}
		out = append(out, m)
	}
	return out
}

func peak(v []int64) int64 {
	var p int64
	for _, x := range v {
		p = max(p, x)
	}
	return p
}

const eighths = " ▁▂▃▄▅▆▇█"

// bars draws values as two rows of eighth blocks (levels 16) or one
// (levels 8), each value colW cells wide. A non-zero value shows at least
// one eighth.
func bars(v []int64, peak int64, colW, levels int) (string, string) {
	f := make([]float64, len(v))
	for i, x := range v {
		f[i] = float64(x)
	}
	return barRows(f, float64(peak), colW, levels)
}

func barRows(v []float64, scale float64, colW, levels int) (string, string) {
	glyph := []rune(eighths)
	var top, bottom strings.Builder
	for _, x := range v {
		level := 0
		if x > 0 && scale > 0 {
			level = max(1, int(math.Ceil(x*float64(levels)/scale)))
			level = min(level, levels)
		}
		t, b := max(level-8, 0), min(level, 8)
		top.WriteString(strings.Repeat(string(glyph[t]), colW))
		bottom.WriteString(strings.Repeat(string(glyph[b]), colW))
	}
	return top.String(), bottom.String()
}

// markFull splits a bar row into spans, the columns at or over the limit
// in the bad role.
func markFull(row string, full []bool, colW int) line {
	r := []rune(row)
	var out line
	for i := range full {
		seg := string(r[i*colW : min((i+1)*colW, len(r))])
		ro := roleStrong
		if full[i] {
			ro = roleBad
		}
		if len(out) > 0 && out[len(out)-1].role == ro {
			out[len(out)-1].text += seg
		} else {
			out = append(out, span{seg, ro})
		}
	}
	return out
}

// axis labels the time axis: the start, the end and what fits between.
func axis(start time.Time, step time.Duration, cols, colW int) string {
	total := cols * colW
	row := []rune(strings.Repeat("─", total))
	const lw = 8 // "15:04:05"
	labelAt := func(col int, t time.Time) bool {
		pos := col * colW
		if pos+lw > total {
			return false
		}
		copy(row[pos:], []rune(t.UTC().Format("15:04:05")))
		return true
	}
	end := start.Add(time.Duration(cols) * step)
	lastPos := total - lw
	every := max(1, (lw+4+colW-1)/colW)
	for c := 0; c < cols; c += every {
		if c*colW+lw+2 > lastPos && c != 0 {
			break
		}
		labelAt(c, start.Add(time.Duration(c)*step))
	}
	if lastPos > lw+1 {
		copy(row[lastPos:], []rune(end.UTC().Format("15:04:05")))
	}
	return string(row)
}
