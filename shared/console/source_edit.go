package console

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/logto-webhooks/webhooks/shared/management"
)

// sourceForm is one of the source forms (create, rename, paste key, rotate,
// delete): what it shows and, after a rejected submit, what the user typed
// with the Service's message next to the field. A typed key is never shown
// back: it is Logto's secret, and a page carries no key unless revealed.
type sourceForm struct {
	ID, Name, Grace string
	Errors          map[string]string
}

// sourceAction is what a form's handler does once the form is read: call
// the Service and say where the browser goes next.
type sourceAction func(r *http.Request, f *sourceForm) (to string, err error)

// submitSource reads the form's fields, runs act and, when the Service
// rejects a value, renders the form (the fragment named tpl) with the
// message beside the field; every rule is the Service's.
func (c *Console) submitSource(tpl string, act sourceAction) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f := sourceForm{ID: r.PathValue("id"), Name: r.PostFormValue("name"), Grace: r.PostFormValue("grace"), Errors: map[string]string{}}
		to, err := act(r, &f)
		if err == nil && len(f.Errors) == 0 {
			c.redirect(w, r, to)
			return
		}
		if e, ok := errors.AsType[*management.Error](err); ok && errors.Is(e, management.ErrInvalid) {
			f.Errors[sourceField(e.Field)] = strings.TrimPrefix(e.Message, e.Field+": ")
		} else if err != nil {
			c.serviceError(w, r, err)
			return
		}
		c.fragment(w, r, http.StatusBadRequest, tpl, f)
	}
}

// sourceField is the form field behind a Service field name.
func sourceField(apiField string) string {
	switch apiField {
	case "name", "grace":
		return apiField
	case "signingKey":
		return "key"
	}
	return "form"
}

func (c *Console) createSource(r *http.Request, f *sourceForm) (string, error) {
	in := management.SourceInput{Name: &f.Name}
	if key := strings.TrimSpace(r.PostFormValue("key")); key != "" {
		in.SigningKey = &key
	}
	src, err := c.cfg.Service.CreateSource(r.Context(), in)
	return "/sources/" + src.ID, err
}

func (c *Console) renameSource(r *http.Request, f *sourceForm) (string, error) {
	_, err := c.cfg.Service.UpdateSource(r.Context(), f.ID, management.SourceInput{Name: &f.Name})
	return "/sources/" + f.ID, err
}

// setSourceKey replaces the key at once: the first paste of Logto's key, or
// a correction. A rotation that keeps the old key for a while is rotateSource.
func (c *Console) setSourceKey(r *http.Request, f *sourceForm) (string, error) {
	key := strings.TrimSpace(r.PostFormValue("key"))
	if key == "" {
		f.Errors["key"] = "paste the signing key Logto shows for the webhook"
		return "", nil
	}
	_, err := c.cfg.Service.UpdateSource(r.Context(), f.ID, management.SourceInput{SigningKey: &key})
	return "/sources/" + f.ID, err
}

// rotateSource switches to the key Logto shows after "regenerate signing
// key" and keeps accepting the old one for the grace, so bodies Logto signed
// before the switch still pass.
func (c *Console) rotateSource(r *http.Request, f *sourceForm) (string, error) {
	grace, err := time.ParseDuration(strings.TrimSpace(f.Grace))
	if err != nil {
		f.Errors["grace"] = "want a duration such as 24h, 1h30m or 0s"
		return "", nil
	}
	_, err = c.cfg.Service.RotateSourceKey(r.Context(), f.ID, strings.TrimSpace(r.PostFormValue("key")), &grace)
	return "/sources/" + f.ID, err
}
