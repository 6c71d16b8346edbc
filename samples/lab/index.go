//go:build linux

package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// The samples table of samples/README.md sits between these markers and
// is rewritten from the bundles' expected.json by WriteIndex.
const (
	tableStart = "<!-- samples table: written by `lab index` -->"
	tableEnd   = "<!-- end of samples table -->"
)

// WriteIndex rewrites the samples table in samplesDir/README.md.
func WriteIndex(samplesDir string) error {
	readme := filepath.Join(samplesDir, "README.md")
	b, err := os.ReadFile(readme)
	if err != nil {
		return fmt.Errorf("samples index: %w", err)
	}
	text := string(b)
	i, j := strings.Index(text, tableStart), strings.Index(text, tableEnd)
	if i < 0 || j < i {
		return fmt.Errorf("samples index: %s has no table markers", readme)
	}
	table, err := samplesTable(samplesDir)
	if err != nil {
		return err
	}
	text = text[:i+len(tableStart)] + "\n" + table + text[j:]
	return os.WriteFile(readme, []byte(text), 0o644)
}

func samplesTable(dir string) (string, error) {
	files, _ := filepath.Glob(filepath.Join(dir, "*", "expected.json"))
	sort.Strings(files)
	var b strings.Builder
	b.WriteString("| sample | branch (attempts) | outcomes | counters that moved | vantage / link | attempts certain | crafted? | capture | regenerate |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
	for _, f := range files {
		e, err := ReadExpected(f)
		if err != nil {
			return "", err
		}
		name := filepath.Base(filepath.Dir(f))
		branches, outcomes := map[string]int64{}, map[string]int64{}
		certain := 0
		for _, a := range e.Attempts {
			if a.Branches[0] != bNone {
				branches[a.Branches[0]]++
			}
			outcomes[a.Outcomes[0]]++
			if a.Certain {
				certain++
			}
		}
		size := int64(0)
		if st, err := os.Stat(filepath.Join(filepath.Dir(f), "capture.pcap")); err == nil {
			size = st.Size()
		}
		crafted := "no (real)"
		if e.Crafted {
			crafted = "yes"
		} else if hasRole(e, "crafted") {
			crafted = "one raw SYN, kernel reactions real"
		} else if hasRole(e, "flood") || hasRole(e, "scan") {
			crafted = "raw SYNs, kernel reactions real"
		}
		regen := fmt.Sprintf("`sudo go run ./samples/lab/cmd/lab sample %s`", name)
		if e.Seed != 0 {
			regen = fmt.Sprintf("`sudo go run ./samples/lab/cmd/lab keep --seed %d samples/%s`", e.Seed, name)
		} else if _, err := Named(name); err != nil {
			regen = "(run.sh era; not reproducible by the Go lab)"
		}
		fmt.Fprintf(&b, "| [%s](%s/) | %s | %s | %s | %s / %s%s | %d/%d | %s | %d KiB | %s |\n", name, name,
			orDash(formatMap(branches)), formatMap(outcomes), orDash(strings.ReplaceAll(formatMap(e.Listeners0Counters()), "TcpExt", "")),
			e.Vantage, e.Capture.LinkType, dupNote(e), certain, len(e.Attempts), crafted, (size+1023)/1024, regen)
	}
	return b.String(), nil
}

func hasRole(e *Expected, role string) bool {
	for _, a := range e.Attempts {
		if a.Role == role {
			return true
		}
	}
	return false
}

func dupNote(e *Expected) string {
	if e.Capture.DuplicateFrames > 0 {
		return fmt.Sprintf(", %d duplicate frames", e.Capture.DuplicateFrames)
	}
	return ""
}

func orDash(s string) string {
	if s == "none" || s == "" {
		return "—"
	}
	return s
}
