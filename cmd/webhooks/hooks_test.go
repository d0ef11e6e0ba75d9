package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/embedded"
	"github.com/logto-webhooks/webhooks/shared/signature"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

var updateCLI = flag.Bool("update-cli", false, "rewrite testdata/cli/*.golden from the current output")

// fixedNow is the CLI's clock in these tests, so times and 24 h windows are
// reproducible.
var fixedNow = time.Date(2026, 8, 21, 12, 0, 0, 0, time.UTC)

// Seeded hooks: fixed ids and keys, so golden files can name them.
const (
	crmID   = "crmhook00000000000001"
	crmKey  = "CrmSigningKey0123456789abcdefABCD"
	billID  = "billhook0000000000002"
	billKey = "BillSigningKey0123456789abcdefABC"
)

// pinClock sets the CLI's clock to fixedNow for the test.
func pinClock(t *testing.T) {
	t.Helper()
	saved := cliNow
	cliNow = func() time.Time { return fixedNow }
	t.Cleanup(func() { cliNow = saved })
}

// execCLI runs the root command with args, as main does.
func execCLI(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRootCmd()
	root.SetArgs(args)
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&errOut)
	err = root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func cliGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "cli", name)
	if *updateCLI {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run go test -update-cli): %v", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// seedDB writes two hooks, three delivery attempts and one dead-lettered job
// into a new database and returns its path.
func seedDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "dev.db")
	db, err := embedded.Open(path, embedded.Options{Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	at := fixedNow.Add(-2 * time.Hour).UnixMilli()
	retries := 3
	hooks := []webhook.Hook{
		{ID: crmID, Name: "CRM sync", Events: []webhook.Event{webhook.UserCreated, webhook.UserDataUpdated},
			URL: "https://crm.example.com/logto?tenant=acme&x=1", Headers: map[string]string{"X-Tenant": "acme", "Authorization": "Bearer t"},
			SigningKey: crmKey, Enabled: true, Retries: &retries, TimeoutMs: 5000, CreatedAt: at},
		{ID: billID, Name: "billing", Events: []webhook.Event{webhook.OrganizationCreated, webhook.OrganizationDeleted, webhook.OrganizationDataUpdated},
			URL: "https://billing.example.com/hooks", SigningKey: billKey, Enabled: false,
			DisabledReason: "endpoint answered 410 Gone", CreatedAt: at - 1000},
	}
	for _, h := range hooks {
		if err := db.PutHook(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	entries := []webhook.LogEntry{
		{HookID: crmID, DeliveryID: "msg_aaa", EventID: "evt_a", Event: webhook.UserCreated, Attempt: 1, Result: webhook.ResultError,
			Status: 503, LatencyMs: 120, Error: "Request failed with status code 503 Service Unavailable", CreatedAt: at + 1000},
		{HookID: crmID, DeliveryID: "msg_aaa", EventID: "evt_a", Event: webhook.UserCreated, Attempt: 2, Result: webhook.ResultSuccess,
			Status: 200, LatencyMs: 35, CreatedAt: at + 6000},
		{HookID: crmID, DeliveryID: "msg_bbb", EventID: "evt_b", Event: webhook.UserDataUpdated, Attempt: 1, Result: webhook.ResultError,
			LatencyMs: 10000, Error: "attempt timed out after 10s", CreatedAt: at + 9000},
	}
	for _, e := range entries {
		if err := db.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	job := webhook.Job{Version: webhook.JobVersion, DeliveryID: "msg_dead1", EventID: "evt_d", Event: webhook.OrganizationCreated,
		HookID: billID, Payload: []byte(`{"event":"Organization.Created","createdAt":"2026-08-21T10:00:00.000Z"}`)}
	if err := db.Send(ctx, []webhook.Job{job}); err != nil {
		t.Fatal(err)
	}
	msgs, err := db.Receive(ctx, 1, 0)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("Receive = %d, %v", len(msgs), err)
	}
	if err := db.DeadLetter(ctx, msgs[0]); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCLIGolden(t *testing.T) {
	pinClock(t)
	db := seedDB(t)
	tests := []struct {
		golden string
		args   []string
	}{
		{"hooks-list.golden.txt", []string{"hooks", "list"}},
		{"hooks-list.golden.json", []string{"hooks", "list", "--json"}},
		{"hooks-get.golden.txt", []string{"hooks", "get", crmID}},
		{"hooks-get.golden.json", []string{"hooks", "get", crmID, "--json"}},
		{"hooks-get-disabled.golden.txt", []string{"hooks", "get", billID}},
		{"hooks-stats.golden.txt", []string{"hooks", "stats", crmID}},
		{"hooks-stats.golden.json", []string{"hooks", "stats", crmID, "--json"}},
		{"deliveries-list.golden.txt", []string{"deliveries", "list", "--hook", crmID}},
		{"deliveries-failed.golden.txt", []string{"deliveries", "list", "--hook", crmID, "--failed"}},
		{"deliveries-list.golden.json", []string{"deliveries", "list", "--hook", crmID, "--json", "--limit", "1"}},
		{"deliveries-none.golden.txt", []string{"deliveries", "list", "--hook", billID, "--since", "1h"}},
		{"dlq-list.golden.txt", []string{"dlq", "list"}},
		{"dlq-list.golden.json", []string{"dlq", "list", "--json"}},
		{"dlq-list-filtered.golden.txt", []string{"dlq", "list", "--hook", crmID}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			out, _, err := execCLI(t, "", append(tt.args, "--db", db)...)
			if err != nil {
				t.Fatalf("webhooks %s: %v", strings.Join(tt.args, " "), err)
			}
			cliGolden(t, tt.golden, out)
		})
	}
}

// TestCLIErrors collects the one-line errors of bad input in one golden file.
func TestCLIErrors(t *testing.T) {
	pinClock(t)
	db := seedDB(t)
	tests := [][]string{
		{"hooks", "get", "nope"},
		{"hooks", "delete", "nope"},
		{"hooks", "update", "nope", "--name", "x"},
		{"hooks", "rotate-key", "nope"},
		{"hooks", "update", crmID},
		{"hooks", "create", "--events", "User.Created"},
		{"hooks", "create", "--url", "https://example.com/h"},
		{"hooks", "create", "--url", "https://example.com/h", "--events", "User.Updated"},
		{"hooks", "create", "--url", "https://example.com/h", "--events", "User.Created,Foo.Bar"},
		{"hooks", "create", "--url", "ftp://example.com/h", "--events", "User.Created"},
		{"hooks", "create", "--url", "http://127.0.0.1:8080/h", "--events", "User.Created"},
		{"hooks", "create", "--url", "http://169.254.169.254/latest", "--events", "User.Created"},
		{"hooks", "create", "--url", "https://example.com/h", "--events", "User.Created", "--retries", "99"},
		{"hooks", "create", "--url", "https://example.com/h", "--events", "User.Created", "--header", "nocolon"},
		{"hooks", "create", "--url", "https://example.com/h", "--events", "User.Created", "--allow-private", "nonsense"},
		{"hooks", "list", "--stack", "s", "--db", "x.db"},
		{"hooks", "test", crmID, "--event", "PostSignin"},
		{"deliveries", "list"},
		{"deliveries", "list", "--hook", "nope"},
		{"dlq", "list", "--event", "Organization.Create"},
	}
	var buf strings.Builder
	for _, args := range tests {
		full := args
		if !strings.Contains(strings.Join(args, " "), "--db") {
			full = append(append([]string{}, args...), "--db", db)
		}
		out, _, err := execCLI(t, "", full...)
		if err == nil {
			t.Errorf("webhooks %s succeeded (%q); want an error", strings.Join(args, " "), out)
			continue
		}
		if out != "" {
			t.Errorf("webhooks %s printed %q on stdout as well as failing", strings.Join(args, " "), out)
		}
		msg := strings.ReplaceAll(err.Error(), db, "$DB")
		buf.WriteString("$ webhooks " + strings.Join(args, " ") + "\nwebhooks: " + msg + "\n\n")
	}
	cliGolden(t, "errors.golden.txt", buf.String())
}

var idRE = regexp.MustCompile(`(?m)^ID\s+(\S+)$`)
var keyRE = regexp.MustCompile(`(?m)^Signing key\s+(\S+)$`)

// TestHooksLifecycle drives every hooks subcommand against one database and a
// receiver on 127.0.0.1, and checks that only create, get and rotate-key print
// the signing key.
func TestHooksLifecycle(t *testing.T) {
	db := filepath.Join(t.TempDir(), "dev.db")
	var key string
	var lastBody []byte
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lastBody, _ = io.ReadAll(r.Body)
		if err := signature.Verify(r.Header, lastBody, key, time.Minute, time.Now()); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rcv.Close()
	run := func(args ...string) string {
		t.Helper()
		out, _, err := execCLI(t, "", append(args, "--db", db)...)
		if err != nil {
			t.Fatalf("webhooks %s: %v", strings.Join(args, " "), err)
		}
		return out
	}

	out := run("hooks", "create", "--url", rcv.URL+"/in", "--events", "User.Created,PostSignIn", "--name", "t",
		"--header", "X-A: 1", "--retries", "2", "--timeout", "3s", "--allow-private", "127.0.0.1")
	m, k := idRE.FindStringSubmatch(out), keyRE.FindStringSubmatch(out)
	if m == nil || k == nil {
		t.Fatalf("create printed no ID or signing key:\n%s", out)
	}
	id := m[1]
	key = k[1]
	for _, want := range []string{"X-A: 1", "Retries  ", "3s", "whsec_"} {
		if !strings.Contains(out, want) {
			t.Errorf("create output lacks %q:\n%s", want, out)
		}
	}
	noKey := func(what, out string) {
		t.Helper()
		if strings.Contains(out, key) {
			t.Errorf("%s printed the signing key:\n%s", what, out)
		}
	}
	noKey("list", run("hooks", "list"))
	noKey("list --json", run("hooks", "list", "--json"))
	if out := run("hooks", "get", id); !strings.Contains(out, key) {
		t.Errorf("get does not show the signing key:\n%s", out)
	}

	out = run("hooks", "update", id, "--events", "User.Created", "--timeout", "0s", "--allow-private", "127.0.0.1")
	noKey("update", out)
	if !regexp.MustCompile(`(?m)^Events\s+User.Created$`).MatchString(out) || strings.Contains(out, "Timeout") {
		t.Errorf("update did not apply --events and --timeout 0s:\n%s", out)
	}
	if !strings.Contains(out, "X-A: 1") {
		t.Errorf("update dropped the headers it was not asked to change:\n%s", out)
	}
	noKey("disable", run("hooks", "disable", id))
	if out := run("hooks", "get", id, "--json"); !strings.Contains(out, `"enabled": false`) {
		t.Errorf("hook still enabled after disable:\n%s", out)
	}
	noKey("enable", run("hooks", "enable", id))

	out = run("hooks", "test", id, "--allow-private", "127.0.0.1")
	if !strings.Contains(out, "answered 2xx") || !bytes.HasPrefix(lastBody, []byte(`{"event":"User.Created"`)) {
		t.Errorf("test: %s; receiver got %s", out, lastBody)
	}
	if _, _, err := execCLI(t, "", "hooks", "test", id, "--db", db); err == nil || !strings.Contains(err.Error(), "--allow-private") {
		t.Errorf("test to loopback without --allow-private: err %v; want a refusal with the hint", err)
	}

	out = run("hooks", "rotate-key", id, "--grace", "1h")
	newKey := regexp.MustCompile(`New signing key of hook \S+: (\S+)`).FindStringSubmatch(out)
	if newKey == nil || newKey[1] == key || !strings.Contains(out, "until") {
		t.Fatalf("rotate-key output:\n%s", out)
	}
	if _, _, err := execCLI(t, "", "hooks", "test", id, "--db", db, "--allow-private", "127.0.0.1"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("test with a receiver holding the old key: %v; want the 401 reported", err)
	}
	key = newKey[1]
	run("hooks", "test", id, "--allow-private", "127.0.0.1", "--event", "PostSignIn")
	if !bytes.HasPrefix(lastBody, []byte(`{"event":"PostSignIn"`)) {
		t.Errorf("test --event PostSignIn sent %s", lastBody)
	}

	if out := run("hooks", "delete", id); out != "Deleted hook "+id+".\n" {
		t.Errorf("delete printed %q", out)
	}
	if _, _, err := execCLI(t, "", "hooks", "get", id, "--db", db); err == nil || !strings.Contains(err.Error(), "no hook with id") {
		t.Errorf("get after delete: %v; want not found", err)
	}
}
