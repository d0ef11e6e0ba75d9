// Package signature signs deliveries the way receivers check them: Logto's
// logto-signature-sha-256 header (hex HMAC-SHA256 of the body) and the Standard
// Webhooks trio webhook-id, webhook-timestamp and webhook-signature. One hook
// signing key serves both schemes, so a receiver may pick either.
//
// Signing keys are secrets: nothing in this package puts a key, or anything
// derived from one other than the signatures themselves, into an error.
package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names, lower-case as Logto and the Standard Webhooks spec write them.
// http.Header canonicalises them when set; on the wire names are case-insensitive.
const (
	HeaderLogto     = "logto-signature-sha-256"
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix starts a Standard Webhooks symmetric secret.
const SecretPrefix = "whsec_"

// Logto returns Logto's signature of body: lower-case hex HMAC-SHA256 keyed with
// the UTF-8 bytes of key, with no prefix or timestamp (docs/logto-webhooks.md §6).
func Logto(key string, body []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Secret returns the Standard Webhooks secret a receiver configures for a hook
// key: "whsec_" + base64(key bytes). Libraries base64-decode it back to the key
// bytes, so both schemes share one HMAC key.
func Secret(key string) string {
	return SecretPrefix + base64.StdEncoding.EncodeToString([]byte(key))
}

// Standard returns the webhook-signature value for keys: one "v1,<base64>" per
// key, space-separated, each an HMAC-SHA256 of "id.timestamp.body" keyed with the
// raw key bytes. Several signatures let a receiver holding any one of the keys
// verify, which is how a rotation overlaps.
func Standard(keys []string, id string, ts time.Time, body []byte) string {
	prefix := id + "." + strconv.FormatInt(ts.Unix(), 10) + "."
	sigs := make([]string, 0, len(keys))
	for _, k := range keys {
		m := hmac.New(sha256.New, []byte(k))
		m.Write([]byte(prefix))
		m.Write(body)
		sigs = append(sigs, "v1,"+base64.StdEncoding.EncodeToString(m.Sum(nil)))
	}
	return strings.Join(sigs, " ")
}

// Sign sets the signature headers of a delivery of body on h. keys are the
// hook's keys, current first (webhook.Hook.SigningKeys); empty keys are skipped,
// so a hook without a key is sent unsigned, as Logto sends hooks created before
// signing keys existed.
//
//   - logto-signature-sha-256 carries the signature of the current key keys[0]
//     only, and only when that key is non-empty. Logto's receivers compare the
//     header to one hex string, so a list would fail every one of them for the
//     whole grace period; with the current key alone they behave exactly as
//     after a Logto rotation (which is immediate).
//   - webhook-signature carries one signature per non-empty key, so during a
//     rotation receivers of the Standard Webhooks scheme accept either key and
//     can switch without dropping deliveries.
//   - webhook-id and webhook-timestamp (Unix seconds) are always set: they also
//     serve unsigned hooks for deduplication.
//
// Sign sets these headers last, overwriting custom headers of the same names.
func Sign(h http.Header, keys []string, id string, ts time.Time, body []byte) {
	h.Del(HeaderLogto)
	h.Del(HeaderSignature)
	if len(keys) > 0 && keys[0] != "" {
		h.Set(HeaderLogto, Logto(keys[0], body))
	}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	var nonEmpty []string
	for _, k := range keys {
		if k != "" {
			nonEmpty = append(nonEmpty, k)
		}
	}
	if len(nonEmpty) > 0 {
		h.Set(HeaderSignature, Standard(nonEmpty, id, ts, body))
	}
}
