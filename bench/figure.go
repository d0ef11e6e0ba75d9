package main

import (
	"fmt"
	"io"
	"math"
	"runtime"
	"strings"
)

// figure is one measured number, optionally compared with a baseline measured in
// the same run and checked against a target.
type figure struct {
	// Key is a stable, benchstat-style name such as "delivery/handler".
	Key   string
	Value float64
	Unit  string
	// Base is the baseline's value in the same unit (0: no baseline); the
	// ratio is Value/Base.
	Base     float64
	BaseDesc string
	// Target, if set, is checked against the ratio when there is a baseline,
	// else against the value.
	Target *target
	Note   string
}

// target is a bound a figure must meet.
type target struct {
	AtMost bool
	Limit  float64
	// OnValue checks the value even when the figure has a baseline.
	OnValue bool
}

func atLeast(v float64) *target { return &target{Limit: v} }
func atMost(v float64) *target  { return &target{AtMost: true, Limit: v} }

func (t *target) String() string {
	s := ">= "
	if t.AtMost {
		s = "<= "
	}
	if t.OnValue {
		s = "value " + s
	}
	return s + num(t.Limit)
}

// Ratio is Value/Base, or NaN without a baseline.
func (f figure) Ratio() float64 {
	if f.Base == 0 {
		return math.NaN()
	}
	return f.Value / f.Base
}

// checked returns the number the target applies to.
func (f figure) checked() float64 {
	if f.Base != 0 && !f.Target.OnValue {
		return f.Ratio()
	}
	return f.Value
}

// Verdict says whether the target is met and, if not, by how much it is missed.
func (f figure) Verdict() string {
	if f.Target == nil {
		return ""
	}
	v := f.checked()
	met := v >= f.Target.Limit
	if f.Target.AtMost {
		met = v <= f.Target.Limit
	}
	if met {
		return "met"
	}
	return fmt.Sprintf("MISSED by %.0f%%", 100*math.Abs(v-f.Target.Limit)/f.Target.Limit)
}

// line renders the figure as one console line.
func (f figure) line() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-34s %12s %-9s", f.Key, num(f.Value), f.Unit)
	if f.Base != 0 {
		fmt.Fprintf(&b, " baseline %s %s  ratio %s", num(f.Base), f.Unit, num(f.Ratio()))
	}
	if f.Target != nil {
		fmt.Fprintf(&b, "  target %s: %s", f.Target, f.Verdict())
	}
	if f.Note != "" {
		fmt.Fprintf(&b, "  (%s)", f.Note)
	}
	return b.String()
}

// num formats v with about three significant digits.
func num(v float64) string {
	switch a := math.Abs(v); {
	case math.IsNaN(v):
		return "-"
	case a == 0:
		return "0"
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	case a >= 0.01:
		return fmt.Sprintf("%.3f", v)
	}
	return fmt.Sprintf("%.2g", v)
}

// results collects the figures of a run and prints each as it comes.
type results struct {
	out     io.Writer
	figures []figure
	skipped []string
	// goBenchRaw is the micro-benchmarks' output, benchstat's input format.
	goBenchRaw string
}

func (r *results) add(f figure) {
	r.figures = append(r.figures, f)
	fmt.Fprintln(r.out, f.line())
}

func (r *results) skip(section, why string) {
	r.skipped = append(r.skipped, section+": "+why)
	fmt.Fprintf(r.out, "%-34s skipped: %s\n", section, why)
}

// get returns the figure named key.
func (r *results) get(key string) (figure, bool) {
	for _, f := range r.figures {
		if f.Key == key {
			return f, true
		}
	}
	return figure{}, false
}

// cpus is the machine's core count, which turns a rate into CPU per operation.
func (r *results) cpus() int { return runtime.NumCPU() }
