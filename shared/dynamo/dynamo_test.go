package dynamo_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/logto-webhooks/webhooks/shared/awsconfig/awstest"
	"github.com/logto-webhooks/webhooks/shared/dynamo"
	"github.com/logto-webhooks/webhooks/shared/webhook"
	"github.com/logto-webhooks/webhooks/shared/webhooktest"
)

// newTables creates a fresh pair of tables on the emulator.
func newTables(t *testing.T) (client *dynamodb.Client, hooks, deliveries string) {
	t.Helper()
	client = dynamodb.NewFromConfig(awstest.Config(t))
	hooks, deliveries = awstest.Name("hooks"), awstest.Name("deliveries")
	if err := awstest.CreateTables(t.Context(), client, hooks, deliveries); err != nil {
		t.Fatal(err)
	}
	return client, hooks, deliveries
}

func TestHookStore(t *testing.T) {
	awstest.Endpoint(t)
	webhooktest.TestHookStore(t, func(t *testing.T) webhook.HookStore {
		client, hooks, _ := newTables(t)
		return dynamo.NewHookStore(client, hooks)
	})
}

func TestDeliveryLog(t *testing.T) {
	awstest.Endpoint(t)
	webhooktest.TestDeliveryLog(t, func(t *testing.T) webhook.DeliveryLog {
		client, _, deliveries := newTables(t)
		return dynamo.NewDeliveryLog(client, deliveries, dynamo.DefaultTTL)
	})
}

// TestHandWrittenHook reads an item as a user writes it with `aws dynamodb
// put-item` following docs/cli.md: events as a string set or list, numbers as N,
// optional attributes left out.
func TestHandWrittenHook(t *testing.T) {
	client, hooks, _ := newTables(t)
	s := dynamo.NewHookStore(client, hooks)
	items := map[string]map[string]types.AttributeValue{
		"string set": {
			"id":         &types.AttributeValueMemberS{Value: "hand1"},
			"name":       &types.AttributeValueMemberS{Value: "by hand"},
			"events":     &types.AttributeValueMemberSS{Value: []string{"User.Created"}},
			"url":        &types.AttributeValueMemberS{Value: "https://example.com/hook"},
			"signingKey": &types.AttributeValueMemberS{Value: "k1"},
			"enabled":    &types.AttributeValueMemberBOOL{Value: true},
			"createdAt":  &types.AttributeValueMemberN{Value: "1767225600000"},
		},
		"list and headers": {
			"id":         &types.AttributeValueMemberS{Value: "hand2"},
			"events":     &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: "User.Created"}}},
			"url":        &types.AttributeValueMemberS{Value: "https://example.com/hook"},
			"headers":    &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"X-Token": &types.AttributeValueMemberS{Value: "t"}}},
			"signingKey": &types.AttributeValueMemberS{Value: "k2"},
			"enabled":    &types.AttributeValueMemberBOOL{Value: true},
			"retries":    &types.AttributeValueMemberN{Value: "2"},
			"createdAt":  &types.AttributeValueMemberN{Value: "1767225600000"},
		},
	}
	two := 2
	wants := map[string]webhook.Hook{
		"string set": {ID: "hand1", Name: "by hand", Events: []webhook.Event{webhook.UserCreated}, URL: "https://example.com/hook",
			SigningKey: "k1", Enabled: true, CreatedAt: 1767225600000},
		"list and headers": {ID: "hand2", Events: []webhook.Event{webhook.UserCreated}, URL: "https://example.com/hook",
			Headers: map[string]string{"X-Token": "t"}, SigningKey: "k2", Enabled: true, Retries: &two, CreatedAt: 1767225600000},
	}
	for name, item := range items {
		if _, err := client.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: &hooks, Item: item}); err != nil {
			t.Fatalf("%s: PutItem: %v", name, err)
		}
		want := wants[name]
		got, err := s.GetHook(t.Context(), want.ID)
		if err != nil {
			t.Fatalf("%s: GetHook: %v", name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: GetHook\n got %#v\nwant %#v", name, got, want)
		}
	}
}

// TestDeliveryItem checks the item layout other tools rely on: one item per
// hook per batch, keyed by its newest entry, expiring with it, its counters.
func TestDeliveryItem(t *testing.T) {
	client, _, deliveries := newTables(t)
	l := dynamo.NewDeliveryLog(client, deliveries, 48*time.Hour)
	e := func(hook, id string, ms int64, r webhook.Result) webhook.LogEntry {
		return webhook.LogEntry{HookID: hook, DeliveryID: id, EventID: "evt_x", Event: webhook.UserCreated,
			Attempt: 2, Result: r, Status: 200, CreatedAt: 1767225600000 + ms}
	}
	err := l.RecordBatch(t.Context(), []webhook.LogEntry{e("h1", "msg_b", 123, webhook.ResultSuccess), e("h2", "msg_c", 5, webhook.ResultSuccess),
		e("h1", "msg_a", 7, webhook.ResultError), e("h1", "msg_d", 99, webhook.ResultSuccess)})
	if err != nil {
		t.Fatal(err)
	}
	out, err := client.Scan(t.Context(), &dynamodb.ScanInput{TableName: &deliveries})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Items) != 2 {
		t.Fatalf("%d items for a batch of two hooks, want 2", len(out.Items))
	}
	out2, err := client.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: &deliveries, Key: map[string]types.AttributeValue{
		"hookId": &types.AttributeValueMemberS{Value: "h1"},
		"sk":     &types.AttributeValueMemberS{Value: "1767225600123#msg_b#002"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if out2.Item == nil {
		t.Fatal("no item under the newest entry's sort key 1767225600123#msg_b#002")
	}
	checks := map[string]string{"expiresAt": "1767398400", "firstAt": "1767225600007", "n": "3", "failed": "1"}
	for attr, want := range checks {
		if got, ok := out2.Item[attr].(*types.AttributeValueMemberN); !ok || got.Value != want {
			t.Errorf("attribute %s = %#v, want N %s", attr, out2.Item[attr], want)
		}
	}
	if _, ok := out2.Item["entries"].(*types.AttributeValueMemberB); !ok {
		t.Errorf("attribute entries = %#v, want B", out2.Item["entries"])
	}
	ttl, err := client.DescribeTimeToLive(t.Context(), &dynamodb.DescribeTimeToLiveInput{TableName: &deliveries})
	if err != nil {
		t.Fatal(err)
	}
	if d := ttl.TimeToLiveDescription; d == nil || aws.ToString(d.AttributeName) != dynamo.TTLAttribute || d.TimeToLiveStatus != types.TimeToLiveStatusEnabled {
		t.Errorf("TTL = %+v, want enabled on %s", d, dynamo.TTLAttribute)
	}
}

// TestCreateTablesTwice: local setups run it on every start.
func TestCreateTablesTwice(t *testing.T) {
	client, hooks, deliveries := newTables(t)
	if err := awstest.CreateTables(t.Context(), client, hooks, deliveries); err != nil {
		t.Errorf("second CreateTables: %v", err)
	}
}

// TestDeliveryItemCompressesBatch: ten typical 1 KiB JSON deliveries of one hook
// in one batch are one item of a few write units, not ten.
func TestDeliveryItemCompressesBatch(t *testing.T) {
	client, _, deliveries := newTables(t)
	l := dynamo.NewDeliveryLog(client, deliveries, 48*time.Hour)
	body := `{"event":"User.Created","createdAt":"2026-11-25T12:00:00.000Z","userAgent":"Mozilla/5.0 (X11; Linux x86_64)","ip":"203.0.113.5","path":"/users","method":"POST","status":200,"params":{},"matchedRoute":"/users","data":{"id":"u%d","username":"alice%d","primaryEmail":"alice%d@example.com","primaryPhone":null,"name":"Alice Example","avatar":null,"customData":{"plan":"pro","seats":12},"identities":{"github":{"userId":"1234567","details":{"email":"alice@example.com","name":"Alice"}}},"lastSignInAt":1764072000000,"createdAt":1764072000000,"updatedAt":1764072000000,"profile":{"givenName":"Alice","familyName":"Example","locale":"en"},"applicationId":"app1","isSuspended":false,"hasPassword":true},"hookId":"h1abcdefghijklmnopqrs"}`
	for len(body) < 1024 {
		body = strings.Replace(body, `"plan":"pro"`, `"plan":"pro","note":"padding to a kibibyte"`, 1)
	}
	var batch []webhook.LogEntry
	for i := range 10 {
		batch = append(batch, webhook.LogEntry{HookID: "h1", DeliveryID: fmt.Sprintf("msg_0123456789abcdefghjkmnp%03d", i), EventID: "evt_0123456789abcdefghjkmnpqrs",
			Event: webhook.UserCreated, Attempt: 1, Result: webhook.ResultSuccess, Status: 204, LatencyMs: 100,
			Request: fmt.Sprintf(body, i, i, i), CreatedAt: 1767225600123 + int64(i)})
	}
	if err := l.RecordBatch(t.Context(), batch); err != nil {
		t.Fatal(err)
	}
	out, err := client.Scan(t.Context(), &dynamodb.ScanInput{TableName: &deliveries})
	if err != nil || len(out.Items) != 1 {
		t.Fatalf("scan: %d items, %v; want 1", len(out.Items), err)
	}
	size := dynamo.ItemSize(out.Items[0])
	if sizes := dynamo.LogItemSizes(batch, 48*time.Hour); len(sizes) != 1 || sizes[0] != size {
		t.Errorf("LogItemSizes = %v, the stored item is %d bytes", sizes, size)
	}
	if size > 3*1024 {
		t.Errorf("the batch's item is %d bytes, want <= 3 KiB (3 write units for 10 deliveries)", size)
	}
	got, err := l.Query(t.Context(), webhook.LogQuery{HookID: "h1"})
	if err != nil || len(got) != 10 || got[9].Request != batch[0].Request {
		t.Errorf("compressed batch did not round-trip: %d entries, %v", len(got), err)
	}
}
