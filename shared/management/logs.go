package management

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// Pagination as Logto's koaPagination: page from 1, page_size default 20, max 100.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
	// logCountCap is the Total-Number cap of enableCap=true.
	logCountCap = 10000
)

type pagination struct {
	page, size int
	capped     bool
}

// parsePagination reads page and page_size. When optional and neither is given it
// returns nil: the whole list, without Total-Number.
func parsePagination(q url.Values, optional bool) (*pagination, error) {
	if optional && q.Get("page") == "" && q.Get("page_size") == "" {
		return nil, nil
	}
	pg := &pagination{page: 1, size: DefaultPageSize}
	for _, p := range []struct {
		name string
		dst  *int
		max  int
	}{{"page", &pg.page, math.MaxInt32}, {"page_size", &pg.size, MaxPageSize}} {
		s := q.Get(p.name)
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > p.max {
			return nil, &Error{Kind: ErrInvalid, Code: "guard.invalid_pagination", Field: p.name,
				Message: fmt.Sprintf("%s must be an integer between 1 and %d", p.name, p.max),
				Data:    map[string]string{"field": p.name}}
		}
		*p.dst = n
	}
	return pg, nil
}

func pageOf[T any](items []T, pg pagination) []T {
	start := (pg.page - 1) * pg.size
	if start >= len(items) {
		return items[:0]
	}
	return items[start:min(start+pg.size, len(items))]
}

// setHeaders sets Total-Number and Link (first, last, prev, next) as Logto does;
// links are relative to the request path, which behind a proxy is all we know.
func (pg *pagination) setHeaders(w http.ResponseWriter, r *http.Request, total int) {
	w.Header().Set("Total-Number", strconv.Itoa(total))
	if pg.capped {
		w.Header().Set("Total-Number-Is-Capped", "true")
	}
	last := max(1, (total+pg.size-1)/pg.size)
	link := func(page int, rel string) {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(page))
		q.Set("page_size", strconv.Itoa(pg.size))
		w.Header().Add("Link", fmt.Sprintf("<%s?%s>; rel=%q", r.URL.Path, q.Encode(), rel))
	}
	link(1, "first")
	if !pg.capped {
		link(last, "last")
	}
	if pg.page > 1 {
		link(pg.page-1, "prev")
	}
	if pg.page < last && !pg.capped {
		link(pg.page+1, "next")
	}
}

// logJSON is Logto's Log row for a delivery attempt (§9.1). The payload extras
// after error (deliveryId, eventId, attempt, latencyMs) are ours: they tie a row
// to the webhook-id receivers see and to the retry schedule.
type logJSON struct {
	ID        string     `json:"id"`
	Key       string     `json:"key"`
	Payload   logPayload `json:"payload"`
	CreatedAt int64      `json:"createdAt"`
}

type logPayload struct {
	Key         string         `json:"key"`
	Result      webhook.Result `json:"result"`
	HookID      string         `json:"hookId"`
	HookRequest logRequest     `json:"hookRequest"`
	Response    *logResponse   `json:"response,omitempty"`
	Error       string         `json:"error,omitempty"`
	DeliveryID  string         `json:"deliveryId"`
	EventID     string         `json:"eventId"`
	Attempt     int            `json:"attempt"`
	LatencyMs   int64          `json:"latencyMs"`
}

type logRequest struct {
	Body json.RawMessage `json:"body"`
}

type logResponse struct {
	StatusCode int             `json:"statusCode"`
	Body       json.RawMessage `json:"body"`
}

func logKey(e webhook.Event) string { return "TriggerHook." + string(e) }

// jsonOrString is Logto's "parsed JSON or raw string": a truncated or non-JSON
// body comes back as a string.
func jsonOrString(s string) json.RawMessage {
	if t := bytes.TrimSpace([]byte(s)); len(t) > 0 && json.Valid(t) {
		return json.RawMessage(t)
	}
	b, _ := json.Marshal(s) // a string always marshals
	return b
}

func toLogJSON(e webhook.LogEntry) logJSON {
	key := logKey(e.Event)
	l := logJSON{
		ID:  fmt.Sprintf("%s.%d", e.DeliveryID, e.Attempt),
		Key: key,
		Payload: logPayload{
			Key:         key,
			Result:      e.Result,
			HookID:      e.HookID,
			HookRequest: logRequest{Body: jsonOrString(e.Request)},
			Error:       e.Error,
			DeliveryID:  e.DeliveryID,
			EventID:     e.EventID,
			Attempt:     e.Attempt,
			LatencyMs:   e.LatencyMs,
		},
		CreatedAt: e.CreatedAt,
	}
	if e.Status != 0 {
		l.Payload.Response = &logResponse{StatusCode: e.Status, Body: jsonOrString(e.Response)}
	}
	return l
}

// parseMillis reads a unix-ms bound; like JavaScript's Number it accepts
// fractions, and like Logto's guard it rejects what is not finite.
func parseMillis(q url.Values, name string) (time.Time, bool, error) {
	s := q.Get(name)
	if s == "" {
		return time.Time{}, false, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1<<53 {
		return time.Time{}, false, invalid(name, "must be a finite number of milliseconds since the epoch")
	}
	return time.UnixMilli(int64(f)), true, nil
}

// recentLogs answers Logto's recent-logs: an unknown hook id is an empty list,
// not a 404, as in Logto.
func (h *handler) recentLogs(w http.ResponseWriter, r *http.Request, id string) {
	q := r.URL.Query()
	pg, err := parsePagination(q, false)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	start, hasStart, err := parseMillis(q, "start_time")
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	end, hasEnd, err := parseMillis(q, "end_time")
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if hasStart && hasEnd && start.After(end) {
		h.writeError(w, r, &Error{Kind: ErrInvalid, Code: "log.invalid_time_window",
			Message: "start_time must not be after end_time."})
		return
	}
	now := h.svc.now()
	query := webhook.LogQuery{HookID: id}
	switch {
	case !hasStart && !hasEnd:
		query.Since = now.Add(-24 * time.Hour)
	case hasStart:
		query.Since = start
	default:
		query.Since = time.UnixMilli(0)
	}
	query.Until = now
	if hasEnd {
		query.Until = end
	}
	entries, err := h.svc.Logs(r.Context(), query)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if k := q.Get("logKey"); k != "" {
		kept := entries[:0]
		for _, e := range entries {
			if logKey(e.Event) == k {
				kept = append(kept, e)
			}
		}
		entries = kept
	}
	total := len(entries)
	if yes(q.Get("enableCap")) && total > logCountCap {
		total, pg.capped = logCountCap, true
	}
	page := pageOf(entries, *pg)
	out := make([]logJSON, 0, len(page))
	for _, e := range page {
		out = append(out, toLogJSON(e))
	}
	pg.setHeaders(w, r, total)
	writeJSON(w, http.StatusOK, out)
}

// Logs returns the delivery attempts q selects, newest first (none without a
// delivery log). An unknown hook id has no logs, as in Logto.
func (s *Service) Logs(ctx context.Context, q webhook.LogQuery) ([]webhook.LogEntry, error) {
	if s.cfg.Log == nil {
		return nil, nil
	}
	entries, err := s.cfg.Log.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("query logs of hook %s: %w", q.HookID, err)
	}
	return entries, nil
}
