//go:build linux

package collect

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// victim writes a file a planted link points to, and returns a check that
// it is untouched.
func victim(t *testing.T, dir, name string) func() {
	t.Helper()
	p := filepath.Join(dir, name)
	const content = "must stay as it is\n"
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return func() {
		t.Helper()
		b, err := os.ReadFile(p)
		if err != nil || string(b) != content {
			t.Errorf("%s was changed: %q, %v", p, b, err)
		}
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// TestCheckDestination: what is already at -o is refused, in one line
// naming the path and the flag, unless --force may safely replace it.
func TestCheckDestination(t *testing.T) {
	dir := t.TempDir()
	other := t.TempDir()
	untouched := victim(t, other, "victim")
	symlink(t, filepath.Join(other, "victim"), filepath.Join(dir, "link.tar.gz"))
	symlink(t, other, filepath.Join(dir, "linkdir"))
	os.WriteFile(filepath.Join(dir, "old.tar.gz"), []byte("old"), 0o644)
	os.WriteFile(filepath.Join(dir, "file"), []byte("x"), 0o644)
	planted := filepath.Join(dir, "planted")
	os.Mkdir(planted, 0o755)
	for _, n := range []string{"manifest.json", "ss.txt", "capture.pcap", "nstat-000.txt"} {
		symlink(t, filepath.Join(other, "victim"), filepath.Join(planted, n))
	}
	oldBundle := filepath.Join(dir, "oldbundle")
	os.Mkdir(oldBundle, 0o755)
	os.WriteFile(filepath.Join(oldBundle, "capture.pcap"), []byte("x"), 0o644)
	symlink(t, filepath.Join(other, "victim"), filepath.Join(oldBundle, "ss.txt"))
	os.Mkdir(filepath.Join(dir, "home"), 0o755)
	os.WriteFile(filepath.Join(dir, "home", "notes.txt"), []byte("x"), 0o644)
	os.Mkdir(filepath.Join(dir, "empty"), 0o755)
	open := filepath.Join(dir, "open")
	os.Mkdir(open, 0o777)
	os.Chmod(open, 0o777)

	tests := []struct {
		out   string
		force bool
		want  string // "" accepted; else a piece of the one-line refusal
	}{
		{"new.tar.gz", false, ""},
		{"newdir", false, ""},
		{"link.tar.gz", false, "is a symbolic link; refusing to write through it (--force"},
		{"link.tar.gz", true, ""},
		{"linkdir", false, "is a symbolic link"},
		{"linkdir", true, ""},
		{"old.tar.gz", false, "already exists; refusing to overwrite it (--force replaces it)"},
		{"old.tar.gz", true, ""},
		{"planted", false, "already exists; refusing to overwrite it (--force replaces it)"},
		{"planted", true, "not a halfopen bundle; refusing to replace it, even with --force"},
		{"oldbundle", false, "already exists"},
		{"oldbundle", true, ""},
		{"home", true, "not a halfopen bundle"},
		{"empty", true, ""},
		{"file", true, "is a file"},
		{"planted.tar.gz/x", false, "not a directory"},
		{"missing/b.tar.gz", false, "no such file or directory"},
		{"open/b.tar.gz", false, "writable by everyone and not sticky"},
		{"old.tar.gz/..", false, "give a file name"},
	}
	os.WriteFile(filepath.Join(dir, "planted.tar.gz"), nil, 0o644)
	for _, tt := range tests {
		p := filepath.Join(dir, tt.out)
		if tt.out == "old.tar.gz/.." {
			p = "/"
		}
		_, err := checkDestination(p, tt.force)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("-o %s force=%v: %v", tt.out, tt.force, err)
		case tt.want != "" && err == nil:
			t.Errorf("-o %s force=%v: accepted, want %q", tt.out, tt.force, tt.want)
		case err != nil && (!strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n")):
			t.Errorf("-o %s force=%v: %q, want one line with %q", tt.out, tt.force, err, tt.want)
		case err != nil && tt.out != "old.tar.gz/.." && !strings.Contains(err.Error(), p):
			t.Errorf("-o %s: %q does not name the path", tt.out, err)
		}
	}
	untouched()
}

// finishedStage makes a stage in dir holding a small bundle.
func finishedStage(t *testing.T, dir, base string) *stage {
	t.Helper()
	st, err := newStage(dir, base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.close() })
	for _, n := range []string{"capture.pcap", "manifest.json", "ss.txt"} {
		f, err := st.create(n)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("new " + n)
		f.Close()
	}
	return st
}

// TestPlaceArchiveOverLink: --force replaces a link at -o by the archive;
// the link's target is untouched. Without --force a destination that
// appeared during the run is not replaced.
func TestPlaceArchiveOverLink(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	untouched := victim(t, other, "victim")
	out := filepath.Join(dir, "b.tar.gz")
	symlink(t, filepath.Join(other, "victim"), out)

	st := finishedStage(t, dir, "b.tar.gz")
	if err := writeArchive(st, "b", func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	d := destination{path: out, dir: dir, base: "b.tar.gz", archive: true}
	if err := d.placeArchive(st, archiveTmp); err == nil || !strings.Contains(err.Error(), "appeared during the run") {
		t.Fatalf("without --force: %v, want a refusal", err)
	}
	if fi, err := os.Lstat(out); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("without --force the link was replaced: %v %v", fi, err)
	}
	d.force = true
	if err := d.placeArchive(st, archiveTmp); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(out); err != nil || !fi.Mode().IsRegular() || fi.Size() == 0 {
		t.Fatalf("-o is not the archive: %v %v", fi, err)
	}
	untouched()
}

// TestPlaceDirForce: --force swaps an old bundle directory holding planted
// links for the new one; the links are removed, their targets untouched.
// Without --force, an existing directory is never replaced.
func TestPlaceDirForce(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	checks := []func(){victim(t, other, "v1"), victim(t, other, "v2")}
	out := filepath.Join(dir, "bundle")
	os.Mkdir(out, 0o755)
	os.WriteFile(filepath.Join(out, "capture.pcap"), []byte("old"), 0o644)
	symlink(t, filepath.Join(other, "v1"), filepath.Join(out, "ss.txt"))
	symlink(t, filepath.Join(other, "v2"), filepath.Join(out, "manifest.json"))
	symlink(t, other, filepath.Join(out, "sub"))

	st := finishedStage(t, dir, "bundle")
	d := destination{path: out, dir: dir, base: "bundle"}
	if err := d.placeDir(st, "bundle"); err == nil {
		t.Fatal("without --force an existing directory was replaced")
	}
	if b, _ := os.ReadFile(filepath.Join(out, "capture.pcap")); string(b) != "old" {
		t.Fatalf("without --force the old bundle changed: %q", b)
	}
	d.force = true
	if err := d.placeDir(st, "bundle"); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"capture.pcap", "manifest.json", "ss.txt"} {
		fi, err := os.Lstat(filepath.Join(out, n))
		b, _ := os.ReadFile(filepath.Join(out, n))
		if err != nil || !fi.Mode().IsRegular() || string(b) != "new "+n {
			t.Errorf("%s after --force: %v %q %v", n, fi, b, err)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("left in %s: %v, want only the bundle", dir, entries)
	}
	if _, err := os.Stat(filepath.Join(other, "v1")); err != nil {
		t.Errorf("removing the old bundle followed a link: %v", err)
	}
	for _, c := range checks {
		c()
	}
}

// TestStageNeverFollowsLinks: a link planted in the stage under a bundle
// file's name is refused, not written through; and when the stage's path
// is swapped for a link, files still go into the real stage.
func TestStageNeverFollowsLinks(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	untouched := victim(t, other, "victim")
	st, err := newStage(dir, "b")
	if err != nil {
		t.Fatal(err)
	}
	defer st.removeAll()
	if fi, err := os.Stat(st.path()); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("stage %s: %v %v, want mode 0700", st.path(), fi, err)
	}
	symlink(t, filepath.Join(other, "victim"), filepath.Join(st.path(), "ss.txt"))
	if f, err := st.create("ss.txt"); err == nil {
		f.Close()
		t.Fatal("create wrote through a planted link")
	}
	if _, err := st.openAppend("ss.txt"); err == nil {
		t.Fatal("openAppend opened a planted link")
	}
	if err := st.rename("ss.txt", "ss2.txt"); err != nil {
		t.Fatal(err)
	}
	if err := st.rename("ss2.txt", "ss2.txt"); err == nil {
		t.Fatal("rename replaced an existing file")
	}

	// Swap the stage's path for a link to other/.
	moved := st.path() + ".moved"
	if err := os.Rename(st.path(), moved); err != nil {
		t.Fatal(err)
	}
	symlink(t, other, st.path())
	f, err := st.create("nstat-000.txt")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := os.Stat(filepath.Join(moved, "nstat-000.txt")); err != nil {
		t.Errorf("the file did not go into the real stage: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(other, "nstat-000.txt")); err == nil {
		t.Error("the file went through the link planted in place of the stage")
	}
	os.Remove(st.path())
	os.Rename(moved, st.path())
	untouched()
}
