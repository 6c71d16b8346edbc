package snapshot

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// notInSamples are nstat names of the netstat -s table that the samples'
// snapshots (nstat -az on a 6.18 kernel) cannot hold, and why.
var notInSamples = map[string]string{
	"IpDefaultTTL":                    "a gauge: nstat does not print it",
	"TcpCurrEstab":                    "a gauge: nstat does not print it",
	"TcpExtPAWSPassive":               "removed with tcp_tw_recycle in 4.12",
	"TcpExtTCPAbortOnSyn":             "counted up to 3.5",
	"TcpExtTCPPrequeued":              "the prequeue counters are gone from current kernels",
	"TcpExtTCPDirectCopyFromBacklog":  "the prequeue counters are gone from current kernels",
	"TcpExtTCPDirectCopyFromPrequeue": "the prequeue counters are gone from current kernels",
	"TcpExtTCPPrequeueDropped":        "the prequeue counters are gone from current kernels",
	"TcpExtTCPHPHitsToUser":           "the prequeue counters are gone from current kernels",
	"TcpExtSockMallocOOM":             "gone from current kernels",
	"TcpExtTCPFACKReorder":            "gone with FACK from current kernels",
	"TcpExtTCPLoss":                   "gone from current kernels",
	"TcpExtTCPForwardRetrans":         "gone from current kernels",
	"TcpExtTCPSchedulerFailed":        "gone from current kernels",
	"TcpExtTCPDSackUndo":              "net-tools' own spelling, which no kernel exports (the kernel's is TCPDSACKUndo)",
}

// TestNetstatNamesAreKnown: every nstat name the netstat -s table maps a
// sentence to is a name a kernel prints — in the samples' nstat files, or
// listed above with the reason it cannot be there. A misspelt name would
// turn a counter that moved into one that "did not move".
func TestNetstatNamesAreKnown(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "samples", "*", "nstat-*.txt"))
	if len(files) == 0 {
		t.Skip("no samples/*/nstat-*.txt")
	}
	have := map[string]bool{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			if fs := strings.Fields(sc.Text()); len(fs) > 0 && !strings.HasPrefix(fs[0], "#") {
				have[fs[0]] = true
			}
		}
		fh.Close()
	}
	for _, e := range netstatTables {
		why, listed := notInSamples[e.name]
		switch {
		case have[e.name] && listed:
			t.Errorf("%s is in the samples but listed as absent (%s)", e.name, why)
		case !have[e.name] && !listed:
			t.Errorf("netstat -s table maps %q to %s, a name no sample holds: misspelt?", e.sentences[0], e.name)
		}
	}
}
