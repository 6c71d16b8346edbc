// Package kernel models the Linux listener code paths per kernel era: queue capacities, the order of
// checks a SYN meets, the counters each branch moves, timers, and the fix for each branch.
//
// Every branch has one record (Branch, in branches.go): its name, title, family, whether it is a
// drop, the limits that decide it, the counters it moves per era, whether an era has it at all, and
// its explainer. The analyzer, the reports and the terminal UI look branches up there. Counter names
// and sysctl keys are constants (names.go).
//
// The kernel facts live in the repository's docs: docs/kernel-branches.md (the branch catalogue,
// entries B01–B26, anchors such as docs/kernel-branches.md#b04), docs/kernel-eras.md (the eras, the
// feature boundaries F1–F38 with anchors such as docs/kernel-eras.md#f10, the order of checks and
// the formulas) and docs/kernel-counters.md (counters, sysctls, log lines). Comments cite them as
// Bnn and Fn. Those labels are for the docs and the code only: no text this package returns for a
// user carries them (tests check Explain, titles and caveats).
//
// Items the team's notes marked UNVERIFIED and that this package depends on were checked where
// possible against public kernel sources and mail archives; what was found is recorded next to the
// code that uses it, in the form "VERIFIED (source)" or "UNVERIFIED (reason)", and the docs keep the
// same status. Summary:
//
//	F4  qlen > B (6.13+)        VERIFIED: 3479c7549fb1 applied to netdev/net.git 2025-01-04 (patchwork-bot
//	                            mail, linux-mailinglist-archives/netdev) ⇒ mainline 6.13; stable review
//	                            series (linux-mailinglist-archives/stable): 6.12.10-rc1, 6.6.72-rc1,
//	                            6.1.125-rc1 (2025-01-15), 5.15.177-rc1 (2025-01-21), 5.10.234-rc1,
//	                            5.4.290-rc1 (2025-01-30). Encoded as the first release with F4.
//	F7  4.4.y backport          VERIFIED: Arnd Bergmann's "[BACKPORT 4.4.y 00/25]" (missing in 4.4.176)
//	                            queued by Greg KH 2019-03-26 (linux-mm archive copy); spec read 4.4.178
//	                            with it ⇒ first 4.4.y = 4.4.178. 3.16.81 announce (stable archive) lists it.
//	F7  4.9.y backport          UNVERIFIED: no 4.9.y review mail found; assumed in 4.9.167 (released with
//	                            4.4.178). Model.Caveats says so for 4.9.116–4.9.166.
//	F24 tcp_syncookies=2        secondary: CentOS-7 backport table lists 5ad37d5deee1 "first in 3.12",
//	                            RHEL7 from 3.10.0-150; spec bracket 3.10.105 no / 3.14.40 yes ⇒ 3.12.
//	F31 somaxconn clamp         torvalds/linux net/core/sysctl_net_core.c (stored version with u32-era
//	                            features) has extra1=&zero and no extra2 ⇒ no 65535 clamp any more;
//	                            valyala/tcplisten#5 shows 4.15 accepting somaxconn=196602; owncloud
//	                            documentation#1293 shows 3.16 rejecting 65536. ⇒ clamp only in the u16
//	                            era (≤4.0) from 3.10 on (and late 2.6.32.y); removal point UNVERIFIED.
//	F34 PAWSTimewait            VERIFIED: c449d5f3a3d7 was a net-next patch (v3 2025-03-25, resent April
//	                            2025, merged into net-next main) ⇒ 6.16 merge window.
//	F8  ListenDrops at SYN time UNVERIFIED beyond the spec bracket 3.6.5→3.8.13; encoded as 3.7.
//	F18 syncookies default 1    UNVERIFIED beyond bracket 2.6.32.69→3.0.1 (3.0.8 tcp_minisocks.c shows
//	                            "sysctl_tcp_syncookies … = 1", weilaidb/PythonExample); encoded as 2.6.34.
//	ReqQFull counters (~3.2)    UNVERIFIED beyond bracket 3.0.1→3.6.5; encoded as 3.2.
//	RHEL5 SYN-ACK RTO           UNVERIFIED; 3 s (vanilla 2.6.18) as the spec suggests.
//	tcp_conn_request / log fmt  UNVERIFIED (bracket 3.14.40→3.19.8); "request_sock_TCP:" from 3.17.
//
// Era names (Eras) are fixed labels; every behaviour flag of a Model is computed from the concrete
// version and distro, so a kernel inside an era can still differ from the era's representative
// (e.g. 3.0 has a 3 s RTO although its era is "2.6.32"; 5.15.177 has the 6.13 SYN-queue rule).
package kernel
