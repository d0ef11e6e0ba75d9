package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/logto-webhooks/webhooks/shared/devserver"
)

func writeRecords(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "records.json")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSendLocal posts to a dev server: accepted records print the 202 answer,
// invalid ones an error naming the record and field.
func TestSendLocal(t *testing.T) {
	srv, err := devserver.Open(devserver.Config{Addr: "127.0.0.1:0", DBPath: filepath.Join(t.TempDir(), "dev.db"), Demo: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- srv.Run(ctx) }()
	defer func() { cancel(); <-done }()

	tests := []struct {
		name, stdin, file string
		out, err          string
	}{
		{"file", "", writeRecords(t, exampleRecord), `{"accepted":1,"deliveries":1,"events":[{"id":"evt_t9c3e32j0b6gpd33rbgarcf7br","event":"User.Created"}]}` + "\n", ""},
		{"stdin", exampleRecord, "-", `"deliveries":1`, ""},
		{"invalid record", `{"records":[{"type":"managementApi","method":"POST","path":"/users","status":99}]}`, "-", "",
			"ingest answered 400 invalid_record: records[0].status: "},
		{"missing file", "", filepath.Join(t.TempDir(), "nope.json"), "", "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := execCLI(t, tt.stdin, "send", tt.file, "--url", srv.URL+"/events")
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("err = %v; want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil || !strings.Contains(out, tt.out) {
				t.Errorf("send = %q, %v; want output containing %q", out, err, tt.out)
			}
		})
	}
	_, _, err = execCLI(t, "", "send", "-", "--url", "http://127.0.0.1:1/events")
	if err == nil || !strings.Contains(err.Error(), "is webhooks dev running?") {
		t.Errorf("send to a closed port: %v; want a hint that webhooks dev is not running", err)
	}
}

// TestSendSigV4 checks that --ingest-url requests carry a valid SigV4
// signature for execute-api, by signing the received request again.
func TestSendSigV4(t *testing.T) {
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "secret-test", "AWS_SESSION_TOKEN": "",
		"AWS_REGION": "eu-west-1", "AWS_PROFILE": "", "AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
	} {
		t.Setenv(k, v)
	}
	var problem string
	ingest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		auth := r.Header.Get("Authorization")
		when, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
		if err != nil {
			problem = "no X-Amz-Date"
			w.WriteHeader(http.StatusForbidden)
			return
		}
		again, _ := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), bytes.NewReader(body))
		again.Header.Set("Content-Type", r.Header.Get("Content-Type"))
		sum := sha256.Sum256(body)
		creds := aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret-test"}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, again, hex.EncodeToString(sum[:]), "execute-api", "eu-west-1", when); err != nil {
			problem = err.Error()
		}
		if want := again.Header.Get("Authorization"); auth != want || !strings.Contains(auth, "/eu-west-1/execute-api/aws4_request") {
			problem = "Authorization " + auth + " != " + want
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, `{"message":"Forbidden"}`)
			return
		}
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"accepted":1,"deliveries":0,"events":[]}`)
	}))
	defer ingest.Close()
	out, _, err := execCLI(t, exampleRecord, "send", "-", "--ingest-url", ingest.URL+"/events")
	if err != nil || problem != "" || !strings.Contains(out, `"accepted":1`) {
		t.Errorf("send --ingest-url = %q, %v; receiver: %s", out, err, problem)
	}
	if _, _, err := execCLI(t, exampleRecord, "send", "-", "--ingest-url", ingest.URL+"/events", "--url", "http://x"); err == nil {
		t.Error("--url with --ingest-url was accepted; want an error")
	}
}
