package dynamo

import (
	"cmp"
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// logItems groups entries into batch items: one per hook, unless its entries
// span more than logItemSpanMs or compress past maxEntriesBytes, which split it.
// A repeated entry (same hook, time, delivery id and attempt) is kept once, the
// last given, as Record would replace it.
func logItems(entries []webhook.LogEntry, ttlSeconds int64) ([]map[string]types.AttributeValue, error) {
	byHook := map[string][]webhook.LogEntry{}
	var hooks []string
	for _, e := range entries {
		if _, ok := byHook[e.HookID]; !ok {
			hooks = append(hooks, e.HookID)
		}
		byHook[e.HookID] = append(byHook[e.HookID], e)
	}
	var items []map[string]types.AttributeValue
	for _, h := range hooks {
		es := dedupe(byHook[h])
		for len(es) > 0 {
			n := 1
			for n < len(es) && es[n].CreatedAt-es[0].CreatedAt <= logItemSpanMs {
				n++
			}
			chunk, err := sizedItems(es[:n], ttlSeconds)
			if err != nil {
				return nil, err
			}
			items = append(items, chunk...)
			es = es[n:]
		}
	}
	return items, nil
}

// dedupe sorts one hook's entries oldest first and drops repeats.
func dedupe(es []webhook.LogEntry) []webhook.LogEntry {
	key := func(e webhook.LogEntry) string { return sortKey(e.CreatedAt, e.DeliveryID, e.Attempt) }
	slices.SortStableFunc(es, func(a, b webhook.LogEntry) int { return cmp.Compare(key(a), key(b)) })
	out := es[:0]
	for _, e := range es {
		if len(out) > 0 && key(out[len(out)-1]) == key(e) {
			out[len(out)-1] = e
			continue
		}
		out = append(out, e)
	}
	return out
}

// sizedItems encodes es as one item, or halves it until each part fits. A
// single entry too large for an item is left for DynamoDB to refuse.
func sizedItems(es []webhook.LogEntry, ttlSeconds int64) ([]map[string]types.AttributeValue, error) {
	item, err := batchItem(es, ttlSeconds)
	if err != nil {
		return nil, err
	}
	if len(es) == 1 || len(bin(item, attrEntries)) <= maxEntriesBytes {
		return []map[string]types.AttributeValue{item}, nil
	}
	older, err := sizedItems(es[:len(es)/2], ttlSeconds)
	if err != nil {
		return nil, err
	}
	newer, err := sizedItems(es[len(es)/2:], ttlSeconds)
	return append(older, newer...), err
}
