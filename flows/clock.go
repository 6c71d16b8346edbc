package flows

import "time"

// The tracker's clock decides when attempts expire. It follows the packets'
// timestamps, but a few packets must not be able to move it far: a frame
// stamped in 2100 at the start of a capture would otherwise stop every
// later expiry (memory growing with the file), and one stamped 1970 would
// make an hour look like fifty years.
//
// captureClock advances freely by steps up to clockStep (a quiet server
// leaves long gaps between packets). A larger jump ahead is taken only once
// clockConfirm packets in a row agree with it (tcpdump idle for a night); a
// lone absurd timestamp is counted and ignored. When clockRecover packets in a row are far
// behind the clock, the packets that moved it were wrong: the clock is set
// back to the present (the tracker then re-bases its timers).
const (
	clockStep    = time.Hour
	clockConfirm = 4
	clockRecover = 64
)

type captureClock struct {
	now     int64 // Unix ns
	ahead   int64 // the least of the consecutive packets far ahead of now
	nAhead  int   // consecutive packets far ahead of now
	behind  int   // consecutive packets far behind now
	jumps   int64 // packets far ahead that did not move the clock
	maxJump int64 // the furthest of them ahead of the clock, ns
	resets  int64 // times the clock was set back
}

// observe feeds one packet time. It returns the clock and whether the
// clock was set back (the caller's timers must be re-based).
func (c *captureClock) observe(t int64) (now int64, reset bool) {
	switch {
	case c.now == 0:
		c.now = t
	case t >= c.now && t-c.now <= int64(clockStep):
		c.now, c.nAhead, c.behind = t, 0, 0
	case t > c.now:
		c.behind = 0
		if c.nAhead == 0 || t < c.ahead {
			c.ahead = t
		}
		c.nAhead++
		// Each time the clock had to be set back, a jump needs more
		// agreement: a capture flipping between two times cannot make
		// the tracker re-base its timers over and over.
		if c.nAhead >= clockConfirm<<min(c.resets, 10) {
			c.now, c.nAhead = c.ahead, 0
			break
		}
		c.jumps++
		c.maxJump = max(c.maxJump, t-c.now)
	case c.now-t > int64(clockStep):
		c.nAhead = 0
		c.behind++
		if c.behind == clockRecover {
			c.now, c.behind, reset = t, 0, true
			c.resets++
		}
	default:
		c.nAhead = 0
	}
	return c.now, reset
}
