package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// EncodeJob returns the queue message body of j, the one encoding every backend
// uses: no HTML escaping and no trailing newline, so the payload, which is signed
// at delivery, keeps the exact bytes ingest built ("<" would otherwise become
// "\u003c").
func EncodeJob(j Job) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(j); err != nil {
		return nil, fmt.Errorf("encode job %s: %w", j.DeliveryID, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

// DecodeJob decodes a queue message body into a Job exactly as json.Unmarshal
// would, but without reflection for the message as we write it: the delivery
// Lambda decodes every job it receives on each record's critical path, before
// its POST can start. The fast path reads the message once, validating as it
// goes (encoding/json would scan the 1 KiB payload three times: json.Valid,
// Unmarshal's own validation, then the RawMessage copy). Anything outside the
// canonical form (unknown or differently cased keys, escaped ids, non-integer
// or out-of-range numbers, a payload that is not an object or is nested very
// deep) and anything not valid JSON goes to json.Unmarshal, so the result and
// the error never differ from it.
func DecodeJob(b []byte) (Job, error) {
	if j, ok := decodeCanonicalJob(b); ok {
		return j, nil
	}
	var j Job
	err := json.Unmarshal(b, &j)
	return j, err
}

// decodeCanonicalJob parses b when it is valid JSON with only the keys Job's
// tags name, spelled exactly, with plain values. It reports false, leaving the
// verdict to json.Unmarshal, on anything else, invalid JSON included: it must
// never accept what json.Unmarshal rejects.
func decodeCanonicalJob(b []byte) (Job, bool) {
	var j Job
	p := jsonCursor{b: b}
	if !p.consume('{') {
		return j, false
	}
	if p.consume('}') {
		return j, p.end()
	}
	for {
		key, ok := p.plainString()
		if !ok || !p.consume(':') {
			return j, false
		}
		switch key {
		case "v":
			j.Version, ok = p.int()
		case "attempt":
			j.Attempt, ok = p.int()
		case "queuedAt":
			var n int64
			n, ok = p.int64()
			j.QueuedAt = n
		case "deliveryId":
			j.DeliveryID, ok = p.plainString()
		case "eventId":
			j.EventID, ok = p.plainString()
		case "hookId":
			j.HookID, ok = p.plainString()
		case "event":
			var s string
			s, ok = p.plainString()
			j.Event = Event(s)
		case "payload":
			j.Payload, ok = p.rawObject()
		case "hookIdAt":
			j.HookIDAt, ok = p.int()
		default:
			return j, false
		}
		if !ok {
			return j, false
		}
		if p.consume('}') {
			return j, p.end()
		}
		if !p.consume(',') {
			return j, false
		}
	}
}

// jsonCursor walks JSON, checking the grammar of everything it passes over. It
// is the one JSON walker kept beside shared/internal/jsonobject (a json.Decoder
// underneath) because it pays: BenchmarkDecodeJob compares it with
// json.Unmarshal on a 1 KB-payload job, and every delivery decodes one job.
type jsonCursor struct {
	b []byte
	i int
}

func (p *jsonCursor) ws() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\n' || p.b[p.i] == '\t' || p.b[p.i] == '\r') {
		p.i++
	}
}

func (p *jsonCursor) consume(c byte) bool {
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *jsonCursor) end() bool {
	p.ws()
	return p.i == len(p.b)
}

// plainString reads a string without escapes (ids and event names never have any).
func (p *jsonCursor) plainString() (string, bool) {
	p.ws()
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return "", false
	}
	start := p.i + 1
	for k := start; k < len(p.b); k++ {
		switch c := p.b[k]; {
		case c == '"':
			p.i = k + 1
			return string(p.b[start:k]), true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return "", false // escapes and non-ASCII: leave them to encoding/json
		}
	}
	return "", false
}

// maxIntDigits keeps int and int64 free of overflow checks: longer numbers
// (rare, and maybe out of range) go to encoding/json.
const maxIntDigits = 18

// digits reads a JSON number that is an integer (-?(0|[1-9][0-9]*)) of at most
// maxIntDigits digits, as json.Unmarshal accepts for an integer field.
func (p *jsonCursor) digits() (int64, bool) {
	p.ws()
	neg := p.i < len(p.b) && p.b[p.i] == '-'
	if neg {
		p.i++
	}
	start := p.i
	var n int64
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		n = n*10 + int64(p.b[p.i]-'0')
		p.i++
	}
	d := p.i - start
	if d == 0 || d > maxIntDigits || d > 1 && p.b[start] == '0' {
		return 0, false // no digits, too many, or a leading zero (not JSON)
	}
	if neg {
		n = -n
	}
	return n, true
}

func (p *jsonCursor) int() (int, bool) {
	n, ok := p.digits()
	if int64(int(n)) != n {
		return 0, false // beyond a 32-bit int: encoding/json's error
	}
	return int(n), ok
}

func (p *jsonCursor) int64() (int64, bool) { return p.digits() }

// maxDepth bounds the nesting rawObject follows itself (the bits of its
// stack); deeper payloads go to encoding/json, whose own limit is 10000.
const maxDepth = 512

// rawObject returns the next value when it is a valid JSON object, as
// json.RawMessage holds it: a copy, so the job does not pin the message body
// it came from. It checks the whole grammar (strings and their escapes,
// numbers, literals, nesting) in the one pass that finds the object's end.
func (p *jsonCursor) rawObject() (json.RawMessage, bool) {
	p.ws()
	b, start := p.b, p.i
	if start >= len(b) || b[start] != '{' {
		return nil, false
	}
	const (
		wantValue        = iota // any value
		wantKey                 // a member's key, after a comma in an object
		wantKeyOrClose          // just after '{'
		wantValueOrClose        // just after '['
		wantCommaOrClose        // after a member or element
	)
	// inArray has bit d set when the open container at depth d (1-based) is
	// an array; depth 0 is outside the payload.
	var inArray [maxDepth / 64]uint64
	isArray := func(d int) bool { return inArray[d/64]&(1<<(d%64)) != 0 }
	depth, state, i := 0, wantValue, start
	for {
		i = skipWS(b, i)
		if i >= len(b) {
			return nil, false
		}
		c := b[i]
		switch state {
		case wantKeyOrClose, wantValueOrClose:
			if c == '}' && state == wantKeyOrClose || c == ']' && state == wantValueOrClose {
				break // closed below
			}
			if state == wantKeyOrClose {
				state = wantKey
			} else {
				state = wantValue
			}
			continue
		case wantKey:
			if c != '"' {
				return nil, false
			}
			if i = skipString(b, i); i < 0 {
				return nil, false
			}
			if i = skipWS(b, i); i >= len(b) || b[i] != ':' {
				return nil, false
			}
			i, state = i+1, wantValue
			continue
		case wantValue:
			switch {
			case c == '{' || c == '[':
				if depth+1 >= maxDepth {
					return nil, false
				}
				depth++
				if c == '[' {
					inArray[depth/64] |= 1 << (depth % 64)
					state = wantValueOrClose
				} else {
					inArray[depth/64] &^= 1 << (depth % 64)
					state = wantKeyOrClose
				}
				i++
				continue
			case c == '"':
				i = skipString(b, i)
			case c == '-' || c >= '0' && c <= '9':
				i = skipNumber(b, i)
			case c == 't':
				i = skipLiteral(b, i, "true")
			case c == 'f':
				i = skipLiteral(b, i, "false")
			case c == 'n':
				i = skipLiteral(b, i, "null")
			default:
				return nil, false
			}
			if i < 0 {
				return nil, false
			}
			state = wantCommaOrClose
			continue
		case wantCommaOrClose:
			if c == ',' {
				i++
				if isArray(depth) {
					state = wantValue
				} else {
					state = wantKey
				}
				continue
			}
			if isArray(depth) && c != ']' || !isArray(depth) && c != '}' {
				return nil, false
			}
		}
		// b[i] closes the container at depth.
		i++
		depth--
		if depth == 0 {
			p.i = i
			return append(json.RawMessage(nil), b[start:i]...), true
		}
		state = wantCommaOrClose
	}
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] == '"', or
// -1 if it is not a valid JSON string. Like encoding/json it accepts any byte
// from 0x20 up, invalid UTF-8 included, and refuses control characters and
// unknown escapes.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		// Most of a payload is plain string bytes: pass them a table
		// lookup each, the fast loop of the scan.
		for i < len(b) && plainStringByte[b[i]] {
			i++
		}
		if i >= len(b) {
			break
		}
		c := b[i]
		switch {
		case c == '"':
			return i + 1
		case c < 0x20:
			return -1
		case c == '\\':
			i++
			if i >= len(b) {
				return -1
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(b) {
					return -1
				}
				for _, h := range b[i+1 : i+5] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return -1
					}
				}
				i += 4
			default:
				return -1
			}
		}
	}
	return -1
}

// plainStringByte holds the bytes that stand for themselves in a JSON string.
var plainStringByte = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// skipNumber returns the index after the JSON number at b[i], or -1:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func skipNumber(b []byte, i int) int {
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = skipDigits(b, i)
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		j := skipDigits(b, i+1)
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := skipDigits(b, i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}

func skipDigits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

func skipLiteral(b []byte, i int, lit string) int {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return -1
	}
	return i + len(lit)
}
