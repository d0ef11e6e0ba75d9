package dynamo

import (
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// The hand-written codecs must write the very items attributevalue wrote, so
// tables filled by earlier versions and the items they write stay one format.
func TestCodecsWriteWhatAttributevalueWrote(t *testing.T) {
	two := 2
	zero := 0
	hooks := map[string]webhook.Hook{
		"minimal": {ID: "h1"},
		"full": {
			ID: "h2", Name: "n", Events: []webhook.Event{"User.Created", "User.Deleted"}, LegacyEvent: "User.Created",
			URL: "https://example.com", Headers: map[string]string{"X-A": "a"}, SigningKey: "k", PreviousSigningKey: "p",
			PreviousKeyExpiresAt: 5, Enabled: true, Retries: &two, TimeoutMs: 100, DisabledReason: "r", FailingSince: 6,
			MaxInFlight: 3, CircuitOpenUntil: 7, CircuitReason: "c", CreatedAt: 8, UpdatedAt: 9, Version: 10,
		},
		"zero retries, empty lists": {ID: "h3", Events: []webhook.Event{}, Headers: map[string]string{}, Retries: &zero},
	}
	for name, h := range hooks {
		want, err := attributevalue.MarshalMap(h)
		if err != nil {
			t.Fatal(err)
		}
		if got := encodeHook(h); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: encodeHook\n got %#v\nwant %#v", name, got, want)
		}
		back, err := decodeHook(want)
		if err != nil || !reflect.DeepEqual(back, h) {
			t.Errorf("%s: decodeHook = %+v, %v; want %+v", name, back, err, h)
		}
	}
	sources := map[string]webhook.Source{
		"minimal": {ID: "s1"},
		"full": {ID: "s2", Name: "n", SigningKey: "k", PreviousSigningKey: "p", PreviousKeyExpiresAt: 1, Enabled: true,
			CreatedAt: 2, UpdatedAt: 3, Version: 4},
	}
	for name, s := range sources {
		want, err := attributevalue.MarshalMap(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := encodeSource(s); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: encodeSource\n got %#v\nwant %#v", name, got, want)
		}
		back, err := decodeSource(want)
		if err != nil || !reflect.DeepEqual(back, s) {
			t.Errorf("%s: decodeSource = %+v, %v; want %+v", name, back, err, s)
		}
	}
}

// An attribute of the wrong type is an error naming the item and attribute,
// not a silently zero field.
func TestDecodeRefusesWrongTypes(t *testing.T) {
	for attr, av := range map[string]types.AttributeValue{
		"enabled":   &types.AttributeValueMemberS{Value: "yes"},
		"createdAt": &types.AttributeValueMemberN{Value: "soon"},
		"events":    &types.AttributeValueMemberS{Value: "User.Created"},
		"headers":   &types.AttributeValueMemberL{},
		"name":      &types.AttributeValueMemberBOOL{Value: true},
	} {
		item := map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "bad"}, attr: av}
		if _, err := decodeHook(item); err == nil {
			t.Errorf("%s %T: no error", attr, av)
		}
	}
	h, err := decodeHook(map[string]types.AttributeValue{
		"id": &types.AttributeValueMemberS{Value: "n"}, "name": &types.AttributeValueMemberNULL{Value: true},
		"events": &types.AttributeValueMemberNULL{Value: true}, "createdAt": &types.AttributeValueMemberN{Value: "1e3"},
	})
	if err != nil || h.Name != "" || h.Events != nil || h.CreatedAt != 1000 {
		t.Errorf("NULL attributes and 1e3: %+v, %v", h, err)
	}
}
