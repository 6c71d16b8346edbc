package render

import (
	"encoding/json"
	"io"

	"github.com/halfopen/halfopen/analyze"
)

// JSON writes the report in the halfopen/v1 schema, indented, with a
// trailing newline. Key order is fixed (struct order; map keys sorted).
func JSON(w io.Writer, r *analyze.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}
