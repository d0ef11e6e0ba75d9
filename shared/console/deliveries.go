package console

import (
	"bytes"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/logto-webhooks/webhooks/shared/signature"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// deliveryLimit bounds the rows of the deliveries list.
const deliveryLimit = 100

// deliveryFilter is the deliveries list's filter form.
type deliveryFilter struct {
	Failed bool
	Since  string // a duration, e.g. "24h"
}

func parseFilter(r *http.Request) deliveryFilter {
	f := deliveryFilter{Failed: r.URL.Query().Get("failed") == "on", Since: r.URL.Query().Get("since")}
	if _, err := time.ParseDuration(f.Since); err != nil {
		f.Since = "24h"
	}
	return f
}

// Query is the filter as a query string, for links and the poll URL.
func (f deliveryFilter) Query() template.URL {
	v := url.Values{"since": {f.Since}}
	if f.Failed {
		v.Set("failed", "on")
	}
	return template.URL(v.Encode()) //nolint:gosec // url.Values.Encode escapes every value
}

// deliveriesFragment is the live list of a hook's attempts, newest first,
// which the hook page polls.
func (c *Console) deliveriesFragment(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	f := parseFilter(r)
	since, _ := time.ParseDuration(f.Since)
	var entries []webhook.LogEntry
	if c.cfg.Backend.Log != nil {
		var err error
		entries, err = c.cfg.Backend.Log.Query(r.Context(), webhook.LogQuery{
			HookID: id, Since: c.cfg.Now().Add(-since), FailedOnly: f.Failed, Limit: deliveryLimit,
		})
		if err != nil {
			c.internal(w, r, err)
			return
		}
	}
	c.fragment(w, r, http.StatusOK, "deliveries", map[string]any{"HookID": id, "Entries": entries, "Filter": f, "Limit": deliveryLimit})
}

// chartFragment is the hook's chart, which the hook page polls.
func (c *Console) chartFragment(w http.ResponseWriter, r *http.Request) {
	s, err := c.series(r.Context(), r.PathValue("id"))
	if err != nil {
		c.internal(w, r, err)
		return
	}
	c.fragment(w, r, http.StatusOK, "chart", map[string]any{"HookID": r.PathValue("id"), "Series": s, "Chart": s.svg()})
}

// header is one request header as the attempt page shows it.
type header struct {
	Name, Value string
	// Withheld: the value is a secret or derived from one and is not shown.
	Withheld bool
}

// attemptPage shows one attempt: the request as sent and the response as
// received. The log keeps bodies, never headers (no signature or custom
// header value is ever stored), so the headers are recomputed: those that
// need no secret in full, the others by name only.
func (c *Console) attemptPage(w http.ResponseWriter, r *http.Request) {
	h, ok := c.hook(w, r)
	if !ok {
		return
	}
	attempt, _ := strconv.Atoi(r.PathValue("attempt"))
	at, _ := strconv.ParseInt(r.URL.Query().Get("at"), 10, 64)
	entry, found := webhook.LogEntry{}, false
	if c.cfg.Backend.Log != nil && at > 0 {
		entries, err := c.cfg.Backend.Log.Query(r.Context(), webhook.LogQuery{
			HookID: h.ID, Since: time.UnixMilli(at), Until: time.UnixMilli(at),
		})
		if err != nil {
			c.internal(w, r, err)
			return
		}
		for _, e := range entries {
			if e.DeliveryID == r.PathValue("delivery") && e.Attempt == attempt {
				entry, found = e, true
				break
			}
		}
	}
	if !found {
		http.Error(w, "no such attempt in the delivery log (entries expire after 14 days)", http.StatusNotFound)
		return
	}
	headers := []header{
		{Name: "content-type", Value: "application/json"},
		{Name: "user-agent", Value: c.cfg.UserAgent},
	}
	for _, name := range formOf(h).HeaderNames {
		headers = append(headers, header{Name: name, Withheld: true})
	}
	headers = append(headers,
		header{Name: signature.HeaderLogto, Withheld: true},
		header{Name: signature.HeaderID, Value: entry.DeliveryID},
		header{Name: signature.HeaderTimestamp, Value: strconv.FormatInt(entry.CreatedAt/1000, 10)},
		header{Name: signature.HeaderSignature, Withheld: true},
	)
	c.page(w, r, "attempt", "Attempt "+strconv.Itoa(attempt)+" of "+entry.DeliveryID, map[string]any{
		"Hook": formOf(h), "Entry": entry, "Headers": headers,
		"Request": pretty(entry.Request), "Response": pretty(entry.Response),
	})
}

// pretty indents a JSON body; anything else (a truncated body, text) is shown
// as it is.
func pretty(s string) string {
	var b bytes.Buffer
	if json.Indent(&b, []byte(s), "", "  ") != nil {
		return s
	}
	return b.String()
}
