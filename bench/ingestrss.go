package main

import (
	"context"
	"fmt"
	"regexp"
	"strconv"

	"github.com/logto-webhooks/webhooks/shared/ingest"
)

// The worst request ingest.Limits allow, for memory: as many deliveries as
// allowed (250 records x 40 hooks = 10,000) whose jobs (about 3.2 KiB each)
// come close to the 32 MiB a request may queue.
const (
	worstRecords = 250
	worstHooks   = ingest.DefaultMaxDeliveries / worstRecords
	worstPad     = 3000
)

var (
	deliveriesLine = regexp.MustCompile(`deliveries: ([0-9]+)`)
	tookLine       = regexp.MustCompile(`took: (\S+)`)
)

// benchIngestRSS runs bench/ingestrss, the ingest Lambda's handler with the SQS
// adapter, on the worst request the default limits allow and reports its peak
// RSS (VmHWM) against the same binary ingesting one record for one hook. The
// SQS endpoint is sqsStub, not moto, which would take many minutes for
// 10,000 messages; the stub runs in this process, so the child's figure is
// only the ingest side's memory, as in the function.
func benchIngestRSS(ctx context.Context, _ options, r *results) error {
	bin, remove, err := buildChild(ctx, "ingestrss")
	if err != nil {
		return err
	}
	defer remove()
	stub, err := startSQSStub()
	if err != nil {
		return err
	}
	defer stub.Close()
	took := ""
	peak := func(records, hooks, pad int) (float64, error) {
		before := stub.messages.Load()
		mib, msg, err := runChild(ctx, bin, "-endpoint", stub.URL, "-records", strconv.Itoa(records),
			"-hooks", strconv.Itoa(hooks), "-pad", strconv.Itoa(pad))
		if err != nil {
			return 0, err
		}
		d := deliveriesLine.FindSubmatch(msg)
		if d == nil || string(d[1]) != strconv.Itoa(records*hooks) || stub.messages.Load()-before != int64(records*hooks) {
			return 0, fmt.Errorf("ingestrss queued %d messages, want %d:\n%s", stub.messages.Load()-before, records*hooks, msg)
		}
		if t := tookLine.FindSubmatch(msg); t != nil {
			took = string(t[1])
		}
		return mib, nil
	}
	base, err := peak(1, 1, 100)
	if err != nil {
		return err
	}
	worst, err := peak(worstRecords, worstHooks, worstPad)
	if err != nil {
		return err
	}
	r.add(figure{Key: "rss/ingest-worst-allowed", Value: worst, Unit: "MiB", Base: base, Target: &target{AtMost: true, Limit: 64, OnValue: true},
		Note: fmt.Sprintf("%d records x %d hooks = %d deliveries of about %.1f KiB (close to the 32 MiB a request may queue) in %s, SQS adapter, default GOGC; "+
			"baseline: the same binary ingesting 1 record for 1 hook; target: half of a 128 MB function", worstRecords, worstHooks,
			worstRecords*worstHooks, float64(worstPad+260)/1024, took)})
	return nil
}
