package signature_test

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/signature"
)

// benchBody is a 1 KiB delivery body, the size the delivery benchmarks use.
var benchBody = append(append([]byte(`{"event":"User.Created","data":{"pad":"`), bytes.Repeat([]byte("x"), 1024-65)...), []byte(`"},"hookId":"hook1234567"}`)...)

var benchTime = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

const benchKey = "k2VbXcW3mH7pQ9sT1uY5zA8dF0gJ4lN6"

// BenchmarkSign measures the signing cost of one 1 KiB delivery: each scheme
// alone, and Sign as the delivery service calls it (both schemes, one key, or
// two keys during a rotation). Compare it with the cost of a POST (see
// docs/benchmarks.md).
func BenchmarkSign(b *testing.B) {
	b.Run("logto", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(benchBody)))
		for b.Loop() {
			_ = signature.Logto(benchKey, benchBody)
		}
	})
	b.Run("standard", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(benchBody)))
		keys := []string{benchKey}
		for b.Loop() {
			_ = signature.Standard(keys, "msg_0123456789abcdefghjkmnpqrs", benchTime, benchBody)
		}
	})
	for _, bb := range []struct {
		name string
		keys []string
	}{
		{"headers", []string{benchKey}},
		{"headers-rotation", []string{benchKey, "previous-key-previous-key-000000"}},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(benchBody)))
			for b.Loop() {
				h := make(http.Header, 4)
				signature.Sign(h, bb.keys, "msg_0123456789abcdefghjkmnpqrs", benchTime, benchBody)
			}
		})
	}
}
