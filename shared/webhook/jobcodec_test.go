package webhook

import (
	"encoding/json"
	"reflect"
	"testing"
)

var jobSeeds = []string{
	`{"v":1,"deliveryId":"msg_1","eventId":"evt_1","event":"User.Created","hookId":"h1","payload":{"event":"User.Created","data":{"a":"}\"{","b":[1,{"c":null}]}}}`,
	`{"v":1,"deliveryId":"msg_1","eventId":"evt_1","event":"User.Created","hookId":"h1","payload":{},"attempt":3}`,
	` { "v" : 1 , "payload" : { "x" : "y" } } `,
	`{"V":1,"DeliveryID":"msg_1"}`,
	`{"v":1,"hookId":"h\u00e9"}`,
	`{"v":1,"hookId":"hé"}`,
	`{"v":"1"}`,
	`{"v":1.5}`,
	`{"v":-2,"payload":null}`,
	`{"payload":[1,2]}`,
	`{"payload":"x","payload":{"a":1}}`,
	`{"v":1,"extra":true}`,
	`{}`,
	`[]`,
	`{"v":1`,
	``,
	`{"v":1}{"v":2}`,
}

func decodeStd(b []byte) (Job, error) {
	var j Job
	err := json.Unmarshal(b, &j)
	return j, err
}

func TestDecodeJobMatchesEncodingJSON(t *testing.T) {
	for _, s := range jobSeeds {
		got, gotErr := DecodeJob([]byte(s))
		want, wantErr := decodeStd([]byte(s))
		if (gotErr != nil) != (wantErr != nil) || gotErr == nil && !reflect.DeepEqual(got, want) {
			t.Errorf("DecodeJob(%s) = %+v, %v; json.Unmarshal gives %+v, %v", s, got, gotErr, want, wantErr)
		}
	}
}

func TestDecodeJobFastPath(t *testing.T) {
	j, ok := decodeCanonicalJob([]byte(jobSeeds[0]))
	if !ok || j.HookID != "h1" || string(j.Payload) != `{"event":"User.Created","data":{"a":"}\"{","b":[1,{"c":null}]}}` {
		t.Fatalf("canonical job not decoded on the fast path: %+v, %v", j, ok)
	}
	b, _ := json.Marshal(NewJob(EventMessage{ID: "evt_2", Event: RoleCreated, Payload: []byte(`{"event":"Role.Created"}`)}, "h2"))
	if _, ok := decodeCanonicalJob(b); !ok {
		t.Errorf("a job as json.Marshal writes it misses the fast path: %s", b)
	}
}

// FuzzDecodeJob checks DecodeJob against json.Unmarshal on arbitrary input.
func FuzzDecodeJob(f *testing.F) {
	for _, s := range jobSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, gotErr := DecodeJob(b)
		want, wantErr := decodeStd(b)
		if (gotErr != nil) != (wantErr != nil) {
			t.Fatalf("DecodeJob(%q) error %v, json.Unmarshal error %v", b, gotErr, wantErr)
		}
		if gotErr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("DecodeJob(%q) = %+v, json.Unmarshal = %+v", b, got, want)
		}
	})
}

func BenchmarkDecodeJob(b *testing.B) {
	payload := make([]byte, 0, 1100)
	payload = append(payload, `{"event":"User.Created","data":"`...)
	for range 1000 {
		payload = append(payload, 'a')
	}
	payload = append(payload, `"}`...)
	msg, _ := json.Marshal(NewJob(EventMessage{ID: "evt_1", Event: UserCreated, Payload: payload}, "h1"))
	b.Run("DecodeJob", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := DecodeJob(msg); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json.Unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeStd(msg); err != nil {
				b.Fatal(err)
			}
		}
	})
}
