package embedded

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The goqite table must be exactly the one goqite's own schema file creates
// (made idempotent), since goqite's statements run on it and goqite does not
// export the file for us to apply.
func TestSchemaIsGoqites(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "maragu.dev/goqite").Output()
	if err != nil {
		t.Fatalf("locate goqite's module: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "schema_sqlite.sql"))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.NewReplacer(
		"create table goqite", "create table if not exists goqite",
		"create trigger goqite", "create trigger if not exists goqite",
		"create index goqite", "create index if not exists goqite",
	).Replace(string(b))
	if norm := func(s string) string { return strings.Join(strings.Fields(s), " ") }; !strings.Contains(norm(schema), norm(want)) {
		t.Errorf("schema does not contain goqite's schema_sqlite.sql made idempotent:\n%s", want)
	}
}
