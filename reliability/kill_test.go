package reliability_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/delivery"
	"github.com/logto-webhooks/webhooks/shared/devserver"
	"github.com/logto-webhooks/webhooks/shared/embedded"
	"github.com/logto-webhooks/webhooks/shared/webhook"
	"github.com/logto-webhooks/webhooks/shared/webhooktest"
)

// childEnv makes the test binary run a dev server instead of the tests, so
// TestKillMidBatch can SIGKILL a real process without building the CLI.
const childEnv = "WEBHOOKS_RELIABILITY_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(runChild())
	}
	os.Exit(m.Run())
}

// runChild runs `webhooks dev` as devserver.Open and Run do for the CLI, with
// the database, schedule, visibility and workers from the environment, and
// prints "listening URL" once it serves.
func runChild() int {
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	schedule, err := delivery.ParseSchedule(os.Getenv("CHILD_SCHEDULE"))
	if err != nil {
		return fail(err)
	}
	visibility, err := time.ParseDuration(os.Getenv("CHILD_VISIBILITY"))
	if err != nil {
		return fail(err)
	}
	workers, err := strconv.Atoi(os.Getenv("CHILD_WORKERS"))
	if err != nil {
		return fail(err)
	}
	srv, err := devserver.Open(devserver.Config{
		Addr: "127.0.0.1:0", DBPath: os.Getenv("CHILD_DB"), Schedule: schedule, Visibility: visibility,
		Workers: workers, AllowPrivate: loopback, PollInterval: 10 * time.Millisecond,
	})
	if err != nil {
		return fail(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	fmt.Println("listening", srv.URL)
	if err := srv.Run(ctx); err != nil {
		return fail(err)
	}
	return 0
}

// child is a dev server process started by startChild.
type child struct {
	*webhooktest.Process
	url string
}

// startChild re-executes the test binary as a dev server on db and waits for
// it to listen. The process is killed at cleanup if still running.
func startChild(t *testing.T, db, schedule string, visibility time.Duration, workers int) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1", "CHILD_DB="+db, "CHILD_SCHEDULE="+schedule,
		"CHILD_VISIBILITY="+visibility.String(), "CHILD_WORKERS="+strconv.Itoa(workers))
	c := &child{Process: webhooktest.StartProcess(t, cmd)}
	select {
	case line, ok := <-c.Lines:
		if !ok {
			t.Fatalf("child exited before listening (%v); stderr:\n%s", c.Err(), c.Stderr)
		}
		u, ok := strings.CutPrefix(line, "listening ")
		if !ok {
			t.Fatalf("child printed %q; want its URL; stderr:\n%s", line, c.Stderr)
		}
		c.url = u
	case <-time.After(15 * time.Second):
		t.Fatalf("child not listening within 15s; stderr:\n%s", c.Stderr)
	}
	return c
}

// TestKillMidBatch is cmd/webhooks' kill -9 test with many deliveries in
// flight: 50 jobs against a receiver that takes 300 ms per request, the dev
// server SIGKILLed while a batch of them is in flight and some are done, then
// restarted on the same database. Every accepted job is delivered (by unique
// webhook-id), each has a Success in the delivery log, and the queue ends empty;
// duplicates are logged.
func TestKillMidBatch(t *testing.T) {
	const (
		jobs       = 50
		workers    = 10
		slow       = 300 * time.Millisecond
		visibility = 2 * time.Second
		schedule   = "0s,1s,1s,1s,1s"
	)
	var inflight atomic.Int32
	rcv := webhooktest.NewReceiver(t, webhooktest.ReceiverOptions{Respond: func(r *http.Request, _ []byte, _ int) int {
		inflight.Add(1)
		defer inflight.Add(-1)
		select {
		case <-time.After(slow):
			return http.StatusNoContent
		case <-r.Context().Done():
			return 0 // the sender died: not delivered
		}
	}})

	db := filepath.Join(t.TempDir(), "dev.db")
	c := startChild(t, db, schedule, visibility, workers)
	hook := createHook(t, c.url, hookConfig{URL: rcv.URL + "/slow", TimeoutMs: 1000})
	rcv.SetKey(hook.SigningKey)
	want := ingestUsers(t, c.url, hook.ID, ids("kill", jobs))
	waitFor(t, 10*time.Second, func() bool {
		u, _ := rcv.Counts()
		return u >= workers && inflight.Load() >= workers/2
	}, func() string {
		u, _ := rcv.Counts()
		return fmt.Sprintf("%d delivered, %d in flight; want a batch done and one in flight to kill", u, inflight.Load())
	})
	held := inflight.Load()
	if err := c.Signal(t, syscall.SIGKILL); err == nil {
		t.Fatal("child exited cleanly after SIGKILL?")
	}
	before, _ := rcv.Counts()
	if before == jobs {
		t.Fatal("every job was delivered before the kill; nothing was tested")
	}

	restart := time.Now()
	c = startChild(t, db, schedule, visibility, workers)
	waitFor(t, 20*time.Second, func() bool { return rcv.Has(want) }, func() string {
		u, _ := rcv.Counts()
		return fmt.Sprintf("after restart %d of %d jobs delivered, missing e.g. %v; stderr:\n%s", u, jobs, rcv.Missing(want), c.Stderr)
	})
	took := time.Since(restart)
	if err := c.Signal(t, syscall.SIGTERM); err != nil {
		t.Errorf("exit after SIGTERM: %v; want status 0; stderr:\n%s", err, c.Stderr)
	}
	if rows := queueRows(t, db); rows != 0 {
		t.Errorf("%d jobs left in the queue tables; want none", rows)
	}
	logged := successes(t, db, hook.ID)
	for _, id := range want {
		if !logged[id] {
			t.Errorf("delivery %s has no Success in the delivery log", id)
		}
	}
	unique, total := rcv.Counts()
	t.Logf("SIGKILL with %d deliveries in flight and %d of %d delivered: all %d delivered %s after restart, %d duplicates",
		held, before, jobs, unique, took.Round(time.Millisecond), total-unique)
}

// successes opens the (stopped) server's database and returns the webhook-ids
// with a Success in hookID's delivery log.
func successes(t *testing.T, db, hookID string) map[string]bool {
	t.Helper()
	d, err := embedded.Open(db, embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	entries, err := d.Query(context.Background(), webhook.LogQuery{HookID: hookID, Since: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	ok := map[string]bool{}
	for _, e := range entries {
		if e.Result == webhook.ResultSuccess {
			ok[e.DeliveryID] = true
		}
	}
	return ok
}
