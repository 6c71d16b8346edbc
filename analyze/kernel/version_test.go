package kernel

import "testing"

func TestParseVersion(t *testing.T) {
	tests := []struct {
		in                         string
		major, minor, patch, stabl int
		distro                     string
	}{
		{"2.6.18-419.el5", 2, 6, 18, 0, "el5"},
		{"2.6.18-8.1.1.el5xen", 2, 6, 18, 0, "el5"},
		{"2.6.18-194.el5PAE", 2, 6, 18, 0, "el5"},
		{"2.6.32-754.35.1.el6.x86_64", 2, 6, 32, 0, "el6"},
		{"2.6.32-642.6.2.el6.x86_64", 2, 6, 32, 0, "el6"},
		{"2.6.32.69", 2, 6, 32, 69, ""},
		{"2.6.32-5-amd64", 2, 6, 32, 0, ""},
		{"3.10.0-1160.el7.x86_64", 3, 10, 0, 0, "el7"},
		{"3.10.0-957.27.2.el7.x86_64", 3, 10, 0, 0, "el7"},
		{"4.18.0-240.el8.x86_64", 4, 18, 0, 0, "el8"},
		{"4.18.0-305.25.1.el8_4.x86_64", 4, 18, 0, 0, "el8"},
		{"5.14.0-284.11.1.el9_2.x86_64", 5, 14, 0, 0, "el9"},
		{"6.12.0-55.el10.x86_64", 6, 12, 0, 0, "el10"},
		{"4.4.0-210-generic", 4, 4, 0, 0, ""},
		{"5.15.0-91-generic", 5, 15, 0, 0, ""},
		{"6.18.44-fc-v669", 6, 18, 44, 0, ""},
		{"5.4", 5, 4, 0, 0, ""},
		{"v6.1", 6, 1, 0, 0, ""},
		{"linux-5.10.89", 5, 10, 89, 0, ""},
		{"Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org) (gcc-12)", 6, 1, 0, 0, ""},
		{"  4.9.115  ", 4, 9, 115, 0, ""},
		{"6.8.0+", 6, 8, 0, 0, ""},
		{"5.4.1-1.el7.elrepo.x86_64", 5, 4, 1, 0, ""},    // ELRepo mainline build, not RHEL7's kernel
		{"4.14.35-2047.el7uek.x86_64", 4, 14, 35, 0, ""}, // Oracle UEK
		{"4.14.0-115.el7a.aarch64", 4, 14, 0, 0, ""},     // RHEL-alt
		{"6.5.6-300.fc39.x86_64", 6, 5, 6, 0, ""},
		{"4.14.355-275.570.amzn2.x86_64", 4, 14, 355, 0, ""},
		{"2.4.21-63.ELsmp", 2, 4, 21, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			v, err := ParseVersion(tc.in)
			if err != nil {
				t.Fatalf("ParseVersion(%q): %v", tc.in, err)
			}
			if v.Major != tc.major || v.Minor != tc.minor || v.Patch != tc.patch || v.Stable != tc.stabl || v.Distro != tc.distro {
				t.Errorf("ParseVersion(%q) = %d.%d.%d.%d %q, want %d.%d.%d.%d %q", tc.in,
					v.Major, v.Minor, v.Patch, v.Stable, v.Distro, tc.major, tc.minor, tc.patch, tc.stabl, tc.distro)
			}
		})
	}
}

func TestParseVersionGarbage(t *testing.T) {
	for _, in := range []string{"", "   ", "abc", "linux", "5", "1.2.3", "2.5.0", "5.4abc", "x.y.z", "3.10.0.1", "-4.4", "v", "100.1.1"} {
		if v, err := ParseVersion(in); err == nil {
			t.Errorf("ParseVersion(%q) = %+v, want error", in, v)
		}
	}
}

func TestVersionLessString(t *testing.T) {
	order := []string{"2.6.18-419.el5", "2.6.20", "2.6.32", "2.6.32.69", "3.0.1", "3.10.0-957.el7", "3.10.0-1160.el7", "4.4.178", "4.9", "5.4.290", "6.12.10", "6.13", "6.18.44-fc-v669"}
	for i := 0; i+1 < len(order); i++ {
		a, b := mustVersion(order[i]), mustVersion(order[i+1])
		if !a.Less(b) || b.Less(a) {
			t.Errorf("want %s < %s", order[i], order[i+1])
		}
	}
	if a, b := mustVersion("5.4"), mustVersion("v5.4.0"); a.Less(b) || b.Less(a) {
		t.Errorf("5.4 and v5.4.0 must compare equal")
	}
	if got := mustVersion("3.10.0-1160.el7.x86_64").String(); got != "3.10.0-1160.el7.x86_64" {
		t.Errorf("String() = %q", got)
	}
	if got := (Version{Major: 5, Minor: 4}).String(); got != "5.4.0" {
		t.Errorf("String() = %q", got)
	}
	if got := (Version{Major: 2, Minor: 6, Patch: 32, Stable: 69}).String(); got != "2.6.32.69" {
		t.Errorf("String() = %q", got)
	}
	if got := mustVersion("5.14.0-284.11.1.el9_2.x86_64").rhelBuild(); got != 284 {
		t.Errorf("rhelBuild = %d", got)
	}
}
