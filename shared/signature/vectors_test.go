package signature_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	svix "github.com/svix/svix-webhooks/go"

	"github.com/logto-webhooks/webhooks/shared/signature"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors.json from the code")

const vectorsPath = "testdata/vectors.json"

// vectorFile is testdata/vectors.json: fixed inputs and the headers we send for
// them, for receivers to test their verification code against.
type vectorFile struct {
	Description string   `json:"description"`
	Vectors     []vector `json:"vectors"`
}

type vector struct {
	Name string `json:"name"`
	// Keys are the hook's signing keys, current first; Secrets the matching
	// Standard Webhooks secrets.
	Keys      []string          `json:"keys"`
	Secrets   []string          `json:"secrets"`
	ID        string            `json:"id"`
	Timestamp int64             `json:"timestamp"`
	Body      string            `json:"body"`
	Headers   map[string]string `json:"headers"`
}

var vectorInputs = []vector{
	{Name: "logto test vector: object", Keys: []string{"foo"}, ID: "msg_0a1b2c3d4e5f6g7h8j9k0m1n2p", Timestamp: 1700000000, Body: `{"bar":"bar","foo":"foo"}`},
	{Name: "logto test vector: empty object", Keys: []string{"foo"}, ID: "msg_0a1b2c3d4e5f6g7h8j9k0m1n2p", Timestamp: 1700000000, Body: `{}`},
	{
		Name: "delivery with a Logto-style key", Keys: []string{"Kq2yX9vZtH3mWn8pRc4sLd7fGj1bNe6A"}, ID: "msg_7w3xq9m2k4h6j8n0p1r3t5v7y9", Timestamp: 1718000000,
		Body: `{"event":"User.Created","createdAt":"2024-06-10T06:13:20.000Z","data":{"id":"u1","name":"Zoë <admin> & co"},"hookId":"h1"}`,
	},
	{
		Name: "rotation: current and previous key", Keys: []string{"newKey0123456789abcdefghijklmnop", "oldKey0123456789abcdefghijklmnop"}, ID: "msg_7w3xq9m2k4h6j8n0p1r3t5v7y9", Timestamp: 1718000000,
		Body: `{"event":"PostSignIn","interactionEvent":"SignIn","hookId":"h1"}`,
	},
	{Name: "unsigned hook (empty key)", Keys: []string{""}, ID: "msg_7w3xq9m2k4h6j8n0p1r3t5v7y9", Timestamp: 1718000000, Body: `{"event":"User.Deleted","hookId":"h1"}`},
}

func buildVectors() []byte {
	f := vectorFile{
		Description: "Signature headers of logto-webhooks deliveries. Receivers: verify each body " +
			"with the headers, using keys (logto-signature-sha-256, current key only) or secrets " +
			"(Standard Webhooks, any key). Timestamps are fixed: skip the tolerance check. " +
			"Regenerate: go test ./shared/signature -run TestVectors -update",
	}
	for _, in := range vectorInputs {
		v := in
		v.Secrets = nil
		for _, k := range v.Keys {
			if k != "" {
				v.Secrets = append(v.Secrets, signature.Secret(k))
			}
		}
		h := http.Header{}
		signature.Sign(h, v.Keys, v.ID, time.Unix(v.Timestamp, 0), []byte(v.Body))
		v.Headers = map[string]string{}
		for _, name := range []string{signature.HeaderLogto, signature.HeaderID, signature.HeaderTimestamp, signature.HeaderSignature} {
			if val := h.Get(name); val != "" {
				v.Headers[name] = val
			}
		}
		f.Vectors = append(f.Vectors, v)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(f); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// TestVectors fails when testdata/vectors.json no longer matches what the code
// signs, so the published vectors cannot go stale.
func TestVectors(t *testing.T) {
	want := buildVectors()
	if *update {
		if err := os.MkdirAll(filepath.Dir(vectorsPath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(vectorsPath, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(vectorsPath)
	if err != nil {
		t.Fatalf("read vectors (create them with -update): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale; regenerate with: go test ./shared/signature -run TestVectors -update\ngot:\n%s\nwant:\n%s", vectorsPath, got, want)
	}
}

// TestVectorsWithLibraries checks the published file with code that is not ours:
// the Standard Webhooks and Svix libraries and Logto's own test vectors.
func TestVectorsWithLibraries(t *testing.T) {
	raw, err := os.ReadFile(vectorsPath)
	if err != nil {
		t.Fatal(err)
	}
	var f vectorFile
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Vectors) != len(vectorInputs) {
		t.Fatalf("%s has %d vectors, want %d", vectorsPath, len(f.Vectors), len(vectorInputs))
	}
	logto := map[string]string{
		`{"bar":"bar","foo":"foo"}`: "436958f1dbfefab37712fb3927760490fbf7757da8c0b2306ee7b485f0360eee",
		`{}`:                        "c76356efa19d219d1d7e08ccb20b1d26db53b143156f406c99dcb8e0876d6c55",
	}
	for _, v := range f.Vectors {
		t.Run(v.Name, func(t *testing.T) {
			h := http.Header{}
			for k, val := range v.Headers {
				h.Set(k, val)
			}
			if want, ok := logto[v.Body]; ok && v.Headers[signature.HeaderLogto] != want {
				t.Errorf("%s = %s, want Logto's %s", signature.HeaderLogto, v.Headers[signature.HeaderLogto], want)
			}
			if len(v.Secrets) == 0 && h.Get(signature.HeaderSignature) != "" {
				t.Errorf("unsigned vector has %s", signature.HeaderSignature)
			}
			for i, secret := range v.Secrets {
				sw, err := standardwebhooks.NewWebhook(secret)
				if err != nil {
					t.Fatal(err)
				}
				if err := sw.VerifyIgnoringTimestamp([]byte(v.Body), h); err != nil {
					t.Errorf("standard-webhooks, secret %d: %v", i, err)
				}
				sv, err := svix.NewWebhook(secret)
				if err != nil {
					t.Fatal(err)
				}
				if err := sv.VerifyIgnoringTimestamp([]byte(v.Body), h); err != nil {
					t.Errorf("svix, secret %d: %v", i, err)
				}
			}
		})
	}
}
