package delivery

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Schedule is a retry schedule: Schedule[i] is the delay before attempt i+1, so
// the first entry is 0 (the first attempt goes out at once) and len(Schedule) is
// the number of attempts. The queue's maxReceiveCount must equal Attempts(), so
// that SQS itself dead-letters exhausted jobs.
type Schedule []time.Duration

// DefaultSchedule is docs/architecture.md §5's schedule: 8 attempts over about 27.6 hours, the
// start of the Standard Webhooks example capped at 10 h steps.
var DefaultSchedule = Schedule{
	0,
	5 * time.Second,
	5 * time.Minute,
	30 * time.Minute,
	2 * time.Hour,
	5 * time.Hour,
	10 * time.Hour,
	10 * time.Hour,
}

// Bounds of a schedule. MaxDelay is SQS's limit for ChangeMessageVisibility
// (12 hours), the mechanism that delays a retry; MaxAttempts is SQS's largest
// maxReceiveCount.
const (
	MaxDelay    = 12 * time.Hour
	MaxAttempts = 1000
)

// Jitter is the relative spread applied to each delay: ±20 %, so that receivers
// recovering from an outage are not hit by every retry at the same instant.
const Jitter = 0.2

// ParseSchedule parses a comma-separated list of Go durations such as
// "0s,5s,5m,30m,2h", the format of String and of the RETRY_SCHEDULE setting.
func ParseSchedule(s string) (Schedule, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("retry schedule is empty; want durations like 0s,5s,5m")
	}
	parts := strings.Split(s, ",")
	if len(parts) > MaxAttempts {
		return nil, fmt.Errorf("retry schedule has %d attempts; SQS allows at most %d", len(parts), MaxAttempts)
	}
	out := make(Schedule, 0, len(parts))
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			return nil, fmt.Errorf("retry schedule entry %d is empty", i+1)
		}
		d, err := time.ParseDuration(p)
		switch {
		case err != nil:
			return nil, fmt.Errorf("retry schedule entry %d %q is not a duration like 5s, 5m or 2h", i+1, p)
		case d < 0:
			return nil, fmt.Errorf("retry schedule entry %d %q is negative", i+1, p)
		case d > MaxDelay:
			return nil, fmt.Errorf("retry schedule entry %d %q exceeds %s, the longest SQS can delay a message", i+1, p, formatDuration(MaxDelay))
		case i == 0 && d != 0:
			return nil, fmt.Errorf("retry schedule entry 1 %q must be 0s: it is the delay of the first attempt, which is sent at once", p)
		}
		out = append(out, d)
	}
	return out, nil
}

// String formats s as ParseSchedule reads it, with compact durations ("5m", not
// "5m0s").
func (s Schedule) String() string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = formatDuration(d)
	}
	return strings.Join(parts, ",")
}

// Attempts is the number of attempts the schedule allows, the first included.
func (s Schedule) Attempts() int { return len(s) }

// Total is the time from the first attempt to the last without jitter.
func (s Schedule) Total() time.Duration {
	var t time.Duration
	for _, d := range s {
		t += d
	}
	return t
}

// Next returns the delay before the next attempt, given the 1-based number of
// the attempt that just failed (values below 1 count as 1), and ok=false when
// that was the last attempt of the schedule.
//
// The scheduled delay is spread by ±Jitter using rnd, which returns values in
// [0, 1) (nil: no jitter). A positive retryAfter (the receiver's Retry-After) is
// clamped to [1s, MaxDelay] and can postpone the attempt but never bring it
// forward: the delay is the later of the two. So a receiver can ask for
// breathing room, yet cannot shrink the schedule's window or make us retry in a
// tight loop. The result never exceeds MaxDelay.
func (s Schedule) Next(attempt int, retryAfter time.Duration, rnd func() float64) (delay time.Duration, ok bool) {
	attempt = max(attempt, 1)
	if attempt >= len(s) {
		return 0, false
	}
	delay = s[attempt]
	if rnd != nil {
		delay = time.Duration(float64(delay) * (1 - Jitter + 2*Jitter*rnd()))
	}
	if retryAfter > 0 {
		delay = max(delay, min(max(retryAfter, time.Second), MaxDelay))
	}
	return min(delay, MaxDelay), true
}

// ParseRetryAfter reads a Retry-After header value, either delay-seconds or an
// HTTP date (RFC 9110 §10.2.3), as a delay from now. Values that are empty,
// malformed or in the past give 0, which Next treats as no hint.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseUint(v, 10, 64); err == nil {
		// Anything beyond MaxDelay is clamped by Next; capping here avoids overflow.
		return time.Duration(min(n, uint64(MaxDelay/time.Second)+1)) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil || !t.After(now) {
		return 0
	}
	return t.Sub(now)
}

func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}
