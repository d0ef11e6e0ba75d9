package signature

import (
	"crypto/hmac"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Errors a verification wraps, so callers can tell a forged or altered delivery
// (ErrMismatch) from a replayed or delayed one (ErrStale) and from one that
// carries no usable signature (ErrUnsigned, ErrMalformed).
var (
	ErrUnsigned  = errors.New("delivery is not signed")
	ErrMalformed = errors.New("malformed signature header")
	ErrMismatch  = errors.New("signature does not match")
	ErrStale     = errors.New("timestamp outside tolerance")
)

// Verify checks a delivery's headers against body and key with every scheme the
// headers carry: logto-signature-sha-256 when present, and the Standard Webhooks
// trio when webhook-signature is present. Every present scheme must verify, and
// at least one must be present. A tolerance > 0 bounds how far webhook-timestamp
// may be from now (libraries use 5 minutes); 0 skips that check, e.g. to verify
// a stored delivery.
//
// During a rotation the Logto header is signed by the current key only (see
// Sign), so verifying with the previous key fails on that header while
// VerifyStandard succeeds.
func Verify(h http.Header, body []byte, key string, tolerance time.Duration, now time.Time) error {
	if key == "" {
		return errors.New("verify: the key is empty")
	}
	_, hasLogto := h[http.CanonicalHeaderKey(HeaderLogto)]
	_, hasStandard := h[http.CanonicalHeaderKey(HeaderSignature)]
	if !hasLogto && !hasStandard {
		return fmt.Errorf("%w: neither %s nor %s is present", ErrUnsigned, HeaderLogto, HeaderSignature)
	}
	var errs []error
	if hasLogto {
		errs = append(errs, VerifyLogto(h, body, key))
	}
	if hasStandard {
		errs = append(errs, VerifyStandard(h, body, key, tolerance, now))
	}
	return errors.Join(errs...)
}

// VerifyLogto checks logto-signature-sha-256 the way Logto's receivers do: the
// header must equal the hex HMAC of body with key.
func VerifyLogto(h http.Header, body []byte, key string) error {
	got := strings.TrimSpace(h.Get(HeaderLogto))
	if got == "" {
		return fmt.Errorf("%w: %s is missing", ErrUnsigned, HeaderLogto)
	}
	if !hmac.Equal([]byte(got), []byte(Logto(key, body))) {
		return fmt.Errorf("%s: %w this key and body", HeaderLogto, ErrMismatch)
	}
	return nil
}

// VerifyStandard checks the Standard Webhooks headers: one of the v1 signatures
// in webhook-signature must be this key's over "webhook-id.webhook-timestamp.body",
// and with tolerance > 0 the timestamp must be within tolerance of now.
func VerifyStandard(h http.Header, body []byte, key string, tolerance time.Duration, now time.Time) error {
	id := h.Get(HeaderID)
	rawTS := h.Get(HeaderTimestamp)
	sigs := strings.Fields(h.Get(HeaderSignature))
	switch {
	case len(sigs) == 0:
		return fmt.Errorf("%w: %s is missing", ErrUnsigned, HeaderSignature)
	case id == "":
		return fmt.Errorf("%w: %s is missing", ErrMalformed, HeaderID)
	case rawTS == "":
		return fmt.Errorf("%w: %s is missing", ErrMalformed, HeaderTimestamp)
	}
	unix, err := strconv.ParseInt(strings.TrimSpace(rawTS), 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s %q is not Unix seconds", ErrMalformed, HeaderTimestamp, rawTS)
	}
	ts := time.Unix(unix, 0)
	want := []byte(Standard([]string{key}, id, ts, body))
	v1 := 0
	matched := false
	for _, s := range sigs {
		if !strings.HasPrefix(s, "v1,") {
			continue // other schemes (v1a) and future versions are not ours to judge
		}
		v1++
		if hmac.Equal([]byte(s), want) {
			matched = true
		}
	}
	switch {
	case v1 == 0:
		return fmt.Errorf("%w: %s has no v1 signature", ErrMalformed, HeaderSignature)
	case !matched:
		return fmt.Errorf("%s: %w this key and body (v1 signatures checked: %d)", HeaderSignature, ErrMismatch, v1)
	}
	if tolerance > 0 {
		if age := now.Sub(ts); age > tolerance {
			return fmt.Errorf("%s %d: %w: %s old, more than %s", HeaderTimestamp, unix, ErrStale, age.Round(time.Second), tolerance)
		} else if -age > tolerance {
			return fmt.Errorf("%s %d: %w: %s in the future, more than %s", HeaderTimestamp, unix, ErrStale, (-age).Round(time.Second), tolerance)
		}
	}
	return nil
}
