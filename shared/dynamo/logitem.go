package dynamo

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// Delivery-log items come in two shapes, told apart by the entries attribute.
//
// A batch item (written since the compact log) holds the attempts of one hook
// from one delivery batch: entries is the gzipped JSON of those LogEntry values,
// one per line. Compressing them together is what makes the log cheap: the
// attempts of one hook in one batch share most of their bytes (field names, the
// hook id, the payload's shape), so ten of them bill a few write units instead
// of ten. Its sort key is the newest entry's (so a descending Query meets items
// in the order of their newest entry) and firstAt, n and failed let Stats and
// FailedOnly skip decompressing it.
//
// An entry item (written by earlier versions, still read until it expires) is
// one LogEntry under its JSON names, large bodies gzipped in requestGz and
// responseGz.
const (
	attrEntries = "entries"
	attrFirstAt = "firstAt"
	attrCount   = "n"
	attrFailed  = "failed"
)

// maxEntriesBytes bounds a batch item's compressed entries, below DynamoDB's
// 400 KB item limit with room for the keys and counters.
const maxEntriesBytes = 350 << 10

// logItemSpanMs bounds how far apart a batch item's oldest and newest entries
// may be (a longer run is split). A Query with an explicit Until reads this much
// past it, since an item keyed by its newest entry may start before Until.
// Fifteen minutes is the longest a Lambda invocation, hence a batch, can run.
const logItemSpanMs = 15 * 60 * 1000

// batchItem encodes entries, all of one hook, oldest first, as one item.
func batchItem(entries []webhook.LogEntry, ttlSeconds int64) (map[string]types.AttributeValue, error) {
	gz, err := packEntries(entries)
	if err != nil {
		return nil, err
	}
	first, last := entries[0], entries[len(entries)-1]
	failed := 0
	for _, e := range entries {
		if e.Result != webhook.ResultSuccess {
			failed++
		}
	}
	item := map[string]types.AttributeValue{
		"hookId":    &types.AttributeValueMemberS{Value: last.HookID},
		"sk":        &types.AttributeValueMemberS{Value: sortKey(last.CreatedAt, last.DeliveryID, last.Attempt)},
		attrFirstAt: number(first.CreatedAt),
		attrCount:   number(int64(len(entries))),
		attrFailed:  number(int64(failed)),
		attrEntries: &types.AttributeValueMemberB{Value: gz},
	}
	if ttlSeconds > 0 {
		// The newest entry's expiry: no entry leaves before its time.
		item[TTLAttribute] = number(last.CreatedAt/1000 + ttlSeconds)
	}
	return item, nil
}

// packEntries is the gzipped JSON of entries, one per line.
func packEntries(entries []webhook.LogEntry) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	enc := json.NewEncoder(zw)
	enc.SetEscapeHTML(false)
	for _, e := range entries {
		if err := enc.Encode(e); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decodeItem returns the entries of either shape of item.
func decodeItem(item map[string]types.AttributeValue) ([]webhook.LogEntry, error) {
	if gz, ok := item[attrEntries].(*types.AttributeValueMemberB); ok {
		return unpackEntries(gz.Value)
	}
	e, err := decodeEntryItem(item)
	if err != nil {
		return nil, err
	}
	return []webhook.LogEntry{e}, nil
}

func unpackEntries(gz []byte) ([]webhook.LogEntry, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	var out []webhook.LogEntry
	dec := json.NewDecoder(zr)
	for {
		var e webhook.LogEntry
		if err := dec.Decode(&e); errors.Is(err, io.EOF) {
			return out, nil
		} else if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
}

// decodeEntryItem reads an entry item as earlier versions wrote it.
func decodeEntryItem(item map[string]types.AttributeValue) (webhook.LogEntry, error) {
	var errs []error
	num := func(name string) int64 {
		v, ok := item[name].(*types.AttributeValueMemberN)
		if !ok {
			return 0
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(v.Value, ".0"), 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
		return n
	}
	e := webhook.LogEntry{
		HookID: str(item, "hookId"), DeliveryID: str(item, "deliveryId"), EventID: str(item, "eventId"),
		Event: webhook.Event(str(item, "event")), Attempt: int(num("attempt")), Result: webhook.Result(str(item, "result")),
		Status: int(num("status")), LatencyMs: num("latencyMs"), Error: str(item, "error"),
		CreatedAt: num("createdAt"),
	}
	var err error
	if e.Request, err = unpackBody(str(item, "request"), bin(item, "requestGz")); err != nil {
		errs = append(errs, fmt.Errorf("request body: %w", err))
	}
	if e.Response, err = unpackBody(str(item, "response"), bin(item, "responseGz")); err != nil {
		errs = append(errs, fmt.Errorf("response body: %w", err))
	}
	return e, errors.Join(errs...)
}

func str(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func bin(item map[string]types.AttributeValue, name string) []byte {
	if v, ok := item[name].(*types.AttributeValueMemberB); ok {
		return v.Value
	}
	return nil
}

// itemNum reads a numeric attribute, 0 when absent or malformed.
func itemNum(item map[string]types.AttributeValue, name string) int64 {
	v, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		return 0
	}
	n, _ := strconv.ParseInt(v.Value, 10, 64)
	return n
}
