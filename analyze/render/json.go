package render

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"strings"

	"github.com/halfopen/halfopen/analyze"
)

// JSON writes the report in the halfopen/v1 schema, indented, with a
// trailing newline. Key order is fixed (struct order; map keys sorted).
// The bytes are those of encoding/json's indented encoder, written a list
// element at a time so a report of 100k listeners never sits in memory
// twice; characters a terminal would act on are \u-escaped (jsonSafe).
func JSON(w io.Writer, r *analyze.Report) error {
	return streamJSON(w, r)
}

// streamJSON writes v like json.Encoder with SetIndent("", "  ") and
// SetEscapeHTML(false), but encodes struct fields and the elements of
// lists of structs one by one instead of the whole value at once.
func streamJSON(w io.Writer, v any) error {
	s := &jsonStream{w: w, types: map[reflect.Type]*jsonType{}}
	s.enc = json.NewEncoder(&s.buf)
	s.enc.SetEscapeHTML(false)
	s.value(reflect.ValueOf(v), "")
	s.write("\n")
	return s.err
}

type jsonStream struct {
	w     io.Writer
	buf   bytes.Buffer
	enc   *json.Encoder
	err   error
	types map[reflect.Type]*jsonType // reflection done once per type
}

// jsonType is what the stream needs to know about a type.
type jsonType struct {
	streamable bool
	fields     []jsonField
}

func (s *jsonStream) typeOf(t reflect.Type) *jsonType {
	jt, ok := s.types[t]
	if !ok {
		jt = &jsonType{streamable: streamable(t)}
		if jt.streamable {
			jt.fields = jsonFields(t)
		}
		s.types[t] = jt
	}
	return jt
}

func (s *jsonStream) write(str string) {
	if s.err == nil {
		_, s.err = io.WriteString(s.w, str)
	}
}

// value writes v at the given indentation, without a trailing newline.
func (s *jsonStream) value(v reflect.Value, indent string) {
	for v.Kind() == reflect.Pointer && !v.IsNil() && s.typeOf(v.Elem().Type()).streamable {
		v = v.Elem()
	}
	switch {
	case v.Kind() == reflect.Struct && s.typeOf(v.Type()).streamable:
		s.object(v, indent)
	case v.Kind() == reflect.Slice && !v.IsNil() && v.Len() > 0 && s.typeOf(v.Type().Elem()).streamable:
		s.write("[\n")
		inner := indent + "  "
		for i := range v.Len() {
			s.write(inner)
			s.value(v.Index(i), inner)
			if i < v.Len()-1 {
				s.write(",")
			}
			s.write("\n")
		}
		s.write(indent + "]")
	default:
		s.encode(v, indent)
	}
}

func (s *jsonStream) object(v reflect.Value, indent string) {
	fields := s.typeOf(v.Type()).fields
	inner := indent + "  "
	first := true
	s.write("{")
	for _, f := range fields {
		fv := v.Field(f.index)
		if f.omitEmpty && emptyJSON(fv) {
			continue
		}
		if !first {
			s.write(",")
		}
		first = false
		s.write("\n")
		s.write(inner)
		s.write(f.key)
		s.value(fv, inner)
	}
	if !first {
		s.write("\n" + indent)
	}
	s.write("}")
}

// encode writes one value with encoding/json, indented to fit.
func (s *jsonStream) encode(v reflect.Value, indent string) {
	if s.err != nil {
		return
	}
	s.buf.Reset()
	s.enc.SetIndent(indent, "  ")
	if err := s.enc.Encode(v.Interface()); err != nil {
		s.err = err
		return
	}
	out := bytes.TrimSuffix(s.buf.Bytes(), []byte("\n"))
	_, s.err = s.w.Write(jsonSafe(out))
}

type jsonField struct {
	key       string // the encoded name and ": "
	index     int
	omitEmpty bool
}

// jsonFields lists a struct's JSON fields in order.
func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		key, _ := json.Marshal(name)
		out = append(out, jsonField{key: string(key) + ": ", index: i, omitEmpty: opts == "omitempty"})
	}
	return out
}

var marshalerType = reflect.TypeFor[json.Marshaler]()

// streamable reports whether a struct type can be written field by field
// with the same result as encoding/json: no custom marshalling, no
// embedded fields, no tag options but omitempty. Anything else is
// encoded whole.
func streamable(t reflect.Type) bool {
	if t.Kind() != reflect.Struct || t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType) {
		return false
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			return false
		}
		tag := f.Tag.Get("json")
		if _, opts, ok := strings.Cut(tag, ","); ok && opts != "omitempty" {
			return false
		}
	}
	return true
}

// emptyJSON is encoding/json's notion of empty for omitempty.
func emptyJSON(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}
