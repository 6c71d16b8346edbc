package kernel

import (
	"strings"
	"testing"
	"time"
)

func model(s string) Model { return ModelFor(mustVersion(s)) }

// One row per feature boundary (docs/kernel-eras.md#feature-boundaries) that the model encodes: the version just before and just
// after it, and the field that must flip.
func TestModelForBoundaries(t *testing.T) {
	type row struct {
		name   string
		before string
		after  string
		get    func(Model) any
		want   [2]any
	}
	rows := []row{
		{"F1_F2_synq_sizing_2.6.20", "2.6.19", "2.6.20", func(m Model) any { return m.SynQueueFormula }, [2]any{"F1", "F2"}},
		{"F1_RHEL5", "2.6.18-419.el5", "2.6.32-754.el6", func(m Model) any { return m.SynQueueFormula }, [2]any{"F1", "F2"}},
		{"F3_remove_max_qlen_log_4.4", "4.3.3", "4.4", func(m Model) any { return m.SynQueueFormula }, [2]any{"F2", "F3"}},
		{"F3_RHEL7_keeps_F2", "3.10.0-1160.el7", "4.18.0-240.el8", func(m Model) any { return m.SynQueueFormula }, [2]any{"F2", "F3"}},
		{"F4_mainline_6.13", "6.12", "6.13", func(m Model) any { return m.SynQueueFormula }, [2]any{"F3", "F4"}},
		{"F4_stable_6.12.10", "6.12.9", "6.12.10", func(m Model) any { return m.SynQueueFormula }, [2]any{"F3", "F4"}},
		{"F4_stable_6.6.72", "6.6.71", "6.6.72", func(m Model) any { return m.SynQueueFormula }, [2]any{"F3", "F4"}},
		{"F4_stable_6.1.125", "6.1.124", "6.1.125", func(m Model) any { return m.SynQueueFormula }, [2]any{"F3", "F4"}},
		{"F4_stable_5.15.177", "5.15.176", "5.15.177", func(m Model) any { return m.SynQueueFormula }, [2]any{"F3", "F4"}},
		{"F4_stable_5.10.234", "5.10.233", "5.10.234", func(m Model) any { return m.SynQueueFormula }, [2]any{"F3", "F4"}},
		{"F4_stable_5.4.290", "5.4.289", "5.4.290", func(m Model) any { return m.SynQueueFormula }, [2]any{"F3", "F4"}},
		{"F4_backlog_zero_drops", "6.12", "6.13", func(m Model) any { return m.BacklogZeroDrops }, [2]any{true, false}},
		{"F6_F7_young_rule_4.10", "4.9.115", "4.10", func(m Model) any { return m.YoungRule }, [2]any{true, false}},
		{"F7_backport_4.4.178", "4.4.177", "4.4.178", func(m Model) any { return m.YoungRule }, [2]any{true, false}},
		{"F7_backport_4.9.167", "4.9.166", "4.9.167", func(m Model) any { return m.YoungRule }, [2]any{true, false}},
		{"F7_backport_3.16.81", "3.16.80", "3.16.81", func(m Model) any { return m.YoungRule }, [2]any{true, false}},
		{"F7_RHEL7_young_RHEL8_not", "3.10.0-1160.el7", "4.18.0-240.el8", func(m Model) any { return m.YoungRule }, [2]any{true, false}},
		{"F8_listen_drops_at_SYN_3.7", "3.6.5", "3.7", func(m Model) any { return m.SynDropCounted }, [2]any{false, true}},
		{"F8_RHEL6_no_RHEL7_yes", "2.6.32-642.6.2.el6", "3.10.0-1160.el7", func(m Model) any { return m.SynDropCounted }, [2]any{false, true}},
		{"F9_cookie_listendrops_start_3.7", "3.6.5", "3.7", func(m Model) any { return m.CookieCountsListenDrops }, [2]any{false, true}},
		{"F9_cookie_listendrops_stop_4.7", "4.6", "4.7", func(m Model) any { return m.CookieCountsListenDrops }, [2]any{true, false}},
		{"F9_RHEL7", "3.10.0-1160.el7", "4.18.0-240.el8", func(m Model) any { return m.CookieCountsListenDrops }, [2]any{true, false}},
		{"F10_rto_3.1", "3.0.1", "3.1", func(m Model) any { return m.SynAckRTO }, [2]any{3 * time.Second, time.Second}},
		{"F10_longterm_2.6.32.69_vs_RHEL6", "2.6.32.69", "2.6.32-642.6.2.el6", func(m Model) any { return m.SynAckRTO }, [2]any{3 * time.Second, time.Second}},
		{"F10_RHEL5_3s", "2.6.18-419.el5", "3.10.0-1160.el7", func(m Model) any { return m.SynAckRTO }, [2]any{3 * time.Second, time.Second}},
		{"F11_syn_retries_3.7", "3.6.5", "3.7", func(m Model) any { return m.ClientSynRetries }, [2]any{5, 6}},
		{"F11_RHEL6_keeps_5", "2.6.32-642.6.2.el6", "3.10.0-1160.el7", func(m Model) any { return m.ClientSynRetries }, [2]any{5, 6}},
		{"F12_central_timer_4.1", "3.19.8", "4.1", func(m Model) any { return m.CentralSynAckTimer }, [2]any{true, false}},
		{"F13_tw_recycle_4.12", "4.11", "4.12", func(m Model) any { return m.TwRecycle }, [2]any{true, false}},
		{"F14_proven_peer_4.12", "4.11", "4.12", func(m Model) any { return m.ProvenPeerExempt }, [2]any{false, true}},
		{"F18_syncookies_default", "2.6.32.69", "3.0.1", func(m Model) any { return m.SyncookiesDefault }, [2]any{0, 1}},
		{"F18_RHEL6_default_0", "2.6.32-754.el6", "3.10.0-1160.el7", func(m Model) any { return m.SyncookiesDefault }, [2]any{0, 1}},
		{"F24_syncookies_2_3.12", "3.11", "3.12", func(m Model) any { return m.SyncookiesAlways }, [2]any{false, true}},
		{"F24_RHEL7", "2.6.32-754.el6", "3.10.0-1160.el7", func(m Model) any { return m.SyncookiesAlways }, [2]any{false, true}},
		{"F28_somaxconn_4096_5.4", "5.3", "5.4", func(m Model) any { return m.SomaxconnDefault }, [2]any{128, 4096}},
		{"F28_RHEL8_128_RHEL9_4096", "4.18.0-240.el8", "5.14.0-284.11.1.el9_2", func(m Model) any { return m.SomaxconnDefault }, [2]any{128, 4096}},
		{"F30_backlog_u32_4.1", "3.19.8", "4.1", func(m Model) any { return m.BacklogFieldBits }, [2]any{16, 32}},
		{"F31_clamp_2.6.32.69", "2.6.32", "2.6.32.69", func(m Model) any { return m.SomaxconnClamped }, [2]any{false, true}},
		{"F31_clamp_3.10", "3.8.13", "3.10.105", func(m Model) any { return m.SomaxconnClamped }, [2]any{false, true}},
		{"F31_RHEL6_unclamped_RHEL7_clamped", "2.6.32-642.6.2.el6", "3.10.0-1160.el7", func(m Model) any { return m.SomaxconnClamped }, [2]any{false, true}},
		{"F31_no_clamp_with_u32", "4.0", "4.15", func(m Model) any { return m.SomaxconnClamped }, [2]any{true, false}},
		{"F32_linear_syn_6.5", "6.4", "6.5", func(m Model) any { return m.LinearSynTimeouts }, [2]any{0, 4}},
		{"F34_paws_timewait_6.16", "6.15", "6.16", func(m Model) any { return m.PAWSTimewaitCounter }, [2]any{false, true}},
		{"ReqQFull_counters_3.2", "3.0.1", "3.2", func(m Model) any { return m.ReqQFullCounters }, [2]any{false, true}},
		{"ReqQFull_RHEL6_no_RHEL7_yes", "2.6.32-642.6.2.el6", "3.10.0-1160.el7", func(m Model) any { return m.ReqQFullCounters }, [2]any{false, true}},
		{"B10_challenge_ack_3.6", "3.5", "3.6", func(m Model) any { return m.ChallengeACK }, [2]any{false, true}},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			b, a := r.get(model(r.before)), r.get(model(r.after))
			if b != r.want[0] || a != r.want[1] {
				t.Errorf("%s: %s → %v, %s → %v; want %v, %v", r.name, r.before, b, r.after, a, r.want[0], r.want[1])
			}
		})
	}
}

func TestEraMapping(t *testing.T) {
	tests := map[string]string{
		"2.6.9":             Era2618,
		"2.6.18-419.el5":    Era2618,
		"2.6.19":            Era2618,
		"2.4.21":            Era2618,
		"2.6.20":            Era2632,
		"2.6.32-754.el6":    Era2632,
		"3.0.1":             Era2632,
		"3.1":               Era310,
		"3.10.0-1160.el7":   Era310,
		"4.0":               Era310,
		"4.3.3":             Era310,
		"4.4.0-210-generic": Era44,
		"4.9.115":           Era44,
		"4.10.17":           Era410,
		"4.11":              Era410,
		"4.12":              Era412,
		"4.18.0-240.el8":    Era412,
		"5.15.0-91-generic": Era412,
		"6.12.10":           Era412,
		"6.13":              Era613,
		"6.18.44-fc-v669":   Era613,
		"7.0":               Era613,
	}
	for in, want := range tests {
		if got := model(in).Era; got != want {
			t.Errorf("ModelFor(%s).Era = %q, want %q", in, got, want)
		}
	}
}

func TestModelNamesAndCaveats(t *testing.T) {
	if got := model("3.10.0-1160.el7.x86_64").Name; got != "Linux 3.10 (RHEL7)" {
		t.Errorf("Name = %q", got)
	}
	if got := model("2.6.32.69").Name; got != "Linux 2.6.32.69" {
		t.Errorf("Name = %q", got)
	}
	if got := model("5.15.85").Name; got != "Linux 5.15.85" {
		t.Errorf("Name = %q", got)
	}
	if m := model("4.4.0-210-generic"); len(m.Caveats) == 0 || !strings.Contains(strings.Join(m.Caveats, " "), "ABI") {
		t.Errorf("Ubuntu ABI release should carry a caveat, got %q", m.Caveats)
	}
	if m := model("4.9.140"); !strings.Contains(strings.Join(m.Caveats, " "), "UNVERIFIED") {
		t.Errorf("4.9.140 should carry the unpinned-backport caveat, got %q", m.Caveats)
	}
	if m := model("5.15.85"); len(m.Caveats) != 0 {
		t.Errorf("plain 5.15.85 should have no caveats, got %q", m.Caveats)
	}
}

func TestRepresentative(t *testing.T) {
	want := map[string]string{Era2618: "el5", Era2632: "el6", Era310: "el7", Era44: "", Era410: "", Era412: "", Era613: ""}
	for _, era := range Eras() {
		m, err := Representative(era)
		if err != nil {
			t.Fatalf("Representative(%q): %v", era, err)
		}
		if m.Era != era {
			t.Errorf("Representative(%q).Era = %q", era, m.Era)
		}
		if m.Version.Distro != want[era] {
			t.Errorf("Representative(%q) distro = %q, want %q", era, m.Version.Distro, want[era])
		}
		if !strings.Contains(m.Name, era) {
			t.Errorf("Representative(%q).Name = %q", era, m.Name)
		}
	}
	if m, _ := Representative(Era412); m.Version.Major != 5 || m.Version.Minor != 15 {
		t.Errorf("4.12-6.12 should be modelled as 5.15, got %v", m.Version)
	}
	if _, err := Representative("5.0"); err == nil {
		t.Error("Representative of an unknown era should fail")
	}
	if got := strings.Join(Eras(), ","); got != "2.6.18,2.6.32,3.10,4.4-4.9,4.10-4.11,4.12-6.12,6.13+" {
		t.Errorf("Eras() = %s", got)
	}
}
