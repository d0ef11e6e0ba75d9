package metrics_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/metrics"
)

// A batch of attempts leaves as one line per event: counts summed,
// latencies listed.
func TestBatchOneLinePerEvent(t *testing.T) {
	var buf bytes.Buffer
	b := metrics.New(&buf, "NS").Batch()
	for i := range 10 {
		b.Add("User.Created", metrics.Count(metrics.DeliverySucceeded, 1), metrics.Millis(metrics.DeliveryLatency, time.Duration(i+1)*time.Millisecond))
	}
	b.Add("User.Deleted", metrics.Count(metrics.DeliveryFailed, 1))
	b.Add("User.Created", metrics.Count(metrics.DeliveryDeferred, 1))
	if buf.Len() != 0 {
		t.Fatalf("wrote before Flush: %s", buf.String())
	}
	b.Flush()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2 (one per event):\n%s", len(lines), buf.String())
	}
	var first struct {
		AWS struct {
			CloudWatchMetrics []struct{ Metrics []struct{ Name, Unit string } }
		} `json:"_aws"`
		Event             string
		DeliverySucceeded float64
		DeliveryDeferred  float64
		DeliveryLatency   []float64
	}
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if first.Event != "User.Created" || first.DeliverySucceeded != 10 || first.DeliveryDeferred != 1 || len(first.DeliveryLatency) != 10 || first.DeliveryLatency[9] != 10 {
		t.Errorf("first line %+v", first)
	}
	if defs := first.AWS.CloudWatchMetrics[0].Metrics; len(defs) != 3 {
		t.Errorf("metric definitions %+v, want 3", defs)
	}
	buf.Reset()
	b.Flush()
	if buf.Len() != 0 {
		t.Errorf("second Flush wrote %s", buf.String())
	}
	var nilBatch *metrics.Batch
	nilBatch.Add("x", metrics.Count("y", 1)) // must not panic
	nilBatch.Flush()
}
