package console

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/logto-webhooks/webhooks/shared/management"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// templates holds one template set per page (each with the layout) and one
// set of fragments, the parts htmx swaps in.
type templates struct {
	pages     map[string]*template.Template
	fragments *template.Template
}

// pageNames are the files under templates/ that are whole pages.
var pageNames = []string{"hooks", "hook", "attempt", "dlq", "login", "sources", "source"}

func parseTemplates(c *Console) *templates {
	funcs := template.FuncMap{
		"prefix": func() string { return c.cfg.Prefix },
		"time":   formatMillis,
		"ago":    func(ms int64) string { return ago(c.cfg.Now(), ms) },
		"join":   joinEvents,
		"refresh": func() string {
			return fmt.Sprintf("every %dms", c.cfg.Refresh.Milliseconds())
		},
		"sections":   func() []Section { return c.cfg.Sections },
		"hasSources": c.hasSources,
		"pct":        pct,
		"list":       func(s ...string) []string { return s },
		"dict": func(kv ...any) map[string]any {
			m := make(map[string]any, len(kv)/2)
			for i := 0; i+1 < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return m
		},
	}
	frag := template.Must(template.New("fragments").Funcs(funcs).ParseFS(templateFS, "templates/fragments.html"))
	t := &templates{pages: map[string]*template.Template{}, fragments: frag}
	for _, name := range pageNames {
		base := template.Must(frag.Clone())
		template.Must(base.ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
		t.pages[name] = base
	}
	return t
}

// layoutData is what the layout gets: the page's title and its own data.
type layoutData struct {
	Title string
	Nav   string
	Data  any
}

// page renders a whole page in the layout.
func (c *Console) page(w http.ResponseWriter, r *http.Request, name, title string, data any) {
	var buf bytes.Buffer
	if err := c.tpl.pages[name].ExecuteTemplate(&buf, "layout", layoutData{Title: title, Nav: name, Data: data}); err != nil {
		c.internal(w, r, fmt.Errorf("render %s: %w", name, err))
		return
	}
	writeHTML(w, http.StatusOK, buf.Bytes())
}

// fragment renders one fragment, the answer to an htmx request.
func (c *Console) fragment(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var buf bytes.Buffer
	if err := c.tpl.fragments.ExecuteTemplate(&buf, name, data); err != nil {
		c.internal(w, r, fmt.Errorf("render %s: %w", name, err))
		return
	}
	writeHTML(w, status, buf.Bytes())
}

func writeHTML(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// Pages may show a revealed key or a receiver's answer: never cache them.
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// redirect sends the browser to path under the console after a change: htmx
// follows HX-Redirect, a plain form the 303.
func (c *Console) redirect(w http.ResponseWriter, r *http.Request, path string) {
	to := c.cfg.Prefix + path
	if r.Header.Get("HX-Request") != "" {
		w.Header().Set("HX-Redirect", to)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// internal logs err and shows the user only that something failed.
func (c *Console) internal(w http.ResponseWriter, r *http.Request, err error) {
	c.log.ErrorContext(r.Context(), "console: internal error", "path", r.URL.Path, "error", err)
	http.Error(w, "internal error (the server's log has the details)", http.StatusInternalServerError)
}

// serviceError answers an error of the management Service: the user's
// mistakes with their message, a store's failure as internal.
func (c *Console) serviceError(w http.ResponseWriter, r *http.Request, err error) {
	e, ok := errors.AsType[*management.Error](err)
	if !ok {
		c.internal(w, r, err)
		return
	}
	status := http.StatusBadRequest
	switch {
	case errors.Is(e, management.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(e, management.ErrConflict):
		status = http.StatusConflict
	}
	if r.Header.Get("HX-Request") != "" {
		c.fragment(w, r, status, "notice", notice{Error: true, Text: e.Message})
		return
	}
	http.Error(w, e.Message, status)
}

// notice is a one-line answer to an action.
type notice struct {
	Error bool
	Text  string
}

func formatMillis(ms int64) string {
	if ms == 0 {
		return "-"
	}
	return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04:05Z")
}

// ago is a short relative time ("5s ago", "in 3m") for people scanning a list.
func ago(now time.Time, ms int64) string {
	if ms == 0 {
		return "-"
	}
	d := now.Sub(time.UnixMilli(ms))
	if d < 0 {
		return "in " + shortDuration(-d)
	}
	return shortDuration(d) + " ago"
}

func shortDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

func joinEvents(events []webhook.Event) string {
	s := make([]string, len(events))
	for i, e := range events {
		s[i] = string(e)
	}
	return strings.Join(s, ", ")
}

// pct is the success rate of a Stats, or "-" without requests.
func pct(st webhook.Stats) string {
	if st.RequestCount == 0 {
		return "-"
	}
	return fmt.Sprintf("%d%%", st.SuccessCount*100/st.RequestCount)
}
