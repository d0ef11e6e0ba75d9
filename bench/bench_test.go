package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSmoke runs the driver's in-process sections with tiny counts (and the AWS
// sections when an emulator is running) and renders the report, so `make bench`
// cannot rot between runs. The slow sections (builds, RIE, go test -bench) are
// left to `make bench`.
func TestSmoke(t *testing.T) {
	o := defaultOptions()
	o.Duration, o.Rounds = 100*time.Millisecond, 1
	o.PipelineEvents, o.BurstEvents, o.IngestRecords = 200, 20, 20
	o.Only = []string{"delivery", "pipeline"}
	want := []string{"delivery/plain-client", "delivery/plain-client-batched", "delivery/handler-memlog", "delivery/handler-sqlitelog", "pipeline/dev-end-to-end"}
	if os.Getenv(endpointEnv) != "" || os.Getenv("WEBHOOKS_REQUIRE_EMULATORS") == "1" {
		// With WEBHOOKS_REQUIRE_EMULATORS=1 and no emulator the sections skip
		// themselves and the missing figures fail the test.
		o.Only = append(o.Only, "ingest", "calls")
		want = append(want, "ingest/sqs-records", "calls/batched/sqs-per-job", "calls/batched/dynamodb-reads-per-event", "calls/single/sqs-per-job")
	} else {
		t.Logf("AWS sections not run: %s is not set", endpointEnv)
	}
	o.Out = filepath.Join(t.TempDir(), "benchmarks.md")
	var out bytes.Buffer
	r := &results{out: &out}
	if err := run(t.Context(), o, r); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	doc, err := os.ReadFile(o.Out)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range want {
		f, ok := r.get(key)
		if !ok {
			t.Errorf("figure %s missing; output:\n%s", key, out.String())
			continue
		}
		if !(f.Value > 0) || math.IsInf(f.Value, 0) {
			t.Errorf("figure %s = %v, want a positive number", key, f.Value)
		}
		if !strings.Contains(out.String(), key+" ") {
			t.Errorf("console output lacks a line for %s", key)
		}
		if !bytes.Contains(doc, []byte("`"+key+"`")) {
			t.Errorf("report lacks a row for %s", key)
		}
	}
	for _, heading := range []string{"## Figures", "## Cost model: per million deliveries on AWS", "EventBridge API destinations", "nproc "} {
		if !bytes.Contains(doc, []byte(heading)) {
			t.Errorf("report lacks %q", heading)
		}
	}
}

func TestFigureVerdict(t *testing.T) {
	tests := []struct {
		name string
		f    figure
		want string
	}{
		{"ratio met", figure{Value: 9, Base: 10, Target: atLeast(0.8)}, "met"},
		{"ratio missed", figure{Value: 4, Base: 10, Target: atLeast(0.8)}, "MISSED by 50%"},
		{"at most met", figure{Value: 0.3, Target: atMost(0.35)}, "met"},
		{"at most missed", figure{Value: 1.2, Target: atMost(1)}, "MISSED by 20%"},
		{"on value despite baseline", figure{Value: 40, Base: 10, Target: &target{AtMost: true, Limit: 64, OnValue: true}}, "met"},
		{"no target", figure{Value: 1}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f.Verdict(); got != tt.want {
				t.Errorf("Verdict() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseGoBench(t *testing.T) {
	out := "goos: linux\nBenchmarkSign/headers-2   \t   41961\t      5180 ns/op\t 198.65 MB/s\t    1688 B/op\t      33 allocs/op\nPASS\n"
	got := parseGoBench(out)
	if len(got) != 1 {
		t.Fatalf("parsed %d benchmarks, want 1", len(got))
	}
	b := got[0]
	if b.name != "BenchmarkSign/headers" || b.nsPerOp != 5180 || b.bytesPerOp != 1688 || b.allocsPerOp != 33 {
		t.Errorf("parsed %+v, want BenchmarkSign/headers 5180 ns/op 1688 B/op 33 allocs/op", b)
	}
}
