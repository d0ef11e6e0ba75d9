package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/logto-webhooks/webhooks/shared/lambdatest"
	"github.com/logto-webhooks/webhooks/shared/webhooktest"
)

// bootstrap is one Lambda binary measured for size and cold start.
type bootstrap struct {
	name, pkg string
	// invoke is the first event sent: one that makes no AWS call, so the
	// figure is the function's own start-up.
	invoke string
}

var bootstraps = []bootstrap{
	{"empty", "./bench/emptyfn", `{}`},
	{"ingest", "./functions/ingest", `{"records":[]}`},
	{"delivery", "./functions/delivery", `{"Records":[]}`},
}

// buildLambda builds pkg as the Makefile's build-* targets do, for goarch.
func buildLambda(ctx context.Context, root, pkg, goarch, out string) error {
	err := lambdatest.GoBuild(ctx, root, out, pkg, []string{"-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-buildvcs=false"},
		"GOOS=linux", "GOARCH="+goarch, "CGO_ENABLED=0")
	if err != nil {
		return fmt.Errorf("linux/%s: %w", goarch, err)
	}
	return nil
}

// repoRoot finds the module root, where go build must run.
func repoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the module: run from the repository")
	}
	return filepath.Dir(mod), nil
}

// workspace finds the module root, where go build must run, and makes a
// temporary directory for what a benchmark builds; remove deletes it.
func workspace() (root, dir string, remove func(), err error) {
	if root, err = repoRoot(); err != nil {
		return "", "", nil, err
	}
	if dir, err = os.MkdirTemp("", "webhooks-bench-"); err != nil {
		return "", "", nil, err
	}
	return root, dir, func() { _ = os.RemoveAll(dir) }, nil
}

// rieBinary finds the Runtime Interface Emulator scripts/tools.sh installs.
func rieBinary(root string) (string, bool) {
	for _, p := range []string{os.Getenv("WEBHOOKS_TEST_RIE"), filepath.Join(root, ".cache/bin/aws-lambda-rie")} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p, true
			}
		}
	}
	p, err := exec.LookPath("aws-lambda-rie")
	return p, err == nil
}

// benchColdStart reports each bootstrap's linux/arm64 size, and its cold start
// under the RIE (native architecture, which is what runs here) as a ratio to
// the empty function.
func benchColdStart(ctx context.Context, o options, r *results) error {
	root, dir, remove, err := workspace()
	if err != nil {
		return err
	}
	defer remove()

	sizes := map[string]float64{}
	for _, b := range bootstraps {
		out := filepath.Join(dir, b.name+"-arm64")
		if err := buildLambda(ctx, root, b.pkg, "arm64", out); err != nil {
			return err
		}
		st, err := os.Stat(out)
		if err != nil {
			return err
		}
		sizes[b.name] = float64(st.Size()) / (1 << 20)
	}
	for _, b := range bootstraps[1:] {
		r.add(figure{Key: "size/" + b.name + "-arm64", Value: sizes[b.name], Unit: "MiB", Base: sizes["empty"],
			Note: "GOOS=linux GOARCH=arm64 -tags lambda.norpc -trimpath -ldflags='-s -w'; baseline: empty aws-lambda-go function"})
	}

	rie, ok := rieBinary(root)
	if !ok {
		r.skip("coldstart", "aws-lambda-rie not found (scripts/tools.sh installs it)")
		return nil
	}
	paths := map[string]string{}
	for _, b := range bootstraps {
		paths[b.name] = filepath.Join(dir, b.name)
		if err := buildLambda(ctx, root, b.pkg, runtime.GOARCH, paths[b.name]); err != nil {
			return err
		}
	}
	colds := map[string][]coldStart{}
	for range o.ColdStarts {
		// Interleaved, so background load hits every binary alike.
		for _, b := range bootstraps {
			c, err := measureColdStart(ctx, rie, paths[b.name], b.invoke)
			if err != nil {
				return fmt.Errorf("%s: %w", b.name, err)
			}
			colds[b.name] = append(colds[b.name], c)
		}
	}
	base := medianCold(colds["empty"])
	r.add(figure{Key: "coldstart/empty", Value: base.total(), Unit: "ms",
		Note: fmt.Sprintf("init %.1f ms + first invoke %.1f ms; %.1f ms as the client sees it; median of %d", base.init, base.invoke, base.wall, o.ColdStarts)})
	for _, b := range bootstraps[1:] {
		c := medianCold(colds[b.name])
		r.add(figure{Key: "coldstart/" + b.name, Value: c.total(), Unit: "ms", Base: base.total(), Target: atMost(1.25),
			Note: fmt.Sprintf("init %.1f ms + first invoke %.1f ms; %.1f ms as the client sees it; median of %d", c.init, c.invoke, c.wall, o.ColdStarts)})
	}
	return nil
}

// coldStart is one cold start as the RIE reports it (INIT REPORT and the
// first INVOKE RTDONE) and as the invoking client saw it.
type coldStart struct{ init, invoke, wall float64 }

func (c coldStart) total() float64 { return c.init + c.invoke }

func medianCold(cs []coldStart) coldStart {
	s := slices.Clone(cs)
	slices.SortFunc(s, func(a, b coldStart) int { return int(1000 * (a.total() - b.total())) })
	return s[len(s)/2]
}

var (
	initReport  = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)
	invokeDone  = regexp.MustCompile(`INVOKE RTDONE\(status: success, [^)]*duration: ([0-9.]+)ms\)`)
	rieAttempts = 50
)

// measureColdStart starts the RIE on loopback ports with bin as the function,
// invokes it once (the RIE starts the runtime on the first invoke) and stops it.
func measureColdStart(ctx context.Context, rie, bin, event string) (coldStart, error) {
	apiPort, err := freePort()
	if err != nil {
		return coldStart{}, err
	}
	runtimePort, err := freePort()
	if err != nil {
		return coldStart{}, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(apiPort)
	cmd := exec.CommandContext(ctx, rie, "--log-level", "info",
		"--runtime-interface-emulator-address", addr,
		"--runtime-api-address", "127.0.0.1:"+strconv.Itoa(runtimePort), bin)
	cmd.Dir = filepath.Dir(bin)
	// The functions read their tables and queue from the environment; the
	// endpoint is a closed loopback port, so nothing could reach AWS.
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing",
		"AWS_ENDPOINT_URL=http://127.0.0.1:9", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
		"HOOKS_TABLE=hooks", "DELIVERIES_TABLE=deliveries", "QUEUE_URL=http://127.0.0.1:9/000000000000/deliveries",
		"DLQ_URL=http://127.0.0.1:9/000000000000/deliveries-dlq",
		"LOG_LEVEL=error",
	}
	var out webhooktest.SyncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return coldStart{}, fmt.Errorf("start RIE: %w", err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err == nil {
			_ = c.Close()
			break
		}
		if i >= rieAttempts {
			return coldStart{}, fmt.Errorf("RIE did not listen on %s: %s", addr, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	start := time.Now()
	resp, err := http.Post("http://"+addr+"/2015-03-31/functions/function/invocations", "application/json", strings.NewReader(event))
	if err != nil {
		return coldStart{}, fmt.Errorf("invoke: %w", err)
	}
	_ = resp.Body.Close()
	wall := time.Since(start)
	var c coldStart
	c.wall = float64(wall.Microseconds()) / 1000
	deadline := time.Now().Add(2 * time.Second)
	for {
		log := out.String()
		mi, mv := initReport.FindStringSubmatch(log), invokeDone.FindStringSubmatch(log)
		if mi != nil && mv != nil {
			c.init, _ = strconv.ParseFloat(mi[1], 64)
			c.invoke, _ = strconv.ParseFloat(mv[1], 64)
			return c, nil
		}
		if time.Now().After(deadline) {
			return coldStart{}, fmt.Errorf("no INIT REPORT and successful INVOKE RTDONE in the RIE log:\n%s", log)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
