package webhooktest

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// lineBuffer is how many stdout lines a Process holds for the test to read.
const lineBuffer = 1000

// Process is a subprocess a test drives through its output and signals, such
// as a `webhooks dev` server it kills mid-batch: it waits for the process's
// banner on Lines and shows Stderr when something goes wrong.
type Process struct {
	// Cmd is the started command.
	Cmd *exec.Cmd
	// Lines gets stdout line by line and is closed when stdout ends. Lines the
	// test leaves unread beyond the first 1000 are dropped, so a chatty process
	// never blocks on its output.
	Lines <-chan string
	// Stderr collects what the process writes to stderr.
	Stderr *SyncBuffer

	done chan struct{} // closed once Wait returned
	err  error         // Wait's result, set before done is closed
}

// StartProcess starts cmd (whose Stdout and Stderr must be unset) and reads
// its output. The process is killed and reaped when the test ends, if it still
// runs then.
func StartProcess(t testing.TB, cmd *exec.Cmd) *Process {
	t.Helper()
	lines := make(chan string, lineBuffer)
	p := &Process{Cmd: cmd, Lines: lines, Stderr: &SyncBuffer{}, done: make(chan struct{})}
	cmd.Stderr = p.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
		close(lines)
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// Exited is closed once the process has exited; Err then returns how.
func (p *Process) Exited() <-chan struct{} { return p.done }

// Err returns the exit error (nil for status 0) once Exited is closed.
func (p *Process) Err() error {
	<-p.done
	return p.err
}

// Signal sends sig and returns the exit error (nil for status 0). The test
// fails if the process has not exited within 20 seconds.
func (p *Process) Signal(t testing.TB, sig os.Signal) error {
	t.Helper()
	if err := p.Cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
		return p.err
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not exit within 20s of %v; stderr:\n%s", filepath.Base(p.Cmd.Path), sig, p.Stderr)
		return nil
	}
}
