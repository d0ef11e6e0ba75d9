package dynamo_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/logto-webhooks/webhooks/shared/dynamo"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// legacyItem is an item as versions before the compact log wrote it: one entry,
// its JSON names, bodies over 256 bytes gzipped into requestGz/responseGz.
type legacyItem struct {
	webhook.LogEntry
	SK         string `json:"sk"`
	ExpiresAt  int64  `json:"expiresAt,omitempty"`
	RequestGz  []byte `json:"requestGz,omitempty"`
	ResponseGz []byte `json:"responseGz,omitempty"`
}

func legacyPut(t *testing.T, client *dynamodb.Client, table string, e webhook.LogEntry) {
	t.Helper()
	pack := func(s string) (string, []byte) {
		if len(s) <= 256 {
			return s, nil
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		_, _ = zw.Write([]byte(s))
		_ = zw.Close()
		return "", buf.Bytes()
	}
	it := legacyItem{LogEntry: e, SK: dynamoSortKey(e), ExpiresAt: time.UnixMilli(e.CreatedAt).Add(dynamo.DefaultTTL).Unix()}
	it.Request, it.RequestGz = pack(it.Request)
	it.Response, it.ResponseGz = pack(it.Response)
	item, err := attributevalue.MarshalMapWithOptions(it, func(o *attributevalue.EncoderOptions) { o.TagKey = "json" })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: &table, Item: item}); err != nil {
		t.Fatal(err)
	}
}

func dynamoSortKey(e webhook.LogEntry) string {
	return fmt.Sprintf("%013d#%s#%03d", e.CreatedAt, e.DeliveryID, e.Attempt)
}

// TestLegacyItems: items the previous version wrote stay in the table for the
// TTL, and Query and Stats answer with them and new batch items together.
func TestLegacyItems(t *testing.T) {
	client, _, deliveries := newTables(t)
	l := dynamo.NewDeliveryLog(client, deliveries, dynamo.DefaultTTL)
	base := time.Now().Add(-time.Hour).Truncate(time.Second).UnixMilli()
	big := string(bytes.Repeat([]byte(`{"k":"v"},`), 100))
	e := func(id string, off int64, r webhook.Result, req string) webhook.LogEntry {
		return webhook.LogEntry{HookID: "h1", DeliveryID: id, EventID: "evt_" + id, Event: webhook.UserCreated, Attempt: 1,
			Result: r, Status: 500, LatencyMs: 12, Error: "boom", Request: req, Response: "no", CreatedAt: base + off}
	}
	old1, old2 := e("msg_old1", 0, webhook.ResultError, big), e("msg_old2", 2000, webhook.ResultSuccess, "{}")
	legacyPut(t, client, deliveries, old1)
	legacyPut(t, client, deliveries, old2)
	new1, new2 := e("msg_new1", 1000, webhook.ResultSuccess, big), e("msg_new2", 3000, webhook.ResultError, "{}")
	if err := l.RecordBatch(t.Context(), []webhook.LogEntry{new1, new2}); err != nil {
		t.Fatal(err)
	}
	got, err := l.Query(t.Context(), webhook.LogQuery{HookID: "h1"})
	if want := []webhook.LogEntry{new2, old2, new1, old1}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Query = %v, %v; want %v", got, err, want)
	}
	got, err = l.Query(t.Context(), webhook.LogQuery{HookID: "h1", FailedOnly: true, Limit: 2})
	if want := []webhook.LogEntry{new2, old1}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("FailedOnly Query = %v, %v; want %v", got, err, want)
	}
	s, err := l.Stats(t.Context(), "h1", time.UnixMilli(base+1))
	if want := (webhook.Stats{RequestCount: 3, SuccessCount: 2}); err != nil || s != want {
		t.Errorf("Stats = %+v, %v; want %+v", s, err, want)
	}
}
