package kernel

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Version is a parsed kernel release string (uname -r or a bare version).
//
// For 2.6.x kernels the numbering has four components ("2.6.32.69"): Major=2, Minor=6,
// Patch=32 and Stable=69. For 3.0 and later Stable is always 0 and Patch is the stable
// point release (4.4.178 → Patch=178).
type Version struct {
	Major, Minor, Patch int
	// Stable is the fourth component of 2.6.x.y releases (2.6.32.69 → 69), else 0.
	// (Extra field, not in the original API sketch: without it 2.6.32 and 2.6.32.69
	// could not be told apart, and they differ — see docs/kernel-eras.md#f31.)
	Stable  int
	Release string // as given, e.g. "3.10.0-1160.el7.x86_64"
	Distro  string // "el5".."el10", "" when vanilla/unknown
}

var (
	reVersion = regexp.MustCompile(`^(\d+)\.(\d+)(?:\.(\d+))?(?:\.(\d+))?(.*)$`)
	// RHEL-family tag: .el7, -el8, .el9_2, .el5xen, .el7uek (UEK is rejected below).
	reDistro = regexp.MustCompile(`(?i)(?:^|[.\-_+~])el(\d{1,2})((?:_\d+)*)([a-z]*)(?:[.\-_+~]|$)`)
	reBuild  = regexp.MustCompile(`^[-.](\d+)`)
)

// rhelBase is the kernel series each RHEL major release ships (docs/kernel-eras.md#distributions).
var rhelBase = map[string][3]int{
	"el5":  {2, 6, 18},
	"el6":  {2, 6, 32},
	"el7":  {3, 10, 0},
	"el8":  {4, 18, 0},
	"el9":  {5, 14, 0},
	"el10": {6, 12, 0},
}

// ParseVersion accepts uname -r style strings and bare versions:
// "2.6.18-419.el5", "2.6.32.69", "4.4.0-210-generic", "6.18.44-fc-v669", "5.4", "v6.1",
// "linux-5.10.89", "Linux version 6.1.0-18-amd64 (…)".
//
// Distro is set to "elN" only for Red Hat family kernels whose base version matches that
// RHEL release (el7 ⇔ 3.10.0, el8 ⇔ 4.18.0 …). ELRepo mainline builds ("5.4.1-1.el7.elrepo"),
// Oracle UEK ("4.14.35-2047.el7uek") and RHEL-alt ("4.14.0-115.el7a") carry an elN tag but
// not the RHEL kernel, so they are treated as vanilla (Distro "").
func ParseVersion(s string) (Version, error) {
	orig := strings.TrimSpace(s)
	t := orig
	for _, p := range []string{"Linux version ", "linux version ", "Linux ", "linux-", "Linux-", "linux "} {
		if strings.HasPrefix(t, p) {
			t = strings.TrimSpace(t[len(p):])
			break
		}
	}
	if i := strings.IndexAny(t, " \t("); i >= 0 { // "6.1.0-18-amd64 (debian-kernel@…)"
		t = t[:i]
	}
	t = strings.TrimPrefix(strings.TrimPrefix(t, "v"), "V")
	if t == "" {
		return Version{}, errors.New("kernel: empty version string")
	}
	m := reVersion.FindStringSubmatch(t)
	if m == nil {
		return Version{}, fmt.Errorf("kernel: %q is not a kernel version (want e.g. 5.15.0-91-generic)", orig)
	}
	rest := m[5]
	if rest != "" && !strings.ContainsRune("-+_~", rune(rest[0])) {
		return Version{}, fmt.Errorf("kernel: %q: unexpected %q after the version number", orig, rest)
	}
	var v Version
	var err error
	if v.Major, err = strconv.Atoi(m[1]); err != nil {
		return Version{}, fmt.Errorf("kernel: %q: %v", orig, err)
	}
	v.Minor, _ = strconv.Atoi(m[2])
	if m[3] != "" {
		v.Patch, _ = strconv.Atoi(m[3])
	}
	if m[4] != "" {
		if !(v.Major == 2 && v.Minor == 6) {
			return Version{}, fmt.Errorf("kernel: %q: four-part versions exist only for 2.6.x", orig)
		}
		v.Stable, _ = strconv.Atoi(m[4])
	}
	if v.Major < 2 || v.Major > 99 || v.Minor > 999 || v.Patch > 99999 {
		return Version{}, fmt.Errorf("kernel: %q: implausible Linux version %d.%d.%d", orig, v.Major, v.Minor, v.Patch)
	}
	if v.Major == 2 && v.Minor != 6 && v.Minor != 4 {
		return Version{}, fmt.Errorf("kernel: %q: unsupported 2.%d kernel", orig, v.Minor)
	}
	v.Release = orig
	v.Distro = detectDistro(v, rest)
	return v, nil
}

func detectDistro(v Version, rest string) string {
	for _, dm := range reDistro.FindAllStringSubmatch(rest, -1) {
		suffix := strings.ToLower(dm[3])
		if suffix == "uek" || suffix == "a" { // Oracle UEK, RHEL-alt: not the RHEL kernel
			continue
		}
		d := "el" + dm[1]
		base, ok := rhelBase[d]
		if !ok {
			continue
		}
		if v.Major == base[0] && v.Minor == base[1] && v.Patch == base[2] && v.Stable == 0 {
			return d
		}
	}
	return ""
}

// rhelBuild returns the first release number after the version for RHEL kernels
// (3.10.0-1160.el7 → 1160, 5.14.0-284.11.1.el9_2 → 284), 0 when unknown.
func (v Version) rhelBuild() int {
	if v.Distro == "" {
		return 0
	}
	m := reVersion.FindStringSubmatch(strings.TrimPrefix(strings.TrimSpace(v.Release), "v"))
	if m == nil {
		return 0
	}
	b := reBuild.FindStringSubmatch(m[5])
	if b == nil {
		return 0
	}
	n, _ := strconv.Atoi(b[1])
	return n
}

// cmp compares the numeric components (Major, Minor, Patch, Stable).
func (v Version) cmp(o Version) int {
	a := [4]int{v.Major, v.Minor, v.Patch, v.Stable}
	b := [4]int{o.Major, o.Minor, o.Patch, o.Stable}
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// Less orders by the numeric version; for two kernels of the same RHEL release with the
// same base version it orders by the RHEL build number (3.10.0-957 < 3.10.0-1160).
func (v Version) Less(o Version) bool {
	if c := v.cmp(o); c != 0 {
		return c < 0
	}
	if v.Distro != "" && v.Distro == o.Distro {
		return v.rhelBuild() < o.rhelBuild()
	}
	return false
}

// String returns the release as given, or the numeric version when Release is empty.
func (v Version) String() string {
	if v.Release != "" {
		return v.Release
	}
	return v.numeric()
}

func (v Version) numeric() string {
	if v.Major == 2 && v.Minor == 6 && v.Stable > 0 {
		return fmt.Sprintf("%d.%d.%d.%d", v.Major, v.Minor, v.Patch, v.Stable)
	}
	return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
}

// atLeast reports v >= the given numeric version (missing components are 0).
func (v Version) atLeast(n ...int) bool {
	var o Version
	if len(n) > 0 {
		o.Major = n[0]
	}
	if len(n) > 1 {
		o.Minor = n[1]
	}
	if len(n) > 2 {
		o.Patch = n[2]
	}
	if len(n) > 3 {
		o.Stable = n[3]
	}
	return v.cmp(o) >= 0
}

// series reports whether v is in the major.minor series (for 2.6: 2.6.patch series).
func (v Version) series(n ...int) bool {
	switch len(n) {
	case 2:
		return v.Major == n[0] && v.Minor == n[1]
	case 3:
		return v.Major == n[0] && v.Minor == n[1] && v.Patch == n[2]
	}
	return false
}

func mustVersion(s string) Version {
	v, err := ParseVersion(s)
	if err != nil {
		panic(err)
	}
	return v
}
