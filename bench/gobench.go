package main

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
)

// goBenchPackages hold the testing.B benchmarks the report includes.
var goBenchPackages = []string{"./shared/mapping", "./shared/signature", "./shared/delivery"}

// goBench is one parsed benchmark result line.
type goBench struct {
	name        string
	nsPerOp     float64
	bytesPerOp  float64
	allocsPerOp float64
	line        string
}

// benchGo runs the micro-benchmarks and reports the figures the cost model and
// the signing comparison use. The raw output, benchstat's input format, goes
// into the report as is.
func benchGo(ctx context.Context, o options, r *results) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	args := append([]string{"test", "-run", "^$", "-bench", ".", "-benchmem", "-benchtime", o.BenchTime, "-count", "1"}, goBenchPackages...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	r.goBenchRaw = string(out)
	benches := parseGoBench(string(out))
	get := func(name string) (goBench, error) {
		for _, b := range benches {
			if b.name == name {
				return b, nil
			}
		}
		return goBench{}, fmt.Errorf("benchmark %s missing from the output:\n%s", name, out)
	}
	for _, k := range []struct{ bench, key, what string }{
		{"BenchmarkMap/management", "go/map-management", "one Management API record to its event"},
		{"BenchmarkMap/interaction", "go/map-interaction", "one Register interaction to its two events"},
		{"BenchmarkJobBody/size=1024", "go/job-body-1KiB", "delivery body of a 1 KiB payload"},
		{"BenchmarkDeliver/log=memory", "go/deliver-cpu", "one delivery outside HTTP: hook, body, signing, log entry"},
		{"BenchmarkSign/headers", "go/sign-headers", "both signature schemes on a 1 KiB body"},
	} {
		b, err := get(k.bench)
		if err != nil {
			return err
		}
		r.add(figure{Key: k.key, Value: b.nsPerOp / 1000, Unit: "µs/op", Note: fmt.Sprintf("%s; %.0f B/op, %.0f allocs/op", k.what, b.bytesPerOp, b.allocsPerOp)})
	}
	sign, _ := get("BenchmarkSign/headers")
	// A POST's share of the machine: at the plain client's rate every core is
	// busy (client and receiver), so one POST costs nproc/rate of CPU.
	postNs, src := 0.0, ""
	if f, ok := r.get("delivery/plain-client"); ok {
		postNs, src = float64(runtime.NumCPU())*1e9/f.Value, "delivery/plain-client"
	} else if p, err := get("BenchmarkPost/client=plain"); err == nil {
		postNs, src = float64(runtime.NumCPU())*p.nsPerOp, "BenchmarkPost/client=plain"
	}
	if postNs > 0 {
		r.add(figure{Key: "go/sign-vs-post", Value: 100 * sign.nsPerOp / postNs, Unit: "%",
			Note: fmt.Sprintf("signing (both schemes) as a share of the CPU a plain loopback POST costs (%.1f µs = nproc/rate of %s)", postNs/1000, src)})
	}
	return nil
}

// parseGoBench reads `go test -bench -benchmem` output.
func parseGoBench(out string) []goBench {
	var res []goBench
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		b := goBench{name: f[0], line: sc.Text()}
		if i := strings.LastIndexByte(b.name, '-'); i > 0 {
			if _, err := strconv.Atoi(b.name[i+1:]); err == nil {
				b.name = b.name[:i]
			}
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "ns/op":
				b.nsPerOp = v
			case "B/op":
				b.bytesPerOp = v
			case "allocs/op":
				b.allocsPerOp = v
			}
		}
		res = append(res, b)
	}
	return res
}
