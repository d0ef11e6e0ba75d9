package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateEvents = flag.Bool("update-events", false, "rewrite testdata/events/*.golden.* from the current output")

// execEvents runs `webhooks events ARGS...` through the root command, as main does.
func execEvents(t *testing.T, stdin string, args ...string) (stdout string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRootCmd()
	root.SetArgs(append([]string{"events"}, args...))
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&errOut)
	err = root.Execute()
	return out.String(), err
}

func eventsGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "events", name)
	if *updateEvents {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run go test -update-events): %v", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestEventsList(t *testing.T) {
	out, err := execEvents(t, "", "list")
	if err != nil {
		t.Fatal(err)
	}
	eventsGolden(t, "list.golden.txt", out)

	out, err = execEvents(t, "", "list", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var list []struct{ Event, Group string }
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("--json output is not a JSON array: %v\n%s", err, out)
	}
	if len(list) != 31 || list[0].Event != "PostRegister" || list[0].Group != "interaction" || list[30].Event != "Grant.LimitExceeded" || list[30].Group != "exception" {
		t.Errorf("--json listed %d events (first %+v); want 31 from PostRegister/interaction to Grant.LimitExceeded/exception", len(list), list[0])
	}
	eventsGolden(t, "list.golden.json", out)
}

func TestEventsMap(t *testing.T) {
	input, err := os.ReadFile(filepath.Join("testdata", "events", "records.json"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join("testdata", "events", "records.json")
	tests := []struct {
		name  string
		stdin string
		args  []string
	}{
		{"file", "", []string{"map", "--now", "2026-08-21T12:00:00Z", file}},
		{"dash", string(input), []string{"map", "--now", "2026-08-21T14:00:00+02:00", "-"}},
		{"stdin", string(input), []string{"map", "--now=2026-08-21T12:00:00.000Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := execEvents(t, tt.stdin, tt.args...)
			if err != nil {
				t.Fatalf("events map: %v", err)
			}
			eventsGolden(t, "records.golden.jsonl", out)
		})
	}
}

func TestEventsMapErrors(t *testing.T) {
	tests := []struct {
		name    string
		stdin   string
		args    []string
		wantErr string
	}{
		{"invalid_record", "", []string{"map", filepath.Join("testdata", "events", "invalid.json")}, "records[1].status: must be an integer HTTP status"},
		{"bad_json", `{"records":[{"type":"event","event":"Identifier.Lockout"},{]}`, []string{"map"}, "records[1]: request body is not valid JSON"},
		{"empty_stdin", "", []string{"map", "-"}, "request body is empty"},
		{"missing_file", "", []string{"map", filepath.Join(t.TempDir(), "nope.json")}, "read records: open"},
		{"bad_now", `{"type":"event","event":"Identifier.Lockout"}`, []string{"map", "--now", "noon"}, `--now "noon" is not an RFC 3339 time`},
		{"map_error", `{"type":"managementApi","method":"DELETE","path":"/users/u1","status":204}`, []string{"map"}, "records[0].data: is required"},
		{"too_many_args", "", []string{"map", "a", "b"}, "accepts at most 1 arg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := execEvents(t, tt.stdin, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
			if out != "" {
				t.Errorf("stdout = %q, want nothing on error", out)
			}
		})
	}
}
