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
	peak := func(url string, batches int, extra ...string) (float64, error) {
		args := append([]string{"-url", url, "-batches", strconv.Itoa(batches), "-payload", strconv.Itoa(rssPayload)}, extra...)
		cmd := exec.CommandContext(ctx, bin, args...)
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
	idle, err := peak(rec.URL, 0)
	if err != nil {
		return err
	}
	busy, err := peak(rec.URL, o.RSSBatches)
	if err != nil {
		return err
	}
	hostile, err := startHostileReceiver()
	if err != nil {
		return err
	}
	defer hostile.Close()
	bad, err := peak(hostile.URL, hostileBatches, "-hostile")
	if err != nil {
		return err
	}
	r.add(figure{Key: "rss/delivery-hostile-receivers", Value: bad, Unit: "MiB", Base: idle, Target: &target{AtMost: true, Limit: 64, OnValue: true},
		Note: fmt.Sprintf("%d batches of 10 x %d KiB payloads to a receiver that floods 4 MiB of headers, streams a 64 MiB body or trickles one; target: half of a 128 MB function",
			hostileBatches, rssPayload>>10)})
	r.add(figure{Key: "rss/delivery-256KiB-batch10", Value: busy, Unit: "MiB", Base: idle, Target: &target{AtMost: true, Limit: 64, OnValue: true},
		Note: fmt.Sprintf("%d batches of 10 x %d KiB payloads, default GOGC; baseline: the same binary idle; target: half of a 128 MB function", o.RSSBatches, rssPayload>>10)})
	return nil
}
