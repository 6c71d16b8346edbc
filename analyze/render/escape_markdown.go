package render

import (
	"strings"
)

// mdSpecial are the characters that can start Markdown or HTML markup in
// the middle of a line (CommonMark and GitHub's extensions): emphasis,
// code, links and images, raw HTML and entities, headings, tables,
// strikethrough, e-mail autolinks. Each is written backslash-escaped,
// except < > & as entities, which every renderer reads as text.
var mdSpecial = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"#", `\#`, "|", `\|`, "~", `\~`, "@", `\@`, "!", `\!`,
	"<", "&lt;", ">", "&gt;", "&", "&amp;",
	// GitHub links bare URLs; a file named like one must not become a link.
	"://", `:\/\/`, "www.", `www\.`,
)

// mdEscape makes text from outside (or any text) read as itself inside a
// Markdown line or a table cell: control characters made Visible, markup
// characters escaped. Text that starts a line needs mdLine.
func mdEscape(s string) string {
	return mdSpecial.Replace(Visible(s))
}

// mdLine is mdEscape for text that starts a line or a list item's
// content, where "- ", "+ ", "=", "1." or "1)" and leading spaces would
// open a list, a heading underline or a code block.
func mdLine(s string) string {
	s = mdEscape(s)
	switch {
	case s == "":
		return s
	case s[0] == ' ':
		return "&#32;" + s[1:]
	case s[0] == '-' || s[0] == '+' || s[0] == '=':
		return `\` + s
	}
	digits := len(s) - len(strings.TrimLeft(s, "0123456789"))
	if digits > 0 && digits < len(s) && (s[digits] == '.' || s[digits] == ')') {
		return s[:digits] + `\` + s[digits:]
	}
	return s
}

// mdCode writes s as a Markdown code span, where nothing is markup: the
// fence is one backtick longer than the longest run inside, and padded
// with spaces when s starts or ends with a backtick or a space (CommonMark
// strips one space each side; any backtick inside gets the padding too, so
// a run next to the fence never merges with it). In a table cell, | is escaped: GitHub
// splits cells before it reads code spans.
func mdCode(s string, inTable bool) string {
	s = Visible(s)
	if s == "" {
		return "` `"
	}
	if inTable {
		s = strings.ReplaceAll(s, "|", `\|`)
	}
	longest, run := 0, 0
	for i := range len(s) {
		if s[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if longest > 0 || s[0] == ' ' || s[len(s)-1] == ' ' {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// MarkdownText is mdEscape for other packages (the TUI's exports).
func MarkdownText(s string) string { return mdEscape(s) }

// MarkdownLine is mdLine for other packages.
func MarkdownLine(s string) string { return mdLine(s) }

// MarkdownCode is mdCode for other packages.
func MarkdownCode(s string, inTable bool) string { return mdCode(s, inTable) }

// MarkdownBlock writes text as a fenced code block: each line Visible,
// the fence longer than any run of backticks inside so no line closes it.
func MarkdownBlock(text string) string {
	lines := strings.Split(text, "\n")
	longest := 2
	for i, l := range lines {
		lines[i] = Visible(l)
		run := 0
		for j := range len(lines[i]) {
			if lines[i][j] == '`' {
				run++
				longest = max(longest, run)
			} else {
				run = 0
			}
		}
	}
	fence := strings.Repeat("`", longest+1)
	return fence + "\n" + strings.Join(lines, "\n") + "\n" + fence + "\n"
}
