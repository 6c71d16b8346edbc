//go:build !linux

package collect

import (
	"context"
	"errors"
)

// Run needs Linux: the capture (tcpdump or AF_PACKET), ss, nstat and
// /proc/net are Linux's. Elsewhere halfopen reads bundles, it does not
// make them.
func Run(ctx context.Context, opts Options) (string, *Manifest, error) {
	return "", nil, errors.New("halfopen collect runs on the Linux server itself; on this system analyse its bundle instead (halfopen analyze bundle.tar.gz)")
}
