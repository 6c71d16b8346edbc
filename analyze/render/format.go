package render

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// ParseTime reads a report timestamp; the zero time if absent or bad.
func ParseTime(s *string) time.Time {
	if s == nil {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, *s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// Clock formats a report timestamp as HH:MM:SS.mmm (UTC).
func Clock(s *string) string {
	t := ParseTime(s)
	if t.IsZero() {
		return "-"
	}
	return t.Format("15:04:05.000")
}

func clockOf(s string) string { return Clock(&s) }

// Count formats an integer with thousands separators.
func Count(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + Count(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// fit shortens s to width runes, eliding the middle (addresses keep both ends).
func fit(s string, width int) string {
	if utf8.RuneCountInString(s) <= width || width < 5 {
		return s
	}
	r := []rune(s)
	head := (width - 1) / 2
	tail := width - 1 - head
	return string(r[:head]) + "…" + string(r[len(r)-tail:])
}

func pad(s string, width int) string {
	n := utf8.RuneCountInString(s)
	if n >= width {
		return s
	}
	return s + strings.Repeat(" ", width-n)
}

// wrap breaks text into lines of at most width runes, indenting
// continuation lines by indent spaces.
func wrap(text string, width, indent int) []string {
	lead := text[:len(text)-len(strings.TrimLeft(text, " "))]
	words := strings.Fields(text)
	var lines []string
	line := ""
	for _, w := range words {
		limit := width - len(lead)
		if len(lines) > 0 {
			limit = width - indent
		}
		if line != "" && utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) > limit {
			lines = append(lines, line)
			line = w
			continue
		}
		if line == "" {
			line = w
		} else {
			line += " " + w
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	for i := 1; i < len(lines); i++ {
		lines[i] = strings.Repeat(" ", indent) + lines[i]
	}
	if len(lines) > 0 {
		lines[0] = lead + lines[0]
	}
	return lines
}

// sparkline draws counts as block characters scaled to their maximum.
func sparkline(values []int64) string {
	const bars = "▁▂▃▄▅▆▇█"
	var peak int64
	for _, v := range values {
		peak = max(peak, v)
	}
	var b strings.Builder
	runes := []rune(bars)
	for _, v := range values {
		switch {
		case v == 0:
			b.WriteRune(' ')
		case peak == 0:
			b.WriteRune(runes[0])
		default:
			i := int((v*int64(len(runes)) - 1) / peak)
			b.WriteRune(runes[min(i, len(runes)-1)])
		}
	}
	return b.String()
}
