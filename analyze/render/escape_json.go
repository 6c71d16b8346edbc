package render

import (
	"fmt"
	"unicode/utf8"
)

// jsonSafe \u-escapes the characters encoding/json leaves raw but a
// terminal or an editor acts on: DEL, the C1 controls (U+0080–U+009F, of
// which U+009B is CSI, an escape sequence in one character) and the
// bidirectional overrides that reorder what a reader sees. b is the output
// of encoding/json, valid UTF-8, where such characters can only stand
// inside strings, so the escape keeps the same JSON value. b is returned
// as is when nothing needs escaping.
func jsonSafe(b []byte) []byte {
	i := 0
	for i < len(b) {
		if b[i] < 0x7f {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if actsOnTerminal(r) {
			return jsonSafeFrom(b, i)
		}
		i += n
	}
	return b
}

func jsonSafeFrom(b []byte, start int) []byte {
	out := make([]byte, 0, len(b)+16)
	out = append(out, b[:start]...)
	for i := start; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r >= 0x7f && actsOnTerminal(r) { // below, only the indentation's newlines
			out = fmt.Appendf(out, `\u%04x`, r)
		} else {
			out = append(out, b[i:i+n]...)
		}
		i += n
	}
	return out
}
