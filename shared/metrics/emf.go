// Package metrics writes CloudWatch Embedded Metric Format (EMF) lines. On Lambda,
// stdout goes to CloudWatch Logs, which turns EMF lines into metrics with no agent
// and no PutMetricData calls (which would cost an API call per flush).
package metrics

import (
	"encoding/json"
	"io"
	"sync"
	"time"
)

// Names of the metrics this service emits. The dashboard and alarms in
// template.yaml refer to them.
const (
	DeliverySucceeded    = "DeliverySucceeded"
	DeliveryFailed       = "DeliveryFailed"
	DeliveryRetried      = "DeliveryRetried"
	DeliveryDeadLettered = "DeliveryDeadLettered"
	DeliveryDropped      = "DeliveryDropped"
	DeliveryLatency      = "DeliveryLatency"
	HookDisabled         = "HookDisabled"
	// DeliveryDeferred counts jobs put back without an attempt (their hook was
	// at its in-flight limit or its circuit was open).
	DeliveryDeferred = "DeliveryDeferred"
	// DeliveryHandedOff counts main-lane jobs sent to the slow lane: cut after
	// running too long beside the rest of their batch, or of a hook this
	// instance already found slow.
	DeliveryHandedOff = "DeliveryHandedOff"
	// CircuitOpened and CircuitClosed count breaker transitions (Event
	// dimension); CircuitOpen is 1 when a hook's circuit opens and 0 when it
	// closes, with a HookId dimension (see EmitHook).
	CircuitOpened    = "CircuitOpened"
	CircuitClosed    = "CircuitClosed"
	CircuitOpen      = "CircuitOpen"
	IngestAccepted   = "IngestAccepted"
	IngestRejected   = "IngestRejected"
	IngestDeliveries = "IngestDeliveries"
)

// DefaultNamespace is the CloudWatch namespace when none is configured.
const DefaultNamespace = "LogtoWebhooks"

// Recorder emits one EMF line per call. Metrics carry an Event dimension (bounded:
// 31 values) and a dimensionless rollup. Only EmitHook carries a hook id, and only
// the circuit breaker calls it, on transitions: a custom metric per hook that
// ever tripped, not per hook.
type Recorder struct {
	mu        sync.Mutex
	w         io.Writer
	namespace string
	now       func() time.Time
}

// New returns a Recorder writing to w (os.Stdout on Lambda). A nil Recorder
// discards everything, so tests and tools need not configure one.
func New(w io.Writer, namespace string) *Recorder {
	if namespace == "" {
		namespace = DefaultNamespace
	}
	return &Recorder{w: w, namespace: namespace, now: time.Now}
}

// Value is one metric value with its unit ("Count", "Milliseconds").
type Value struct {
	Name  string
	Unit  string
	Value float64
}

// Count is a shorthand for a Count value.
func Count(name string, n float64) Value { return Value{Name: name, Unit: "Count", Value: n} }

// Millis is a shorthand for a Milliseconds value.
func Millis(name string, d time.Duration) Value {
	return Value{Name: name, Unit: "Milliseconds", Value: float64(d.Microseconds()) / 1000}
}

// Emit writes values with the Event dimension set to event ("" for none).
func (r *Recorder) Emit(event string, values ...Value) {
	r.emit("Event", event, values)
}

// EmitHook writes values with a HookId dimension, for per-hook state an
// operator alarms on (the circuit breaker).
func (r *Recorder) EmitHook(hookID string, values ...Value) {
	r.emit("HookId", hookID, values)
}

func (r *Recorder) emit(dim, value string, values []Value) {
	if r == nil || len(values) == 0 {
		return
	}
	vals := make([]any, len(values))
	for i, v := range values {
		vals[i] = v.Value
	}
	r.line(dim, value, values, vals)
}

// line writes one EMF line: defs name the metrics (their Value is ignored),
// vals holds each one's value (a number, or a list of numbers).
func (r *Recorder) line(dim, value string, defs []Value, vals []any) {
	metricDefs := make([]map[string]string, len(defs))
	line := map[string]any{}
	for i, v := range defs {
		metricDefs[i] = map[string]string{"Name": v.Name, "Unit": v.Unit}
		line[v.Name] = vals[i]
	}
	dims := [][]string{{}}
	if value != "" {
		dims = [][]string{{dim}, {}}
		line[dim] = value
	}
	line["_aws"] = map[string]any{
		"Timestamp": r.now().UnixMilli(),
		"CloudWatchMetrics": []map[string]any{{
			"Namespace":  r.namespace,
			"Dimensions": dims,
			"Metrics":    metricDefs,
		}},
	}
	b, err := json.Marshal(line)
	if err != nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	_, _ = r.w.Write(append(b, '\n'))
}
