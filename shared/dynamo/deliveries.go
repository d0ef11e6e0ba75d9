package dynamo

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
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

// logItem is a LogEntry plus its table keys. Request and response bodies over
// compressAbove bytes are stored gzipped in requestGz/responseGz instead: on-demand
// writes are billed per started KB, and a 1 KiB JSON body gzips to about half, so a
// typical attempt costs one write unit instead of two (and Stats/Query read less).
type logItem struct {
	webhook.LogEntry
	SK         string `json:"sk"`
	ExpiresAt  int64  `json:"expiresAt,omitempty"`
	RequestGz  []byte `json:"requestGz,omitempty"`
	ResponseGz []byte `json:"responseGz,omitempty"`
}

// compressAbove is the body size from which gzip pays for its ~20-byte overhead.
const compressAbove = 256

// pack moves large bodies into their gzipped attributes.
func (it *logItem) pack() {
	it.Request, it.RequestGz = packBody(it.Request)
	it.Response, it.ResponseGz = packBody(it.Response)
}

// unpack restores bodies stored gzipped.
func (it *logItem) unpack() error {
	var err error
	if it.Request, err = unpackBody(it.Request, it.RequestGz); err != nil {
		return fmt.Errorf("request body: %w", err)
	}
	if it.Response, err = unpackBody(it.Response, it.ResponseGz); err != nil {
		return fmt.Errorf("response body: %w", err)
	}
	return nil
}

func packBody(s string) (string, []byte) {
	if len(s) <= compressAbove {
		return s, nil
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed) // a valid level never errs
	_, _ = zw.Write([]byte(s))                         // writes to a bytes.Buffer never fail
	_ = zw.Close()
	if buf.Len() >= len(s) {
		return s, nil
	}
	return "", buf.Bytes()
}

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

// LogEntry carries JSON tags only, and its item attributes have the same names.
func jsonTags(o *attributevalue.EncoderOptions)       { o.TagKey = "json" }
func jsonTagsDecode(o *attributevalue.DecoderOptions) { o.TagKey = "json" }

// sortKey orders items by time; delivery id and attempt make it unique. Widths:
// 13 digits of epoch ms last until the year 2286, attempts stay below 1000.
func sortKey(createdAtMs int64, deliveryID string, attempt int) string {
	return fmt.Sprintf("%s#%s#%03d", msKey(createdAtMs), deliveryID, attempt)
}

func msKey(ms int64) string { return fmt.Sprintf("%013d", max(ms, 0)) }

// Record writes e. Writing the same hook, time, delivery id and attempt again
// replaces the item.
func (l *DeliveryLog) Record(ctx context.Context, e webhook.LogEntry) error {
	item, err := buildItem(e, l.ttl)
	if err != nil {
		return fmt.Errorf("record delivery %s: encode: %w", e.DeliveryID, err)
	}
	if _, err := l.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &l.table, Item: item}); err != nil {
		return fmt.Errorf("record delivery %s of hook %s: %w", e.DeliveryID, e.HookID, err)
	}
	return nil
}

// Query reads the hook's partition between Since and Until, newest first. With
// FailedOnly, a filter drops successes server-side (they are still read, and
// paid for).
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
			// '$' sorts right after '#': every key of the Until millisecond.
			":hi": &types.AttributeValueMemberS{Value: msKey(until.UnixMilli()) + "$"},
		},
		ScanIndexForward: aws.Bool(false),
	}
	if q.FailedOnly {
		in.FilterExpression = aws.String("#r <> :ok")
		in.ExpressionAttributeNames["#r"] = "result"
		in.ExpressionAttributeValues[":ok"] = &types.AttributeValueMemberS{Value: string(webhook.ResultSuccess)}
	} else if q.Limit > 0 {
		in.Limit = aws.Int32(int32(min(q.Limit, 1000)))
	}
	var entries []webhook.LogEntry
	p := dynamodb.NewQueryPaginator(l.db, in)
	for p.HasMorePages() && (q.Limit <= 0 || len(entries) < q.Limit) {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query deliveries of hook %s: %w", q.HookID, err)
		}
		var items []logItem
		if err := attributevalue.UnmarshalListOfMapsWithOptions(page.Items, &items, jsonTagsDecode); err != nil {
			return nil, fmt.Errorf("query deliveries of hook %s: decode: %w", q.HookID, err)
		}
		for _, it := range items {
			if err := it.unpack(); err != nil {
				return nil, fmt.Errorf("query deliveries of hook %s: item %s: %w", q.HookID, it.SK, err)
			}
			entries = append(entries, it.LogEntry)
		}
	}
	if q.Limit > 0 && len(entries) > q.Limit {
		entries = entries[:q.Limit]
	}
	return entries, nil
}

// Stats counts the hook's items created at or after since with one query that
// fetches only the result attribute. (Two Select=COUNT queries would read the
// partition twice; DynamoDB charges by item size read, not by attributes returned.)
func (l *DeliveryLog) Stats(ctx context.Context, hookID string, since time.Time) (webhook.Stats, error) {
	p := dynamodb.NewQueryPaginator(l.db, &dynamodb.QueryInput{
		TableName:              &l.table,
		KeyConditionExpression: aws.String("#h = :h AND #sk >= :lo"),
		ProjectionExpression:   aws.String("#r"),
		ExpressionAttributeNames: map[string]string{
			"#h": "hookId", "#sk": "sk", "#r": "result",
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
			s.RequestCount++
			if r, ok := item["result"].(*types.AttributeValueMemberS); ok && r.Value == string(webhook.ResultSuccess) {
				s.SuccessCount++
			}
		}
	}
	return s, nil
}

// LogItemSize returns the size DynamoDB bills for the item Record writes for e
// (attribute names plus values, bodies compressed as stored); the cost model of
// `make bench` uses it.
func LogItemSize(e webhook.LogEntry, ttl time.Duration) int {
	item, err := buildItem(e, ttl)
	if err != nil {
		return 0
	}
	return ItemSize(item)
}

// buildItem is the item Record writes for e: keys, TTL, bodies packed.
func buildItem(e webhook.LogEntry, ttl time.Duration) (map[string]types.AttributeValue, error) {
	it := logItem{LogEntry: e, SK: sortKey(e.CreatedAt, e.DeliveryID, e.Attempt)}
	if ttl > 0 {
		it.ExpiresAt = time.UnixMilli(e.CreatedAt).Add(ttl).Unix()
	}
	it.pack()
	return attributevalue.MarshalMapWithOptions(it, jsonTags)
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
