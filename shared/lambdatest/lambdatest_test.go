package lambdatest_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/logto-webhooks/webhooks/shared/lambdatest"
)

func TestFunction(t *testing.T) {
	lambdatest.RIE(t)
	fn := lambdatest.Start(t, "echo", lambdatest.Build(t, "./testdata/echo"), map[string]string{"ECHO_NAME": "env-from-test"})

	tests := []struct {
		name        string
		payload     string
		wantPayload string
		wantError   bool
	}{
		{"result", `{"a":1}`, `{"a":1}`, false},
		{"function error", `"fail"`, `"errorMessage":"asked to fail"`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := fn.Invoke(t.Context(), []byte(tt.payload))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(res.Payload), tt.wantPayload) || res.FunctionError != tt.wantError {
				t.Errorf("Invoke(%s) = %s, function error %v; want %s, %v", tt.payload, res.Payload, res.FunctionError, tt.wantPayload, tt.wantError)
			}
		})
	}
	logs := strings.Join(fn.Logs(), "\n")
	if !strings.Contains(logs, `echo: {"a":1} from env-from-test`) {
		t.Errorf("logs lack the function's line with its environment:\n%s", logs)
	}
	if d, ok := fn.InitDuration(); !ok || d <= 0 {
		t.Errorf("InitDuration() = %v, %v; want a positive duration", d, ok)
	}

	fn.Stop()
	if _, err := fn.Invoke(t.Context(), []byte(`{}`)); err == nil {
		t.Error("Invoke after Stop succeeded")
	}
	// The bootstrap was RIE's child in RIE's process group: none may survive.
	if err := syscall.Kill(-fn.PID(), 0); err == nil || err == syscall.EPERM {
		t.Errorf("process group %d still has members after Stop (kill: %v)", fn.PID(), err)
	}
}

func TestGoBuild(t *testing.T) {
	tests := []struct {
		name, dir, pkg string
		env            []string
		wantErr        string // "" for success
	}{
		{name: "package in the working directory", pkg: "./testdata/echo"},
		{name: "package in dir", dir: "testdata", pkg: "./echo"},
		{name: "env reaches go build", pkg: "./testdata/echo", env: []string{"GOFLAGS=-mod=bogus"}, wantErr: "-mod=bogus"},
		{name: "missing package", pkg: "./testdata/nope", wantErr: "go build ./testdata/nope: exit status 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "bin")
			err := lambdatest.GoBuild(t.Context(), tt.dir, out, tt.pkg, []string{"-trimpath"}, tt.env...)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("GoBuild = %v; want nil", err)
				}
				if st, err := os.Stat(out); err != nil || st.Size() == 0 {
					t.Errorf("no binary at %s (%v)", out, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("GoBuild = %v; want an error containing %q", err, tt.wantErr)
			}
			if _, statErr := os.Stat(out); statErr == nil {
				t.Errorf("a failed build left a binary at %s", out)
			}
		})
	}
}
