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
	"hash"
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
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
	return logtoWith(hmac.New(sha256.New, []byte(key)), body)
}

// logtoWith is Logto with m, a fresh HMAC-SHA256 keyed with the key.
func logtoWith(m hash.Hash, body []byte) string {
	m.Write(body)
	var sum [sha256.Size]byte
	return hex.EncodeToString(m.Sum(sum[:0]))
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
	return standardWith(nil, keys, id, strconv.FormatInt(ts.Unix(), 10), body)
}

// standardWith is Standard with the timestamp formatted, and with first, when
// not nil, an HMAC keyed with keys[0] already used once: reset, it spares Sign
// a second key setup for the key both schemes sign with.
func standardWith(first hash.Hash, keys []string, id, ts string, body []byte) string {
	prefix := make([]byte, 0, len(id)+len(ts)+2)
	prefix = append(append(append(append(prefix, id...), '.'), ts...), '.')
	const sigLen = len("v1,") + (sha256.Size+2)/3*4
	out := make([]byte, 0, len(keys)*(sigLen+1))
	var sum [sha256.Size]byte
	for i, k := range keys {
		m := first
		if i > 0 || m == nil {
			m = hmac.New(sha256.New, []byte(k))
		} else {
			m.Reset()
		}
		m.Write(prefix)
		m.Write(body)
		if i > 0 {
			out = append(out, ' ')
		}
		out = append(out, "v1,"...)
		out = base64.StdEncoding.AppendEncode(out, m.Sum(sum[:0]))
	}
	return string(out)
}

// The header names as http.Header keys: setting them canonical spares Sign
// the canonicalisation (an allocation each) that Set and Del do.
var (
	keyLogto     = textproto.CanonicalMIMEHeaderKey(HeaderLogto)
	keyID        = textproto.CanonicalMIMEHeaderKey(HeaderID)
	keyTimestamp = textproto.CanonicalMIMEHeaderKey(HeaderTimestamp)
	keySignature = textproto.CanonicalMIMEHeaderKey(HeaderSignature)
)

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
	// As h.Del and h.Set would, with the names canonical already; the four
	// values share one backing array, each capped so an append copies.
	delete(h, keyLogto)
	delete(h, keySignature)
	vals := make([]string, 4)
	unix := strconv.FormatInt(ts.Unix(), 10)
	var first hash.Hash // keyed with keys[0] when it is non-empty
	if len(keys) > 0 && keys[0] != "" {
		first = hmac.New(sha256.New, []byte(keys[0]))
		vals[0] = logtoWith(first, body)
		h[keyLogto] = vals[0:1:1]
	}
	vals[1], vals[2] = id, unix
	h[keyID] = vals[1:2:2]
	h[keyTimestamp] = vals[2:3:3]
	// first, when set, is keyed with nonEmpty[0] too: keys[0] is non-empty.
	nonEmpty := keys
	if slices.Contains(keys, "") {
		nonEmpty = nil
		for _, k := range keys {
			if k != "" {
				nonEmpty = append(nonEmpty, k)
			}
		}
	}
	if len(nonEmpty) > 0 {
		vals[3] = standardWith(first, nonEmpty, id, unix, body)
		h[keySignature] = vals[3:4:4]
	}
}
