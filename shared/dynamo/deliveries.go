package dynamo

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// TTLAttribute is the deliveries table's time-to-live attribute (epoch seconds).
const TTLAttribute = "expiresAt"

// DefaultTTL is how long delivery-log items live (docs/architecture.md §5).
const DefaultTTL = 14 * 24 * time.Hour

// DeliveryLog is a webhook.DeliveryLog on a DynamoDB table keyed by ("hookId",
// "sk"). Every query reads one hook's partition in time order.
//
// DynamoDB deletes expired items lazily (usually within days), so a Query whose
// window reaches further back than the TTL may still see some of them.
type DeliveryLog struct {
	db    API
	table string
	ttl   time.Duration
	now   func() time.Time
}

var _ webhook.DeliveryLog = (*DeliveryLog)(nil)

// NewDeliveryLog returns the log on table; items expire ttl after their createdAt
// (ttl <= 0: never).
func NewDeliveryLog(db API, table string, ttl time.Duration) *DeliveryLog {
	return &DeliveryLog{db: db, table: table, ttl: ttl, now: time.Now}
}

// unpackBody restores a body earlier versions stored gzipped.
func unpackBody(s string, gz []byte) (string, error) {
	if len(gz) == 0 {
		return s, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return "", err
	}
	b, err := io.ReadAll(zr)
	return string(b), err
}

// sortKey orders items by time; delivery id and attempt make it unique. Widths:
// 13 digits of epoch ms last until the year 2286, attempts stay below 1000.
func sortKey(createdAtMs int64, deliveryID string, attempt int) string {
	return fmt.Sprintf("%s#%s#%03d", msKey(createdAtMs), deliveryID, attempt)
}

func msKey(ms int64) string { return fmt.Sprintf("%013d", max(ms, 0)) }

// Record writes e as an item of its own. Writing the same hook, time, delivery
// id and attempt again replaces the item.
func (l *DeliveryLog) Record(ctx context.Context, e webhook.LogEntry) error {
	return l.RecordBatch(ctx, []webhook.LogEntry{e})
}

// RecordBatch writes entries with one PutItem per hook (see logItems), which is
// what keeps the log's writes below one per attempt: the delivery Lambda hands
// over its whole batch. Items already written stay when a later one fails.
func (l *DeliveryLog) RecordBatch(ctx context.Context, entries []webhook.LogEntry) error {
	if len(entries) == 0 {
		return nil
	}
	var ttl int64
	if l.ttl > 0 {
		ttl = int64(l.ttl / time.Second)
	}
	items, err := logItems(slices.Clone(entries), ttl)
	if err != nil {
		return fmt.Errorf("record %d deliveries: encode: %w", len(entries), err)
	}
	var errs []error
	for _, item := range items {
		if _, err := l.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &l.table, Item: item}); err != nil {
			errs = append(errs, fmt.Errorf("record %d deliveries of hook %s: %w", itemNum(item, attrCount), str(item, "hookId"), err))
		}
	}
	return errors.Join(errs...)
}

// Query reads the hook's partition between Since and Until, newest first, and
// stops once no unread item can hold an entry newer than the Limit-th found:
// items are keyed by their newest entry. With FailedOnly, a filter drops items
// without failures server-side (they are still read, and paid for).
func (l *DeliveryLog) Query(ctx context.Context, q webhook.LogQuery) ([]webhook.LogEntry, error) {
	until := q.Until
	if until.IsZero() {
		until = l.now()
	}
	var since int64
	if !q.Since.IsZero() {
		since = q.Since.UnixMilli()
	}
	if since > until.UnixMilli() {
		return nil, nil
	}
	in := &dynamodb.QueryInput{
		TableName:              &l.table,
		KeyConditionExpression: aws.String("#h = :h AND #sk BETWEEN :lo AND :hi"),
		ExpressionAttributeNames: map[string]string{
			"#h": "hookId", "#sk": "sk",
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":h":  &types.AttributeValueMemberS{Value: q.HookID},
			":lo": &types.AttributeValueMemberS{Value: msKey(since)},
			// An item keyed at most logItemSpanMs after Until may start
			// before it; '$' sorts right after '#': every key of that ms.
			":hi": &types.AttributeValueMemberS{Value: msKey(until.UnixMilli()+logItemSpanMs) + "$"},
		},
		ScanIndexForward: aws.Bool(false),
	}
	if q.FailedOnly {
		in.FilterExpression = aws.String("#f > :zero OR (attribute_exists(#r) AND #r <> :ok)")
		in.ExpressionAttributeNames["#f"] = attrFailed
		in.ExpressionAttributeNames["#r"] = "result"
		in.ExpressionAttributeValues[":zero"] = &types.AttributeValueMemberN{Value: "0"}
		in.ExpressionAttributeValues[":ok"] = &types.AttributeValueMemberS{Value: string(webhook.ResultSuccess)}
	} else if q.Limit > 0 {
		in.Limit = aws.Int32(int32(min(q.Limit, 1000)))
	}
	var entries []webhook.LogEntry
	p := dynamodb.NewQueryPaginator(l.db, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query deliveries of hook %s: %w", q.HookID, err)
		}
		for _, item := range page.Items {
			newest := keyMs(str(item, "sk"))
			if q.Limit > 0 && len(entries) >= q.Limit {
				sortNewestFirst(entries)
				entries = entries[:q.Limit]
				if newest < entries[q.Limit-1].CreatedAt {
					return entries, nil
				}
			}
			es, err := decodeItem(item)
			if err != nil {
				return nil, fmt.Errorf("query deliveries of hook %s: item %s: %w", q.HookID, str(item, "sk"), err)
			}
			for _, e := range es {
				if e.CreatedAt >= since && e.CreatedAt <= until.UnixMilli() && (!q.FailedOnly || e.Result != webhook.ResultSuccess) {
					entries = append(entries, e)
				}
			}
		}
	}
	sortNewestFirst(entries)
	if q.Limit > 0 && len(entries) > q.Limit {
		entries = entries[:q.Limit]
	}
	return entries, nil
}

// sortNewestFirst orders entries as Query returns them.
func sortNewestFirst(es []webhook.LogEntry) {
	slices.SortFunc(es, func(a, b webhook.LogEntry) int {
		return cmp.Or(cmp.Compare(b.CreatedAt, a.CreatedAt), cmp.Compare(b.DeliveryID, a.DeliveryID), cmp.Compare(b.Attempt, a.Attempt))
	})
}

// keyMs is the epoch ms a sort key starts with.
func keyMs(sk string) int64 {
	ms, _ := strconv.ParseInt(sk[:min(len(sk), 13)], 10, 64)
	return ms
}

// Stats counts the hook's entries created at or after since. Items wholly
// after since count from their counters; only the one or two straddling since
// are decompressed.
func (l *DeliveryLog) Stats(ctx context.Context, hookID string, since time.Time) (webhook.Stats, error) {
	p := dynamodb.NewQueryPaginator(l.db, &dynamodb.QueryInput{
		TableName:              &l.table,
		KeyConditionExpression: aws.String("#h = :h AND #sk >= :lo"),
		ExpressionAttributeNames: map[string]string{
			"#h": "hookId", "#sk": "sk",
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":h":  &types.AttributeValueMemberS{Value: hookID},
			":lo": &types.AttributeValueMemberS{Value: msKey(since.UnixMilli())},
		},
	})
	var s webhook.Stats
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return webhook.Stats{}, fmt.Errorf("delivery stats of hook %s: %w", hookID, err)
		}
		for _, item := range page.Items {
			if _, batch := item[attrEntries]; batch && itemNum(item, attrFirstAt) >= since.UnixMilli() {
				n := int(itemNum(item, attrCount))
				s.RequestCount += n
				s.SuccessCount += n - int(itemNum(item, attrFailed))
				continue
			}
			if r, ok := item["result"].(*types.AttributeValueMemberS); ok {
				s.RequestCount++ // an entry item: its key is its time, at or after since
				if r.Value == string(webhook.ResultSuccess) {
					s.SuccessCount++
				}
				continue
			}
			es, err := decodeItem(item)
			if err != nil {
				return webhook.Stats{}, fmt.Errorf("delivery stats of hook %s: item %s: %w", hookID, str(item, "sk"), err)
			}
			for _, e := range es {
				if e.CreatedAt >= since.UnixMilli() {
					s.RequestCount++
					if e.Result == webhook.ResultSuccess {
						s.SuccessCount++
					}
				}
			}
		}
	}
	return s, nil
}

// LogItemSizes returns the sizes DynamoDB bills for the items RecordBatch writes
// for entries (attribute names plus values); the cost model of `make bench`
// uses them.
func LogItemSizes(entries []webhook.LogEntry, ttl time.Duration) []int {
	items, err := logItems(slices.Clone(entries), int64(ttl/time.Second))
	if err != nil {
		return nil
	}
	sizes := make([]int, len(items))
	for i, it := range items {
		sizes[i] = ItemSize(it)
	}
	return sizes
}

// ItemSize approximates DynamoDB's item size rules: each attribute name's length
// plus its value's (strings and binaries by length, numbers about one byte per two
// digits, booleans and nulls one byte).
func ItemSize(item map[string]types.AttributeValue) int {
	n := 0
	for k, v := range item {
		n += len(k)
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			n += len(v.Value)
		case *types.AttributeValueMemberN:
			n += len(v.Value)/2 + 1
		case *types.AttributeValueMemberB:
			n += len(v.Value)
		case *types.AttributeValueMemberM:
			n += 3 + ItemSize(v.Value)
		default:
			n++
		}
	}
	return n
}
