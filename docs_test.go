package webhooks

import (
	"bufio"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// The documentation checks: every relative link in a Markdown file leads to a file
// that exists (and, for a #fragment into a Markdown file, to one of its headings),
// and every document a Go comment cites is in the repository, with the section it
// names. A renamed doc or heading then fails here instead of leaving a reader, or a
// contributor following a comment, at a dead end.

// TestDocsLinks checks the relative links and image sources of every Markdown file.
func TestDocsLinks(t *testing.T) {
	files := repoFiles(t, "*.md")
	if len(files) == 0 {
		t.Fatal("no Markdown files found")
	}
	headings := map[string]map[string]bool{} // file -> anchors, filled on demand
	anchorsOf := func(file string) (map[string]bool, error) {
		if a, ok := headings[file]; ok {
			return a, nil
		}
		a, err := markdownAnchors(file)
		headings[file] = a
		return a, err
	}
	for _, file := range files {
		links, err := markdownLinks(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range links {
			target, frag, _ := strings.Cut(l.target, "#")
			resolved := file
			if target != "" {
				resolved = path.Join(path.Dir(file), target)
				if _, err := os.Stat(filepath.FromSlash(resolved)); err != nil {
					t.Errorf("%s:%d: link %q: %s does not exist", file, l.line, l.target, resolved)
					continue
				}
			}
			if frag == "" || !strings.HasSuffix(resolved, ".md") {
				continue
			}
			anchors, err := anchorsOf(resolved)
			if err != nil {
				t.Fatal(err)
			}
			if !anchors[frag] {
				t.Errorf("%s:%d: link %q: %s has no heading #%s", file, l.line, l.target, resolved, frag)
			}
		}
	}
}

// TestDocsGoCitations checks the documents Go comments cite: a path under docs/
// must exist, a section after it ("docs/architecture.md §5") must be a numbered
// heading of that file, and no comment may cite a document by a name that is not
// in the repository (the design document and Logto notes once lived outside it).
func TestDocsGoCitations(t *testing.T) {
	files := repoFiles(t, "*.go")
	if len(files) == 0 {
		t.Fatal("no Go files found")
	}
	sections := map[string]map[string]bool{}
	for _, file := range files {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, file, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("parse %s: %v", file, err)
		}
		for _, cg := range f.Comments {
			for _, c := range cg.List {
				pos := fset.Position(c.Pos())
				for _, m := range docCitation.FindAllStringSubmatch(c.Text, -1) {
					doc, sec := strings.TrimRight(m[1], ".,;:"), m[2]
					if _, err := os.Stat(filepath.FromSlash(doc)); err != nil {
						t.Errorf("%s:%d: comment cites %s, which does not exist", file, pos.Line, doc)
						continue
					}
					if sec == "" {
						continue
					}
					if _, ok := sections[doc]; !ok {
						if sections[doc], err = numberedSections(doc); err != nil {
							t.Fatal(err)
						}
					}
					if !sections[doc][sec] {
						t.Errorf("%s:%d: comment cites %s §%s, which has no such numbered heading", file, pos.Line, doc, sec)
					}
				}
				for _, m := range outsideCitation.FindAllStringSubmatch(c.Text, -1) {
					t.Errorf("%s:%d: comment cites %q, a document outside the repository; cite docs/<file>.md §N", file, pos.Line, strings.TrimLeft(strings.TrimSpace(m[0]), "("))
				}
			}
		}
	}
}

var (
	// docCitation matches docs/<path> and an optional "§N" or "§N.M" after it.
	docCitation = regexp.MustCompile(`\b(docs/[A-Za-z0-9_./-]*[A-Za-z0-9_/-])(?:\s+§(\d+(?:\.\d+)*))?`)
	// outsideCitation matches "design §N" and "<name>.md §N" not under docs/.
	outsideCitation = regexp.MustCompile(`(?:^|[\s(])(?:design|[A-Za-z0-9_-]+\.md)\s+§\d`)
	mdLink          = regexp.MustCompile(`!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)`)
	mdRefDef        = regexp.MustCompile(`^\s{0,3}\[[^\]]+\]:\s+<?([^>\s]+)>?`)
	htmlSrc         = regexp.MustCompile(`(?:src|href)="([^"]+)"`)
	inlineCode      = regexp.MustCompile("`+[^`]*`+")
	atxHeading      = regexp.MustCompile(`^#{1,6}\s+(.+)$`)
	headingNumber   = regexp.MustCompile(`^#{1,6}\s+(\d+(?:\.\d+)*)\.?\s`)
)

type mdLinkRef struct {
	line   int
	target string
}

// markdownLinks returns the relative link targets of file, outside code blocks
// and inline code.
func markdownLinks(file string) ([]mdLinkRef, error) {
	var out []mdLinkRef
	err := eachProseLine(file, func(n int, line string) {
		line = inlineCode.ReplaceAllString(line, "")
		var targets []string
		for _, m := range mdLink.FindAllStringSubmatch(line, -1) {
			targets = append(targets, m[1])
		}
		if m := mdRefDef.FindStringSubmatch(line); m != nil {
			targets = append(targets, m[1])
		}
		for _, m := range htmlSrc.FindAllStringSubmatch(line, -1) {
			targets = append(targets, m[1])
		}
		for _, tg := range targets {
			if strings.Contains(tg, "://") || strings.HasPrefix(tg, "mailto:") {
				continue
			}
			out = append(out, mdLinkRef{line: n, target: tg})
		}
	})
	return out, err
}

// markdownAnchors returns the fragment ids GitHub gives file's headings.
func markdownAnchors(file string) (map[string]bool, error) {
	anchors := map[string]bool{}
	seen := map[string]int{}
	err := eachProseLine(file, func(_ int, line string) {
		m := atxHeading.FindStringSubmatch(line)
		if m == nil {
			return
		}
		slug := githubSlug(strings.TrimSpace(m[1]))
		if n := seen[slug]; n > 0 {
			anchors[fmt.Sprintf("%s-%d", slug, n)] = true
		} else {
			anchors[slug] = true
		}
		seen[slug]++
	})
	return anchors, err
}

// githubSlug is GitHub's heading anchor: lower case, punctuation dropped (but
// hyphens and underscores kept), spaces turned into hyphens.
func githubSlug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// numberedSections returns the section numbers of file's headings ("5", "5.2").
func numberedSections(file string) (map[string]bool, error) {
	secs := map[string]bool{}
	err := eachProseLine(file, func(_ int, line string) {
		if m := headingNumber.FindStringSubmatch(line); m != nil {
			secs[m[1]] = true
		}
	})
	return secs, err
}

// eachProseLine calls fn with each line of file outside fenced code blocks.
func eachProseLine(file string, fn func(n int, line string)) error {
	f, err := os.Open(filepath.FromSlash(file))
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	fence := ""
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if fence == "" && (strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~")) {
			fence = trimmed[:3]
			continue
		}
		if fence != "" {
			if strings.HasPrefix(trimmed, fence) {
				fence = ""
			}
			continue
		}
		fn(n, line)
	}
	return sc.Err()
}

// repoFiles returns the repository's files matching pattern (slash-separated,
// relative to the root): the tracked ones when git is available, else every
// file outside hidden and build directories.
func repoFiles(t *testing.T, pattern string) []string {
	t.Helper()
	if out, err := exec.Command("git", "ls-files", "--cached", "--others", "--exclude-standard", "--", pattern).Output(); err == nil {
		var files []string
		for _, f := range strings.Fields(string(out)) {
			if _, err := os.Stat(f); err == nil { // skip files deleted in the worktree
				files = append(files, f)
			}
		}
		return files
	}
	var files []string
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "bin") {
			return filepath.SkipDir
		}
		if ok, _ := path.Match(pattern, d.Name()); ok && !d.IsDir() {
			files = append(files, filepath.ToSlash(p))
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return files
}
