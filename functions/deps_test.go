package functions_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestFunctionsLinkNoSQLite keeps the embedded backend out of the Lambda
// binaries: they open their stores through shared/backend, and linking the
// pure-Go SQLite driver would add megabytes and cold-start time for code that
// never runs on Lambda.
func TestFunctionsLinkNoSQLite(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list the functions' dependencies: %v", err)
	}
	for _, pkg := range []string{"./ingest", "./delivery"} {
		out, err := exec.Command(goBin, "list", "-deps", "-tags", "lambda.norpc", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, banned := range []string{"modernc.org/sqlite", "maragu.dev/goqite", "github.com/logto-webhooks/webhooks/shared/embedded"} {
				if dep == banned || strings.HasPrefix(dep, banned+"/") {
					t.Errorf("%s links %s; open stores through shared/backend, never shared/embedded", pkg, dep)
				}
			}
		}
	}
}
