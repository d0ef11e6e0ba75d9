package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/embedded"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// deadCount opens the database and counts dead-lettered and queued jobs.
func deadCount(t *testing.T, path string) (dead, queued int) {
	t.Helper()
	db, err := embedded.Open(path, embedded.Options{Visibility: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	jobs, err := db.ListDead(ctx, webhook.DeadFilter{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := db.Receive(ctx, 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	return len(jobs), len(msgs)
}

func TestDLQRedrive(t *testing.T) {
	pinClock(t)
	tests := []struct {
		name     string
		terminal bool
		stdin    string
		args     []string
		out      string
		stderr   string
		moved    bool
	}{
		{"not a terminal: no question", false, "", nil, "Moved 1 job back to the delivery queue.\n", "", true},
		{"terminal, --yes", true, "", []string{"--yes"}, "Moved 1 job back to the delivery queue.\n", "[", true},
		{"terminal, confirmed", true, "y\n", nil, "Moved 1 job back to the delivery queue.\n", "? [y/N] \r[==============================] 1/1\n", true},
		{"terminal, declined", true, "n\n", nil, "Aborted; nothing moved.\n", "Move 1 dead-lettered job back", false},
		{"filter matches nothing", false, "", []string{"--event", "User.Deleted"}, "Moved 0 jobs back to the delivery queue.\n", "", false},
		{"terminal, filter matches nothing", true, "", []string{"--hook", crmID}, "The dead-letter queue holds no matching jobs; nothing moved.\n", "", false},
		{"filter matches", false, "", []string{"--hook", billID, "--event", "Organization.Created"}, "Moved 1 job back to the delivery queue.\n", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			saved := isTerminal
			isTerminal = func(any) bool { return tt.terminal }
			defer func() { isTerminal = saved }()
			db := seedDB(t)
			out, stderr, err := execCLI(t, tt.stdin, append([]string{"dlq", "redrive", "--db", db}, tt.args...)...)
			if err != nil {
				t.Fatal(err)
			}
			if out != tt.out || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("stdout %q, stderr %q; want %q and stderr containing %q", out, stderr, tt.out, tt.stderr)
			}
			dead, queued := deadCount(t, db)
			if moved := dead == 0 && queued == 1; moved != tt.moved {
				t.Errorf("after redrive: %d dead, %d queued; want moved=%t", dead, queued, tt.moved)
			}
		})
	}
}
