package main

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// idleEvents is how many single events the idle-latency figure sends.
const idleEvents = 200

// idleGap is the pause between them, long enough for the server to go idle
// (its workers waiting in Receive) before each one.
const idleGap = 20 * time.Millisecond

// benchIdleLatency sends idleEvents events one at a time to an idle `webhooks
// dev` and reports the p50 and p99 from the moment each request is built
// (data.sentAt) to its arrival at the receiver: ingest, the commit of the job,
// the worker's wake-up, signing and the POST. The baseline is a plain POST's
// round trip to the same kind of receiver, the floor of any such path.
func benchIdleLatency(ctx context.Context, r *results) error {
	rec, err := startLatencyReceiver(false)
	if err != nil {
		return err
	}
	defer rec.Close()
	dev, err := startDev(ctx, rec.URL)
	if err != nil {
		return err
	}
	defer dev.stop()
	client := &http.Client{Timeout: 30 * time.Second}
	for i := range idleEvents {
		time.Sleep(idleGap)
		if err := dev.ingest(client, stampedRequest(i, 1)); err != nil {
			return err
		}
		deadline := time.Now().Add(10 * time.Second)
		for len(rec.received()) <= i {
			if time.Now().After(deadline) || ctx.Err() != nil {
				return fmt.Errorf("idle latency: event %d not delivered", i)
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	got := rec.received()
	base, err := plainRoundTrip(ctx, idleEvents)
	if err != nil {
		return err
	}
	note := fmt.Sprintf("%d single events %s apart to an idle webhooks dev, send→receipt; baseline: a plain POST's round trip (p50 %s, p99 %s)",
		idleEvents, idleGap, ms(percentile(base, 50)), ms(percentile(base, 99)))
	r.add(figure{Key: "pipeline/dev-idle-latency-p50", Value: msf(percentile(got, 50)), Unit: "ms",
		Base: msf(percentile(base, 50)), Target: &target{AtMost: true, Limit: 2, OnValue: true}, Note: note})
	r.add(figure{Key: "pipeline/dev-idle-latency-p99", Value: msf(percentile(got, 99)), Unit: "ms",
		Base: msf(percentile(base, 99)), Target: &target{AtMost: true, Limit: 5, OnValue: true}, Note: note})
	return nil
}

// plainRoundTrip returns n round trips of a plain POST of a small body to a
// loopback receiver, one at a time and idle in between like the events.
func plainRoundTrip(ctx context.Context, n int) ([]time.Duration, error) {
	rec, err := startReceiver()
	if err != nil {
		return nil, err
	}
	defer rec.Close()
	client := &http.Client{Timeout: 30 * time.Second}
	var out []time.Duration
	for range n {
		time.Sleep(idleGap)
		start := time.Now()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, rec.URL, http.NoBody)
		if err != nil {
			return nil, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		_ = resp.Body.Close()
		out = append(out, time.Since(start))
	}
	return out, nil
}
