// Package lambdatest runs Lambda bootstraps the way Lambda runs them, under the
// AWS Lambda Runtime Interface Emulator (RIE), so integration tests exercise the
// real binaries with real event JSON: the same lambda.norpc build, the same
// Runtime API, the same environment-variable configuration.
//
// Everything listens on 127.0.0.1 only: RIE's default address is 0.0.0.0:8080,
// so Start always passes both --runtime-interface-emulator-address and
// --runtime-api-address.
package lambdatest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/webhooktest"
)

// The variables scripts/tools.sh and scripts/test.sh set.
const (
	// RIEEnv names the aws-lambda-rie binary.
	RIEEnv = "WEBHOOKS_TEST_RIE"
	// RequireEnv set to "1" turns a missing emulator into a test failure, so CI
	// cannot pass by skipping.
	RequireEnv = "WEBHOOKS_REQUIRE_EMULATORS"
)

// InvokePath is RIE's invocation endpoint, the Lambda Invoke API path.
const InvokePath = "/2015-03-31/functions/function/invocations"

// RIE returns the path of aws-lambda-rie from WEBHOOKS_TEST_RIE. Without it the
// test is skipped, or fails when WEBHOOKS_REQUIRE_EMULATORS=1.
func RIE(t testing.TB) string {
	t.Helper()
	path := os.Getenv(RIEEnv)
	if path == "" {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("%s is not set but %s=1: install it (source scripts/tools.sh)", RIEEnv, RequireEnv)
		}
		t.Skipf("integration test: set %s (source scripts/tools.sh) to run it", RIEEnv)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s=%q: %v", RIEEnv, path, err)
	}
	return path
}

// Build compiles the main package pkg (an import path, or a directory relative
// to the test's working directory) into a "bootstrap" binary for the host, as
// the provided.al2023 runtime runs it: tag lambda.norpc, no cgo. The binary
// lands in a fresh temporary directory removed when the test ends.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bootstrap")
	if err := GoBuild(context.Background(), "", out, pkg, []string{"-tags", "lambda.norpc", "-trimpath"}, "CGO_ENABLED=0"); err != nil {
		t.Fatal(err)
	}
	return out
}

// GoBuild runs `go build -o out flags... pkg` in dir (the working directory
// when empty) with env added to the process's environment. It is Build's step
// without a testing.TB, for programs such as bench that build binaries too; its
// error carries the compiler's output.
func GoBuild(ctx context.Context, dir, out, pkg string, flags []string, env ...string) error {
	args := append([]string{"build", "-o", out}, flags...)
	cmd := exec.CommandContext(ctx, "go", append(args, pkg)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, msg)
	}
	return nil
}

// Function is one bootstrap running under RIE.
type Function struct {
	// Name labels the function in logs and errors.
	Name string
	// URL is the invocation endpoint (http://127.0.0.1:PORT/2015-03-31/...).
	URL string
	// Started is when RIE was launched, the origin of cold-start timings.
	Started time.Time

	cmd    *exec.Cmd
	logs   *webhooktest.SyncBuffer
	exited chan struct{}
	client *http.Client
	once   sync.Once
}

// Start launches RIE on 127.0.0.1 with bootstrap as the function and env as the
// whole of its environment (RIE passes its own environment to the function),
// and waits until RIE accepts connections. The bootstrap itself starts on the
// first invocation, as on Lambda. HOME is a fresh directory, so no shared AWS
// configuration of the machine leaks in. The function is stopped when the test
// ends; its logs are printed then if the test failed.
func Start(t testing.TB, name, bootstrap string, env map[string]string) *Function {
	t.Helper()
	rie := RIE(t)
	ports, err := freePorts(2)
	if err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	invokeAddr := fmt.Sprintf("127.0.0.1:%d", ports[0])
	apiAddr := fmt.Sprintf("127.0.0.1:%d", ports[1])
	f := &Function{
		Name:   name,
		URL:    "http://" + invokeAddr + InvokePath,
		logs:   &webhooktest.SyncBuffer{},
		exited: make(chan struct{}),
		client: &http.Client{Transport: &http.Transport{Proxy: nil}},
	}
	f.cmd = exec.Command(rie,
		"--runtime-interface-emulator-address", invokeAddr,
		"--runtime-api-address", apiAddr,
		bootstrap)
	f.cmd.Dir = filepath.Dir(bootstrap)
	f.cmd.Env = environ(t, env)
	f.cmd.Stdout = f.logs
	f.cmd.Stderr = f.logs
	// A process group of its own, so Stop ends RIE and the bootstrap it spawned.
	f.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	f.Started = time.Now()
	if err := f.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { _ = f.cmd.Wait(); close(f.exited) }()
	t.Cleanup(func() {
		f.Stop()
		if t.Failed() {
			t.Logf("logs of %s:\n%s", f.Name, f.logs.String())
		}
	})
	if err := f.waitListening(invokeAddr, 10*time.Second); err != nil {
		t.Fatalf("start %s: %v\nlogs:\n%s", name, err, f.logs.String())
	}
	return f
}

// environ builds RIE's environment: env plus PATH and a private HOME.
func environ(t testing.TB, env map[string]string) []string {
	out := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

func (f *Function) waitListening(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			return c.Close()
		}
		select {
		case <-f.exited:
			return fmt.Errorf("RIE exited before listening on %s", addr)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("RIE did not listen on %s within %v: %w", addr, timeout, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Result is the answer of one invocation.
type Result struct {
	// Status is RIE's HTTP status: 200 for a result or a function error.
	Status int
	// Payload is the function's response, or its error object.
	Payload []byte
	// FunctionError is true when the handler returned an error (Payload holds
	// {"errorMessage","errorType"}).
	FunctionError bool
}

// Invoke sends payload as a synchronous (RequestResponse) invocation.
func (f *Function) Invoke(ctx context.Context, payload []byte) (Result, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.URL, bytes.NewReader(payload))
	if err != nil {
		return Result{}, fmt.Errorf("invoke %s: %w", f.Name, err)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return Result{}, fmt.Errorf("invoke %s: %w", f.Name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return Result{}, fmt.Errorf("invoke %s: read response: %w", f.Name, err)
	}
	r := Result{Status: resp.StatusCode, Payload: body}
	if resp.StatusCode != http.StatusOK {
		return r, fmt.Errorf("invoke %s: RIE answered %d: %s", f.Name, resp.StatusCode, body)
	}
	// RIE does not set X-Amz-Function-Error; an error object is how a function
	// error looks on the wire.
	r.FunctionError = bytes.HasPrefix(bytes.TrimSpace(body), []byte(`{"errorMessage"`))
	return r, nil
}

// Logs returns every line RIE and the function printed so far (RIE forwards the
// function's stdout and stderr, as Lambda sends them to CloudWatch Logs).
func (f *Function) Logs() []string {
	s := strings.TrimRight(f.logs.String(), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// initReport matches RIE's "INIT REPORT(durationMs: 13.5)" line. (Its REPORT
// line's "Init Duration" is not the init phase in this RIE version: it measures
// only the asynchronous start of init, about 0.02 ms.)
var initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// InitDuration returns the duration of the function's init phase (process start
// to its first call for the next event) as RIE reported it, or false if RIE has
// not reported one yet.
func (f *Function) InitDuration() (time.Duration, bool) {
	for _, l := range f.Logs() {
		if m := initReport.FindStringSubmatch(l); m != nil {
			ms, err := strconv.ParseFloat(m[1], 64)
			if err == nil {
				return time.Duration(ms * float64(time.Millisecond)), true
			}
		}
	}
	return 0, false
}

// PID returns RIE's process id, which is also the id of the process group it
// shares with the bootstrap.
func (f *Function) PID() int { return f.cmd.Process.Pid }

// Stop ends RIE and the bootstrap (SIGTERM to their process group, SIGKILL after
// two seconds). It is safe to call more than once.
func (f *Function) Stop() {
	f.once.Do(func() {
		pgid := f.cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-f.exited:
		case <-time.After(2 * time.Second):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-f.exited
		}
		// Children that outlived RIE are in the same group.
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		f.client.CloseIdleConnections()
	})
}

// freePorts returns n distinct free TCP ports on 127.0.0.1. The listeners are
// held until all are chosen so the ports differ; another process could still
// take one before RIE binds it, which Start reports as RIE exiting.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
