package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/halfopen/halfopen/analyze"
)

// ladderLines draws an attempt's packets as a ladder diagram: the client
// on the left, the server on the right, one arrow per packet with its
// flags and relative seq/ack, a second line with its TCP options and
// timestamps, and the time since the first SYN in milliseconds. It is a
// pure function of the rungs and the width, tested without a terminal.
func ladderLines(rungs []analyze.Rung, client, server string, width int) []line {
	timeW := len("ms")
	for _, g := range rungs {
		timeW = max(timeW, len(msOffset(g.At)))
	}
	// time │ arrow │
	inner := max(width-timeW-4, 24)
	out := []line{{
		{padLeft("ms", timeW) + "  ", roleMuted},
		{pad(fit(client, inner/2), inner/2), roleHead},
		{padLeft(fit(server, inner-inner/2), inner-inner/2), roleHead},
	}}
	bar := func(s string, r role) line {
		return line{{strings.Repeat(" ", timeW) + " │", roleMuted}, {s, r}, {"│", roleMuted}}
	}
	out = append(out, bar(strings.Repeat(" ", inner), roleText))
	if len(rungs) == 0 {
		out = append(out, textLine(roleMuted, "no packets of this attempt were found in its capture"))
		return out
	}
	for _, g := range rungs {
		label := rungLabel(g)
		r := roleText
		switch {
		case strings.Contains(g.Flags, "RST"), strings.Contains(g.Note, "after"):
			r = roleBad
		case g.Note != "":
			r = roleStrong
		}
		var arrow string
		room := inner - 2 // a space on each side
		label = cut(label, room-3)
		dashes := strings.Repeat("─", max(room-cellWidth(label)-2, 1))
		if g.FromClient {
			arrow = " " + label + " " + dashes + "▶ "
		} else {
			arrow = " ◀" + dashes + " " + label + " "
		}
		arrow = pad(arrow, inner)
		out = append(out, line{{padLeft(msOffset(g.At), timeW) + " │", roleMuted}, {arrow, r}, {"│", roleMuted}})
		for _, d := range rungDetails(g, inner-4) {
			d = cut(d, inner-4)
			var s string
			if g.FromClient {
				s = "   " + d
			} else {
				s = padLeft(d+"   ", inner)
			}
			out = append(out, bar(pad(s, inner), roleMuted))
		}
	}
	return out
}

// msOffset formats a rung's time since the first SYN in milliseconds.
func msOffset(d time.Duration) string {
	return fmt.Sprintf("%.3f", float64(d)/float64(time.Millisecond))
}

// rungLabel is what goes on the arrow: flags, relative seq/ack, length, note.
func rungLabel(g analyze.Rung) string {
	s := fmt.Sprintf("%s seq %d", g.Flags, g.Seq)
	if strings.Contains(g.Flags, "ACK") {
		s += fmt.Sprintf(" ack %d", g.Ack)
	}
	if g.Len > 0 {
		s += fmt.Sprintf(" len %d", g.Len)
	}
	if g.Note != "" {
		s += " (" + strings.ReplaceAll(g.Note, "the client's ACK", "ACK") + ")"
	}
	return s
}

// rungDetails are the lines under a rung's arrow: its options and
// timestamps, on one line when they fit in width, else on two.
func rungDetails(g analyze.Rung, width int) []string {
	var parts []string
	if g.Options != "" {
		parts = append(parts, g.Options)
	}
	if g.HasTS {
		parts = append(parts, fmt.Sprintf("TSval %d TSecr %d", g.TSval, g.TSecr))
	}
	if one := strings.Join(parts, " · "); cellWidth(one) <= width || len(parts) < 2 {
		if one == "" {
			return nil
		}
		return []string{one}
	}
	return parts
}

// ladderText is the ladder as plain text (exports).
func ladderText(rungs []analyze.Rung, client, server string, width int) string {
	return strings.Join(plainLines(ladderLines(rungs, client, server, width)), "\n")
}
