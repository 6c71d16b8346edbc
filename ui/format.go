package ui

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/halfopen/halfopen/analyze/render"
)

func parseTimeOf(s string) time.Time { return render.ParseTime(&s) }

// ms formats milliseconds for people: 0.02 ms, 12 ms, 1.02 s.
func ms(v float64) string {
	switch {
	case v >= 10000:
		return fmt.Sprintf("%.1f s", v/1000)
	case v >= 1000:
		return fmt.Sprintf("%.2f s", v/1000)
	case v >= 10:
		return fmt.Sprintf("%.0f ms", v)
	case v == 0:
		return "0 ms"
	}
	return fmt.Sprintf("%.2f ms", v)
}

// seconds formats a duration in seconds compactly: "1 s", "0.5 s", "2 min".
func seconds(d time.Duration) string {
	switch {
	case d >= 2*time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%d min", d/time.Minute)
	case d%time.Second == 0:
		return fmt.Sprintf("%d s", d/time.Second)
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

// conf formats a confidence, "-" when absent.
func conf(c *float64) string {
	if c == nil {
		return "-"
	}
	return fmt.Sprintf("%.2f", *c)
}

// cellWidth is the display width of s in cells (runes; the UI only prints
// narrow characters).
func cellWidth(s string) int { return utf8.RuneCountInString(s) }

// fit shortens s to n cells, eliding the middle so addresses keep both ends.
func fit(s string, n int) string {
	if cellWidth(s) <= n {
		return s
	}
	if n < 5 {
		return string([]rune(s)[:max(n, 0)])
	}
	r := []rune(s)
	head := (n - 1) / 2
	tail := n - 1 - head
	return string(r[:head]) + "…" + string(r[len(r)-tail:])
}

// cut shortens s to n cells, ending in "…" when it was longer.
func cut(s string, n int) string {
	if cellWidth(s) <= n {
		return s
	}
	if n <= 1 {
		return string([]rune(s)[:max(n, 0)])
	}
	return string([]rune(s)[:n-1]) + "…"
}

func pad(s string, n int) string {
	if w := cellWidth(s); w < n {
		return s + strings.Repeat(" ", n-w)
	}
	return s
}

func padLeft(s string, n int) string {
	if w := cellWidth(s); w < n {
		return strings.Repeat(" ", n-w) + s
	}
	return s
}

// wrapText breaks text into lines of at most n cells, on spaces.
func wrapText(text string, n int) []string {
	if n < 10 {
		n = 10
	}
	var out []string
	line := ""
	// Split at ASCII blanks only: a no-break space keeps "31 s" together.
	words := strings.FieldsFunc(text, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' })
	for _, w := range words {
		for cellWidth(w) > n { // a word longer than the line: break it
			if line != "" {
				out = append(out, line)
				line = ""
			}
			r := []rune(w)
			out = append(out, string(r[:n]))
			w = string(r[n:])
		}
		if line != "" && cellWidth(line)+1+cellWidth(w) > n {
			out = append(out, line)
			line = ""
		}
		if line == "" {
			line = w
		} else {
			line += " " + w
		}
	}
	if line != "" {
		out = append(out, line)
	}
	return out
}

// plural formats n with a noun, adding "s" unless n is 1.
func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return render.Count(n) + " " + noun + "s"
}
