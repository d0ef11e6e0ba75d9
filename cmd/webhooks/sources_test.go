package main

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestSourcesLifecycle runs the commands the README's "Use with your Logto"
// pastes, on a local file: create (no key yet), paste Logto's key, show it
// only on request, rotate, disable, delete.
func TestSourcesLifecycle(t *testing.T) {
	pinClock(t)
	db := filepath.Join(t.TempDir(), "dev.db")
	out, _, err := execCLI(t, "", "sources", "create", "--db", db, "--name", "My tenant")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`http://127\.0\.0\.1:3000/logto/([0-9a-z]{21})\n`).FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "webhooks sources update "+m[1]+" --signing-key KEY") {
		t.Fatalf("create printed %q; want the relay URL and how to paste Logto's key", out)
	}
	id := m[1]
	const key = "LogtoSigningKey0123456789abcdefg"
	steps := []struct {
		args       []string
		want, hide string
	}{
		{[]string{"update", id, "--signing-key", key}, "signing key set", key},
		{[]string{"get", id}, "signing key  set", key},
		{[]string{"get", id, "--json"}, `"hasSigningKey": true`, key},
		{[]string{"get", id, "--show-key"}, key, ""},
		{[]string{"list"}, "/logto/" + id, key},
		{[]string{"rotate-key", id, "--signing-key", "NewLogtoKey0123456789abcdefghijk", "--grace", "1h"}, "previous until", key},
		{[]string{"update", id, "--disable"}, "enabled false", key},
		{[]string{"delete", id}, "Deleted source " + id, key},
	}
	for _, s := range steps {
		out, _, err := execCLI(t, "", append(append([]string{"sources"}, s.args...), "--db", db)...)
		if err != nil {
			t.Fatalf("sources %s: %v", strings.Join(s.args, " "), err)
		}
		if !strings.Contains(out, s.want) || s.hide != "" && strings.Contains(out, s.hide) {
			t.Errorf("sources %s printed %q; want %q and no key", strings.Join(s.args, " "), out, s.want)
		}
	}
	if _, _, err := execCLI(t, "", "sources", "get", id, "--db", db); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("get after delete: %v; want does not exist", err)
	}
	if _, _, err := execCLI(t, "", "sources", "create", "--db", db, "--name", "x", "--signing-key", "has space"); err == nil ||
		!strings.Contains(err.Error(), "signingKey") {
		t.Errorf("a key with a space: %v; want an error naming signingKey", err)
	}
	out, _, _ = execCLI(t, "", "sources", "list", "--db", db, "--json")
	var list []any
	if json.Unmarshal([]byte(out), &list) != nil || len(list) != 0 {
		t.Errorf("list --json after delete = %q; want []", out)
	}
}
