package kernel

import (
	"bufio"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// repoRoot is the repository, seen from this package's directory.
const repoRoot = "../.."

// constBlock returns the string constants of this package's non-test files
// whose name starts with one of the prefixes (name → value).
func constBlock(t *testing.T, prefixes ...string) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	files, _ := filepath.Glob("*.go")
	out := map[string]string{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range af.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, sp := range gd.Specs {
				vs := sp.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					for _, p := range prefixes {
						if strings.HasPrefix(n.Name, p) {
							v, _ := strconv.Unquote(lit.Value)
							out[n.Name] = v
						}
					}
				}
			}
		}
	}
	return out
}

// vocabularyConsts are the branch-name constants of branches.go.
func vocabularyConsts(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	fset := token.NewFileSet()
	af, err := parser.ParseFile(fset, "branches.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range af.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		if gd.Doc == nil || !strings.Contains(gd.Doc.Text(), "Vocabulary names") {
			continue
		}
		for _, sp := range gd.Specs {
			vs := sp.(*ast.ValueSpec)
			v, _ := strconv.Unquote(vs.Values[0].(*ast.BasicLit).Value)
			out[vs.Names[0].Name] = v
		}
	}
	if len(out) == 0 {
		t.Fatal("no vocabulary constants found in branches.go")
	}
	return out
}

var (
	knownFamilies = map[Family]bool{FamilySynDrop: true, FamilyAckDrop: true, FamilyAnswered: true, FamilyPreTCP: true, FamilyNotDrop: true, FamilyClient: true, FamilyUnknown: true}
	knownLimits   = map[Limit]bool{LimitBacklog: true, LimitSomaxconn: true, LimitAcceptQueue: true, LimitAcceptDepth: true, LimitSynQueue: true, LimitMaxSynBacklog: true, LimitSyncookies: true, LimitAbortOnOverflow: true, LimitTwRecycle: true}
	catalogueID   = regexp.MustCompile(`^B(0[1-9]|1[0-9]|2[0-6])$`)
)

// TestBranchRecordsComplete: every vocabulary name has exactly one record,
// and every record is whole — title, family consistent with its Drop flag,
// valid limits and catalogue IDs, counters that are known names, an
// explainer that works on every era, and when an era lacks the branch, a
// reason instead of an explanation.
func TestBranchRecordsComplete(t *testing.T) {
	vocab := vocabularyConsts(t)
	records := map[string]int{}
	for _, b := range branches {
		records[b.Name]++
	}
	for c, name := range vocab {
		if records[name] != 1 {
			t.Errorf("vocabulary constant %s = %q has %d records, want 1", c, name, records[name])
		}
	}
	if len(branches) != len(vocab) {
		t.Errorf("%d records for %d vocabulary names", len(branches), len(vocab))
	}
	counters := constBlock(t, "Counter")
	known := map[string]bool{}
	for _, v := range counters {
		known[v] = true
	}
	for _, b := range branches {
		if b.Title == "" || b.explain == nil || !knownFamilies[b.Family] {
			t.Errorf("%s: incomplete record: title %q, explainer %v, family %q", b.Name, b.Title, b.explain != nil, b.Family)
		}
		wantDrop := b.Family == FamilySynDrop || b.Family == FamilyAckDrop || b.Family == FamilyAnswered || b.Family == FamilyPreTCP
		if b.Drop != wantDrop {
			t.Errorf("%s: Drop = %v but family %s", b.Name, b.Drop, b.Family)
		}
		for _, l := range b.Limits {
			if !knownLimits[l] {
				t.Errorf("%s: unknown limit %q", b.Name, l)
			}
		}
		for _, id := range b.IDs {
			if !catalogueID.MatchString(id) {
				t.Errorf("%s: catalogue ID %q is not B01…B26", b.Name, id)
			}
		}
		for _, c := range b.counters {
			if !known[c.Name] || c.Kernels == "" {
				t.Errorf("%s: counter %q (kernels %q) is not a Counter… constant or says no kernels", b.Name, c.Name, c.Kernels)
			}
		}
		for _, m := range allModels(t) {
			e, err := Explain(b.Name, m)
			if err != nil {
				t.Fatalf("%s on %s: %v", b.Name, m.Name, err)
			}
			if e.Applies != b.Exists(m) {
				t.Errorf("%s on %s: Applies %v, record says %v", b.Name, m.Name, e.Applies, b.Exists(m))
			}
			if !e.Applies {
				if !strings.HasPrefix(e.Condition, "Not ") || len(m.Counters(b.Name)) != 0 {
					t.Errorf("%s on %s: an era without the branch must say why (Condition %q) and move no counter (%v)", b.Name, m.Name, e.Condition, m.Counters(b.Name))
				}
			}
		}
	}
}

// TestVocabularyNotRepeated: outside this package branch names are used
// through the constants, never as string literals (a misspelt literal
// would silently match nothing). Tests may still spell names out.
func TestVocabularyNotRepeated(t *testing.T) {
	names := map[string]bool{}
	for _, v := range vocabularyConsts(t) {
		if v != Unknown { // "unknown" is also an ordinary word in other vocabularies
			names[strconv.Quote(v)] = true
		}
	}
	for _, dir := range []string{"analyze", "analyze/render", "analyze/snapshot", "ui", "cmd/halfopen"} {
		files, _ := filepath.Glob(filepath.Join(repoRoot, dir, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			fset := token.NewFileSet()
			af, err := parser.ParseFile(fset, f, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(af, func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING && names[lit.Value] {
					t.Errorf("%s: branch name %s as a literal; use the kernel constant", fset.Position(lit.Pos()), lit.Value)
				}
				return true
			})
		}
	}
}

// userTexts is every text this package produces for a user on one model:
// titles, explanations, the SYN path, the caveats and the era clues.
func userTexts(t *testing.T, m Model) []string {
	t.Helper()
	var out []string
	for _, b := range Branches() {
		out = append(out, b.Title)
		e, err := Explain(b.Name, m)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e.Condition, e.Signature, e.Confirm)
		out = append(out, e.Functions...)
		out = append(out, e.Counters...)
		out = append(out, e.WontFix...)
		out = append(out, e.Notes...)
		for _, f := range e.Fix {
			out = append(out, f.Action, f.Command, f.Why)
		}
	}
	for _, c := range m.SYNPath() {
		out = append(out, c.Condition, c.Log)
	}
	out = append(out, m.Name)
	out = append(out, m.Caveats...)
	return out
}

// eraClueTexts are the texts InferEra can return.
func eraClueTexts() []string {
	var out []string
	all := func(string) bool { return true }
	none := func(string) bool { return false }
	complete := func(k string) bool {
		return k == SysctlSomaxconn || k == CounterSyncookiesSent || k == CounterPAWSActive
	}
	for _, sys := range []func(string) bool{all, none, complete} {
		for _, ctr := range []func(string) bool{all, none, complete} {
			for _, rto := range []time.Duration{0, time.Second, 3 * time.Second} {
				_, clues := InferEra(sys, ctr, rto)
				for _, c := range clues {
					out = append(out, c.What)
				}
			}
		}
	}
	return out
}

// catalogueRef matches what must not reach a user: catalogue entries
// (B01–B26), feature boundaries (F1–F38) and section signs.
var catalogueRef = regexp.MustCompile(`\bB[0-2][0-9]\b|\bF[1-9][0-9]?\b|§`)

// TestUserTextHasNoCatalogueIDs: no title, explanation (every branch on
// every era), SYN-path entry, caveat or era clue names a catalogue entry
// or a feature boundary; those live in the docs and code comments.
func TestUserTextHasNoCatalogueIDs(t *testing.T) {
	texts := eraClueTexts()
	for _, m := range allModels(t) {
		texts = append(texts, userTexts(t, m)...)
	}
	seen := map[string]bool{}
	for _, s := range texts {
		if loc := catalogueRef.FindString(s); loc != "" && !seen[s] {
			seen[s] = true
			t.Errorf("%q in user-facing text: %q", loc, s)
		}
	}
}

var (
	sysctlToken  = regexp.MustCompile(`\b(?:net|vm|kernel)\.[a-z0-9_]+(?:\.[a-z0-9_]+)+`)
	counterToken = regexp.MustCompile(`\b(?:TcpExt|Tcp|Ip)[A-Z][A-Za-z0-9]+\b`)
	bareTCPKnob  = regexp.MustCompile(`\btcp_[a-z0-9_]+\b`)
)

// notSysctls are tcp_* words in explanations that are kernel functions,
// constants or options, not sysctls.
var notSysctls = map[string]bool{
	"tcp_conn_request": true, "tcp_syn_flood_action": true, "tcp_v4_conn_request": true, "tcp_v4_rcv": true,
	"tcp_v4_do_rcv": true, "tcp_v4_syn_recv_sock": true, "tcp_check_req": true, "tcp_peer_is_proven": true,
	"tcp_remember_stamp": true, "tcp_tw_remember_stamp": true, "tcp_timewait_state_process": true,
	"tcp_v4_timewait_ack": true, "tcp_validate_incoming": true, "tcp_send_challenge_ack": true,
	"tcp_rcv_established": true, "tcp_v4_send_synack": true, "tcp_v4_send_reset": true, "tcp_req_err": true,
	"tcp_checksum_complete": true, "tcp_metrics": true, "tcp_ipv4": true, "tcp_input": true, "tcp_minisocks": true,
}

// TestNamesInTextAreKnown: every sysctl key and nstat counter an
// explanation names is one of the constants — so the words a user copies
// into sysctl or nstat are spelt right.
func TestNamesInTextAreKnown(t *testing.T) {
	sysctls := map[string]bool{}
	bare := map[string]bool{}
	for _, v := range constBlock(t, "Sysctl") {
		sysctls[v] = true
		bare[v[strings.LastIndex(v, ".")+1:]] = true
	}
	counters := map[string]bool{}
	for _, v := range constBlock(t, "Counter") {
		counters[v] = true
	}
	bad := map[string]bool{}
	for _, m := range allModels(t) {
		for _, s := range userTexts(t, m) {
			for _, k := range sysctlToken.FindAllString(s, -1) {
				if !sysctls[k] && !strings.HasSuffix(k, ".c") && !strings.HasSuffix(k, ".h") && !strings.HasSuffix(k, ".conf") {
					bad["sysctl "+k] = true
				}
			}
			for _, c := range counterToken.FindAllString(s, -1) {
				if !counters[c] {
					bad["counter "+c] = true
				}
			}
			for _, w := range bareTCPKnob.FindAllString(s, -1) {
				if !bare[w] && !notSysctls[w] {
					bad["tcp_* word "+w] = true
				}
			}
		}
	}
	var list []string
	for k := range bad {
		list = append(list, k)
	}
	sort.Strings(list)
	for _, k := range list {
		t.Errorf("unknown %s in an explanation: misspelt, or missing from names.go", k)
	}
}

// sampleNames reads the names the real snapshots in samples/ hold: nstat
// counters and sysctl keys.
func sampleNames(t *testing.T) (counters, sysctls map[string]bool) {
	t.Helper()
	counters, sysctls = map[string]bool{}, map[string]bool{}
	read := func(pattern string, each func(string)) int {
		files, _ := filepath.Glob(filepath.Join(repoRoot, "samples", "*", pattern))
		for _, f := range files {
			fh, err := os.Open(f)
			if err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(fh)
			for sc.Scan() {
				each(sc.Text())
			}
			fh.Close()
		}
		return len(files)
	}
	n := read("nstat-*.txt", func(l string) {
		if f := strings.Fields(l); len(f) > 0 && !strings.HasPrefix(f[0], "#") {
			counters[f[0]] = true
		}
	})
	n += read("sysctl.txt", func(l string) {
		if k, _, ok := strings.Cut(l, " = "); ok {
			sysctls[strings.TrimSpace(k)] = true
		}
	})
	if n == 0 {
		t.Skip("no samples/*/nstat-*.txt or sysctl.txt")
	}
	return counters, sysctls
}

// TestNamesAreKnown: every Counter… and Sysctl… constant is a name a real
// kernel has. The samples' snapshots (a 6.18 kernel) hold most of them;
// the few a 6.18 kernel or a network namespace cannot show are listed in
// docs/kernel-counters.md under "Names the samples cannot show", and every
// constant is documented there. A misspelt constant fails here.
func TestNamesAreKnown(t *testing.T) {
	sampleCounters, sampleSysctls := sampleNames(t)
	doc, err := os.ReadFile(filepath.Join(repoRoot, "docs", "kernel-counters.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	_, old, ok := strings.Cut(text, "## Names the samples cannot show")
	if !ok {
		t.Fatal(`docs/kernel-counters.md has no "## Names the samples cannot show" section`)
	}
	if i := strings.Index(old, "\n## "); i >= 0 {
		old = old[:i]
	}
	check := func(kind string, consts map[string]string, inSamples map[string]bool) {
		for c, name := range consts {
			documented := strings.Contains(text, "`"+name+"`")
			listedOld := strings.Contains(old, "`"+name+"`")
			switch {
			case !documented:
				t.Errorf("%s %s = %q is not in docs/kernel-counters.md", kind, c, name)
			case inSamples[name] && listedOld:
				t.Errorf("%s %q is in the samples but listed as one they cannot show", kind, name)
			case !inSamples[name] && !listedOld:
				t.Errorf("%s %s = %q is in no sample snapshot and not listed as one they cannot show: misspelt?", kind, c, name)
			}
		}
	}
	check("counter", constBlock(t, "Counter"), sampleCounters)
	check("sysctl", constBlock(t, "Sysctl"), sampleSysctls)
}

var (
	headingLine = regexp.MustCompile(`(?m)^#{1,6} (.+)$`)
	htmlAnchor  = regexp.MustCompile(`<a id="([^"]+)"></a>`)
	docRef      = regexp.MustCompile(`docs/([a-z0-9-]+\.md)#([A-Za-z0-9_-]+)`)
)

// docAnchors returns the anchors of a docs page: explicit <a id> and the
// ones GitHub derives from headings (lower case, punctuation dropped,
// spaces to hyphens).
func docAnchors(t *testing.T, file string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "docs", file))
	if err != nil {
		t.Fatalf("docs/%s: %v", file, err)
	}
	out := map[string]bool{}
	for _, m := range htmlAnchor.FindAllStringSubmatch(string(b), -1) {
		out[m[1]] = true
	}
	for _, m := range headingLine.FindAllStringSubmatch(string(b), -1) {
		h := htmlAnchor.ReplaceAllString(m[1], "")
		var s strings.Builder
		for _, r := range strings.ToLower(h) {
			switch {
			case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '-':
				s.WriteRune(r)
			case r == ' ':
				s.WriteRune('-')
			}
		}
		out[strings.Trim(s.String(), "-")] = true
		out[s.String()] = true
	}
	return out
}

// TestDocsCoverRecords: docs/kernel-branches.md has a section for every
// branch name (the anchor halfopen explain points to) and an anchor for
// every catalogue ID a record cites; docs/kernel-eras.md has F1–F38.
func TestDocsCoverRecords(t *testing.T) {
	br := docAnchors(t, "kernel-branches.md")
	for _, b := range Branches() {
		file, anchor, _ := strings.Cut(b.DocRef(), "#")
		if file != "docs/kernel-branches.md" || !br[anchor] {
			t.Errorf("%s: %s has no section", b.Name, b.DocRef())
		}
		for _, id := range b.IDs {
			if !br[strings.ToLower(id)] {
				t.Errorf("%s: catalogue ID %s has no anchor in docs/kernel-branches.md", b.Name, id)
			}
		}
	}
	for i := 1; i <= 26; i++ {
		if id := "b" + strconv.Itoa(100 + i)[1:]; !br[id] {
			t.Errorf("docs/kernel-branches.md has no anchor %s", id)
		}
	}
	eras := docAnchors(t, "kernel-eras.md")
	for i := 1; i <= 38; i++ {
		if !eras["f"+strconv.Itoa(i)] {
			t.Errorf("docs/kernel-eras.md has no anchor f%d", i)
		}
	}
}

// TestDocReferencesResolve: every "docs/<file>.md#<anchor>" in the Go
// sources and in the docs themselves names an existing page and anchor.
func TestDocReferencesResolve(t *testing.T) {
	anchors := map[string]map[string]bool{}
	pages, _ := filepath.Glob(filepath.Join(repoRoot, "docs", "*.md"))
	for _, p := range pages {
		anchors[filepath.Base(p)] = docAnchors(t, filepath.Base(p))
	}
	check := func(where, text string) {
		for _, m := range docRef.FindAllStringSubmatch(text, -1) {
			if a, ok := anchors[m[1]]; !ok || !a[m[2]] {
				t.Errorf("%s: %s does not resolve", where, m[0])
			}
		}
	}
	err := filepath.WalkDir(repoRoot, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != repoRoot || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			check(path, string(b))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Links between the pages: "kernel-eras.md#f10", "(#b04)".
	rel := regexp.MustCompile(`\]\(([a-z0-9-]+\.md)?#([A-Za-z0-9_-]+)\)`)
	for page := range anchors {
		b, _ := os.ReadFile(filepath.Join(repoRoot, "docs", page))
		for _, m := range rel.FindAllStringSubmatch(string(b), -1) {
			target := m[1]
			if target == "" {
				target = page
			}
			if a, ok := anchors[target]; !ok || !a[m[2]] {
				t.Errorf("docs/%s: link %s does not resolve", page, m[0])
			}
		}
	}
}
