// Command bench measures what docs/benchmarks.md reports: delivery throughput
// against a plain HTTP client, the dev pipeline end to end, ingest against bare
// SQS calls, AWS calls per job, cold starts and binary sizes, peak memory, and
// the Go micro-benchmarks; then it writes the figures and the cost model derived
// from them. Every ratio compares with a baseline measured in the same run on
// the same machine. `make bench` runs it through scripts/bench.sh, which starts
// the AWS emulator first.
//
//	go run ./bench [-out docs/benchmarks.md] [-duration 2.5s] [-only delivery,pipeline]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strings"
	"time"
)

// options are the knobs of a run.
type options struct {
	// Duration is the length of each timed throughput round.
	Duration time.Duration
	// Rounds is how many rounds each throughput figure (and its baseline) gets.
	Rounds int
	// PayloadSize is the delivery body size of the throughput figures.
	PayloadSize int
	// PipelineEvents is how many events go through the dev pipeline.
	PipelineEvents int
	// BurstEvents is the size of the burst whose AWS calls are counted.
	BurstEvents int
	// IngestRecords is how many records the ingest figure enqueues per round.
	IngestRecords int
	// ColdStarts is how many cold starts each bootstrap gets (median kept).
	ColdStarts int
	// RSSBatches is how many 256 KiB batches the memory child handles.
	RSSBatches int
	// BenchTime is go test's -benchtime for the micro-benchmarks.
	BenchTime string
	// Out is the Markdown report to write ("" writes none).
	Out string
	// Only lists the sections to run (nil: all).
	Only []string
}

// section is one group of figures.
type section struct {
	name string
	run  func(context.Context, options, *results) error
}

// sections in run order. Later ones (the cost model) read earlier figures.
var sections = []section{
	{"delivery", benchDelivery},
	{"pipeline", benchPipeline},
	{"isolation", benchIsolation},
	{"ingest", benchIngest},
	{"calls", benchCalls},
	{"coldstart", benchColdStart},
	{"rss", benchRSS},
	{"ingestrss", benchIngestRSS},
	{"gobench", benchGo},
}

func defaultOptions() options {
	return options{
		Duration:       2500 * time.Millisecond,
		Rounds:         2,
		PayloadSize:    1 << 10,
		PipelineEvents: 5000,
		BurstEvents:    1000,
		IngestRecords:  2000,
		ColdStarts:     5,
		RSSBatches:     50,
		BenchTime:      "300ms",
	}
}

func main() {
	o := defaultOptions()
	only := ""
	flag.DurationVar(&o.Duration, "duration", o.Duration, "length of each throughput round")
	flag.IntVar(&o.Rounds, "rounds", o.Rounds, "rounds per throughput figure")
	flag.IntVar(&o.PipelineEvents, "pipeline-events", o.PipelineEvents, "events sent through the dev pipeline")
	flag.IntVar(&o.BurstEvents, "burst", o.BurstEvents, "events in the burst whose AWS calls are counted")
	flag.IntVar(&o.IngestRecords, "ingest-records", o.IngestRecords, "records per ingest round")
	flag.IntVar(&o.ColdStarts, "cold-starts", o.ColdStarts, "cold starts per bootstrap")
	flag.IntVar(&o.RSSBatches, "rss-batches", o.RSSBatches, "batches the memory child handles")
	flag.StringVar(&o.BenchTime, "benchtime", o.BenchTime, "go test -benchtime of the micro-benchmarks")
	flag.StringVar(&o.Out, "out", "", "Markdown report to write (e.g. docs/benchmarks.md)")
	flag.StringVar(&only, "only", "", "comma-separated sections to run (default all): "+sectionNames())
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if only != "" {
		o.Only = strings.Split(only, ",")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o, &results{out: os.Stdout}); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		stop()
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func sectionNames() string {
	var names []string
	for _, s := range sections {
		names = append(names, s.name)
	}
	return strings.Join(names, ",")
}

// run measures every selected section, then writes the report. A section that
// cannot run here (no emulator, no RIE) is reported as skipped, not failed.
func run(ctx context.Context, o options, r *results) error {
	for _, name := range o.Only {
		if !slices.ContainsFunc(sections, func(s section) bool { return s.name == name }) {
			return fmt.Errorf("unknown section %q (have %s)", name, sectionNames())
		}
	}
	m := describeMachine()
	fmt.Fprintf(r.out, "machine: %s\n", m)
	start := time.Now()
	for _, s := range sections {
		if o.Only != nil && !slices.Contains(o.Only, s.name) {
			continue
		}
		t := time.Now()
		if err := s.run(ctx, o, r); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		fmt.Fprintf(r.out, "# %s took %s\n", s.name, time.Since(t).Round(100*time.Millisecond))
	}
	fmt.Fprintf(r.out, "# total %s\n", time.Since(start).Round(time.Second))
	if o.Out == "" {
		return nil
	}
	if err := os.WriteFile(o.Out, []byte(report(m, r)), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	fmt.Fprintf(r.out, "wrote %s\n", o.Out)
	return nil
}
