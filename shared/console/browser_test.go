package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/logto-webhooks/webhooks/shared/awsconfig/awstest"
	"github.com/logto-webhooks/webhooks/shared/delivery"
	"github.com/logto-webhooks/webhooks/shared/devserver"
	"github.com/logto-webhooks/webhooks/shared/devserver/devservertest"
	"github.com/logto-webhooks/webhooks/shared/signature"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// chromeEnv names the browser scripts/browser.sh installs.
const chromeEnv = "WEBHOOKS_TEST_CHROME"

// chromePath finds headless Chromium. Without one the test is skipped, except
// under `make test` (WEBHOOKS_REQUIRE_EMULATORS=1), where it fails: CI must not
// pass by skipping the browser.
func chromePath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv(chromeEnv); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv(awstest.RequireEnv) == "1" {
		t.Fatalf("no Chromium found and %s=1: source scripts/browser.sh, which installs it", awstest.RequireEnv)
	}
	t.Skipf("browser test: install Chromium (source scripts/browser.sh) or set %s", chromeEnv)
	return ""
}

// screenshotDir is $WEBHOOKS_SCREENSHOTS (make test keeps them in
// .cache/screenshots) or the test's artifact directory.
func screenshotDir(t *testing.T) string {
	if d := os.Getenv("WEBHOOKS_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.ArtifactDir()
}

// TestBrowser drives the console of `webhooks dev --demo` in headless
// Chromium, as a person would: a posted record's delivery appears without a
// reload, an attempt opens, the demo receiver fails and the failure and the
// chart show it, the job dead-letters on a short schedule and is redriven from
// the console, and after a key rotation deliveries still verify.
func TestBrowser(t *testing.T) {
	chrome := chromePath(t)
	var mu sync.Mutex
	var badSignatures []string
	srv, _ := devservertest.Start(t, devserver.Config{
		Demo:     true,
		Schedule: delivery.Schedule{0, 300 * time.Millisecond},
		DemoNotify: func(d devserver.DemoDelivery) {
			if d.Err != nil {
				mu.Lock()
				badSignatures = append(badSignatures, d.WebhookID+": "+d.Err.Error())
				mu.Unlock()
			}
		},
	})
	hookID := srv.Demo.Hook.ID
	shots := screenshotDir(t)

	alloc, cancelAlloc := chromedp.NewExecAllocator(t.Context(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1280, 900),
		chromedp.Flag("no-first-run", true), chromedp.UserDataDir(t.TempDir()))...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc, chromedp.WithErrorf(t.Logf))
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()
	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		return value(t, ctx, "text of "+sel, chromedp.Text(sel))
	}
	shot := func(name string) {
		t.Helper()
		png := value(t, ctx, "screenshot "+name, chromedp.FullScreenshot(100))
		path := filepath.Join(shots, "console-"+name+".png")
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot %s", path)
	}
	hookPage := srv.ConsoleURL + "hooks/" + hookID
	row := func(deliveryID, class string) string {
		return fmt.Sprintf(`#deliveries tr.delivery.%s[data-delivery="%s"]`, class, deliveryID)
	}

	// The hook page, still empty; the record posted next appears without a reload.
	run("open the hook page", chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(`table.hooks`),
		chromedp.Click(`#hook-`+hookID+` a`), chromedp.WaitVisible(`#deliveries`))
	value(t, ctx, "mark the page", chromedp.Evaluate[string](`window.__marker = "same page"`))
	first := postRecord(t, srv.URL, hookID, "browser-1")
	run("see the delivery appear", chromedp.WaitVisible(row(first, "ok")))
	if marker := value(t, ctx, "check no reload happened", chromedp.Evaluate[string](`window.__marker || ""`)); marker != "same page" {
		t.Fatalf("the page reloaded (marker %q): deliveries must arrive live", marker)
	}

	// The attempt: request body and recomputable headers as sent, the response.
	run("open the attempt", chromedp.Click(row(first, "ok")+` a`), chromedp.WaitVisible(`#request-body`))
	reqBody, headers := text(`#request-body`), text(`table.headers`)
	if !strings.Contains(reqBody, `"hookId": "`+hookID+`"`) || !strings.Contains(headers, first) || !strings.Contains(headers, "(not stored)") {
		t.Errorf("attempt page: body %q headers %q", reqBody, headers)
	}
	shot("attempt")

	// The receiver fails: the failed attempts show up, then the chart says so.
	if err := srv.Demo.SetFailing(http.StatusServiceUnavailable); err != nil {
		t.Fatal(err)
	}
	run("back to the hook page", chromedp.Navigate(hookPage), chromedp.WaitVisible(`svg.chart`))
	before := value(t, ctx, "chart before", chromedp.AttributeValue(`svg.chart`, "data-requests")).Value
	if before != "1" {
		t.Errorf("chart counts %s requests before the failure, want 1", before)
	}
	failing := postRecord(t, srv.URL, hookID, "browser-2")
	run("see the failure", chromedp.WaitVisible(row(failing, "bad")))
	value(t, ctx, "see the chart count it", chromedp.Poll[bool](`document.querySelector("svg.chart").dataset.requests >= 2`, chromedp.WithPollingTimeout(15*time.Second)))
	errText := text(row(failing, "bad") + ` td.error-text`)
	if !strings.Contains(errText, "503") {
		t.Errorf("failed attempt shows %q, want the 503", errText)
	}
	shot("hook-failing")

	// Two attempts (0s, 300ms) and the job is dead: redrive it from the console.
	for deadline, listed := time.Now().Add(15*time.Second), false; !listed; {
		run("open the dead-letter queue", chromedp.Navigate(srv.ConsoleURL+"dlq"), chromedp.WaitVisible(`main h1`))
		listed = value(t, ctx, "look for the job", chromedp.Evaluate[bool](fmt.Sprintf(`!!document.querySelector('tr[data-delivery="%s"]')`, failing)))
		if !listed && time.Now().After(deadline) {
			t.Fatal("the failing job never reached the dead-letter queue page")
		}
		if !listed {
			time.Sleep(300 * time.Millisecond)
		}
	}
	shot("dlq")
	if err := srv.Demo.SetFailing(0); err != nil {
		t.Fatal(err)
	}
	run("redrive all", chromedp.Click(`#redrive-set`), chromedp.WaitVisible(`#redrive-done`))
	if done := text(`#redrive-done`); !strings.Contains(done, "Moved 1 job back") {
		t.Errorf("redrive said %q", done)
	}
	run("see the redriven job delivered", chromedp.Navigate(hookPage), chromedp.WaitVisible(row(failing, "ok")))

	// Rotate with no grace: the next delivery is signed with the new key alone,
	// and the demo receiver, which checks it with the stored key, accepts it.
	run("rotate the key", chromedp.SetValue(`input[name=grace]`, "0s"), chromedp.Click(`#rotate`),
		chromedp.WaitVisible(`#action-result .notice`))
	notice := text(`#action-result .notice`)
	run("reveal the key", chromedp.Click(`#key button`), chromedp.WaitVisible(`#signing-key`))
	key := text(`#signing-key`)
	if !strings.Contains(notice, "Rotated") || key == "" || key == srv.Demo.Hook.SigningKey {
		t.Errorf("rotation: notice %q, key changed %v", notice, key != srv.Demo.Hook.SigningKey)
	}
	afterRotation := postRecord(t, srv.URL, hookID, "browser-3")
	run("see a verified delivery after the rotation", chromedp.WaitVisible(row(afterRotation, "ok")))

	// The relay: create a source, paste Logto's key, and a body Logto signed
	// with that key, sent to the URL the page shows, reaches the demo hook.
	const logtoKey = "LogtoKeyFromTheConsole0123456789"
	run("create a source", chromedp.Navigate(srv.ConsoleURL+"sources"), chromedp.WaitVisible(`#source-create-form`),
		chromedp.SetValue(`#source-create-form input[name=name]`, "browser tenant"), chromedp.Click(`#create-source`),
		chromedp.WaitVisible(`#relay-url`))
	relayURL := text(`#relay-url`)
	run("paste Logto's key", chromedp.SetValue(`#source-key-form input[name=key]`, logtoKey), chromedp.Click(`#set-key`),
		chromedp.WaitVisible(`#key button`))
	shot("source")
	relayed := relayLogto(t, relayURL, logtoKey, hookID)
	run("see the relayed body delivered", chromedp.Navigate(hookPage), chromedp.WaitVisible(row(relayed, "ok")))
	run("open the sources page", chromedp.Navigate(srv.ConsoleURL+"sources"), chromedp.WaitVisible(`table.sources`))
	if list := text(`table.sources`); !strings.Contains(list, "browser tenant") || !strings.Contains(list, "set") {
		t.Errorf("sources page: %q", list)
	}
	shot("sources")
	mu.Lock()
	if len(badSignatures) > 0 {
		t.Errorf("the demo receiver rejected signatures: %v", badSignatures)
	}
	mu.Unlock()

	run("reload the hook page for its picture", chromedp.Navigate(hookPage), chromedp.WaitVisible(row(afterRotation, "ok")))
	shot("hook")
	run("open the hooks page", chromedp.Navigate(srv.ConsoleURL), chromedp.WaitVisible(`table.hooks`))
	shot("hooks")
}

// value runs one action and returns its result, failing the test on error.
func value[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// relayLogto posts a User.Created body as Logto sends it, signed with key,
// to relayURL and returns the delivery id of its event to hookID.
func relayLogto(t *testing.T, relayURL, key, hookID string) string {
	t.Helper()
	body := []byte(`{"event":"User.Created","createdAt":"` + time.Now().UTC().Format("2006-01-02T15:04:05.000Z") +
		`","userAgent":"browser test","ip":"203.0.113.7","data":{"id":"u-relayed","username":"relayed"},"hookId":"logto-side-hook"}`)
	req, err := http.NewRequest(http.MethodPost, relayURL, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("relay URL %q: %v", relayURL, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(signature.HeaderLogto, signature.Logto(key, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Deliveries int
		Events     []struct{ ID string } `json:"events"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusAccepted || len(out.Events) != 1 || out.Deliveries != 1 {
		t.Fatalf("POST %s: %d %v %+v", relayURL, resp.StatusCode, err, out)
	}
	return webhook.DeliveryID(out.Events[0].ID, hookID)
}

// postRecord ingests one user-created record and returns the delivery id of
// its event to hookID.
func postRecord(t *testing.T, base, hookID, id string) string {
	t.Helper()
	body := fmt.Sprintf(`{"type":"managementApi","id":%q,"method":"POST","path":"/api/users","status":200,"responseBody":{"id":"u-%s","username":"alice"}}`, id, id)
	resp, err := http.Post(base+"/events", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Events []struct{ ID string } `json:"events"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusAccepted || len(out.Events) != 1 {
		t.Fatalf("POST /events: %d %v %+v", resp.StatusCode, err, out)
	}
	return webhook.DeliveryID(out.Events[0].ID, hookID)
}
