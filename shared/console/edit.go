package console

import (
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/logto-webhooks/webhooks/shared/management"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// editForm is the hook's edit form: what it shows and, after a rejected
// submit, what the user typed and the API's message next to each field.
type editForm struct {
	ID, Name, URL, Events string
	// HeaderNames are today's custom headers; their values are not shown, so
	// the form replaces headers only when Headers or ClearHeaders is given.
	HeaderNames  []string
	Headers      string
	ClearHeaders bool
	Errors       map[string]string
	Saved        bool
}

func formOf(h webhook.Hook) editForm {
	return editForm{ID: h.ID, Name: h.Name, URL: h.URL, Events: joinEvents(h.Events),
		HeaderNames: slices.Sorted(maps.Keys(h.Headers))}
}

// editHook applies the form through Service.UpdateHook, so the checks and
// messages are the API's; a rejected field gets its message beside it.
func (c *Console) editHook(w http.ResponseWriter, r *http.Request) {
	h, ok := c.hook(w, r)
	if !ok {
		return
	}
	form := formOf(h)
	form.Name, form.URL, form.Events = r.PostFormValue("name"), strings.TrimSpace(r.PostFormValue("url")), r.PostFormValue("events")
	form.Headers, form.ClearHeaders = r.PostFormValue("headers"), r.PostFormValue("clear-headers") == "on"
	form.Errors = map[string]string{}

	in := management.HookInput{Name: &form.Name}
	if form.Name == "" {
		in.Name = nil // the API refuses an empty name; leaving it unchanged is what an empty box means
	}
	for _, part := range strings.FieldsFunc(form.Events, func(r rune) bool { return r == ',' || r == '\n' || r == ' ' }) {
		e, err := webhook.ParseEvent(strings.TrimSpace(part))
		if err != nil {
			form.Errors["events"] = err.Error()
			break
		}
		in.Events = append(in.Events, e)
	}
	if in.Events == nil && form.Errors["events"] == "" {
		form.Errors["events"] = "name at least one event"
	}
	cfg := management.HookConfig{URL: form.URL, Headers: h.Headers, Retries: h.Retries, TimeoutMs: h.TimeoutMs, MaxInFlight: h.MaxInFlight}
	switch {
	case form.ClearHeaders:
		cfg.Headers = nil
	case strings.TrimSpace(form.Headers) != "":
		cfg.Headers = map[string]string{}
		for line := range strings.Lines(form.Headers) {
			if strings.TrimSpace(line) == "" {
				continue
			}
			k, v, ok := strings.Cut(line, ":")
			if !ok || strings.TrimSpace(k) == "" {
				form.Errors["headers"] = "one header per line, as Name: value"
				break
			}
			cfg.Headers[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	in.Config = &cfg
	if len(form.Errors) > 0 {
		c.fragment(w, r, http.StatusBadRequest, "edit-form", form)
		return
	}
	if _, err := c.cfg.Service.UpdateHook(r.Context(), h.ID, in); err != nil {
		e, ok := errors.AsType[*management.Error](err)
		if !ok || !errors.Is(e, management.ErrInvalid) {
			c.serviceError(w, r, err)
			return
		}
		form.Errors[formField(e.Field)] = strings.TrimPrefix(e.Message, e.Field+": ")
		c.fragment(w, r, http.StatusBadRequest, "edit-form", form)
		return
	}
	c.reload(w, r)
}

// formField is the form field behind an API field name.
func formField(apiField string) string {
	switch {
	case apiField == "config.url":
		return "url"
	case strings.HasPrefix(apiField, "config.headers"):
		return "headers"
	case strings.HasPrefix(apiField, "events"), apiField == "event":
		return "events"
	case apiField == "name":
		return "name"
	}
	return "form"
}
