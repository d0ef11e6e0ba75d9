package signature_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	svix "github.com/svix/svix-webhooks/go"

	"github.com/logto-webhooks/webhooks/shared/signature"
)

// Vectors of Logto's utils/sign.test.ts (docs/logto-webhooks.md §6).
func TestLogto(t *testing.T) {
	tests := []struct {
		name, key, body, want string
	}{
		{"object", "foo", `{"bar":"bar","foo":"foo"}`, "436958f1dbfefab37712fb3927760490fbf7757da8c0b2306ee7b485f0360eee"},
		{"empty object", "foo", `{}`, "c76356efa19d219d1d7e08ccb20b1d26db53b143156f406c99dcb8e0876d6c55"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := signature.Logto(tt.key, []byte(tt.body)); got != tt.want {
				t.Errorf("Logto(%q, %s) = %s, want %s", tt.key, tt.body, got, tt.want)
			}
		})
	}
}

func TestSecret(t *testing.T) {
	if got, want := signature.Secret("foo"), "whsec_Zm9v"; got != want {
		t.Errorf("Secret(foo) = %s, want %s", got, want)
	}
}

func TestSign(t *testing.T) {
	body := []byte(`{"event":"User.Created","hookId":"h1"}`)
	ts := time.Unix(1700000000, 0)
	tests := []struct {
		name          string
		keys          []string
		wantLogto     string
		wantSignCount int
	}{
		{"one key", []string{"k1"}, signature.Logto("k1", body), 1},
		{"rotation", []string{"new", "old"}, signature.Logto("new", body), 2},
		{"no key", []string{""}, "", 0},
		{"nil keys", nil, "", 0},
		{"current key removed during rotation", []string{"", "old"}, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			h.Set("logto-signature-sha-256", "custom value to overwrite")
			h.Set("webhook-signature", "v1,forged")
			h.Set("x-custom", "kept")
			signature.Sign(h, tt.keys, "msg_1", ts, body)
			if got := h.Get(signature.HeaderLogto); got != tt.wantLogto {
				t.Errorf("%s = %q, want %q", signature.HeaderLogto, got, tt.wantLogto)
			}
			if got := h.Get(signature.HeaderID); got != "msg_1" {
				t.Errorf("%s = %q, want msg_1", signature.HeaderID, got)
			}
			if got := h.Get(signature.HeaderTimestamp); got != "1700000000" {
				t.Errorf("%s = %q, want 1700000000", signature.HeaderTimestamp, got)
			}
			if got := len(strings.Fields(h.Get(signature.HeaderSignature))); got != tt.wantSignCount {
				t.Errorf("%s has %d signatures (%q), want %d", signature.HeaderSignature, got, h.Get(signature.HeaderSignature), tt.wantSignCount)
			}
			if got := h.Get("x-custom"); got != "kept" {
				t.Errorf("x-custom = %q, want kept", got)
			}
		})
	}
}

// TestOfficialLibraries checks our headers with the Standard Webhooks reference
// library and Svix's, configured with Secret(key) as docs/receivers.md tells receivers.
// During a rotation each key must verify on its own.
func TestOfficialLibraries(t *testing.T) {
	body := []byte(`{"event":"PostSignIn","note":"<&> \u2028","hookId":"h1"}`)
	libs := []struct {
		name   string
		verify func(secret string, body []byte, h http.Header) error
	}{
		{"standard-webhooks", func(secret string, body []byte, h http.Header) error {
			wh, err := standardwebhooks.NewWebhook(secret)
			if err != nil {
				return err
			}
			return wh.Verify(body, h)
		}},
		{"svix", func(secret string, body []byte, h http.Header) error {
			wh, err := svix.NewWebhook(secret)
			if err != nil {
				return err
			}
			return wh.Verify(body, h)
		}},
	}
	tests := []struct {
		name      string
		signKeys  []string
		checkKey  string
		wantValid bool
	}{
		{"one key", []string{"Kq2yX9vZtH3mWn8pRc4sLd7fGj1bNe6A"}, "Kq2yX9vZtH3mWn8pRc4sLd7fGj1bNe6A", true},
		{"rotation, current key", []string{"newKey0123456789abcdefghijklmnop", "oldKey0123456789abcdefghijklmnop"}, "newKey0123456789abcdefghijklmnop", true},
		{"rotation, previous key", []string{"newKey0123456789abcdefghijklmnop", "oldKey0123456789abcdefghijklmnop"}, "oldKey0123456789abcdefghijklmnop", true},
		{"wrong key", []string{"Kq2yX9vZtH3mWn8pRc4sLd7fGj1bNe6A"}, "not the key", false},
	}
	for _, lib := range libs {
		for _, tt := range tests {
			t.Run(lib.name+"/"+tt.name, func(t *testing.T) {
				h := http.Header{}
				signature.Sign(h, tt.signKeys, "msg_2n3k4", time.Now(), body)
				err := lib.verify(signature.Secret(tt.checkKey), body, h)
				if tt.wantValid && err != nil {
					t.Errorf("Verify = %v, want nil", err)
				}
				if !tt.wantValid && err == nil {
					t.Error("Verify = nil, want an error")
				}
				if err := lib.verify(signature.Secret(tt.checkKey), append(body, ' '), h); err == nil {
					t.Error("Verify of a tampered body = nil, want an error")
				}
			})
		}
	}
}

func TestVerify(t *testing.T) {
	body := []byte(`{"event":"User.Created","hookId":"h1"}`)
	now := time.Unix(1700000000, 0)
	signed := func(keys []string, ts time.Time, edit func(http.Header)) http.Header {
		h := http.Header{}
		signature.Sign(h, keys, "msg_1", ts, body)
		if edit != nil {
			edit(h)
		}
		return h
	}
	del := func(names ...string) func(http.Header) {
		return func(h http.Header) {
			for _, n := range names {
				h.Del(n)
			}
		}
	}
	tests := []struct {
		name      string
		h         http.Header
		body      string
		key       string
		tolerance time.Duration
		wantErr   error  // nil: valid
		wantMsg   string // substring of the error
	}{
		{name: "both schemes", h: signed([]string{"k"}, now, nil), key: "k"},
		{name: "logto only", h: signed([]string{"k"}, now, del(signature.HeaderSignature)), key: "k"},
		{name: "standard only", h: signed([]string{"k"}, now, del(signature.HeaderLogto)), key: "k"},
		{name: "within tolerance", h: signed([]string{"k"}, now.Add(-4*time.Minute), nil), key: "k", tolerance: 5 * time.Minute},
		{name: "old but tolerance off", h: signed([]string{"k"}, now.Add(-48*time.Hour), nil), key: "k"},
		{name: "rotation, current key", h: signed([]string{"new", "old"}, now, nil), key: "new"},
		{
			name: "rotation, previous key fails on the logto header", h: signed([]string{"new", "old"}, now, nil), key: "old",
			wantErr: signature.ErrMismatch, wantMsg: "logto-signature-sha-256: signature does not match",
		},
		{name: "tampered body", h: signed([]string{"k"}, now, nil), body: body2(body), key: "k", wantErr: signature.ErrMismatch, wantMsg: "webhook-signature: signature does not match"},
		{name: "wrong key", h: signed([]string{"k"}, now, nil), key: "x", wantErr: signature.ErrMismatch, wantMsg: "logto-signature-sha-256"},
		{name: "too old", h: signed([]string{"k"}, now.Add(-10*time.Minute), nil), key: "k", tolerance: 5 * time.Minute, wantErr: signature.ErrStale, wantMsg: "10m0s old"},
		{name: "too new", h: signed([]string{"k"}, now.Add(10*time.Minute), nil), key: "k", tolerance: 5 * time.Minute, wantErr: signature.ErrStale, wantMsg: "in the future"},
		{name: "unsigned", h: signed([]string{""}, now, nil), key: "k", wantErr: signature.ErrUnsigned, wantMsg: "neither"},
		{name: "missing webhook-id", h: signed([]string{"k"}, now, del(signature.HeaderID)), key: "k", wantErr: signature.ErrMalformed, wantMsg: "webhook-id is missing"},
		{name: "missing webhook-timestamp", h: signed([]string{"k"}, now, del(signature.HeaderTimestamp)), key: "k", wantErr: signature.ErrMalformed, wantMsg: "webhook-timestamp is missing"},
		{
			name: "timestamp not a number", key: "k", wantErr: signature.ErrMalformed, wantMsg: "not Unix seconds",
			h: signed([]string{"k"}, now, func(h http.Header) { h.Set(signature.HeaderTimestamp, "2023-11-14") }),
		},
		{
			name: "no v1 signature", key: "k", wantErr: signature.ErrMalformed, wantMsg: "no v1 signature",
			h: signed([]string{"k"}, now, func(h http.Header) { h.Set(signature.HeaderSignature, "v1a,abc") }),
		},
		{name: "empty key", h: signed([]string{"k"}, now, nil), key: "", wantMsg: "key is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := body
			if tt.body != "" {
				b = []byte(tt.body)
			}
			err := signature.Verify(tt.h, b, tt.key, tt.tolerance, now)
			if tt.wantErr == nil && tt.wantMsg == "" {
				if err != nil {
					t.Fatalf("Verify = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Verify = nil, want an error containing %q", tt.wantMsg)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Verify = %v, want errors.Is %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Verify = %q, want it to contain %q", err, tt.wantMsg)
			}
		})
	}
}

func TestVerifyStandardAcceptsPreviousKey(t *testing.T) {
	body := []byte(`{}`)
	now := time.Unix(1700000000, 0)
	h := http.Header{}
	signature.Sign(h, []string{"new", "old"}, "msg_1", now, body)
	for _, key := range []string{"new", "old"} {
		if err := signature.VerifyStandard(h, body, key, time.Minute, now); err != nil {
			t.Errorf("VerifyStandard(key %s) = %v, want nil", key, err)
		}
	}
	if err := signature.VerifyStandard(h, body, "other", time.Minute, now); !errors.Is(err, signature.ErrMismatch) {
		t.Errorf("VerifyStandard(other key) = %v, want ErrMismatch", err)
	}
}

func body2(b []byte) string { return strings.Replace(string(b), "h1", "h2", 1) }

// TestSignMatchesReference pins every header Sign sets to an independent
// HMAC-SHA256 computation for each shape of key list, since Sign reuses the
// current key's HMAC for both schemes.
func TestSignMatchesReference(t *testing.T) {
	body := []byte(`{"event":"User.Created","hookId":"h1"}`)
	ts := time.Unix(1700000000, 0)
	mac := func(key, msg string) []byte {
		m := hmac.New(sha256.New, []byte(key))
		m.Write([]byte(msg))
		return m.Sum(nil)
	}
	std := func(keys ...string) string {
		var sigs []string
		for _, k := range keys {
			sigs = append(sigs, "v1,"+base64.StdEncoding.EncodeToString(mac(k, "msg_1.1700000000."+string(body))))
		}
		return strings.Join(sigs, " ")
	}
	for _, tt := range []struct {
		keys      []string
		logto     string
		signature string
	}{
		{[]string{"k1"}, hex.EncodeToString(mac("k1", string(body))), std("k1")},
		{[]string{"new", "old"}, hex.EncodeToString(mac("new", string(body))), std("new", "old")},
		{[]string{"new", "", "old"}, hex.EncodeToString(mac("new", string(body))), std("new", "old")},
		{[]string{"", "old"}, "", std("old")},
		{[]string{"", ""}, "", ""},
	} {
		h := http.Header{}
		signature.Sign(h, tt.keys, "msg_1", ts, body)
		if got := h.Get(signature.HeaderLogto); got != tt.logto {
			t.Errorf("keys %q: %s = %q, want %q", tt.keys, signature.HeaderLogto, got, tt.logto)
		}
		if got := h.Get(signature.HeaderSignature); got != tt.signature {
			t.Errorf("keys %q: %s = %q, want %q", tt.keys, signature.HeaderSignature, got, tt.signature)
		}
		if _, ok := h[http.CanonicalHeaderKey(signature.HeaderSignature)]; ok != (tt.signature != "") {
			t.Errorf("keys %q: %s present = %v", tt.keys, signature.HeaderSignature, ok)
		}
		// The values share storage: adding to one header must not change another.
		h.Add(signature.HeaderID, "extra")
		h.Add(signature.HeaderLogto, "extra")
		if got := h.Values(signature.HeaderTimestamp); len(got) != 1 || got[0] != "1700000000" {
			t.Errorf("keys %q: %s = %q after adding to other headers", tt.keys, signature.HeaderTimestamp, got)
		}
		if got := h.Get(signature.HeaderSignature); got != tt.signature {
			t.Errorf("keys %q: %s = %q after adding to other headers", tt.keys, signature.HeaderSignature, got)
		}
	}
}
