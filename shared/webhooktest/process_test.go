package webhooktest_test

import (
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/webhooktest"
)

func TestProcessOutputAndExit(t *testing.T) {
	p := webhooktest.StartProcess(t, exec.Command("sh", "-c", "echo one; echo two; echo oops >&2; exit 3"))
	var got []string
	for l := range p.Lines {
		got = append(got, l)
	}
	if want := []string{"one", "two"}; !slices.Equal(got, want) {
		t.Errorf("Lines = %q; want %q", got, want)
	}
	select {
	case <-p.Exited():
	case <-time.After(10 * time.Second):
		t.Fatal("Exited not closed within 10s of stdout ending")
	}
	var exit *exec.ExitError
	if err := p.Err(); !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Errorf("Err() = %v; want exit status 3", err)
	}
	if s := p.Stderr.String(); s != "oops\n" {
		t.Errorf("Stderr = %q; want %q", s, "oops\n")
	}
}

func TestProcessDropsUnreadLines(t *testing.T) {
	p := webhooktest.StartProcess(t, exec.Command("sh", "-c", "seq 1 3000; echo done >&2"))
	if err := p.Err(); err != nil {
		t.Fatalf("a process printing more than the test reads: Err() = %v; want nil", err)
	}
	n := 0
	for l := range p.Lines {
		if n++; n == 1 && l != "1" {
			t.Errorf("first line %q; want 1", l)
		}
	}
	if n != 1000 {
		t.Errorf("kept %d unread lines; want the first 1000", n)
	}
}

func TestProcessSignal(t *testing.T) {
	tests := []struct {
		name    string
		script  string
		sig     syscall.Signal
		wantErr string // "" for a clean exit
	}{
		{"killed", "echo ready; exec sleep 30", syscall.SIGKILL, "signal: killed"},
		{"trapped", "trap 'exit 0' TERM; echo ready; while :; do sleep 0.05; done", syscall.SIGTERM, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := webhooktest.StartProcess(t, exec.Command("sh", "-c", tt.script))
			if l := <-p.Lines; l != "ready" {
				t.Fatalf("first line %q; want ready", l)
			}
			err := p.Signal(t, tt.sig)
			if got := fmt.Sprint(err); (tt.wantErr == "" && err != nil) || (tt.wantErr != "" && !strings.Contains(got, tt.wantErr)) {
				t.Errorf("Signal(%v) = %v; want %q", tt.sig, err, tt.wantErr)
			}
		})
	}
}

func TestProcessKilledAtCleanup(t *testing.T) {
	var p *webhooktest.Process
	t.Run("start", func(t *testing.T) {
		p = webhooktest.StartProcess(t, exec.Command("sleep", "30"))
	})
	select {
	case <-p.Exited():
	default:
		t.Fatal("process still running after its test's cleanup")
	}
}
