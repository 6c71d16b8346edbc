package render

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/halfopen/halfopen/analyze"
)

// JUnit XML in the Apache Ant format that CI test-report UIs read:
// testsuites > testsuite (one per capture) > testcase (one per listener and
// branch seen; a passing "handshakes" case for a listener without failures).
type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Package    string          `xml:"package,attr"`
	ID         int             `xml:"id,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Hostname   string          `xml:"hostname,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Time       string          `xml:"time,attr"`
	Properties junitProperties `xml:"properties"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  string          `xml:"system-out"`
	SystemErr  string          `xml:"system-err"`
}

type junitProperties struct {
	Props []junitProperty `xml:"property"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure"`
	Error     *junitFailure `xml:"error"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// JUnit writes the report as JUnit XML: per capture a test suite, per
// listener a test case for every branch its failures were blamed on
// (message: verdict and first fix), or one passing case when nothing
// failed. Times come from the capture, never the clock.
func JUnit(w io.Writer, r *analyze.Report) error {
	// encoding/xml escapes markup but turns control characters into U+FFFD;
	// Visible keeps them readable.
	r = VisibleCopy(r)
	doc := junitSuites{}
	x := newIndex(r)
	for _, c := range r.Captures {
		s := junitSuite{
			Name: "halfopen " + c.Path, Package: "halfopen", ID: c.Index, Hostname: "localhost",
			Timestamp: junitTime(c.First), Time: fmt.Sprintf("%.3f", c.Seconds),
		}
		s.Properties.Props = []junitProperty{{"capture", c.Path}, {"format", c.Format}, {"packets", fmt.Sprint(c.Packets)}}
		if c.Kernel != nil {
			s.Properties.Props = append(s.Properties.Props, junitProperty{"kernel", c.Kernel.Name})
		}
		s.SystemOut = strings.Join(c.Warnings, "\n")
		if c.Error != "" {
			s.Cases = append(s.Cases, junitCase{Name: "read " + c.Path, ClassName: "halfopen.capture", Time: "0",
				Error: &junitFailure{Message: c.Error, Type: "input"}})
			s.Errors++
		}
		for i := range c.Listeners {
			s.Cases = append(s.Cases, listenerCases(r, x, &c.Listeners[i])...)
		}
		for _, tc := range s.Cases {
			if tc.Failure != nil {
				s.Failures++
			}
		}
		s.Tests = len(s.Cases)
		doc.Suites = append(doc.Suites, s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// listenerCases makes the test cases of one listener in one capture. The
// per-capture listener carries counts; verdicts come from the combined
// listener (the same across captures that share it).
func listenerCases(r *analyze.Report, x *index, l *analyze.Listener) []junitCase {
	class := "halfopen." + strings.NewReplacer(".", "_", ":", "_", "[", "", "]", "").Replace(l.Server)
	tm := "0"
	if l.Failed == 0 {
		return []junitCase{{Name: l.Server + " handshakes", ClassName: class, Time: tm}}
	}
	combined := x.combined(r, l)
	var cases []junitCase
	for _, v := range combined.Verdicts {
		msg := fmt.Sprintf("%s: %s (confidence %.2f, %d attempts)", l.Server, v.Title, v.Confidence, v.Attempts)
		if len(v.Fix) > 0 {
			msg += "; fix: " + v.Fix[0].Action
			if v.Fix[0].Command != "" {
				msg += " (" + v.Fix[0].Command + ")"
			}
		}
		var body strings.Builder
		fmt.Fprintf(&body, "%s\n\nEvidence:\n", v.Summary)
		for _, e := range v.Evidence {
			sign := "+"
			if e.Against {
				sign = "-"
			}
			fmt.Fprintf(&body, "  %s [%s] %s\n", sign, e.Kind, e.Text)
		}
		body.WriteString("\nFix, in this order:\n")
		for i, f := range v.Fix {
			fmt.Fprintf(&body, "  %d. %s %s\n", i+1, f.Action, f.Command)
		}
		cases = append(cases, junitCase{Name: l.Server + " " + v.Branch, ClassName: class, Time: tm,
			Failure: &junitFailure{Message: msg, Type: v.Branch, Text: body.String()}})
	}
	if len(cases) == 0 {
		cases = append(cases, junitCase{Name: l.Server + " handshakes", ClassName: class, Time: tm,
			Failure: &junitFailure{Message: fmt.Sprintf("%s failed %d of %d attempts", l.Server, l.Failed, l.Attempts), Type: "failed"}})
	}
	return cases
}

// junitTime formats the capture's start for the timestamp attribute: the
// Ant schema wants local-time form without a zone; halfopen writes UTC.
func junitTime(s *string) string {
	t := ParseTime(s)
	if t.IsZero() {
		t = time.Unix(0, 0).UTC()
	}
	return t.UTC().Format("2006-01-02T15:04:05")
}
