package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/logto-webhooks/webhooks/shared/lambdatest"
)

// rssPayload is the job payload of the memory figure: the largest message the
// design plans for (SQS's classic 256 KiB limit).
const rssPayload = 256 << 10

var vmHWM = regexp.MustCompile(`VmHWM:\s+([0-9]+) kB`)

// benchRSS runs bench/rsschild, which delivers batches of 10 jobs with 256 KiB
// payloads through the real handler, and reports its peak RSS (VmHWM) against the same
// binary started idle.
func benchRSS(ctx context.Context, o options, r *results) error {
	root, dir, remove, err := workspace()
	if err != nil {
		return err
	}
	defer remove()
	bin := filepath.Join(dir, "rsschild")
	if err := lambdatest.GoBuild(ctx, root, bin, "./bench/rsschild", []string{"-trimpath"}); err != nil {
		return err
	}
	rec, err := startReceiver()
	if err != nil {
		return err
	}
	defer rec.Close()
	peak := func(batches int) (float64, error) {
		cmd := exec.CommandContext(ctx, bin, "-url", rec.URL, "-batches", strconv.Itoa(batches), "-payload", strconv.Itoa(rssPayload))
		msg, err := cmd.CombinedOutput()
		if err != nil {
			return 0, fmt.Errorf("rsschild: %w\n%s", err, msg)
		}
		m := vmHWM.FindSubmatch(msg)
		if m == nil {
			return 0, fmt.Errorf("rsschild printed no VmHWM:\n%s", msg)
		}
		kib, err := strconv.ParseFloat(string(m[1]), 64)
		return kib / 1024, err
	}
	idle, err := peak(0)
	if err != nil {
		return err
	}
	busy, err := peak(o.RSSBatches)
	if err != nil {
		return err
	}
	r.add(figure{Key: "rss/delivery-256KiB-batch10", Value: busy, Unit: "MiB", Base: idle, Target: &target{AtMost: true, Limit: 64, OnValue: true},
		Note: fmt.Sprintf("%d batches of 10 x %d KiB payloads, default GOGC; baseline: the same binary idle; target: half of a 128 MB function", o.RSSBatches, rssPayload>>10)})
	return nil
}
