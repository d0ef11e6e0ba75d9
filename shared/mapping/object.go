package mapping

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/logto-webhooks/webhooks/shared/internal/jsonobject"
)

// object writes a JSON object key by key, in the order Logto's object spreads
// produce. Values are raw JSON (compacted, never re-marshalled) or strings quoted
// the way JavaScript's JSON.stringify quotes them, so payload bytes match Logto's.
type object struct {
	buf bytes.Buffer
	n   int
	// keys are the keys written, in order (CheckFields reads them).
	keys []string
}

func (o *object) key(k string) {
	if o.n == 0 {
		o.buf.WriteByte('{')
	} else {
		o.buf.WriteByte(',')
	}
	o.n++
	o.keys = append(o.keys, k)
	writeString(&o.buf, k)
	o.buf.WriteByte(':')
}

// raw writes k with the raw JSON value v, compacted. A nil v is skipped, as
// JSON.stringify drops undefined values.
func (o *object) raw(k string, v json.RawMessage) {
	if v == nil {
		return
	}
	o.key(k)
	if err := json.Compact(&o.buf, v); err != nil {
		// Values reach here validated; keep the bytes rather than lose the key.
		o.buf.Write(v)
	}
}

// str writes k with the string v, skipping an empty v (an absent field).
func (o *object) str(k, v string) {
	if v == "" {
		return
	}
	o.strAlways(k, v)
}

// strAlways writes k with the string v even when v is empty.
func (o *object) strAlways(k, v string) {
	o.key(k)
	writeString(&o.buf, v)
}

func (o *object) int(k string, v int64) {
	o.key(k)
	o.buf.WriteString(strconv.FormatInt(v, 10))
}

func (o *object) bool(k string, v bool) {
	o.key(k)
	o.buf.WriteString(strconv.FormatBool(v))
}

func (o *object) strings(k string, v []string) {
	o.key(k)
	o.buf.Write(stringArray(v))
}

// bytes returns the finished object ("{}" when nothing was written).
func (o *object) bytes() []byte {
	if o.n == 0 {
		return []byte("{}")
	}
	o.buf.WriteByte('}')
	return o.buf.Bytes()
}

func stringArray(v []string) []byte {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, s := range v {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(&b, s)
	}
	b.WriteByte(']')
	return b.Bytes()
}

const hexDigits = "0123456789abcdef"

// writeString quotes s as JSON.stringify does: only ", \ and control characters
// are escaped (no HTML escaping, U+2028 and U+2029 kept as is, unlike Go's
// encoder); invalid UTF-8 becomes U+FFFD, as it would in a JS string.
func writeString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"':
				b.WriteString(`\"`)
			case c == '\\':
				b.WriteString(`\\`)
			case c == '\b':
				b.WriteString(`\b`)
			case c == '\f':
				b.WriteString(`\f`)
			case c == '\n':
				b.WriteString(`\n`)
			case c == '\r':
				b.WriteString(`\r`)
			case c == '\t':
				b.WriteString(`\t`)
			case c < 0x20:
				b.WriteString(`\u00`)
				b.WriteByte(hexDigits[c>>4])
				b.WriteByte(hexDigits[c&0xf])
			default:
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString("\ufffd")
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
}

// objectMembers splits a JSON object into its members in document order. For a
// key given twice the last value wins at the first key's position, as JSON.parse
// does. Anything but a valid object yields nil.
func objectMembers(obj json.RawMessage) []jsonobject.Member {
	members, err := jsonobject.Members(obj, jsonobject.LastWins)
	if err != nil {
		return nil
	}
	return members
}

// isObject reports whether v is a JSON object.
func isObject(v json.RawMessage) bool { return jsonobject.IsObject(v) }

// pick returns the members of obj named by keys, in the order of keys, like
// @silverhand/essentials pick: missing keys are left out. A non-object gives nil.
func pick(obj json.RawMessage, keys ...string) json.RawMessage {
	if !isObject(obj) {
		return nil
	}
	got := make(map[string]json.RawMessage)
	for _, m := range objectMembers(obj) {
		got[m.Key] = m.Value
	}
	var o object
	for _, k := range keys {
		if v, ok := got[k]; ok {
			o.raw(k, v)
		}
	}
	return o.bytes()
}

// omit returns obj without the named top-level keys, other members in order.
func omit(obj json.RawMessage, keys ...string) json.RawMessage {
	if !isObject(obj) {
		return obj
	}
	var o object
	for _, m := range objectMembers(obj) {
		drop := false
		for _, k := range keys {
			drop = drop || m.Key == k
		}
		if !drop {
			o.raw(m.Key, m.Value)
		}
	}
	return o.bytes()
}

// field returns the raw value of key in obj, or nil.
func field(obj json.RawMessage, key string) json.RawMessage {
	for _, m := range objectMembers(obj) {
		if m.Key == key {
			return m.Value
		}
	}
	return nil
}

// stringField returns obj[key] when it is a string.
func stringField(obj json.RawMessage, key string) string {
	var s string
	if json.Unmarshal(field(obj, key), &s) != nil {
		return ""
	}
	return s
}
