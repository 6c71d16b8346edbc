package render

import (
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"
)

// actsOnTerminal reports whether r is an instruction rather than text
// where a person reads it: C0 controls (ESC starts the sequences that
// retitle a terminal or clear it), DEL, C1 controls (U+009B is CSI on
// its own), line and paragraph separators, and the bidirectional
// formatting characters that make text read differently from its bytes.
func actsOnTerminal(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r == 0x2028, r == 0x2029,
		r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// IsVisible reports whether Visible would return s unchanged.
func IsVisible(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 || actsOnTerminal(r) {
			return false
		}
		i += n
	}
	return true
}

// Visible makes a string from outside (a file name, a warning quoting
// one, a field of a JSON report) safe to print to a terminal: every
// character that acts on the terminal is written as its Go escape (\x1b,
// \n, \u202e) and every byte that is not UTF-8 as \xNN. Everything else,
// backslashes included, stays as it is, so ordinary names read unchanged.
func Visible(s string) string {
	if IsVisible(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x80 && actsOnTerminal(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case actsOnTerminal(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// VisibleCopy returns v with Visible applied to every string reachable
// from it: struct fields, list elements, map keys and values. Parts
// without such strings are shared with v, not copied, and v itself is
// returned when nothing needed escaping (the usual case), so a renderer
// can call it on a report of any size. Unexported fields are kept as
// they are (a capture's file to read back stays the real path).
func VisibleCopy[T any](v *T) *T {
	if v == nil {
		return nil
	}
	w := &visibleWalk{strings: map[reflect.Type]bool{}, fields: map[reflect.Type][]int{}}
	out, changed := w.value(reflect.ValueOf(v))
	if !changed {
		return v
	}
	return out.Interface().(*T)
}

// visibleWalk remembers, per type, whether a value of it can hold a
// string at all: lists of numbers (timelines, SYN times) are skipped
// whole instead of element by element.
type visibleWalk struct {
	strings map[reflect.Type]bool
	fields  map[reflect.Type][]int // a struct's exported fields that can hold a string
}

func (w *visibleWalk) stringFields(t reflect.Type) []int {
	f, ok := w.fields[t]
	if !ok {
		f = []int{}
		for i := range t.NumField() {
			if sf := t.Field(i); sf.IsExported() && w.canHoldString(sf.Type) {
				f = append(f, i)
			}
		}
		w.fields[t] = f
	}
	return f
}

func (w *visibleWalk) canHoldString(t reflect.Type) bool {
	if has, ok := w.strings[t]; ok {
		return has
	}
	w.strings[t] = false // a type that refers to itself holds no string through that path
	has := false
	switch t.Kind() {
	case reflect.String, reflect.Interface:
		has = true
	case reflect.Pointer, reflect.Slice, reflect.Array:
		has = w.canHoldString(t.Elem())
	case reflect.Map:
		has = w.canHoldString(t.Key()) || w.canHoldString(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if t.Field(i).IsExported() && w.canHoldString(t.Field(i).Type) {
				has = true
			}
		}
	}
	w.strings[t] = has
	return has
}

// value returns v with every string made Visible, and whether anything
// changed; an unchanged v is returned itself.
func (w *visibleWalk) value(v reflect.Value) (reflect.Value, bool) {
	if !w.canHoldString(v.Type()) {
		return v, false
	}
	switch v.Kind() {
	case reflect.String:
		if IsVisible(v.String()) {
			return v, false
		}
		return reflect.ValueOf(Visible(v.String())).Convert(v.Type()), true
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return v, false
		}
		e, changed := w.value(v.Elem())
		if !changed {
			return v, false
		}
		if v.Kind() == reflect.Interface {
			out := reflect.New(v.Type()).Elem()
			out.Set(e)
			return out, true
		}
		p := reflect.New(e.Type())
		p.Elem().Set(e)
		return p, true
	case reflect.Struct:
		return w.structValue(v)
	case reflect.Slice, reflect.Array:
		return w.list(v)
	case reflect.Map:
		return w.mapValue(v)
	}
	return v, false
}

func (w *visibleWalk) structValue(v reflect.Value) (reflect.Value, bool) {
	var out reflect.Value
	t := v.Type()
	for _, i := range w.stringFields(t) {
		f, changed := w.value(v.Field(i))
		if !changed {
			continue
		}
		if !out.IsValid() {
			out = reflect.New(t).Elem()
			out.Set(v)
		}
		out.Field(i).Set(f)
	}
	if !out.IsValid() {
		return v, false
	}
	return out, true
}

func (w *visibleWalk) list(v reflect.Value) (reflect.Value, bool) {
	var out reflect.Value
	for i := range v.Len() {
		e, changed := w.value(v.Index(i))
		if !changed {
			continue
		}
		if !out.IsValid() {
			if v.Kind() == reflect.Slice {
				out = reflect.MakeSlice(v.Type(), v.Len(), v.Len())
			} else {
				out = reflect.New(v.Type()).Elem()
			}
			reflect.Copy(out, v)
		}
		out.Index(i).Set(e)
	}
	if !out.IsValid() {
		return v, false
	}
	return out, true
}

// mapValue rebuilds a map when a key or a value changes. A key holding
// a raw ESC and one spelling \x1b out would become equal; one of them
// wins. That only happens on input made to confuse, and only in display.
func (w *visibleWalk) mapValue(v reflect.Value) (reflect.Value, bool) {
	if v.IsNil() {
		return v, false
	}
	// The report's maps are counts by name: checked without reflection,
	// which would copy every key and value.
	if m, ok := v.Interface().(map[string]int64); ok && countsVisible(m) {
		return v, false
	}
	changed := false
	it := v.MapRange()
	for it.Next() {
		_, kc := w.value(it.Key())
		_, vc := w.value(it.Value())
		if kc || vc {
			changed = true
			break
		}
	}
	if !changed {
		return v, false
	}
	out := reflect.MakeMapWithSize(v.Type(), v.Len())
	it = v.MapRange()
	for it.Next() {
		k, _ := w.value(it.Key())
		e, _ := w.value(it.Value())
		out.SetMapIndex(k, e)
	}
	return out, true
}

func countsVisible(m map[string]int64) bool {
	for k := range m {
		if !IsVisible(k) {
			return false
		}
	}
	return true
}
