package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/signature"
)

// devProc is a `webhooks dev` subprocess.
type devProc struct {
	cmd    *exec.Cmd
	url    string
	lines  chan string // stdout, line by line
	stderr *lockedBuffer
	exited chan error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var listeningRE = regexp.MustCompile(`^webhooks dev listening on (http://\S+)`)

// startDev starts bin dev with args and waits for its banner.
func startDev(t *testing.T, bin string, args ...string) *devProc {
	t.Helper()
	p := &devProc{cmd: exec.Command(bin, append([]string{"dev", "--addr", "127.0.0.1:0"}, args...)...),
		lines: make(chan string, 1000), stderr: &lockedBuffer{}, exited: make(chan error, 1)}
	p.cmd.Stderr = p.stderr
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
		p.exited <- p.cmd.Wait()
	}()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
		}
	})
	deadline := time.After(15 * time.Second)
	for p.url == "" {
		select {
		case line, ok := <-p.lines:
			if !ok {
				t.Fatalf("webhooks dev exited before listening; stderr:\n%s", p.stderr)
			}
			if m := listeningRE.FindStringSubmatch(line); m != nil {
				p.url = m[1]
			}
		case <-deadline:
			t.Fatalf("webhooks dev printed no banner within 15s; stderr:\n%s", p.stderr)
		}
	}
	return p
}

// stop sends sig and returns the exit error (nil for status 0).
func (p *devProc) stop(t *testing.T, sig syscall.Signal) error {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	go func() {
		for range p.lines { // drain so the process never blocks on stdout
		}
	}()
	select {
	case err := <-p.exited:
		return err
	case <-time.After(20 * time.Second):
		t.Fatalf("webhooks dev did not exit within 20s of %v; stderr:\n%s", sig, p.stderr)
		return nil
	}
}

func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "webhooks")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func postRecord(t *testing.T, base, body string) int {
	t.Helper()
	resp, err := http.Post(base+"/events", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var answer struct{ Deliveries int }
	if resp.StatusCode != http.StatusAccepted || json.NewDecoder(resp.Body).Decode(&answer) != nil {
		t.Fatalf("POST /events = %d; want 202", resp.StatusCode)
	}
	return answer.Deliveries
}

func userRecord(id string) string {
	return fmt.Sprintf(`{"records":[{"type":"managementApi","id":%q,"method":"POST","path":"/users","status":200,"responseBody":{"id":%q}}]}`, id, id)
}

// TestDevProcess runs the built binary: the README's quick start (measuring the
// time from process start to the first verified delivery), and the kill -9
// guarantee.
func TestDevProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildCLI(t)

	t.Run("demo quick start", func(t *testing.T) {
		start := time.Now()
		p := startDev(t, bin, "--demo", "--db", filepath.Join(t.TempDir(), "dev.db"))
		listening := time.Since(start)
		postRecord(t, p.url, exampleRecord)
		deadline := time.After(10 * time.Second)
	wait:
		for {
			select {
			case line := <-p.lines:
				if strings.HasPrefix(line, "demo receiver: User.Created") {
					if !strings.Contains(line, "signatures ok") {
						t.Fatalf("demo receiver: %s", line)
					}
					break wait
				}
			case <-deadline:
				t.Fatalf("no verified delivery within 10s; stderr:\n%s", p.stderr)
			}
		}
		t.Logf("process start to listening: %s; to first verified delivery: %s",
			listening.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
		if err := p.stop(t, syscall.SIGINT); err != nil {
			t.Errorf("exit after SIGINT: %v; want status 0; stderr:\n%s", err, p.stderr)
		}
	})

	t.Run("kill -9 loses nothing", func(t *testing.T) {
		const (
			down = iota // 503
			slow        // answers after 3 s
			up          // 204
		)
		var mode, inflight atomic.Int32
		var mu sync.Mutex
		delivered := map[string]int{} // webhook-id -> 2xx answers that reached a live sender
		rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// Reading the body lets the server notice a dead sender: it
			// cancels r.Context() only once the body has been consumed.
			_, _ = io.Copy(io.Discard, r.Body)
			switch mode.Load() {
			case down:
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			case slow:
				inflight.Add(1)
				defer inflight.Add(-1)
				select {
				case <-time.After(3 * time.Second):
				case <-r.Context().Done():
					return // the sender died: not delivered
				}
			}
			mu.Lock()
			delivered[r.Header.Get(signature.HeaderID)]++
			mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
		}))
		defer rcv.Close()
		unique := func() (n, total int) {
			mu.Lock()
			defer mu.Unlock()
			for _, c := range delivered {
				total += c
			}
			return len(delivered), total
		}

		db := filepath.Join(t.TempDir(), "dev.db")
		if out, err := exec.Command(bin, "hooks", "create", "--db", db, "--url", rcv.URL+"/in",
			"--events", "User.Created", "--allow-private", "127.0.0.1").CombinedOutput(); err != nil {
			t.Fatalf("hooks create: %v\n%s", err, out)
		}
		args := []string{"--db", db, "--allow-private", "127.0.0.1", "--retry-schedule", "0s,1s,1s,1s,1s,1s,1s,1s",
			"--visibility-timeout", "2s", "--workers", "4"}
		p := startDev(t, bin, args...)
		accepted := 0
		for i := range 10 {
			accepted += postRecord(t, p.url, userRecord(fmt.Sprintf("down-%d", i)))
		}
		time.Sleep(300 * time.Millisecond) // first attempts fail against the 503s
		mode.Store(slow)
		for i := range 10 {
			accepted += postRecord(t, p.url, userRecord(fmt.Sprintf("slow-%d", i)))
		}
		for deadline := time.Now().Add(5 * time.Second); inflight.Load() == 0; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("no delivery in flight to kill")
			}
		}
		time.Sleep(200 * time.Millisecond) // let the other workers pick up jobs too
		before, _ := unique()
		held := inflight.Load()
		if err := p.stop(t, syscall.SIGKILL); err == nil {
			t.Fatal("webhooks dev exited cleanly after SIGKILL?")
		}
		mode.Store(up)

		restart := time.Now()
		p = startDev(t, bin, args...)
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if n, _ := unique(); n == accepted {
				break
			}
			if time.Now().After(deadline) {
				n, _ := unique()
				t.Fatalf("after restart %d of %d accepted deliveries arrived; stderr:\n%s", n, accepted, p.stderr)
			}
		}
		n, total := unique()
		t.Logf("kill -9 with %d deliveries in flight and %d delivered before: all %d accepted deliveries arrived %s after restart (%d 2xx answers, %d duplicates)",
			held, before, n, time.Since(restart).Round(time.Millisecond), total, total-n)
		if err := p.stop(t, syscall.SIGTERM); err != nil {
			t.Errorf("exit after SIGTERM: %v; want status 0; stderr:\n%s", err, p.stderr)
		}
	})
}
