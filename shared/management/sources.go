package management

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// SourceJSON is a source as the API shows it. It never carries a key: the
// key is Logto's secret, pasted here once; HasSigningKey and
// PreviousKeyExpiresAt say what the relay accepts. RelayPath is where the
// source's Logto webhook must point, under the server's base URL.
type SourceJSON struct {
	ID                   string `json:"id"`
	Name                 string `json:"name"`
	Enabled              bool   `json:"enabled"`
	HasSigningKey        bool   `json:"hasSigningKey"`
	PreviousKeyExpiresAt *int64 `json:"previousKeyExpiresAt"`
	RelayPath            string `json:"relayPath"`
	CreatedAt            int64  `json:"createdAt"`
	UpdatedAt            int64  `json:"updatedAt"`
}

// SourceToJSON is the API's view of src at now: a previous key past its
// grace is not shown, as the relay no longer accepts it.
func SourceToJSON(src webhook.Source, now time.Time) SourceJSON {
	v := SourceJSON{ID: src.ID, Name: src.Name, Enabled: src.Enabled, HasSigningKey: src.SigningKey != "",
		RelayPath: src.RelayPath(), CreatedAt: src.CreatedAt, UpdatedAt: src.UpdatedAt}
	if src.PreviousSigningKey != "" && src.PreviousKeyExpiresAt > now.UnixMilli() {
		at := src.PreviousKeyExpiresAt
		v.PreviousKeyExpiresAt = &at
	}
	return v
}

var (
	sourceFields = map[string]bool{"name": true, "signingKey": true, "enabled": true}
	// ignoredSourceFields are the view's own fields, so a client may PATCH
	// back what it read.
	ignoredSourceFields = map[string]bool{"id": true, "hasSigningKey": true, "previousKeyExpiresAt": true,
		"relayPath": true, "createdAt": true, "updatedAt": true}
	rotateSourceFields = map[string]bool{"signingKey": true, "grace": true}
)

// serveSources routes /sources, /sources/:id and /sources/:id/signing-key.
func (h *handler) serveSources(w http.ResponseWriter, r *http.Request, segs []string) {
	type route map[string]func(http.ResponseWriter, *http.Request, string)
	var routes route
	switch {
	case len(segs) == 1:
		routes = route{http.MethodGet: h.listSources, http.MethodPost: h.createSource}
	case len(segs) == 2:
		routes = route{http.MethodGet: h.getSource, http.MethodPatch: h.updateSource, http.MethodDelete: h.deleteSource}
	case len(segs) == 3 && segs[2] == "signing-key":
		routes = route{http.MethodPatch: h.rotateSourceKey}
	default:
		h.writeError(w, r, noRoute(r))
		return
	}
	fn, ok := routes[r.Method]
	if !ok {
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete} {
			if routes[m] != nil {
				allow = append(allow, m)
			}
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		h.writeError(w, r, &Error{Kind: errMethod, Code: "route.method_not_allowed", Message: r.Method + " is not allowed on " + r.URL.Path})
		return
	}
	id := ""
	if len(segs) > 1 {
		id = segs[1]
	}
	fn(w, r, id)
}

func (h *handler) listSources(w http.ResponseWriter, r *http.Request, _ string) {
	list, err := h.svc.ListSources(r.Context())
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	now := h.svc.now()
	out := make([]SourceJSON, len(list))
	for i, src := range list {
		out[i] = SourceToJSON(src, now)
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *handler) getSource(w http.ResponseWriter, r *http.Request, id string) {
	src, err := h.svc.GetSource(r.Context(), id)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, SourceToJSON(src, h.svc.now()))
}

func (h *handler) createSource(w http.ResponseWriter, r *http.Request, _ string) {
	in, err := h.readSourceInput(w, r)
	if err == nil {
		var src webhook.Source
		if src, err = h.svc.CreateSource(r.Context(), in); err == nil {
			writeJSON(w, http.StatusCreated, SourceToJSON(src, h.svc.now()))
			return
		}
	}
	h.writeError(w, r, err)
}

func (h *handler) updateSource(w http.ResponseWriter, r *http.Request, id string) {
	in, err := h.readSourceInput(w, r)
	if err == nil {
		var src webhook.Source
		if src, err = h.svc.UpdateSource(r.Context(), id, in); err == nil {
			writeJSON(w, http.StatusOK, SourceToJSON(src, h.svc.now()))
			return
		}
	}
	h.writeError(w, r, err)
}

func (h *handler) deleteSource(w http.ResponseWriter, r *http.Request, id string) {
	if err := h.svc.DeleteSource(r.Context(), id); err != nil {
		h.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// rotateSourceKey takes {"signingKey":"…","grace":"1h"}; see Service.RotateSourceKey.
func (h *handler) rotateSourceKey(w http.ResponseWriter, r *http.Request, id string) {
	m, err := readObject(w, r, rotateSourceFields)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	var key string
	if raw, ok := m["signingKey"]; ok {
		if key, err = parseString(raw, "signingKey"); err != nil {
			h.writeError(w, r, err)
			return
		}
	}
	var grace *time.Duration
	if raw, ok := m["grace"]; ok {
		text, err := parseString(raw, "grace")
		d, perr := time.ParseDuration(text)
		if err != nil || perr != nil {
			h.writeError(w, r, invalid("grace", fmt.Sprintf("must be a duration such as \"1h\" between 0s and %s", MaxRotationGrace)))
			return
		}
		grace = &d
	}
	src, err := h.svc.RotateSourceKey(r.Context(), id, key, grace)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, SourceToJSON(src, h.svc.now()))
}

// readSourceInput checks a POST or PATCH /sources body field by field.
func (h *handler) readSourceInput(w http.ResponseWriter, r *http.Request) (SourceInput, error) {
	var in SourceInput
	body, err := readBody(w, r)
	if err != nil {
		return in, err
	}
	m, err := parseFields(body, sourceFields, ignoredSourceFields)
	if err != nil {
		return in, err
	}
	if raw, ok := m["name"]; ok {
		if in.Name, err = parseName(raw, webhook.MaxSourceNameLen); err != nil {
			return in, err
		}
	}
	if raw, ok := m["signingKey"]; ok {
		key, err := parseString(raw, "signingKey")
		if err != nil {
			return in, err
		}
		in.SigningKey = &key
	}
	if raw, ok := m["enabled"]; ok {
		b, err := parseBool(raw, "enabled")
		if err != nil {
			return in, err
		}
		in.Enabled = &b
	}
	return in, nil
}
