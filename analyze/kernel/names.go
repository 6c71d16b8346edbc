package kernel

// Counter names, as nstat prints them (section prefix + field: "TcpExt" +
// "ListenOverflows"). Code that looks a counter up uses these constants,
// never a literal: a misspelt literal is not an error, it is a counter that
// "did not move". docs/kernel-counters.md describes each one and the
// kernels that have it; TestNamesAreKnown checks every constant against
// the real snapshots in samples/ (and, for the few that a 6.18 kernel no
// longer has, against the docs' list of old names).
const (
	// Listener drops and overflows (docs/kernel-branches.md#b01, #b04, #b07).
	CounterListenDrops        = "TcpExtListenDrops"
	CounterListenOverflows    = "TcpExtListenOverflows"
	CounterReqQFullDrop       = "TcpExtTCPReqQFullDrop"
	CounterReqQFullDoCookies  = "TcpExtTCPReqQFullDoCookies"
	CounterSyncookiesSent     = "TcpExtSyncookiesSent"
	CounterSyncookiesRecv     = "TcpExtSyncookiesRecv"
	CounterSyncookiesFailed   = "TcpExtSyncookiesFailed"
	CounterEmbryonicRsts      = "TcpExtEmbryonicRsts"
	CounterDeferAcceptDrop    = "TcpExtTCPDeferAcceptDrop"
	CounterFastOpenListenOver = "TcpExtTCPFastOpenListenOverflow"
	CounterMigrateReqSuccess  = "TcpExtTCPMigrateReqSuccess"

	// Timestamps, TIME-WAIT and sockets already there (#b06, #b09, #b10, #b11).
	CounterPAWSPassive         = "TcpExtPAWSPassive" // up to 4.11 only
	CounterPAWSActive          = "TcpExtPAWSActive"
	CounterPAWSEstab           = "TcpExtPAWSEstab"
	CounterPAWSTimewait        = "TcpExtPAWSTimewait" // 6.16+
	CounterPAWSOldAck          = "TcpExtPAWSOldAck"   // 6.16+
	CounterACKSkippedTimeWait  = "TcpExtTCPACKSkippedTimeWait"
	CounterACKSkippedSynRecv   = "TcpExtTCPACKSkippedSynRecv"
	CounterAbortOnSyn          = "TcpExtTCPAbortOnSyn" // up to 3.5 only
	CounterSYNChallenge        = "TcpExtTCPSYNChallenge"
	CounterChallengeACK        = "TcpExtTCPChallengeACK"
	CounterAttemptFails        = "TcpAttemptFails"
	CounterOutRsts             = "TcpOutRsts"
	CounterRetransSegs         = "TcpRetransSegs"
	CounterSynRetrans          = "TcpExtTCPSynRetrans"
	CounterTimeouts            = "TcpExtTCPTimeouts"
	CounterRcvQDrop            = "TcpExtTCPRcvQDrop"
	CounterIPReversePathFilter = "TcpExtIPReversePathFilter"
	CounterMinTTLDrop          = "TcpExtTCPMinTTLDrop"
	CounterBacklogDrop         = "TcpExtTCPBacklogDrop"
	CounterPFMemallocDrop      = "TcpExtPFMemallocDrop"
	CounterMD5NotFound         = "TcpExtTCPMD5NotFound"
	CounterMD5Unexpected       = "TcpExtTCPMD5Unexpected"
	CounterAORequired          = "TcpExtTCPAORequired"
	CounterAOBad               = "TcpExtTCPAOBad"
	CounterInErrs              = "TcpInErrs"
	CounterInCsumErrors        = "TcpInCsumErrors"
	CounterIPInAddrErrors      = "IpInAddrErrors"
	CounterIPInHdrErrors       = "IpInHdrErrors"
	CounterIPInDiscards        = "IpInDiscards"
)

// Sysctl keys, dotted as sysctl -a prints them. docs/kernel-counters.md
// lists them with the kernels that have them; TestNamesAreKnown checks them
// like the counters.
const (
	SysctlSomaxconn         = "net.core.somaxconn"
	SysctlMaxSynBacklog     = "net.ipv4.tcp_max_syn_backlog"
	SysctlSyncookies        = "net.ipv4.tcp_syncookies"
	SysctlAbortOnOverflow   = "net.ipv4.tcp_abort_on_overflow"
	SysctlTwRecycle         = "net.ipv4.tcp_tw_recycle" // up to 4.11 only
	SysctlSynackRetries     = "net.ipv4.tcp_synack_retries"
	SysctlSynLinearTimeouts = "net.ipv4.tcp_syn_linear_timeouts"
	SysctlRtoMaxMs          = "net.ipv4.tcp_rto_max_ms"
	SysctlMigrateReq        = "net.ipv4.tcp_migrate_req"
	SysctlInvalidRatelimit  = "net.ipv4.tcp_invalid_ratelimit"
	SysctlChallengeACKLimit = "net.ipv4.tcp_challenge_ack_limit"
	SysctlTimestamps        = "net.ipv4.tcp_timestamps"
	SysctlNoMetricsSave     = "net.ipv4.tcp_no_metrics_save"
	SysctlRFC1337           = "net.ipv4.tcp_rfc1337"
	SysctlKeepaliveTime     = "net.ipv4.tcp_keepalive_time"
	SysctlLocalPortRange    = "net.ipv4.ip_local_port_range"
	SysctlRPFilterAll       = "net.ipv4.conf.all.rp_filter"
	SysctlNetdevMaxBacklog  = "net.core.netdev_max_backlog"
	SysctlConntrackMax      = "net.netfilter.nf_conntrack_max"
	SysctlConntrackCount    = "net.netfilter.nf_conntrack_count"
	SysctlIPConntrackMax    = "net.ipv4.netfilter.ip_conntrack_max" // RHEL5 (ip_conntrack) only
	SysctlMinFreeKbytes     = "vm.min_free_kbytes"
	SysctlCoreWarnings      = "net.core.warnings" // up to 4.x only
	SysctlTwReuse           = "net.ipv4.tcp_tw_reuse"
	SysctlLogMartiansAll    = "net.ipv4.conf.all.log_martians"
)
