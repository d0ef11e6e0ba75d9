package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/delivery"
	"github.com/logto-webhooks/webhooks/shared/lambdatest"
	"github.com/logto-webhooks/webhooks/shared/webhooktest"
)

// devProc is a `webhooks dev` subprocess.
type devProc struct {
	*webhooktest.Process
	url string
}

var listeningRE = regexp.MustCompile(`^webhooks dev listening on (http://\S+)`)

// startDev starts bin dev with args and waits for its banner.
func startDev(t *testing.T, bin string, args ...string) *devProc {
	t.Helper()
	p := &devProc{Process: webhooktest.StartProcess(t, exec.Command(bin, append([]string{"dev", "--addr", "127.0.0.1:0"}, args...)...))}
	deadline := time.After(15 * time.Second)
	for p.url == "" {
		select {
		case line, ok := <-p.Lines:
			if !ok {
				t.Fatalf("webhooks dev exited before listening; stderr:\n%s", p.Stderr)
			}
			if m := listeningRE.FindStringSubmatch(line); m != nil {
				p.url = m[1]
			}
		case <-deadline:
			t.Fatalf("webhooks dev printed no banner within 15s; stderr:\n%s", p.Stderr)
		}
	}
	return p
}

func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "webhooks")
	if err := lambdatest.GoBuild(t.Context(), "", bin, ".", nil); err != nil {
		t.Fatal(err)
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
			case line := <-p.Lines:
				if strings.HasPrefix(line, "demo receiver: User.Created") {
					if !strings.Contains(line, "signatures ok") {
						t.Fatalf("demo receiver: %s", line)
					}
					break wait
				}
			case <-deadline:
				t.Fatalf("no verified delivery within 10s; stderr:\n%s", p.Stderr)
			}
		}
		t.Logf("process start to listening: %s; to first verified delivery: %s",
			listening.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
		if err := p.Signal(t, syscall.SIGINT); err != nil {
			t.Errorf("exit after SIGINT: %v; want status 0; stderr:\n%s", err, p.Stderr)
		}
	})

	t.Run("kill -9 loses nothing", func(t *testing.T) {
		const (
			down = iota // 503
			slow        // answers after 3 s
			up          // 204
		)
		var mode, inflight atomic.Int32
		rcv := webhooktest.NewReceiver(t, webhooktest.ReceiverOptions{Respond: func(r *http.Request, _ []byte, _ int) int {
			switch mode.Load() {
			case down:
				return http.StatusServiceUnavailable
			case slow:
				inflight.Add(1)
				defer inflight.Add(-1)
				select {
				case <-time.After(3 * time.Second):
				case <-r.Context().Done():
					return 0 // the sender died: not delivered
				}
			}
			return http.StatusNoContent
		}})

		db := filepath.Join(t.TempDir(), "dev.db")
		out, err := exec.Command(bin, "hooks", "create", "--db", db, "--url", rcv.URL+"/in",
			"--events", "User.Created", "--allow-private", "127.0.0.1", "--json").CombinedOutput()
		var created struct{ SigningKey string }
		if err != nil || json.Unmarshal(out, &created) != nil || created.SigningKey == "" {
			t.Fatalf("hooks create --json: %v\n%s", err, out)
		}
		rcv.SetKey(created.SigningKey)
		args := []string{"--db", db, "--allow-private", "127.0.0.1", "--retry-schedule", "0s,1s,1s,1s,1s,1s,1s,1s",
			"--visibility-timeout", "2s", "--workers", "4"}
		p := startDev(t, bin, args...)
		accepted := 0
		// Fewer failures than the circuit breaker's threshold (5 in a row), which
		// would otherwise hold the hook's jobs back for 30 s.
		for i := range delivery.DefaultFailureThreshold - 1 {
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
		before, _ := rcv.Counts()
		held := inflight.Load()
		if err := p.Signal(t, syscall.SIGKILL); err == nil {
			t.Fatal("webhooks dev exited cleanly after SIGKILL?")
		}
		mode.Store(up)

		restart := time.Now()
		p = startDev(t, bin, args...)
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if n, _ := rcv.Counts(); n == accepted {
				break
			}
			if time.Now().After(deadline) {
				n, _ := rcv.Counts()
				t.Fatalf("after restart %d of %d accepted deliveries arrived; stderr:\n%s", n, accepted, p.Stderr)
			}
		}
		n, total := rcv.Counts()
		t.Logf("kill -9 with %d deliveries in flight and %d delivered before: all %d accepted deliveries arrived %s after restart (%d 2xx answers, %d duplicates)",
			held, before, n, time.Since(restart).Round(time.Millisecond), total, total-n)
		if err := p.Signal(t, syscall.SIGTERM); err != nil {
			t.Errorf("exit after SIGTERM: %v; want status 0; stderr:\n%s", err, p.Stderr)
		}
	})
}
