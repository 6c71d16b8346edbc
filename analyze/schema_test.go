package analyze

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEDescribesEveryJSONField: every field name of the JSON report
// appears in the README's schema block, so new fields get documented.
func TestREADMEDescribesEveryJSONField(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Skipf("README.md: %v", err)
	}
	readme := string(b)
	start := strings.Index(readme, "## JSON schema")
	if start < 0 {
		t.Fatal("README.md has no JSON schema section")
	}
	block := readme[start:]
	if end := strings.Index(block[3:], "\n## "); end > 0 {
		block = block[:end+3]
	}
	seen := map[reflect.Type]bool{}
	var missing []string
	var walk func(reflect.Type)
	walk = func(ty reflect.Type) {
		for ty.Kind() == reflect.Pointer || ty.Kind() == reflect.Slice || ty.Kind() == reflect.Map {
			ty = ty.Elem()
		}
		if ty.Kind() != reflect.Struct || seen[ty] {
			return
		}
		seen[ty] = true
		for i := range ty.NumField() {
			f := ty.Field(i)
			name := strings.Split(f.Tag.Get("json"), ",")[0]
			if name == "" || name == "-" || !f.IsExported() {
				continue
			}
			if !regexp.MustCompile(`\b` + regexp.QuoteMeta(name) + `\b`).MatchString(block) {
				missing = append(missing, ty.Name()+"."+name)
			}
			walk(f.Type)
		}
	}
	walk(reflect.TypeOf(Report{}))
	if len(missing) > 0 {
		t.Errorf("README's JSON schema does not mention: %s", strings.Join(missing, ", "))
	}
}
