package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"syscall"

	"github.com/halfopen/halfopen/collect"
	"github.com/spf13/cobra"
)

func newCollectCmd(e *env) *cobra.Command {
	var opts collect.Options
	var maxSize string
	cmd := &cobra.Command{
		Use:   "collect --port PORT [flags]",
		Short: "Run on the server: capture one port plus every snapshot the analysis needs, into one bundle",
		Long: `Collect, on the server, what halfopen needs to name the kernel branch that
drops handshakes: a bounded capture of the port (tcpdump when installed, else a
built-in AF_PACKET capture; headers and TCP options only), ss listener samples
every 100 ms, nstat counters at the start, every 5 s and at the end, the
sysctls that matter, uname -r, the owning process and backlog (ss -ltnp),
ip tcp_metrics, conntrack and softnet statistics, and a manifest of what could
not be collected and why. Ctrl-C (or SIGTERM, SIGHUP) ends it early and the
bundle is still complete; a second one aborts, writing nothing.

As root it stays safe: it never overwrites -o (unless --force) nor follows a
link there, works in a private directory next to -o and renames the finished
bundle into place, kills tcpdump and every other child if it dies itself, keeps
the bundle within --max-size, and stops early, keeping what it has, when the
disk gets low.

The bundle holds no payload beyond the first 128 bytes of each packet (TCP/IP
headers), no process list beyond the listener's owner, no environment.

Open it with: halfopen analyze bundle.tar.gz  (or halfopen tui bundle.tar.gz)`,
		Example: `  sudo halfopen collect --port 443 -o bundle.tar.gz
  sudo halfopen collect --port 8080 --iface eth0 --duration 5m --max-size 500MB -o /tmp/bundle.tar.gz`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			size, err := parseSize(maxSize)
			if err != nil {
				return usageErr("--max-size %q: %v", maxSize, err)
			}
			opts.MaxSize = size
			opts.Log = e.stderr
			opts.Version = versionString()
			opts.Args = os.Args
			ctx, abort := context.WithCancel(context.Background())
			defer abort()
			stop := make(chan os.Signal, 1)
			opts.Stop = stop
			defer relaySignals(e, stop, abort)()
			out, m, err := collect.Run(ctx, opts)
			if err != nil {
				if errors.Is(err, collect.ErrNotRoot) {
					return usageErr("%v", err)
				}
				return usageErr("collect: %v", err)
			}
			fmt.Fprintf(e.stderr, "halfopen collect: wrote %s (%d files; %d not collected, see manifest.json)\n", out, len(m.Files), len(m.Missing))
			fmt.Fprintf(e.stdout, "%s\n", out)
			fmt.Fprintf(e.stderr, "Send it, or look yourself: halfopen analyze %s\n", out)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&opts.Port, "port", 0, "TCP `PORT` of the listener (required)")
	fl.StringVar(&opts.Iface, "iface", "any", "interface to capture on (any: all)")
	fl.DurationVar(&opts.Duration, "duration", collect.DefaultDuration, "how long to collect (0: until Ctrl-C)")
	fl.StringVar(&maxSize, "max-size", "200MB", "bundle kept at most, 1MB to 16GB: the capture is a ring of the newest packets, each snapshot series has its share")
	fl.StringVarP(&opts.Output, "output", "o", "bundle.tar.gz", "bundle `FILE` (.tar.gz/.tgz) or a new directory")
	fl.BoolVar(&opts.Force, "force", false, "replace an existing output (a link is replaced itself, never followed)")
	fl.IntVar(&opts.Snaplen, "snaplen", collect.DefaultSnaplen, "bytes kept per packet (headers and TCP options)")
	fl.BoolVar(&opts.NoTcpdump, "no-tcpdump", false, "capture with the built-in AF_PACKET reader even when tcpdump exists")
	fl.DurationVar(&opts.SSInterval, "ss-interval", collect.DefaultSSInterval, "ss sampling period")
	fl.DurationVar(&opts.NstatInterval, "nstat-interval", collect.DefaultNstatInterval, "counter snapshot period")
	cmd.MarkFlagRequired("port")
	return cmd
}

// relaySignals turns SIGINT, SIGTERM and SIGHUP into a stop (the bundle
// is still written) and a second one into an abort (children killed,
// nothing written). SIGHUP matters: a dropped ssh session must not leave
// tcpdump running or lose the bundle. SIGPIPE is caught too, so that
// logging to a closed pipe fails a write instead of killing halfopen
// before the bundle is in place. It returns the function that undoes it.
func relaySignals(e *env, stop chan<- os.Signal, abort func()) func() {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE)
	done := make(chan struct{})
	go func() {
		first := true
		for {
			select {
			case <-done:
				return
			case s := <-sigs:
				if s == syscall.SIGPIPE {
					continue
				}
				if first {
					first = false
					stop <- s
					fmt.Fprintf(e.stderr, "halfopen collect: %s: finishing the bundle (send it again to abort)\n", signalName(s))
					continue
				}
				fmt.Fprintf(e.stderr, "halfopen collect: %s again: aborting\n", signalName(s))
				abort()
			}
		}
	}()
	return func() {
		signal.Stop(sigs)
		close(done)
	}
}

func signalName(s os.Signal) string {
	names := map[os.Signal]string{os.Interrupt: "SIGINT", syscall.SIGTERM: "SIGTERM", syscall.SIGHUP: "SIGHUP", syscall.SIGPIPE: "SIGPIPE"}
	if n, ok := names[s]; ok {
		return n
	}
	return s.String()
}

// sizeSyntax is what --max-size accepts: a whole or decimal number and an
// optional unit (B, K, KB, KiB, M, MB, MiB, G, GB, GiB, T, TB, TiB; all
// powers of 1024, as before). Nothing else: no NaN, Inf, sign, exponent
// or hex that a float parser would take.
var sizeSyntax = regexp.MustCompile(`^([0-9]{1,20})(\.[0-9]{1,9})? ?([KMGT]I?B?|B)?$`)

// parseSize reads sizes like 200MB, 2GB, 1.5G or 1048576, within the
// bounds collect accepts.
func parseSize(s string) (int64, error) {
	n, err := parseBytes(s)
	if err != nil {
		return 0, err
	}
	return n, collect.CheckMaxSize(n)
}

// parseBytes reads a size in sizeSyntax, without bounds; values beyond
// any machine (past 2^62) come back as 2^62.
func parseBytes(s string) (int64, error) {
	m := sizeSyntax.FindStringSubmatch(strings.ToUpper(strings.TrimSpace(s)))
	if m == nil {
		return 0, fmt.Errorf("want a size such as 200MB or 2GB")
	}
	mult := map[byte]float64{'B': 1, 'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30, 'T': 1 << 40}[firstByte(m[3], 'B')]
	v, err := strconv.ParseFloat(m[1]+m[2], 64)
	if err != nil {
		return 0, fmt.Errorf("want a size such as 200MB or 2GB")
	}
	v *= mult
	// Compare as floats first: a huge value must not wrap as an int64.
	return int64(min(v, float64(int64(1)<<62))), nil
}

func firstByte(s string, def byte) byte {
	if s == "" {
		return def
	}
	return s[0]
}
