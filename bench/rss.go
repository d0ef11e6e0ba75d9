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
	bin, remove, err := buildChild(ctx, "rsschild")
	if err != nil {
		return err
	}
	defer remove()
	rec, err := startReceiver()
	if err != nil {
		return err
	}
	defer rec.Close()
	peak := func(url string, batches int, extra ...string) (float64, error) {
		args := append([]string{"-url", url, "-batches", strconv.Itoa(batches), "-payload", strconv.Itoa(rssPayload)}, extra...)
		mib, _, err := runChild(ctx, bin, args...)
		return mib, err
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

// buildChild builds the command ./bench/<name> into a temporary directory,
// which remove deletes.
func buildChild(ctx context.Context, name string) (bin string, remove func(), err error) {
	root, dir, remove, err := workspace()
	if err != nil {
		return "", nil, err
	}
	bin = filepath.Join(dir, name)
	if err := lambdatest.GoBuild(ctx, root, bin, "./bench/"+name, []string{"-trimpath"}); err != nil {
		remove()
		return "", nil, err
	}
	return bin, remove, nil
}

// runChild runs a memory child, which prints its own VmHWM (a child forked
// from a big parent starts with the parent's RSS, so the parent cannot use its
// rusage), and returns that peak in MiB with the child's output.
func runChild(ctx context.Context, bin string, args ...string) (float64, []byte, error) {
	msg, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	name := filepath.Base(bin)
	if err != nil {
		return 0, msg, fmt.Errorf("%s: %w\n%s", name, err, msg)
	}
	m := vmHWM.FindSubmatch(msg)
	if m == nil {
		return 0, msg, fmt.Errorf("%s printed no VmHWM:\n%s", name, msg)
	}
	kib, err := strconv.ParseFloat(string(m[1]), 64)
	return kib / 1024, msg, err
}
