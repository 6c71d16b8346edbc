package analyze

import (
	"fmt"
	"time"

	"github.com/halfopen/halfopen/flows"
)

// Schedule names a retransmission schedule recognised from the gaps
// between a sender's retransmits. The names are part of the JSON schema.
type Schedule string

// Schedules halfopen recognises. See docs/kernel-eras.md#timers.
const (
	ScheduleNone      Schedule = ""          // fewer than two packets: nothing to fit
	ScheduleExp1s     Schedule = "exp-1s"    // 1 s initial RTO, doubling: Linux 3.1–6.4 clients, RHEL6+; Linux 3.1+ servers
	ScheduleLinear1s  Schedule = "linear-1s" // 1 s repeated, then doubling: Linux 6.5+ (tcp_syn_linear_timeouts) or macOS
	ScheduleExp3s     Schedule = "exp-3s"    // 3 s initial RTO, doubling: Linux ≤3.0, Windows, 2.6.x servers
	ScheduleExpOther  Schedule = "exp-other" // doubling from another initial RTO
	ScheduleIrregular Schedule = "irregular" // no backoff pattern (crafted, scanners, app-level retries)
	scheduleTolerance          = 0.25        // relative slack for timer lag
	scheduleSlack              = 150 * time.Millisecond
)

// ScheduleFit is a recognised schedule with its initial interval.
type ScheduleFit struct {
	Name    Schedule
	Initial time.Duration // first retransmit interval
	Linear  int           // intervals equal to the first before doubling starts
}

// Describe says in words what the schedule suggests about the sender.
func (f ScheduleFit) Describe(server bool) string {
	switch f.Name {
	case ScheduleExp1s:
		if server {
			return "1 s initial RTO, doubling: Linux 3.1+ (RHEL6 and later)"
		}
		return "1 s initial RTO, doubling: Linux 3.1–6.4 (RHEL6+), most modern stacks"
	case ScheduleLinear1s:
		return fmt.Sprintf("%d retries 1 s apart, then doubling: Linux 6.5+ (tcp_syn_linear_timeouts) or macOS", f.Linear)
	case ScheduleExp3s:
		if server {
			return "3 s initial RTO, doubling: Linux ≤3.0 (vanilla 2.6.18/2.6.32) or Windows"
		}
		return "3 s initial RTO, doubling: Linux ≤3.0 or Windows"
	case ScheduleExpOther:
		return fmt.Sprintf("%s initial RTO, doubling", roundDuration(f.Initial))
	case ScheduleIrregular:
		return "no exponential backoff: crafted traffic, a scanner or application-level retries"
	}
	return ""
}

func near(got, want time.Duration) bool {
	diff := got - want
	if diff < 0 {
		diff = -diff
	}
	return diff <= scheduleSlack || float64(diff) <= scheduleTolerance*float64(want)
}

// FitSchedule recognises the schedule of retransmit offsets (the first
// transmission at offsets[0]).
func FitSchedule(offsets []time.Duration) ScheduleFit {
	if len(offsets) < 2 {
		return ScheduleFit{}
	}
	var buf [flows.MaxTimes]time.Duration
	gaps := buf[:0]
	for i := 1; i < len(offsets); i++ {
		gaps = append(gaps, offsets[i]-offsets[i-1])
	}
	r0 := gaps[0]
	fit := ScheduleFit{Initial: r0}
	if r0 <= 0 {
		fit.Name = ScheduleIrregular
		return fit
	}
	// Count leading gaps equal to the first, then check doubling after.
	linear := 1
	for linear < len(gaps) && near(gaps[linear], r0) {
		linear++
	}
	for i := linear; i < len(gaps); i++ {
		if !near(gaps[i], 2*gaps[i-1]) {
			fit.Name = ScheduleIrregular
			return fit
		}
	}
	fit.Linear = linear
	switch {
	case linear >= 2 && near(r0, time.Second):
		fit.Name = ScheduleLinear1s
	case linear >= 2:
		fit.Name = ScheduleIrregular
	case near(r0, time.Second):
		fit.Name = ScheduleExp1s
	case near(r0, 3*time.Second):
		fit.Name = ScheduleExp3s
	default:
		fit.Name = ScheduleExpOther
	}
	return fit
}

// ClientSchedule fits the attempt's SYN retransmits.
func ClientSchedule(a *flows.Attempt) ScheduleFit {
	return FitSchedule(a.RecordedSYNs())
}

// ServerSchedule fits the server's timer-driven SYN-ACK retransmits,
// leaving out SYN-ACKs triggered by client SYN retransmits.
func ServerSchedule(a *flows.Attempt) ScheduleFit {
	var buf [flows.MaxTimes]time.Duration
	offs := buf[:0]
	for i, s := range a.RecordedSynAcks() {
		if i == 0 || !s.Triggered {
			offs = append(offs, s.At)
		}
	}
	return FitSchedule(offs)
}

func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Second:
		return d.Round(time.Second)
	case d >= time.Second:
		return d.Round(100 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond)
	}
	return d
}
