// Package flows turns a packet capture into TCP handshake attempts.
//
// It reads classic pcap and pcapng files (optionally gzip- or zstd-compressed,
// detected by content), decodes the link layers tcpdump writes on Linux and
// elsewhere (Ethernet with VLAN/QinQ/MPLS/PPPoE, Linux cooked v1 and v2, raw
// IP, BSD loopback, NFLOG, IP over InfiniBand, common tunnels), and follows
// every handshake attempt — one client 4-tuple plus client ISN — from its
// first SYN to the moment its fate is known.
//
// The package is streaming: memory grows with the attempts and connections
// still open, never with the size of the capture. Finished attempts are handed
// to a callback one at a time; what to keep is the caller's decision.
//
// flows reports only what the wire shows. Naming the kernel code path that
// dropped a SYN is the job of package analyze.
package flows
