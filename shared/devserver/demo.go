package devserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/logto-webhooks/webhooks/shared/signature"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// DemoHookName names the hook `webhooks dev --demo` points at its receiver. A
// hook of that name found in the database is reused, keeping its id and key.
const DemoHookName = "demo"

// DemoTolerance is how far webhook-timestamp may be from the receiver's clock,
// the 5 minutes Standard Webhooks libraries use.
const DemoTolerance = 5 * time.Minute

// DemoDelivery is one request the demo receiver got.
type DemoDelivery struct {
	Event     string
	WebhookID string
	HookID    string
	// Err is nil when both signatures (logto-signature-sha-256 and the Standard
	// Webhooks webhook-signature) verify with the hook's current key.
	Err  error
	Body []byte
	At   time.Time
}

// Demo is the demo receiver: an HTTP server on 127.0.0.1 that checks each
// delivery the way a receiver configured with the hook's signing key would,
// prints it and answers 204 (or 401 when a signature fails).
type Demo struct {
	// URL is where the demo hook delivers.
	URL string
	// Hook is the demo hook as saved when the server started.
	Hook webhook.Hook

	hooks interface {
		GetHook(context.Context, string) (webhook.Hook, error)
	}
	now    func() time.Time
	out    io.Writer
	notify func(DemoDelivery)
	mu     sync.Mutex // serialises writes to out
	// failWith, when not 0, is the status every delivery gets (SetFailing).
	failWith atomic.Int32
	ln       net.Listener
	srv      *http.Server
}

func startDemo(out io.Writer, notify func(DemoDelivery), hooks interface {
	GetHook(context.Context, string) (webhook.Hook, error)
}, now func() time.Time) (*Demo, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start demo receiver: %w", err)
	}
	if out == nil {
		out = io.Discard
	}
	d := &Demo{URL: "http://" + ln.Addr().String() + "/webhook", hooks: hooks, now: now, out: out, notify: notify, ln: ln}
	d.srv = &http.Server{Handler: d, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = d.srv.Serve(ln) }()
	return d, nil
}

// prefix is the receiver's address as an allow-list entry.
func (d *Demo) prefix() netip.Prefix {
	ap := netip.MustParseAddrPort(d.ln.Addr().String())
	return netip.PrefixFrom(ap.Addr(), ap.Addr().BitLen())
}

func (d *Demo) close() error { return d.srv.Close() }

// ServeHTTP verifies and reports one delivery. The key comes from the hook
// named by the body's hookId, read afresh, so a `hooks rotate-key` shows up as
// the failure a receiver still holding the old key would see on the Logto header.
func (d *Demo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == DemoControlPath {
		d.control(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, webhook.MaxRequestBytes))
	if err != nil {
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	now := d.now()
	got := DemoDelivery{WebhookID: r.Header.Get(signature.HeaderID), Body: body, At: now}
	var head struct {
		Event  string `json:"event"`
		HookID string `json:"hookId"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		got.Err = fmt.Errorf("body is not a JSON object: %w", err)
	}
	got.Event, got.HookID = head.Event, head.HookID
	if got.Err == nil {
		got.Err = d.verify(r.Context(), r.Header, body, head.HookID, now)
	}
	d.report(got)
	if d.notify != nil {
		d.notify(got)
	}
	switch status := int(d.failWith.Load()); {
	case got.Err != nil:
		http.Error(w, "signature verification failed", http.StatusUnauthorized)
	case status != 0:
		http.Error(w, "the demo receiver was told to fail (POST "+DemoControlPath+"?fail=0 to recover)", status)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

// DemoControlPath is the demo receiver's control endpoint: POST it with
// ?fail=503 (any status from 400 to 599) to make every delivery fail with that
// status, ?fail=0 to recover. It lets you watch retries, the circuit breaker
// and the dead-letter queue without writing a receiver.
const DemoControlPath = "/control"

// SetFailing makes the receiver answer every delivery with status (400-599),
// or verify and accept them again with 0.
func (d *Demo) SetFailing(status int) error {
	if status != 0 && (status < 400 || status > 599) {
		return fmt.Errorf("fail status %d: want 0 or 400-599", status)
	}
	d.failWith.Store(int32(status))
	return nil
}

func (d *Demo) control(w http.ResponseWriter, r *http.Request) {
	status, err := strconv.Atoi(r.URL.Query().Get("fail"))
	if r.Method != http.MethodPost || err != nil {
		http.Error(w, "POST "+DemoControlPath+"?fail=STATUS (400-599, or 0 to recover)", http.StatusBadRequest)
		return
	}
	if err := d.SetFailing(status); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (d *Demo) verify(ctx context.Context, h http.Header, body []byte, hookID string, now time.Time) error {
	hook, err := d.hooks.GetHook(ctx, hookID)
	if errors.Is(err, webhook.ErrNotFound) {
		return fmt.Errorf("hookId %q names no hook in the database", hookID)
	}
	if err != nil {
		return fmt.Errorf("look up hook %s: %w", hookID, err)
	}
	if h.Get(signature.HeaderLogto) == "" || h.Get(signature.HeaderSignature) == "" {
		return errors.New("a signature header is missing")
	}
	return signature.Verify(h, body, hook.SigningKey, DemoTolerance, now)
}

func (d *Demo) report(got DemoDelivery) {
	status := "signatures ok (logto-signature-sha-256, webhook-signature)"
	if got.Err != nil {
		status = "signature FAIL: " + got.Err.Error()
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, got.Body, "  ", "  ") != nil {
		pretty.Reset()
		pretty.Write(got.Body)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	fmt.Fprintf(d.out, "demo receiver: %s  webhook-id=%s  %s\n  %s\n",
		got.Event, got.WebhookID, status, pretty.Bytes())
}

// ensureDemoHook points the hook named DemoHookName (the newest, if several)
// at url, subscribed to every event and enabled, or creates it.
func ensureDemoHook(ctx context.Context, store webhook.HookStore, url string, now time.Time) (webhook.Hook, error) {
	hooks, err := store.ListHooks(ctx)
	if err != nil {
		return webhook.Hook{}, fmt.Errorf("demo hook: %w", err)
	}
	hook := webhook.Hook{
		ID:         webhook.NewHookID(),
		Name:       DemoHookName,
		SigningKey: webhook.NewSigningKey(),
		CreatedAt:  now.UnixMilli(),
	}
	for _, h := range hooks {
		if h.Name == DemoHookName {
			hook = h
			break
		}
	}
	if hook.SigningKey == "" {
		hook.SigningKey = webhook.NewSigningKey()
	}
	hook.Events = hook.Events[:0]
	for _, e := range webhook.Catalog() {
		hook.Events = append(hook.Events, e.Event)
	}
	hook.URL, hook.Enabled, hook.DisabledReason = url, true, ""
	hook.UpdatedAt = now.UnixMilli()
	if err := store.PutHook(ctx, hook); err != nil {
		return webhook.Hook{}, fmt.Errorf("demo hook: %w", err)
	}
	return hook, nil
}
