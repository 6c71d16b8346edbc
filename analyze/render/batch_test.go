package render

import (
	"bytes"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestMarkdownGolden(t *testing.T) {
	r := craftedReport(t)
	var buf bytes.Buffer
	if err := Markdown(&buf, r, MarkdownOptions{Attempts: 20}); err != nil {
		t.Fatal(err)
	}
	golden(t, "crafted.md.golden", buf.Bytes())
	md := buf.String()
	for _, want := range []string{"## ❌ halfopen", "| `10.0.0.1:8080` | 12 | 4 | 33% | `accept_queue_full_syn` |", "**Fix, in this order:**", "<details>", "</details>"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	if strings.Count(md, "<details>") != strings.Count(md, "</details>") {
		t.Error("unbalanced <details>")
	}
}

func TestJUnitGoldenAndSchema(t *testing.T) {
	r := craftedReport(t)
	var buf bytes.Buffer
	if err := JUnit(&buf, r); err != nil {
		t.Fatal(err)
	}
	golden(t, "crafted.junit.golden", buf.Bytes())
	var doc junitSuites
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("not well-formed: %v", err)
	}
	s := doc.Suites[0]
	// 8080 (one branch), 8082 (closed_port) fail; 22, 443 and the IPv6 listener pass.
	if s.Tests != 5 || s.Failures != 2 || s.Errors != 0 {
		t.Errorf("tests=%d failures=%d errors=%d, want 5/2/0", s.Tests, s.Failures, s.Errors)
	}
	var failed []string
	for _, c := range s.Cases {
		if c.Failure != nil {
			failed = append(failed, c.Name)
			if !strings.Contains(c.Failure.Message, "fix:") {
				t.Errorf("%s: message without a fix: %q", c.Name, c.Failure.Message)
			}
		}
	}
	if strings.Join(failed, ",") != "10.0.0.1:8080 accept_queue_full_syn,10.0.0.1:8082 closed_port" {
		t.Errorf("failed cases = %v", failed)
	}
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint not installed (apt-get install libxml2-utils); schema validation skipped")
	}
	file := filepath.Join(t.TempDir(), "report.xml")
	os.WriteFile(file, buf.Bytes(), 0o644)
	out, err := exec.Command(xmllint, "--noout", "--schema", "testdata/junit.xsd", file).CombinedOutput()
	if err != nil {
		t.Fatalf("xmllint rejects the JUnit report: %v\n%s", err, out)
	}
}
