package metrics_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/metrics"
)

func TestEmitEMF(t *testing.T) {
	var buf bytes.Buffer
	r := metrics.New(&buf, "NS")
	r.Emit("User.Created", metrics.Count(metrics.DeliverySucceeded, 1), metrics.Millis(metrics.DeliveryLatency, 1500*time.Microsecond))
	var line struct {
		AWS struct {
			Timestamp         int64
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		} `json:"_aws"`
		Event             string
		DeliverySucceeded float64
		DeliveryLatency   float64
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("not JSON: %s", buf.String())
	}
	m := line.AWS.CloudWatchMetrics
	if len(m) != 1 || m[0].Namespace != "NS" || len(m[0].Dimensions) != 2 || m[0].Dimensions[0][0] != "Event" || len(m[0].Dimensions[1]) != 0 {
		t.Fatalf("metric directive %+v, want namespace NS with [[Event],[]] dimensions", m)
	}
	if line.Event != "User.Created" || line.DeliverySucceeded != 1 || line.DeliveryLatency != 1.5 || line.AWS.Timestamp == 0 {
		t.Errorf("values %+v", line)
	}
	if len(m[0].Metrics) != 2 || m[0].Metrics[1].Unit != "Milliseconds" {
		t.Errorf("metric definitions %+v", m[0].Metrics)
	}
	var nilRec *metrics.Recorder
	nilRec.Emit("x", metrics.Count("y", 1)) // must not panic
}
