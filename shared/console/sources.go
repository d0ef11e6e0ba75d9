package console

import (
	"cmp"
	"net/http"
	"strings"

	"github.com/logto-webhooks/webhooks/shared/management"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// sourceView is a relay source as pages show it: whether it has a key, never
// the key itself (see revealSourceKey), and the URL to paste into Logto.
type sourceView struct {
	ID, Name      string
	Enabled       bool
	HasSigningKey bool
	// PreviousKeyUntil is when the rotated-out key stops verifying (0: none
	// or past).
	PreviousKeyUntil     int64
	CreatedAt, UpdatedAt int64
	// RelayURL is where Logto must send; empty when the console does not know
	// the relay's address (RelayHint says where to find it).
	RelayURL, RelayPath string
}

func (c *Console) sourceView(r *http.Request, src webhook.Source) sourceView {
	v := sourceView{ID: src.ID, Name: src.Name, Enabled: src.Enabled, HasSigningKey: src.SigningKey != "",
		CreatedAt: src.CreatedAt, UpdatedAt: src.UpdatedAt, RelayPath: src.RelayPath()}
	if len(src.VerifyKeys(c.cfg.Now())) > 1 {
		v.PreviousKeyUntil = src.PreviousKeyExpiresAt
	}
	if base := c.relayBase(r); base != "" {
		v.RelayURL = base + "/" + src.ID
	}
	return v
}

// relayBase is the relay's base URL up to "/logto": the console's own origin
// when the relay is served beside it (the address the browser used, a
// tunnel's included), else the configured or the backend's one.
func (c *Console) relayBase(r *http.Request) string {
	if c.cfg.SameOriginRelay {
		scheme := "http"
		if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
			scheme = "https"
		}
		return scheme + "://" + r.Host + "/logto"
	}
	if c.cfg.RelayURL != "" {
		return strings.TrimSuffix(c.cfg.RelayURL, "/")
	}
	return strings.TrimSuffix(c.cfg.Backend.RelayURL, "/")
}

// hasSources reports whether the Sources pages are served: the backend has a
// sources store (the embedded one always, a stack when it has the table).
func (c *Console) hasSources() bool { return c.cfg.Backend.Sources != nil }

func (c *Console) sourcesPage(w http.ResponseWriter, r *http.Request) {
	list, err := c.cfg.Service.ListSources(r.Context())
	if err != nil {
		c.serviceError(w, r, err)
		return
	}
	views := make([]sourceView, len(list))
	for i, src := range list {
		views[i] = c.sourceView(r, src)
	}
	c.page(w, r, "sources", "Sources", map[string]any{
		"Sources": views, "Where": c.cfg.Backend.Where, "Form": sourceForm{}, "RelayKnown": c.relayBase(r) != "",
	})
}

func (c *Console) sourcePage(w http.ResponseWriter, r *http.Request) {
	src, ok := c.source(w, r)
	if !ok {
		return
	}
	v := c.sourceView(r, src)
	c.page(w, r, "source", "Source "+cmp.Or(src.Name, src.ID), map[string]any{
		"Source": v, "Name": sourceForm{ID: src.ID, Name: src.Name}, "Key": sourceForm{ID: src.ID},
		"Rotate": sourceForm{ID: src.ID, Grace: "24h"}, "Delete": sourceForm{ID: src.ID},
	})
}

// source reads the source the path names, answering 404 when there is none.
func (c *Console) source(w http.ResponseWriter, r *http.Request) (webhook.Source, bool) {
	src, err := c.cfg.Service.GetSource(r.Context(), r.PathValue("id"))
	if err != nil {
		c.serviceError(w, r, err)
		return src, false
	}
	return src, true
}

// revealSourceKey answers the reveal button with the source's key (Logto's,
// pasted here), like revealKey for a hook: only to a POST, never cached.
func (c *Console) revealSourceKey(w http.ResponseWriter, r *http.Request) {
	src, ok := c.source(w, r)
	if !ok {
		return
	}
	c.fragment(w, r, http.StatusOK, "source-key", map[string]string{"Key": src.SigningKey})
}

func (c *Console) setSourceEnabled(w http.ResponseWriter, r *http.Request) {
	enabled := r.PostFormValue("enabled") == "true"
	if _, err := c.cfg.Service.UpdateSource(r.Context(), r.PathValue("id"), management.SourceInput{Enabled: &enabled}); err != nil {
		c.serviceError(w, r, err)
		return
	}
	c.redirect(w, r, "/sources/"+r.PathValue("id"))
}

// deleteSource deletes the source once the form's box is ticked: the relay
// then refuses every body Logto sends for it, which a stray click must not do.
func (c *Console) deleteSource(w http.ResponseWriter, r *http.Request) {
	form := sourceForm{ID: r.PathValue("id"), Errors: map[string]string{}}
	if r.PostFormValue("confirm") != "yes" {
		form.Errors["confirm"] = "tick the box to confirm: Logto's webhooks to this source are then refused"
		c.fragment(w, r, http.StatusBadRequest, "source-delete-form", form)
		return
	}
	if err := c.cfg.Service.DeleteSource(r.Context(), form.ID); err != nil {
		c.serviceError(w, r, err)
		return
	}
	c.redirect(w, r, "/sources")
}
