package dynamo_test

import (
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

// TestDeliveryItem checks the item layout other tools rely on: the sort key
// and the TTL attribute.
func TestDeliveryItem(t *testing.T) {
	client, _, deliveries := newTables(t)
	l := dynamo.NewDeliveryLog(client, deliveries, 48*time.Hour)
	e := webhook.LogEntry{HookID: "h1", DeliveryID: "msg_x", EventID: "evt_x", Event: webhook.UserCreated,
		Attempt: 2, Result: webhook.ResultSuccess, Status: 200, CreatedAt: 1767225600123}
	if err := l.Record(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	out, err := client.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: &deliveries, Key: map[string]types.AttributeValue{
		"hookId": &types.AttributeValueMemberS{Value: "h1"},
		"sk":     &types.AttributeValueMemberS{Value: "1767225600123#msg_x#002"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Item == nil {
		t.Fatal("no item under sort key 1767225600123#msg_x#002")
	}
	checks := map[string]string{"expiresAt": "1767398400", "createdAt": "1767225600123", "attempt": "2", "status": "200"}
	for attr, want := range checks {
		if got, ok := out.Item[attr].(*types.AttributeValueMemberN); !ok || got.Value != want {
			t.Errorf("attribute %s = %#v, want N %s", attr, out.Item[attr], want)
		}
	}
	if got, ok := out.Item["result"].(*types.AttributeValueMemberS); !ok || got.Value != "Success" {
		t.Errorf("attribute result = %#v, want S Success", out.Item["result"])
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

// TestDeliveryItemCompressesBodies: a typical 1 KiB JSON body is stored gzipped,
// so the item stays under the 1 KB that one on-demand write unit covers.
func TestDeliveryItemCompressesBodies(t *testing.T) {
	client, _, deliveries := newTables(t)
	l := dynamo.NewDeliveryLog(client, deliveries, 48*time.Hour)
	body := `{"event":"User.Created","createdAt":"2026-11-25T12:00:00.000Z","userAgent":"Mozilla/5.0 (X11; Linux x86_64)","ip":"203.0.113.5","path":"/users","method":"POST","status":200,"params":{},"matchedRoute":"/users","data":{"id":"u1","username":"alice","primaryEmail":"alice@example.com","primaryPhone":null,"name":"Alice Example","avatar":null,"customData":{"plan":"pro","seats":12},"identities":{"github":{"userId":"1234567","details":{"email":"alice@example.com","name":"Alice"}}},"lastSignInAt":1764072000000,"createdAt":1764072000000,"updatedAt":1764072000000,"profile":{"givenName":"Alice","familyName":"Example","locale":"en"},"applicationId":"app1","isSuspended":false,"hasPassword":true},"hookId":"h1abcdefghijklmnopqrs"}`
	for len(body) < 1024 {
		body = strings.Replace(body, `"plan":"pro"`, `"plan":"pro","note":"padding to a kibibyte"`, 1)
	}
	e := webhook.LogEntry{HookID: "h1", DeliveryID: "msg_0123456789abcdefghjkmnpqrs", EventID: "evt_0123456789abcdefghjkmnpqrs",
		Event: webhook.UserCreated, Attempt: 1, Result: webhook.ResultSuccess, Status: 204, LatencyMs: 100, Request: body, CreatedAt: 1767225600123}
	if err := l.Record(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	out, err := client.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: &deliveries, Key: map[string]types.AttributeValue{
		"hookId": &types.AttributeValueMemberS{Value: "h1"},
		"sk":     &types.AttributeValueMemberS{Value: "1767225600123#msg_0123456789abcdefghjkmnpqrs#001"},
	}})
	if err != nil || out.Item == nil {
		t.Fatalf("get item: %v, %v", out, err)
	}
	if _, ok := out.Item["request"]; ok {
		t.Errorf("the 1 KiB request body is stored uncompressed")
	}
	if size := dynamo.ItemSize(out.Item); size >= 1024 || size != dynamo.LogItemSize(e, 48*time.Hour) {
		t.Errorf("item is %d bytes (LogItemSize says %d), want < 1024 (one write unit)", size, dynamo.LogItemSize(e, 48*time.Hour))
	}
	got, err := l.Query(t.Context(), webhook.LogQuery{HookID: "h1"})
	if err != nil || len(got) != 1 || got[0].Request != body {
		t.Errorf("compressed body did not round-trip: %v", err)
	}
}
