package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
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
not be collected and why. Ctrl-C ends it early; the bundle is still complete.

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
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
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
	fl.StringVar(&maxSize, "max-size", "200MB", "capture kept at most, in a rotating ring (e.g. 200MB, 2GB)")
	fl.StringVarP(&opts.Output, "output", "o", "bundle.tar.gz", "bundle `FILE` (.tar.gz/.tgz) or a directory")
	fl.IntVar(&opts.Snaplen, "snaplen", collect.DefaultSnaplen, "bytes kept per packet (headers and TCP options)")
	fl.BoolVar(&opts.NoTcpdump, "no-tcpdump", false, "capture with the built-in AF_PACKET reader even when tcpdump exists")
	fl.DurationVar(&opts.SSInterval, "ss-interval", collect.DefaultSSInterval, "ss sampling period")
	fl.DurationVar(&opts.NstatInterval, "nstat-interval", collect.DefaultNstatInterval, "counter snapshot period")
	cmd.MarkFlagRequired("port")
	return cmd
}

// parseSize reads sizes like 200MB, 2GB, 1048576.
func parseSize(s string) (int64, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.m
			break
		}
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("want a size such as 200MB or 2GB")
	}
	return int64(v * float64(mult)), nil
}
