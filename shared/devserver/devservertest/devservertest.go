// Package devservertest runs a devserver.Server in the background for tests of
// the dev pipeline (its own tests, the reliability suite).
package devservertest

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/devserver"
)

// Start opens a server for cfg on 127.0.0.1 (a fresh database in t.TempDir()
// unless cfg.DBPath is set; a 10 ms poll unless cfg.PollInterval is set) and runs
// it in the background. stop cancels Run and returns its error; cleanup calls it
// and fails the test if Run failed or did not return within 20 s.
func Start(t testing.TB, cfg devserver.Config) (srv *devserver.Server, stop func() error) {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	if cfg.DBPath == "" {
		cfg.DBPath = filepath.Join(t.TempDir(), "dev.db")
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 10 * time.Millisecond
	}
	srv, err := devserver.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	var once sync.Once
	var runErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(20 * time.Second):
				runErr = errors.New("dev server did not return within 20s of cancel")
			}
		})
		return runErr
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("dev server: %v", err)
		}
	})
	return srv, stop
}
