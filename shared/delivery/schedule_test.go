package delivery_test

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/delivery"
)

func TestDefaultSchedule(t *testing.T) {
	s := delivery.DefaultSchedule
	if got := s.Attempts(); got != 8 {
		t.Errorf("Attempts() = %d, want 8", got)
	}
	if got, want := s.String(), "0s,5s,5m,30m,2h,5h,10h,10h"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	// docs/architecture.md §5: about 27.6 h from the first attempt to the last.
	if got := s.Total(); got < 27*time.Hour+30*time.Minute || got > 27*time.Hour+40*time.Minute {
		t.Errorf("Total() = %s, want about 27.6h", got)
	}
	for i, d := range s {
		if d > delivery.MaxDelay {
			t.Errorf("step %d = %s exceeds MaxDelay", i, d)
		}
	}
}

func TestParseSchedule(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string // String() of the result
		wantErr string
	}{
		{name: "default", in: "0s,5s,5m,30m,2h,5h,10h,10h", want: "0s,5s,5m,30m,2h,5h,10h,10h"},
		{name: "spaces and mixed units", in: " 0 , 1500ms, 1h30m ,12h", want: "0s,1.5s,1h30m,12h"},
		{name: "one attempt", in: "0s", want: "0s"},
		{name: "empty", in: " ", wantErr: "retry schedule is empty"},
		{name: "empty entry", in: "0s,,5s", wantErr: "entry 2 is empty"},
		{name: "not a duration", in: "0s,5 minutes", wantErr: `entry 2 "5 minutes" is not a duration`},
		{name: "missing unit", in: "0s,5", wantErr: `entry 2 "5" is not a duration`},
		{name: "negative", in: "0s,-5s", wantErr: `entry 2 "-5s" is negative`},
		{name: "beyond SQS limit", in: "0s,13h", wantErr: "exceeds 12h"},
		{name: "first not zero", in: "5s,5m", wantErr: `entry 1 "5s" must be 0s`},
		{name: "too many attempts", in: "0s" + strings.Repeat(",1s", delivery.MaxAttempts), wantErr: "SQS allows at most 1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := delivery.ParseSchedule(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseSchedule(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSchedule(%q) = %v", tt.in, err)
			}
			if got.String() != tt.want {
				t.Errorf("ParseSchedule(%q) = %s, want %s", tt.in, got, tt.want)
			}
			again, err := delivery.ParseSchedule(got.String())
			if err != nil || again.String() != got.String() {
				t.Errorf("round trip of %s = %s, %v", got, again, err)
			}
		})
	}
}

func fixed(v float64) func() float64 { return func() float64 { return v } }

func TestNext(t *testing.T) {
	tests := []struct {
		name       string
		s          delivery.Schedule // nil: DefaultSchedule
		attempt    int
		retryAfter time.Duration
		rnd        func() float64
		want       time.Duration
		wantOK     bool
	}{
		{name: "after attempt 1, no jitter", attempt: 1, want: 5 * time.Second, wantOK: true},
		{name: "centre of jitter", attempt: 1, rnd: fixed(0.5), want: 5 * time.Second, wantOK: true},
		{name: "lowest jitter", attempt: 2, rnd: fixed(0), want: 4 * time.Minute, wantOK: true},
		{name: "highest jitter", attempt: 3, rnd: fixed(0.999999), want: 36 * time.Minute, wantOK: true},
		{name: "attempt below 1 counts as 1", attempt: 0, want: 5 * time.Second, wantOK: true},
		{name: "after the second last", attempt: 7, want: 10 * time.Hour, wantOK: true},
		{name: "jitter capped at MaxDelay", s: delivery.Schedule{0, 12 * time.Hour}, attempt: 1, rnd: fixed(0.9), want: 12 * time.Hour, wantOK: true},
		{name: "exhausted", attempt: 8, wantOK: false},
		{name: "beyond the schedule", attempt: 30, wantOK: false},
		{name: "retry-after postpones", attempt: 1, retryAfter: time.Minute, want: time.Minute, wantOK: true},
		{name: "retry-after cannot hasten", attempt: 3, retryAfter: time.Minute, want: 30 * time.Minute, wantOK: true},
		{name: "retry-after below 1s is 1s", attempt: 1, retryAfter: time.Millisecond, rnd: fixed(0), want: 4 * time.Second, wantOK: true},
		{name: "retry-after clamped to MaxDelay", attempt: 1, retryAfter: 48 * time.Hour, want: delivery.MaxDelay, wantOK: true},
		{name: "retry-after does not extend an exhausted schedule", attempt: 8, retryAfter: time.Hour, wantOK: false},
		{name: "negative retry-after ignored", attempt: 1, retryAfter: -time.Hour, want: 5 * time.Second, wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.s
			if s == nil {
				s = delivery.DefaultSchedule
			}
			got, ok := s.Next(tt.attempt, tt.retryAfter, tt.rnd)
			if ok != tt.wantOK {
				t.Fatalf("Next(%d, %s) ok = %v, want %v", tt.attempt, tt.retryAfter, ok, tt.wantOK)
			}
			if got.Round(time.Second) != tt.want {
				t.Errorf("Next(%d, %s) = %s, want %s", tt.attempt, tt.retryAfter, got, tt.want)
			}
		})
	}
}

func TestNextShortRetryAfterFloor(t *testing.T) {
	// A zero step makes the floor visible: Retry-After 1ms still waits 1s.
	s := delivery.Schedule{0, 0}
	if got, _ := s.Next(1, time.Millisecond, nil); got != time.Second {
		t.Errorf("Next with Retry-After 1ms = %s, want 1s", got)
	}
}

func TestNextJitterBounds(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	s := delivery.DefaultSchedule
	var lo, hi time.Duration = 1<<62 - 1, 0
	for range 2000 {
		var total time.Duration
		for attempt := 1; ; attempt++ {
			d, ok := s.Next(attempt, 0, r.Float64)
			if !ok {
				if attempt != s.Attempts() {
					t.Fatalf("schedule ended after attempt %d, want %d", attempt, s.Attempts())
				}
				break
			}
			base := s[attempt]
			if d < base*8/10 || d > base*12/10 {
				t.Fatalf("Next(%d) = %s, outside ±20%% of %s", attempt, d, base)
			}
			total += d
		}
		lo, hi = min(lo, total), max(hi, total)
	}
	// The jittered window stays near 27.6 h and the jitter actually spreads it.
	if lo < 22*time.Hour || hi > 33*time.Hour {
		t.Errorf("total window in [%s, %s], want within [22h, 33h]", lo, hi)
	}
	if hi-lo < time.Hour {
		t.Errorf("total window spread %s, want jitter to spread it by over an hour", hi-lo)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2024, 6, 10, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   string
		want time.Duration
	}{
		{"seconds", "120", 2 * time.Minute},
		{"seconds with spaces", " 5 ", 5 * time.Second},
		{"zero", "0", 0},
		{"HTTP date", "Mon, 10 Jun 2024 12:05:00 GMT", 5 * time.Minute},
		{"HTTP date in the past", "Mon, 10 Jun 2024 11:00:00 GMT", 0},
		{"huge seconds do not overflow", "99999999999999999999", 0},
		{"large seconds capped above MaxDelay", "9999999999", delivery.MaxDelay + time.Second},
		{"negative", "-5", 0},
		{"fraction", "1.5", 0},
		{"garbage", "soon", 0},
		{"empty", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := delivery.ParseRetryAfter(tt.in, now); got != tt.want {
				t.Errorf("ParseRetryAfter(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}
