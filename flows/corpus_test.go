package flows

// The public capture corpus (../shared/corpus/public next to the module
// root; see its MANIFEST.md) checked against tshark 4.0.17's counts in its
// expected.tsv.

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// corpusRow is one line of expected.tsv (tshark's view of one file).
type corpusRow struct {
	file        string
	packets     int
	syn         int64 // pure SYNs
	synack      int64
	unanswered  int // SYN streams with neither SYN-ACK nor RST from the server
	refused     int // SYN streams with no SYN-ACK but a RST from the server
	format      string
	linktypeHdr string
	status      string // "ok", or tshark's DAMAGED/TRUNCATED/UNSUPPORTED message
}

func loadCorpus(t *testing.T) (string, []corpusRow) {
	t.Helper()
	dir := corpusDir(t)
	f, err := os.Open(filepath.Join(dir, "expected.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	col := map[string]int{}
	var rows []corpusRow
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(col) == 0 {
			for i, name := range fields {
				col[name] = i
			}
			for _, need := range []string{"file", "packets", "tcp_syn", "tcp_synack", "syn_streams_unanswered", "syn_streams_rst", "file_format", "linktype_hdr", "tshark_status"} {
				if _, ok := col[need]; !ok {
					t.Fatalf("expected.tsv has no column %q", need)
				}
			}
			continue
		}
		num := func(name string) int {
			n, err := strconv.Atoi(fields[col[name]])
			if err != nil {
				t.Fatalf("expected.tsv %s: column %s: %v", fields[0], name, err)
			}
			return n
		}
		rows = append(rows, corpusRow{
			file: fields[col["file"]], packets: num("packets"), syn: int64(num("tcp_syn")), synack: int64(num("tcp_synack")),
			unanswered: num("syn_streams_unanswered"), refused: num("syn_streams_rst"),
			format: fields[col["file_format"]], linktypeHdr: fields[col["linktype_hdr"]], status: fields[col["tshark_status"]],
		})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rows) < 100 {
		t.Fatalf("expected.tsv has only %d rows", len(rows))
	}
	return dir, rows
}

// corpusException is where halfopen deliberately differs from tshark.
// Every difference was checked with tshark 4.0.17 by hand; the command and
// what it showed are in the comment of each entry. Fields left at -1 take
// tshark's value.
type corpusException struct {
	packets    int // packets halfopen reads
	unanswered int // attempts with no SYN-ACK and no server RST, one-sided ones excluded
	refused    int // attempts with no SYN-ACK and a server RST
	oneSided   int // attempts the client completed without a captured SYN-ACK
	why        string
}

var corpusExceptions = map[string]corpusException{
	// tshark -V shows frames 2 and 7 carry a loose (131) / strict (137)
	// source route whose final hops are 5.6.7.8 and 8.8.8.8; tshark takes
	// ip.dst from there and splits the 8 SYNs into 3 streams (0, 1, 2).
	// halfopen uses the header's destination, 13.14.15.16, for all eight:
	// one 4-tuple, one ISN (0), so one attempt with 8 SYNs.
	"OISF_suricata-verify/tests/detect-ipopts/input.pcap": {packets: -1, unanswered: 1, refused: -1, oneSided: 0,
		why: "tshark takes ip.dst from the source-route option's final hop: 3 streams; the header destination makes 1 attempt"},
	// The record at byte 228 claims 0x53fe6000 bytes (xxd). tshark's
	// wiretap then tries another pcap variant and shows a 2nd frame of
	// frame.len 1048576, frame.cap_len 1 ("Packet size limited"), before
	// failing on a 16711424-byte record. halfopen stops at the corrupt
	// record: 1 packet and a warning naming byte 228.
	"OISF_suricata-verify/tests/bug-6875-01/fuzz.pcap": {packets: 1, unanswered: -1, refused: -1, oneSided: 0,
		why: "tshark's wiretap guesses another pcap variant and shows a one-byte 2nd packet; halfopen stops at the corrupt record"},
	// tshark -T fields -e frame.interface_id shows frames 1, 7 and 10
	// without an interface: they are the pcapng custom blocks (0x0BAD,
	// 0x40000BAD) tshark lists as "PCAPNG Custom Block" frames. The 8 others
	// are the packet blocks (EPB and SPB) halfopen reads.
	"gopacket_gopacket/pcapgo/tests/be/test202.pcapng": {packets: 8, unanswered: -1, refused: -1, oneSided: 0,
		why: "tshark counts 3 custom blocks as frames; they are not packets"},
	// Only 192.168.x -> server packets (tshark -T fields -e ip.src -e ip.dst
	// | sort | uniq -c): tshark sees 20 SYN streams without SYN-ACK. Each
	// client ACKs a SYN-ACK the capture lacks, so halfopen reports the
	// attempts established with OneSided set.
	"zeek_zeek/testing/btest/Traces/ssh/ssh.client-side-half-duplex.pcap": {packets: -1, unanswered: 0, refused: -1, oneSided: 20,
		why: "one-sided capture: tshark's unanswered streams were answered (client ACKs an uncaptured SYN-ACK)"},
	// Frame 2 is the client's ACK 2696225276 0.4 ms after its SYN; no
	// server packet is in the file.
	"zeek_zeek/testing/btest/Traces/smtp-one-side-only.pcap": {packets: -1, unanswered: 0, refused: -1, oneSided: 1,
		why: "one-sided capture: the client ACKs a SYN-ACK that was not captured"},
	// Two more files hold one stream captured in one direction only.
	// Checked with tshark -Y 'tcp.port==P':
	//   ipoib.pcap: 34170 -> 22 shows SYN, ACK 1, SSH client data, FIN and
	//   nothing from the server; tshark counts it among its 6 unanswered.
	//   mixed-vlan-mpls.pcap: 11001 -> 23 likewise (SYN, ACK, telnet data,
	//   FIN); it is tshark's 1 unanswered stream.
	"the-tcpdump-group_tcpdump/tests/ipoib.pcap":          {packets: -1, unanswered: 5, refused: -1, oneSided: 1, why: "one stream captured client side only"},
	"zeek_zeek/testing/btest/Traces/mixed-vlan-mpls.pcap": {packets: -1, unanswered: 0, refused: -1, oneSided: 1, why: "one stream captured client side only"},
	// tshark -Y 'tcp.port==64276 && tcp.port==722' (and 64581/1287): a
	// scanner's SYN and its retransmit 9.0 s later, same ISN, one tshark
	// stream. halfopen waits 8 s for an answer to a lone SYN (enough for
	// the 1 s, 3 s and 6 s first retransmits of Linux, Windows and BSD),
	// so the late retransmit is a second unanswered attempt: +2.
	// tshark -Y 'tcp.port==1054 && ip.addr==54.175.48.202' (stream 5): a
	// replayed exchange repeated every ~20 s, each time SYN (ISN 972785005),
	// then ACK 1895486497 although no SYN-ACK with ISN 1895486496 was
	// captured, then data; the server answers with RSTs or with SYN-ACKs
	// of a fresh ISN. tshark keeps one stream with SYN-ACKs (in neither
	// count). halfopen starts an attempt at each repetition after the
	// previous one settled: 6 one-sided attempts (the ACK answers an
	// uncaptured SYN-ACK), 2 of which see only RSTs from the server and
	// therefore fall in the SynAcks==0 && ServerRST!=None count: +2 refused.
	"gopacket_gopacket/layers/testdata/cip.pcap": {packets: -1, unanswered: 2840, refused: 7, oneSided: 6,
		why: "retransmits after 9 s and a replayed one-sided exchange make extra attempts"},
}

// tsharkBadChecksumSYNs counts pure SYNs with a wrong TCP checksum per file:
//
//	tshark -r F -o tcp.check_checksum:TRUE \
//	  -Y 'tcp.flags.syn==1 && tcp.flags.ack==0 && tcp.checksum.status==0 && !icmp && !icmpv6'
//
// Files not listed have none. output-multi-eve.pcap has 6 such SYNs, all with
// sll.pkttype 4 (sent by the capturing host, whose NIC fills the checksum
// in later); halfopen does not judge those, so its count is 0. The
// loopback captures (simple_http*, resp_1_benchmark, test_loopback,
// http-ipv6) have "bad" checksums because loopback leaves them partial.
var tsharkBadChecksumSYNs = map[string]int64{
	"OISF_suricata-verify/tests/bug-1450-04/tls_DER-incomplete-header.pcap":          1,
	"OISF_suricata-verify/tests/bug-7657-01/input.pcap":                              3,
	"OISF_suricata-verify/tests/http-ipv6/input.pcap":                                1,
	"chrissanders_packets/nowebaccess2.pcapng":                                       3,
	"gopacket_gopacket/pcap/test_loopback.pcap":                                      1,
	"gopacket_gopacket/pcapgo/tests/epb.pcapng":                                      1,
	"lwerdna_filesamples/simple_http.pcap":                                           2,
	"lwerdna_filesamples/simple_http_sll2.pcap":                                      2,
	"the-tcpdump-group_tcpdump/tests/accecn_handshake.pcap":                          1,
	"the-tcpdump-group_tcpdump/tests/bgp-bgpsec.pcap":                                5,
	"the-tcpdump-group_tcpdump/tests/mptcp-v1.pcap":                                  1,
	"the-tcpdump-group_tcpdump/tests/resp_1_benchmark.pcap":                          15,
	"zeek_zeek/testing/btest/Traces/chksums/ip4-tcp-bad-chksum.pcap":                 1,
	"zeek_zeek/testing/btest/Traces/chksums/ip6-tcp-bad-chksum.pcap":                 1,
	"zeek_zeek/testing/btest/Traces/erspan.pcap":                                     5,
	"zeek_zeek/testing/btest/Traces/http/1000-requests-one-dropped-response.pcap.gz": 1,
	"zeek_zeek/testing/btest/Traces/mixed-vlan-mpls.pcap":                            1,
	"zeek_zeek/testing/btest/Traces/nflog-http.pcap":                                 3,
	"zeek_zeek/testing/btest/Traces/smtp-one-side-only.pcap":                         1,
	"zeek_zeek/testing/btest/Traces/tcp/syn-bad.pcap":                                1,
}

// damageOffsets is where each damaged file's damage starts, found with a
// 20-line Python walk over the record headers (not with this package):
// the first record whose length exceeds 262144 or runs past the end of the
// file, or for pcapng the first section header with version 2.0.
var damageOffsets = map[string]int64{
	"OISF_suricata-verify/tests/bug-1450-04/tls_DER-incomplete-header.pcap":            5035,    // 4325376-byte record after 6 packets
	"OISF_suricata-verify/tests/bug-6875-01/fuzz.pcap":                                 228,     // 1409179648-byte record after 1 packet
	"OISF_suricata-verify/tests/http-mime-truncated/input.pcap":                        2715459, // 1 byte of a record header after 2696 packets
	"OISF_suricata-verify/tests/smtp-to-comma/10.7.29.101_49898-178.63.41.150_25.pcap": 3695,    // 3925868813-byte record after 18 packets
	"gopacket_gopacket/pcapgo/tests/le/test901.pcapng":                                 480,     // second SHB, version 2.0, after 1 packet
}

// Damaged files that are fatal: the damage is in the first block, so
// nothing can be read. tshark calls shb-option-too-long DAMAGED with 0
// packets; its first block's trailing length (0x30303030) differs from its
// length 52, so halfopen rejects it with a FormatError like the
// UNSUPPORTED headers.
var fatalDamage = map[string]bool{
	"the-tcpdump-group_libpcap/tests/shb-option-too-long.pcapng": true,
}

func TestPublicCorpus(t *testing.T) {
	dir, rows := loadCorpus(t)
	for _, row := range rows {
		t.Run(row.file, func(t *testing.T) {
			path := filepath.Join(dir, row.file)
			var atts []Attempt
			// tshark counts every copy of a frame captured twice: compare
			// with duplicates kept, and check the de-duplicated read below.
			c, err := ReadFile(path, Options{KeepDuplicates: true}, func(a *Attempt) { atts = append(atts, *a) })
			status := strings.SplitN(row.status, ":", 2)[0]
			mustFail := status == "UNSUPPORTED" || fatalDamage[row.file]
			if row.file == "gopacket_gopacket/pcapgo/tests/le/test901.pcapng" {
				// UNSUPPORTED to tshark, but the bad section header comes
				// after a good packet: halfopen keeps it and warns.
				mustFail = false
			}
			if mustFail {
				if err == nil {
					t.Fatalf("read %d packets, want a FormatError (tshark: %s)", c.Packets, row.status)
				}
				wantFormatError(t, err)
				return
			}
			if err != nil {
				t.Fatalf("ReadFile: %v", err)
			}
			exc, hasExc := corpusExceptions[row.file]
			if !hasExc {
				exc = corpusException{packets: -1, unanswered: -1, refused: -1, oneSided: 0}
			}
			wantPackets := row.packets
			if exc.packets >= 0 {
				wantPackets = exc.packets
			}
			if c.Packets != int64(wantPackets) {
				t.Errorf("packets %d, want %d (tshark %d)", c.Packets, wantPackets, row.packets)
			}
			if c.Stats.SYN != row.syn || c.Stats.SynAck != row.synack {
				t.Errorf("SYN %d SYN-ACK %d, tshark %d %d", c.Stats.SYN, c.Stats.SynAck, row.syn, row.synack)
			}
			var unanswered, refused, oneSided, strictUnanswered int
			for _, a := range atts {
				if a.SynAcks == 0 && a.ServerRST == None {
					unanswered++
					if !a.OneSided {
						strictUnanswered++
					}
				}
				if a.SynAcks == 0 && a.ServerRST != None {
					refused++
				}
				if a.OneSided {
					oneSided++
				}
			}
			if int64(len(atts)) != c.Stats.Attempts {
				t.Errorf("%d attempts emitted, Stats.Attempts %d", len(atts), c.Stats.Attempts)
			}
			switch {
			case exc.unanswered >= 0 && exc.oneSided > 0 && exc.refused < 0:
				// Unanswered to tshark because one direction is missing.
				if strictUnanswered != exc.unanswered || unanswered != row.unanswered {
					t.Errorf("unanswered %d (%d not one-sided), want %d (%d not one-sided)", unanswered, strictUnanswered, row.unanswered, exc.unanswered)
				}
			case exc.unanswered >= 0:
				if unanswered != exc.unanswered {
					t.Errorf("unanswered %d, want %d (tshark %d: %s)", unanswered, exc.unanswered, row.unanswered, exc.why)
				}
			default:
				if unanswered != row.unanswered {
					t.Errorf("unanswered %d, tshark %d", unanswered, row.unanswered)
				}
			}
			wantRefused := row.refused
			if exc.refused >= 0 {
				wantRefused = exc.refused
			}
			if refused != wantRefused {
				t.Errorf("refused %d, want %d (tshark %d)", refused, wantRefused, row.refused)
			}
			if oneSided != exc.oneSided || c.Stats.OneSided != int64(exc.oneSided) {
				t.Errorf("one-sided attempts %d (stat %d), want %d", oneSided, c.Stats.OneSided, exc.oneSided)
			}
			if got, want := c.Stats.BadChecksumSYN, tsharkBadChecksumSYNs[row.file]; got != want {
				t.Errorf("bad-checksum SYNs %d, tshark %d", got, want)
			}
			checkCorpusFormat(t, row, c)
			checkDeduplicated(t, path, c, atts)
			for _, w := range c.Warnings {
				if strings.ContainsAny(w, "\r\n") {
					t.Errorf("warning is not one line: %q", w)
				}
			}
			switch status {
			case "DAMAGED", "TRUNCATED", "UNSUPPORTED":
				if !c.Damaged {
					t.Errorf("tshark says %s, capture not marked damaged", row.status)
				}
				want, ok := damageOffsets[row.file]
				if !ok {
					t.Fatalf("no verified damage offset for %s", row.file)
				}
				if got := warningOffset(c, "packets before it were analysed"); got != want {
					t.Errorf("damage warning offset %d, want %d; warnings %q", got, want, c.Warnings)
				}
			default:
				if c.Damaged {
					t.Errorf("damaged, tshark reads it whole; warnings %q", c.Warnings)
				}
			}
		})
	}
}

// checkCorpusFormat compares the container halfopen detected with the
// header facts in expected.tsv (read from the bytes, not by this package).
func checkCorpusFormat(t *testing.T, row corpusRow, c *Capture) {
	t.Helper()
	format := row.format
	wantComp := CompressionNone
	if rest, ok := strings.CutPrefix(format, "gzip+"); ok {
		wantComp, format = CompressionGzip, rest
	}
	if c.Compression != wantComp {
		t.Errorf("compression %q, want %q", c.Compression, wantComp)
	}
	parts := strings.Split(format, "-") // pcap-le-us, pcapng-be
	end := map[string]string{"le": "little-endian", "be": "big-endian"}[parts[1]]
	var want string
	if parts[0] == "pcap" {
		res := map[string]string{"us": "microsecond", "ns": "nanosecond"}[parts[2]]
		want = "pcap (" + res + ", " + end + ")"
	} else {
		want = "pcapng (" + end + ", "
	}
	if !strings.HasPrefix(c.Format, want) {
		t.Errorf("format %q, want %q…", c.Format, want)
	}
	hdr := map[LinkType]bool{}
	for _, f := range strings.Split(row.linktypeHdr, ",") {
		f, _, _ = strings.Cut(f, "(")
		n, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("linktype_hdr %q: %v", row.linktypeHdr, err)
		}
		hdr[LinkType(n)] = true
	}
	for _, l := range c.LinkTypes {
		if !hdr[l] {
			t.Errorf("packets of link type %v, header lists %s", l, row.linktypeHdr)
		}
	}
	if len(hdr) == 1 && c.Packets > 0 && len(c.LinkTypes) != 1 {
		t.Errorf("link types %v, header lists %s", c.LinkTypes, row.linktypeHdr)
	}
}

// checkDeduplicated reads a corpus file again with duplicate frames
// dropped (the default) and compares with the read that kept them: the
// copies are all that differ, and dropping them never adds a failure.
func checkDeduplicated(t *testing.T, path string, kept *Capture, keptAtts []Attempt) {
	t.Helper()
	var atts []Attempt
	c, err := ReadFile(path, Options{}, func(a *Attempt) { atts = append(atts, *a) })
	if err != nil {
		t.Fatalf("de-duplicated read: %v", err)
	}
	if c.TCP+c.Duplicates != kept.TCP || c.Packets != kept.Packets {
		t.Errorf("de-duplicated: %d TCP + %d duplicates, packets %d; kept: %d TCP, packets %d", c.TCP, c.Duplicates, c.Packets, kept.TCP, kept.Packets)
	}
	if c.Duplicates == 0 {
		if c.Stats != kept.Stats || len(atts) != len(keptAtts) {
			t.Errorf("no duplicates, yet stats differ: %+v vs %+v", c.Stats, kept.Stats)
		}
		return
	}
	failed := func(as []Attempt) (n int) {
		for _, a := range as {
			if a.Outcome.Failed() {
				n++
			}
		}
		return n
	}
	if failed(atts) > failed(keptAtts) {
		t.Errorf("dropping %d duplicate frames raised failed attempts from %d to %d", c.Duplicates, failed(keptAtts), failed(atts))
	}
	t.Logf("%d duplicate frames dropped; failed attempts %d → %d", c.Duplicates, failed(keptAtts), failed(atts))
}
