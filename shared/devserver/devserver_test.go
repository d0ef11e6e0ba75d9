package devserver_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/delivery"
	"github.com/logto-webhooks/webhooks/shared/devserver"
	"github.com/logto-webhooks/webhooks/shared/devserver/devservertest"
	"github.com/logto-webhooks/webhooks/shared/embedded"
	"github.com/logto-webhooks/webhooks/shared/signature"
	"github.com/logto-webhooks/webhooks/shared/webhook"
	"github.com/logto-webhooks/webhooks/shared/webhooktest"
)

// userCreated is the README's example record.
const userCreated = `{"records":[{"type":"managementApi","id":"req-1","method":"POST","path":"/api/users","status":200,` +
	`"responseBody":{"id":"u1","username":"alice","primaryEmail":"alice@example.com"}}]}`

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

// run opens and runs a server in the background; see devservertest.Start.
func run(t *testing.T, cfg devserver.Config) (*devserver.Server, func() error) {
	t.Helper()
	return devservertest.Start(t, cfg)
}

func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestDemoDelivery is the README's quick start: start with --demo, post the
// example record, and the demo receiver gets a delivery whose both signatures
// verify. It logs the time from Open to that delivery.
func TestDemoDelivery(t *testing.T) {
	start := time.Now()
	got := make(chan devserver.DemoDelivery, 10)
	var out webhooktest.SyncBuffer
	srv, _ := run(t, devserver.Config{Demo: true, DemoOut: &out, DemoNotify: func(d devserver.DemoDelivery) { got <- d }})
	if status, body := post(t, srv.URL+"/events", userCreated); status != http.StatusAccepted || !strings.Contains(body, `"deliveries":1`) {
		t.Fatalf("POST /events = %d %s; want 202 with one delivery", status, body)
	}
	select {
	case d := <-got:
		t.Logf("start to first verified delivery: %s", time.Since(start).Round(time.Millisecond))
		if d.Err != nil {
			t.Errorf("demo receiver: %v", d.Err)
		}
		if d.Event != "User.Created" || d.HookID != srv.Demo.Hook.ID || !strings.HasPrefix(d.WebhookID, "msg_") {
			t.Errorf("got event %q hook %q webhook-id %q; want User.Created, %s, msg_…", d.Event, d.HookID, d.WebhookID, srv.Demo.Hook.ID)
		}
		if !strings.HasSuffix(string(d.Body), `,"hookId":"`+srv.Demo.Hook.ID+`"}`) {
			t.Errorf("body %s does not end with the hookId", d.Body)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no delivery within 5s")
	}
	if s := out.String(); !strings.Contains(s, "User.Created") || !strings.Contains(s, "signatures ok") {
		t.Errorf("demo output %q lacks the event and the verification result", s)
	}
}

// TestDemoHookReused restarts on the same database: the demo hook keeps its id
// and key and follows the receiver's new port.
func TestDemoHookReused(t *testing.T) {
	db := filepath.Join(t.TempDir(), "dev.db")
	srv, stop := run(t, devserver.Config{DBPath: db, Demo: true})
	first := srv.Demo.Hook
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	srv, _ = run(t, devserver.Config{DBPath: db, Demo: true})
	second := srv.Demo.Hook
	if second.ID != first.ID || second.SigningKey != first.SigningKey {
		t.Errorf("restart made a new demo hook %s; want %s reused with its key", second.ID, first.ID)
	}
	if second.URL != srv.Demo.URL || len(second.Events) != len(webhook.Catalog()) || !second.Enabled {
		t.Errorf("demo hook = %+v; want enabled, all events, URL %s", second, srv.Demo.URL)
	}
	hooks, err := srv.DB.ListHooks(context.Background())
	if err != nil || len(hooks) != 1 {
		t.Errorf("database holds %d hooks (%v); want 1", len(hooks), err)
	}
}

// newReceiver starts a receiver whose answer, status, can change during a
// test; ok gets the webhook-id of each 2xx answer.
func newReceiver(t *testing.T, status *atomic.Int32) (rcv *webhooktest.Receiver, ok chan string) {
	ok = make(chan string, 100)
	rcv = webhooktest.NewReceiver(t, webhooktest.ReceiverOptions{Respond: func(r *http.Request, _ []byte, _ int) int {
		s := int(status.Load())
		if s < 300 {
			ok <- r.Header.Get(signature.HeaderID)
		}
		return s
	}})
	return rcv, ok
}

// createdHook is what the tests need of a hook created through the API.
type createdHook struct{ ID, SigningKey string }

// createHook creates a hook through the management API.
func createHook(t *testing.T, base, url string) createdHook {
	t.Helper()
	status, body := post(t, base+"/hooks", `{"name":"t","events":["User.Created"],"config":{"url":"`+url+`"}}`)
	if status != http.StatusCreated {
		t.Fatalf("POST /hooks = %d %s", status, body)
	}
	var h createdHook
	if err := json.Unmarshal([]byte(body), &h); err != nil {
		t.Fatal(err)
	}
	return h
}

// TestRetryDeadLetterRedrive: a failing receiver gets every attempt of a short
// schedule, the job lands in the DLQ, and after a redrive it is delivered.
func TestRetryDeadLetterRedrive(t *testing.T) {
	schedule, err := delivery.ParseSchedule("0s,300ms,300ms")
	if err != nil {
		t.Fatal(err)
	}
	var status atomic.Int32
	status.Store(http.StatusInternalServerError)
	rcv, ok := newReceiver(t, &status)
	srv, _ := run(t, devserver.Config{Schedule: schedule, AllowPrivate: loopback})
	hook := createHook(t, srv.URL, rcv.URL)
	rcv.SetKey(hook.SigningKey)
	hookID := hook.ID
	if status, body := post(t, srv.URL+"/events", userCreated); status != http.StatusAccepted {
		t.Fatalf("POST /events = %d %s", status, body)
	}
	ctx := context.Background()
	var dead []webhook.Job
	for deadline := time.Now().Add(5 * time.Second); len(dead) == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no job in the DLQ after 5s; %d attempts", rcv.Requests())
		}
		if dead, err = srv.DB.ListDead(ctx, webhook.DeadFilter{}, 0); err != nil {
			t.Fatal(err)
		}
	}
	if got := rcv.Requests(); got != 3 {
		t.Errorf("receiver got %d attempts; want 3, the schedule's", got)
	}
	logs, err := srv.DB.Query(ctx, webhook.LogQuery{HookID: hookID, Since: time.Now().Add(-time.Minute)})
	if err != nil || len(logs) != 3 || logs[0].Result != webhook.ResultError || logs[0].Status != 500 {
		t.Errorf("delivery log = %d entries (%v), first %+v; want 3 errors with status 500", len(logs), err, logs)
	}

	status.Store(http.StatusOK)
	n, err := srv.DB.Redrive(ctx, webhook.DeadFilter{HookID: hookID}, nil)
	if err != nil || n != 1 {
		t.Fatalf("Redrive = %d, %v; want 1", n, err)
	}
	select {
	case id := <-ok:
		if id != dead[0].DeliveryID {
			t.Errorf("redriven delivery has webhook-id %s; want %s", id, dead[0].DeliveryID)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("redriven job not delivered within 5s")
	}
}

// TestGracefulShutdown cancels the server while a delivery is in flight: Run
// waits for it, the job is acknowledged and logged, and nothing listens any more.
func TestGracefulShutdown(t *testing.T) {
	arrived, release := make(chan struct{}), make(chan struct{})
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(arrived)
		<-release
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rcv.Close()
	releaseOnce := sync.OnceFunc(func() { close(release) })
	defer releaseOnce() // runs before rcv.Close, which waits for the handler
	db := filepath.Join(t.TempDir(), "dev.db")
	srv, stop := run(t, devserver.Config{DBPath: db, AllowPrivate: loopback, Visibility: 300 * time.Millisecond})
	hookID := createHook(t, srv.URL, rcv.URL).ID
	if status, body := post(t, srv.URL+"/events", userCreated); status != http.StatusAccepted {
		t.Fatalf("POST /events = %d %s", status, body)
	}
	select {
	case <-arrived:
	case <-time.After(5 * time.Second):
		t.Fatal("delivery did not arrive")
	}
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	select {
	case err := <-stopped:
		t.Fatalf("Run returned (%v) while a delivery was in flight", err)
	case <-time.After(300 * time.Millisecond):
	}
	if _, err := net.DialTimeout("tcp", strings.TrimPrefix(srv.URL, "http://"), time.Second); err == nil {
		t.Error("server still accepts connections after shutdown began")
	}
	releaseOnce()
	if err := <-stopped; err != nil {
		t.Fatalf("Run = %v; want nil", err)
	}

	reopened, err := embedded.Open(db, embedded.Options{Visibility: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer reopened.Close()
	ctx := context.Background()
	logs, err := reopened.Query(ctx, webhook.LogQuery{HookID: hookID, Since: time.Now().Add(-time.Minute)})
	if err != nil || len(logs) != 1 || logs[0].Result != webhook.ResultSuccess {
		t.Errorf("delivery log = %+v (%v); want one success", logs, err)
	}
	time.Sleep(400 * time.Millisecond) // past the visibility timeout
	if msgs, err := reopened.Receive(ctx, 10, 0); err != nil || len(msgs) != 0 {
		t.Errorf("queue holds %d jobs (%v) after a clean shutdown; want 0", len(msgs), err)
	}
}

// TestRoutes checks the routing table and the SSRF hint on the management API.
func TestRoutes(t *testing.T) {
	srv, _ := run(t, devserver.Config{})
	tests := []struct {
		name, method, path, body string
		status                   int
		contains                 string
	}{
		{"healthz", "GET", "/healthz", "", 200, `"ok"`},
		{"unknown route", "GET", "/nope", "", 404, "POST /events"},
		{"events needs POST", "GET", "/events", "", 405, "method_not_allowed"},
		{"invalid record", "POST", "/events", `{"records":[{"type":"nope"}]}`, 400, "invalid_record"},
		{"list hooks", "GET", "/hooks", "", 200, "[]"},
		{"list hooks under /api", "GET", "/api/hooks", "", 200, "[]"},
		{"unknown hook", "GET", "/api/hooks/nope", "", 404, "entity.not_exists_with_id"},
		{"loopback refused with a hint", "POST", "/hooks",
			`{"events":["User.Created"],"config":{"url":"http://127.0.0.1:9/x"}}`, 400, "--allow-private 127.0.0.1/32"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || !strings.Contains(string(b), tt.contains) {
				t.Errorf("%s %s = %d %s; want %d containing %q", tt.method, tt.path, resp.StatusCode, b, tt.status, tt.contains)
			}
		})
	}
}

// TestSendTest posts a test payload through the management API to a receiver
// that checks the signatures with the hook's key.
func TestSendTest(t *testing.T) {
	var got atomic.Value
	rcv := webhooktest.NewReceiver(t, webhooktest.ReceiverOptions{Tolerance: time.Minute,
		Respond: func(r *http.Request, body []byte, _ int) int {
			got.Store(string(body))
			if r.Header.Get("X-Test") != "1" {
				return http.StatusUnauthorized
			}
			return http.StatusOK
		}})
	srv, _ := run(t, devserver.Config{AllowPrivate: loopback})
	id := createHook(t, srv.URL, rcv.URL).ID
	h, err := srv.DB.GetHook(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	rcv.SetKey(h.SigningKey)
	status, body := post(t, srv.URL+"/hooks/"+id+"/test",
		`{"events":["PostSignIn"],"config":{"url":"`+rcv.URL+`","headers":{"X-Test":"1"}}}`)
	if status != http.StatusNoContent {
		t.Fatalf("POST /hooks/:id/test = %d %s; want 204", status, body)
	}
	if s, _ := got.Load().(string); !strings.HasPrefix(s, `{"event":"PostSignIn"`) || !strings.HasSuffix(s, `"hookId":"`+id+`"}`) {
		t.Errorf("receiver got %s; want the PostSignIn test payload ending with hookId", s)
	}
}
