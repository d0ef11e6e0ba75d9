// Package reliability_test proves the failure modes of a webhook service lose
// nothing: bursts against a flaky receiver, outages and redrives, hostile
// receivers, a worker killed mid-batch and a request flood (issue 6). The tests
// run the `webhooks dev` pipeline (shared/devserver; the flood, its ingest
// stack) on 127.0.0.1 with an embedded database in t.TempDir(), bounded in count
// and time; longer variants run with WEBHOOKS_SOAK=1 (scripts/soak.sh).
package reliability_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite" // registers "sqlite" for queueRows

	"github.com/logto-webhooks/webhooks/shared/delivery"
	"github.com/logto-webhooks/webhooks/shared/devserver"
	"github.com/logto-webhooks/webhooks/shared/devserver/devservertest"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// loopback lets hooks deliver to the tests' receivers.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

// soak reports whether the long variants were asked for (scripts/soak.sh).
func soak() bool { return os.Getenv("WEBHOOKS_SOAK") == "1" }

// envInt reads a positive integer from the environment, def when unset.
func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// mustSchedule parses a retry schedule or fails the test.
func mustSchedule(t *testing.T, s string) delivery.Schedule {
	t.Helper()
	sch, err := delivery.ParseSchedule(s)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// dev is a dev server running in the test process.
type dev struct {
	*devserver.Server
	// DBPath is the server's SQLite file.
	DBPath string
	// Stop cancels Run and returns its error; it is called at cleanup too.
	Stop func() error
}

// startDev opens and runs a dev server on 127.0.0.1 with a database in
// t.TempDir() (unless cfg names one). It is stopped at cleanup, before the
// receivers registered earlier close.
func startDev(t *testing.T, cfg devserver.Config) *dev {
	t.Helper()
	if cfg.AllowPrivate == nil {
		cfg.AllowPrivate = loopback
	}
	if cfg.DBPath == "" {
		cfg.DBPath = filepath.Join(t.TempDir(), "dev.db")
	}
	srv, stop := devservertest.Start(t, cfg)
	return &dev{Server: srv, DBPath: cfg.DBPath, Stop: stop}
}

// hookConfig is the part of a management API hook body the tests vary.
type hookConfig struct {
	URL       string `json:"url"`
	TimeoutMs int64  `json:"timeoutMs,omitempty"`
}

// createdHook is what the tests need of a hook created through the API.
type createdHook struct {
	ID         string `json:"id"`
	SigningKey string `json:"signingKey"`
}

// createHook creates a User.Created hook through the management API.
func createHook(t *testing.T, base string, cfg hookConfig) createdHook {
	t.Helper()
	body, err := json.Marshal(map[string]any{"name": t.Name(), "events": []string{"User.Created"}, "config": cfg})
	if err != nil {
		t.Fatal(err)
	}
	status, out := post(t, base+"/hooks", body)
	var h createdHook
	if status != http.StatusCreated || json.Unmarshal(out, &h) != nil || h.ID == "" || h.SigningKey == "" {
		t.Fatalf("POST /hooks = %d %s; want 201 with an id and a signing key", status, out)
	}
	return h
}

func post(t *testing.T, url string, body []byte) (int, []byte) {
	t.Helper()
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

// userRecord is an ingest record that fires User.Created; its id makes the
// event id, and so the webhook-id, deterministic.
func userRecord(id string) string {
	return fmt.Sprintf(`{"type":"managementApi","id":%q,"method":"POST","path":"/api/users","status":200,"responseBody":{"id":%q}}`, id, id)
}

// ingestUsers posts one User.Created record per id to POST /events, in
// requests of at most webhook.MaxRecords records, and returns the webhook-id
// each delivery to hookID will carry.
func ingestUsers(t *testing.T, base, hookID string, ids []string) []string {
	t.Helper()
	var want []string
	for start := 0; start < len(ids); start += webhook.MaxRecords {
		batch := ids[start:min(start+webhook.MaxRecords, len(ids))]
		records := make([]string, len(batch))
		for i, id := range batch {
			records[i] = userRecord(id)
		}
		status, out := post(t, base+"/events", []byte(`{"records":[`+strings.Join(records, ",")+`]}`))
		var resp struct {
			Deliveries int
			Events     []struct{ ID string }
		}
		if status != http.StatusAccepted || json.Unmarshal(out, &resp) != nil || resp.Deliveries != len(batch) {
			t.Fatalf("POST /events with %d records = %d %.300s; want 202 with %[1]d deliveries", len(batch), status, out)
		}
		for _, e := range resp.Events {
			want = append(want, webhook.DeliveryID(e.ID, hookID))
		}
	}
	return want
}

// ids returns n record ids with the given prefix.
func ids(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%d", prefix, i)
	}
	return out
}

// waitFor polls cond every 20 ms until it holds, failing the test with
// what() if it does not within d.
func waitFor(t *testing.T, d time.Duration, cond func() bool, what func() string) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", d, what())
		}
	}
}

// queueRows counts the jobs left in the database's queues, delivery queue and
// DLQ together, visible or not. The embedded package exposes no count, so this
// reads goqite's table (embedded's schema) through a second connection.
func queueRows(t *testing.T, dbPath string) int {
	t.Helper()
	db, err := sql.Open("sqlite", dbPath+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`select count(*) from goqite`).Scan(&n); err != nil {
		t.Fatalf("count queued jobs: %v", err)
	}
	return n
}

// deadJobs lists the server's dead-lettered jobs (at most limit; 0: all).
func deadJobs(t *testing.T, srv *dev, limit int) []webhook.Job {
	t.Helper()
	dead, err := srv.DB.ListDead(context.Background(), webhook.DeadFilter{}, limit)
	if err != nil {
		t.Fatalf("list dead-lettered jobs: %v", err)
	}
	return dead
}
