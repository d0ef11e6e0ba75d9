package dynamo

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// The hook and source items are coded by hand rather than with
// feature/dynamodb/attributevalue: that package is reflection over any Go
// value, and linking it (with the dynamodbstreams types it brings) costs the
// functions' cold start more than these two fixed shapes are worth. The
// attribute names are the dynamodbav tags of webhook.Hook and webhook.Source,
// and the items are the ones attributevalue writes (codec_test.go pins that),
// so tables filled by either stay readable by both.

// encodeHook is attributevalue.MarshalMap(h).
func encodeHook(h webhook.Hook) map[string]types.AttributeValue {
	w := itemWriter{}
	w.str("id", h.ID)
	w.str("name", h.Name)
	if h.Events == nil {
		w["events"] = &types.AttributeValueMemberNULL{Value: true}
	} else {
		l := make([]types.AttributeValue, len(h.Events))
		for i, e := range h.Events {
			l[i] = &types.AttributeValueMemberS{Value: string(e)}
		}
		w["events"] = &types.AttributeValueMemberL{Value: l}
	}
	w.optStr("legacyEvent", string(h.LegacyEvent))
	w.str("url", h.URL)
	if h.Headers != nil {
		m := make(map[string]types.AttributeValue, len(h.Headers))
		for k, v := range h.Headers {
			m[k] = &types.AttributeValueMemberS{Value: v}
		}
		w["headers"] = &types.AttributeValueMemberM{Value: m}
	}
	w.str("signingKey", h.SigningKey)
	w.optStr("previousSigningKey", h.PreviousSigningKey)
	w.optInt("previousKeyExpiresAt", h.PreviousKeyExpiresAt)
	w["enabled"] = &types.AttributeValueMemberBOOL{Value: h.Enabled}
	if h.Retries != nil {
		w["retries"] = number(int64(*h.Retries))
	}
	w.optInt("timeoutMs", h.TimeoutMs)
	w.optStr("disabledReason", h.DisabledReason)
	w.optInt("failingSince", h.FailingSince)
	w.optInt("maxInFlight", int64(h.MaxInFlight))
	w.optInt("circuitOpenUntil", h.CircuitOpenUntil)
	w.optStr("circuitReason", h.CircuitReason)
	w["createdAt"] = number(h.CreatedAt)
	w.optInt("updatedAt", h.UpdatedAt)
	w["version"] = number(h.Version)
	return w
}

// decodeHook reads a hook item, tolerating missing and NULL attributes (items
// written by hand) and refusing attributes of the wrong type.
func decodeHook(item map[string]types.AttributeValue) (webhook.Hook, error) {
	r := itemReader{item: item}
	h := webhook.Hook{
		ID:                   r.str("id"),
		Name:                 r.str("name"),
		LegacyEvent:          webhook.Event(r.str("legacyEvent")),
		URL:                  r.str("url"),
		Headers:              r.strMap("headers"),
		SigningKey:           r.str("signingKey"),
		PreviousSigningKey:   r.str("previousSigningKey"),
		PreviousKeyExpiresAt: r.int("previousKeyExpiresAt"),
		Enabled:              r.bool("enabled"),
		TimeoutMs:            r.int("timeoutMs"),
		DisabledReason:       r.str("disabledReason"),
		FailingSince:         r.int("failingSince"),
		MaxInFlight:          int(r.int("maxInFlight")),
		CircuitOpenUntil:     r.int("circuitOpenUntil"),
		CircuitReason:        r.str("circuitReason"),
		CreatedAt:            r.int("createdAt"),
		UpdatedAt:            r.int("updatedAt"),
		Version:              r.int("version"),
	}
	if evs := r.strs("events"); evs != nil {
		h.Events = make([]webhook.Event, len(evs))
		for i, e := range evs {
			h.Events[i] = webhook.Event(e)
		}
	}
	if r.has("retries") {
		n := int(r.int("retries"))
		h.Retries = &n
	}
	if r.err != nil {
		return webhook.Hook{}, fmt.Errorf("decode hook item %q: %w", idOf(item), r.err)
	}
	return h, nil
}

// encodeSource is attributevalue.MarshalMap(src).
func encodeSource(src webhook.Source) map[string]types.AttributeValue {
	w := itemWriter{}
	w.str("id", src.ID)
	w.str("name", src.Name)
	w.str("signingKey", src.SigningKey)
	w.optStr("previousSigningKey", src.PreviousSigningKey)
	w.optInt("previousKeyExpiresAt", src.PreviousKeyExpiresAt)
	w["enabled"] = &types.AttributeValueMemberBOOL{Value: src.Enabled}
	w["createdAt"] = number(src.CreatedAt)
	w.optInt("updatedAt", src.UpdatedAt)
	w["version"] = number(src.Version)
	return w
}

// decodeSource reads a source item as decodeHook reads a hook.
func decodeSource(item map[string]types.AttributeValue) (webhook.Source, error) {
	r := itemReader{item: item}
	src := webhook.Source{
		ID:                   r.str("id"),
		Name:                 r.str("name"),
		SigningKey:           r.str("signingKey"),
		PreviousSigningKey:   r.str("previousSigningKey"),
		PreviousKeyExpiresAt: r.int("previousKeyExpiresAt"),
		Enabled:              r.bool("enabled"),
		CreatedAt:            r.int("createdAt"),
		UpdatedAt:            r.int("updatedAt"),
		Version:              r.int("version"),
	}
	if r.err != nil {
		return webhook.Source{}, fmt.Errorf("decode source item %q: %w", idOf(item), r.err)
	}
	return src, nil
}

func idOf(item map[string]types.AttributeValue) string {
	if v, ok := item["id"].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return "?"
}

// itemWriter builds an item as attributevalue does: a field without
// omitempty is always written, one with it only when not zero.
type itemWriter map[string]types.AttributeValue

func (w itemWriter) str(name, v string) { w[name] = &types.AttributeValueMemberS{Value: v} }

func (w itemWriter) optStr(name, v string) {
	if v != "" {
		w.str(name, v)
	}
}

func (w itemWriter) optInt(name string, n int64) {
	if n != 0 {
		w[name] = number(n)
	}
}

// itemReader reads typed attributes; a missing or NULL attribute reads as the
// zero value, and the first attribute of the wrong type is kept in err.
type itemReader struct {
	item map[string]types.AttributeValue
	err  error
}

// get returns the attribute, or nil when it is missing or NULL.
func (r *itemReader) get(name string) types.AttributeValue {
	av := r.item[name]
	if _, null := av.(*types.AttributeValueMemberNULL); null {
		return nil
	}
	return av
}

func (r *itemReader) has(name string) bool { return r.get(name) != nil }

func (r *itemReader) fail(name, want string, av types.AttributeValue) {
	if r.err == nil {
		r.err = fmt.Errorf("attribute %s: want %s, have %T", name, want, av)
	}
}

func (r *itemReader) str(name string) string {
	switch v := r.get(name).(type) {
	case nil:
		return ""
	case *types.AttributeValueMemberS:
		return v.Value
	default:
		r.fail(name, "S", v)
		return ""
	}
}

func (r *itemReader) bool(name string) bool {
	switch v := r.get(name).(type) {
	case nil:
		return false
	case *types.AttributeValueMemberBOOL:
		return v.Value
	default:
		r.fail(name, "BOOL", v)
		return false
	}
}

func (r *itemReader) int(name string) int64 {
	switch v := r.get(name).(type) {
	case nil:
		return 0
	case *types.AttributeValueMemberN:
		n, err := parseInt(v.Value)
		if err != nil && r.err == nil {
			r.err = fmt.Errorf("attribute %s: %w", name, err)
		}
		return n
	default:
		r.fail(name, "N", v)
		return 0
	}
}

// parseInt reads a DynamoDB number that must be an integer; one written by
// hand in exponent form (1e3) is accepted.
func parseInt(s string) (int64, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > math.MaxInt64 {
		return 0, errors.New("number " + strconv.Quote(s) + " is not an integer")
	}
	return int64(f), nil
}

// strs reads a list of strings, written as a list (L) of S or a string set
// (SS); missing or NULL reads as nil, an empty list as an empty slice.
func (r *itemReader) strs(name string) []string {
	switch v := r.get(name).(type) {
	case nil:
		return nil
	case *types.AttributeValueMemberSS:
		return append([]string{}, v.Value...)
	case *types.AttributeValueMemberL:
		out := make([]string, 0, len(v.Value))
		for _, e := range v.Value {
			s, ok := e.(*types.AttributeValueMemberS)
			if !ok {
				r.fail(name+"[]", "S", e)
				return nil
			}
			out = append(out, s.Value)
		}
		return out
	default:
		r.fail(name, "L or SS", v)
		return nil
	}
}

// strMap reads a map (M) of strings.
func (r *itemReader) strMap(name string) map[string]string {
	switch v := r.get(name).(type) {
	case nil:
		return nil
	case *types.AttributeValueMemberM:
		out := make(map[string]string, len(v.Value))
		for k, e := range v.Value {
			s, ok := e.(*types.AttributeValueMemberS)
			if !ok {
				r.fail(name+"."+k, "S", e)
				return nil
			}
			out[k] = s.Value
		}
		return out
	default:
		r.fail(name, "M", v)
		return nil
	}
}
