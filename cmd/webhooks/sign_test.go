package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

const testKey = "Kq2yX9vZtH3mWn8pRc4sLd7fGj1bNe6A"

// run executes cmd with args and stdin, returning stdout and the error.
func run(t *testing.T, cmd *cobra.Command, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd.SetArgs(args)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SilenceUsage = true
	cmd.SilenceErrors = true
	err := cmd.Execute()
	if strings.Contains(out.String()+errOut.String(), testKey) || (err != nil && strings.Contains(err.Error(), testKey)) {
		t.Errorf("the key was printed: out %q, err %v", out.String(), err)
	}
	return out.String(), err
}

func clock(unix int64) func() time.Time { return func() time.Time { return time.Unix(unix, 0) } }

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// The values are those of shared/signature/testdata/vectors.json, which the
// Standard Webhooks and Svix libraries verify.
func TestSignGolden(t *testing.T) {
	want := `logto-signature-sha-256: c76356efa19d219d1d7e08ccb20b1d26db53b143156f406c99dcb8e0876d6c55
webhook-id: msg_0a1b2c3d4e5f6g7h8j9k0m1n2p
webhook-timestamp: 1700000000
webhook-signature: v1,SReoTjj78Tcrtn53p1DCMdDJF3EfPu5ZwFqdmaDu47k=
`
	tests := []struct {
		name  string
		stdin string
		args  []string
	}{
		{"stdin", "{}", nil},
		{"dash", "{}", []string{"-"}},
		{"file", "", []string{writeFile(t, "body.json", "{}")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--key", "foo", "--id", "msg_0a1b2c3d4e5f6g7h8j9k0m1n2p", "--timestamp", "1700000000"}, tt.args...)
			got, err := run(t, signCmd(clock(0), nil), tt.stdin, args...)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("sign printed\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestSignDefaults(t *testing.T) {
	t.Setenv(envSigningKey, testKey)
	random := bytes.NewReader(bytes.Repeat([]byte{0xff}, 16))
	got, err := run(t, signCmd(clock(1718000000), random), "{}")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"webhook-id: msg_77777777777777777777777774\n",
		"webhook-timestamp: 1718000000\n",
		"logto-signature-sha-256: ",
		"webhook-signature: v1,",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("sign printed\n%s\nwant it to contain %q", got, want)
		}
	}
}

func TestSignErrors(t *testing.T) {
	t.Setenv(envSigningKey, "")
	tests := []struct {
		name    string
		args    []string
		wantMsg string
	}{
		{"no key", nil, "no signing key: pass --key or set WEBHOOKS_SIGNING_KEY"},
		{"id with a dot", []string{"--key", testKey, "--id", "msg.1"}, "may not contain dots"},
		{"missing file", []string{"--key", testKey, filepath.Join(t.TempDir(), "nope.json")}, "read body"},
		{"two files", []string{"--key", testKey, "a", "b"}, "accepts at most 1 arg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := run(t, signCmd(clock(0), bytes.NewReader(make([]byte, 16))), "{}", tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("sign %v = %v, want an error containing %q", tt.args, err, tt.wantMsg)
			}
		})
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	t.Setenv(envSigningKey, "")
	t.Setenv(envPreviousSigningKey, "")
	const body = `{"event":"User.Created","data":{"name":"Zoë <admin>"},"hookId":"h1"}`
	bodyFile := writeFile(t, "body.json", body)
	now := int64(1718000000)
	sign := func(t *testing.T, args ...string) string {
		t.Helper()
		out, err := run(t, signCmd(clock(now), bytes.NewReader(make([]byte, 16))), "", append(args, bodyFile)...)
		if err != nil {
			t.Fatal(err)
		}
		return writeFile(t, "headers.txt", "# from webhooks sign\n"+out)
	}
	single := sign(t, "--key", testKey)
	rotated := sign(t, "--key", "newKey0123456789abcdefghijklmnop", "--previous-key", testKey)
	tampered := writeFile(t, "tampered.json", strings.Replace(body, "h1", "h2", 1))

	tests := []struct {
		name    string
		env     string // WEBHOOKS_SIGNING_KEY
		args    []string
		stdin   string
		clock   int64
		wantOut string
		wantErr string
	}{
		{name: "both schemes", args: []string{"--key", testKey, "--headers-file", single, bodyFile}, wantOut: "ok: logto-signature-sha-256 and webhook-signature verified (webhook-id msg_aaaaaaaaaaaaaaaaaaaaaaaaaa)\n"},
		{name: "key from env, body from stdin", env: testKey, args: []string{"--headers-file", single}, stdin: body, wantOut: "ok: "},
		{name: "tampered body", args: []string{"--key", testKey, "--headers-file", single, tampered}, wantErr: "verification failed: logto-signature-sha-256: signature does not match"},
		{name: "wrong key", args: []string{"--key", "other", "--headers-file", single, bodyFile}, wantErr: "signature does not match"},
		{name: "too old", args: []string{"--key", testKey, "--headers-file", single, bodyFile}, clock: now + 600, wantErr: "10m0s old, more than 5m0s"},
		{name: "tolerance off", args: []string{"--key", testKey, "--tolerance", "0", "--headers-file", single, bodyFile}, clock: now + 600, wantOut: "ok: "},
		{name: "rotation, new key", args: []string{"--key", "newKey0123456789abcdefghijklmnop", "--headers-file", rotated, bodyFile}, wantOut: "ok: "},
		{name: "rotation, previous key, all schemes", args: []string{"--key", testKey, "--headers-file", rotated, bodyFile}, wantErr: "logto-signature-sha-256: signature does not match"},
		{name: "rotation, previous key, standard scheme", args: []string{"--key", testKey, "--scheme", "standard", "--headers-file", rotated, bodyFile}, wantOut: "ok: webhook-signature verified"},
		{
			name: "headers as flags", wantOut: "ok: logto-signature-sha-256 verified",
			args: []string{"--key", "foo", "--header", "logto-signature-sha-256: c76356efa19d219d1d7e08ccb20b1d26db53b143156f406c99dcb8e0876d6c55", "-"}, stdin: "{}",
		},
		{name: "logto scheme only", args: []string{"--key", testKey, "--scheme", "logto", "--headers-file", single, bodyFile}, wantOut: "ok: logto-signature-sha-256 verified"},
		{name: "no headers", args: []string{"--key", testKey, bodyFile}, wantErr: "delivery is not signed"},
		{name: "bad header flag", args: []string{"--key", testKey, "--header", "no colon", bodyFile}, wantErr: "--header #1: want 'name: value'"},
		{name: "bad headers file", args: []string{"--key", testKey, "--headers-file", writeFile(t, "bad.txt", "webhook-id: a\nbroken\n"), bodyFile}, wantErr: "bad.txt line 2: want 'name: value'"},
		{name: "both from stdin", args: []string{"--key", testKey, "--headers-file", "-"}, wantErr: "cannot both come from stdin"},
		{name: "unknown scheme", args: []string{"--key", testKey, "--scheme", "v2", "--headers-file", single, bodyFile}, wantErr: `--scheme "v2"`},
		{name: "no key", args: []string{"--headers-file", single, bodyFile}, wantErr: "no signing key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(envSigningKey, tt.env)
			c := tt.clock
			if c == 0 {
				c = now
			}
			out, err := run(t, verifyCmd(clock(c)), tt.stdin, tt.args...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("verify = %v (out %q), want an error containing %q", err, out, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("verify = %v, want success", err)
			}
			if !strings.HasPrefix(out, tt.wantOut) {
				t.Errorf("verify printed %q, want it to start with %q", out, tt.wantOut)
			}
		})
	}
}
