package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/halfopen/halfopen/flows/flowstest"
	"github.com/rogpeppe/go-internal/testscript"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/script from the current output")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"halfopen": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the CLI scripts in testdata/script (txtar). Extra
// commands: craft SCENARIO FILE writes a synthetic capture; ho CODE ARGS...
// runs halfopen in-process and checks its exit code; corpus and samples
// are the paths of the public corpus and of samples/ ($CORPUS is empty, and
// [corpus] false, when ../shared is absent).
func TestScripts(t *testing.T) {
	root := moduleRoot(t)
	corpus := corpusDir(root)
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *update,
		Setup: func(e *testscript.Env) error {
			e.Setenv("SAMPLES", filepath.Join(root, "samples"))
			e.Setenv("CORPUS", corpus)
			e.Setenv("NO_COLOR", "")
			xsd, err := os.ReadFile(filepath.Join(root, "analyze", "render", "testdata", "junit.xsd"))
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(e.WorkDir, "junit.xsd"), xsd, 0o644)
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "corpus":
				return corpus != "", nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"craft": cmdCraft,
			"ho":    cmdHo,
		},
	})
}

// cmdHo runs halfopen and checks its exit code: ho CODE ARGS... Output
// lands in the script's stdout/stderr for the usual checks.
func cmdHo(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 {
		ts.Fatalf("usage: ho CODE ARGS...")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	got := 0
	if err := ts.Exec("halfopen", args[1:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("halfopen: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("halfopen %s: exit %d, want %d", strings.Join(args[1:], " "), got, want)
	}
}

var craftT0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

// cmdCraft writes a synthetic capture: craft SCENARIO FILE [gzip].
func cmdCraft(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: craft SCENARIO FILE [gzip]")
	}
	data, err := craftPcap(args[0])
	if err != nil {
		ts.Fatalf("craft: %v", err)
	}
	if len(args) > 2 && args[2] == "gzip" {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(data)
		zw.Close()
		data = z.Bytes()
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), data, 0o644))
}

// craftPcap builds a synthetic capture: "healthy" (one listener, all
// served) or "unanswered" (a listener dropping SYNs, a healthy one, a
// closed port).
func craftPcap(scenario string) ([]byte, error) {
	c := &flowstest.Capture{Link: flowstest.Ethernet}
	switch scenario {
	case "healthy":
		for i := range 10 {
			k := c.Conn(craftT0.Add(time.Duration(i)*100*time.Millisecond), fmt.Sprintf("10.0.0.2:%d", 40000+i), "10.0.0.1:80", uint32(1000+i*97))
			k.SYN(0).SYNACK(flowstest.Ms(0.3)).ACK(flowstest.Ms(0.6)).Data(flowstest.Ms(1), 100).ServerData(flowstest.Ms(2), 500)
		}
	case "unanswered":
		for i := range 10 {
			k := c.Conn(craftT0.Add(time.Duration(i)*100*time.Millisecond), fmt.Sprintf("10.0.0.2:%d", 40000+i), "10.0.0.1:80", uint32(1000+i*97))
			if i < 7 {
				k.SYN(0).SYNACK(flowstest.Ms(0.3)).ACK(flowstest.Ms(0.6)).Data(flowstest.Ms(1), 100).ServerData(flowstest.Ms(2), 500)
			} else {
				k.SYN(0).SYN(flowstest.Sec(1)).SYN(flowstest.Sec(3))
			}
		}
		// a healthy second listener and a closed port
		c.Conn(craftT0, "10.0.0.3:50000", "10.0.0.1:443", 5).SYN(0).SYNACK(flowstest.Ms(0.2)).ACK(flowstest.Ms(0.4)).ServerData(flowstest.Ms(1), 100)
		c.Conn(craftT0.Add(time.Second), "10.0.0.3:50001", "10.0.0.1:8082", 6).SYN(0).ServerRST(flowstest.Ms(0.1))
		c.Conn(craftT0.Add(20*time.Second), "10.0.0.9:9", "10.0.0.1:22", 7).SYN(0).SYNACK(flowstest.Ms(1)).ACK(flowstest.Ms(2))
	default:
		return nil, fmt.Errorf("unknown scenario %q", scenario)
	}
	var buf bytes.Buffer
	if err := c.WritePcap(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func moduleRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// corpusDir locates ../shared/corpus/public (or $HALFOPEN_CORPUS); "" when absent.
func corpusDir(root string) string {
	dir := os.Getenv("HALFOPEN_CORPUS")
	if dir == "" {
		dir = filepath.Join(root, "..", "shared", "corpus", "public")
	}
	if _, err := os.Stat(filepath.Join(dir, "expected.tsv")); err != nil {
		return ""
	}
	abs, _ := filepath.Abs(dir)
	return abs
}

// TestREADMERecipe keeps the README's CI recipe and the script that runs it
// on the samples (testdata/script/ci_recipe.txtar) in step.
func TestREADMERecipe(t *testing.T) {
	root := moduleRoot(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	script, err := os.ReadFile(filepath.Join("testdata", "script", "ci_recipe.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"halfopen analyze loadtest.pcap --format markdown,junit,json -o summary.md -o junit.xml -o report.json --fail-on unanswered --fail-on 'rate>0.5%'",
		`cat summary.md >> "$GITHUB_STEP_SUMMARY"`,
		"halfopen diff before.json after.json --fail-on regressed",
	} {
		if !strings.Contains(string(readme), line) {
			t.Errorf("README.md lacks the recipe line %q", line)
		}
		scripted := strings.ReplaceAll(line, "'", "''")
		if !strings.Contains(string(script), scripted) && !strings.Contains(string(script), line) {
			t.Errorf("ci_recipe.txtar does not run %q", line)
		}
	}
}
