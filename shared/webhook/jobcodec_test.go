package webhook

import (
	"encoding/json"
	"reflect"
	"strings"
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
	`{"v":01}`,
	`{"v":-}`,
	`{"v":-0,"attempt":-3}`,
	`{"v":999999999999999999}`,
	`{"v":9999999999999999999}`,
	`{"v":99999999999999999999}`,
	`{"queuedAt":1764590400000,"payload":{}}`,
	`{"payload":{"a":[],"b":{},"c":[[]],"d":[{}],"e":-0.5e+3,"f":1E9,"g":true,"h":false,"i":null,"j":"\u00e9\n\"\\\/"}}`,
	`{"payload":{"a":"ÿþ"}}`,
	` {"payload" : { "a" : [ 1 , 2 ] , "b" : { } } } `,
}

// invalidPayloads are payloads whose brackets and quotes balance, so a scan
// that only finds the object's end accepts them, but that are not JSON: a
// decoder must reject every one as json.Unmarshal does.
var invalidPayloads = []string{
	`{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":1e}`, `{"a":-}`, `{"a":+1}`, `{"a":0x1}`,
	`{"a":"\x"}`, `{"a":"\u12"}`, `{"a":"\u12g4"}`, "{\"a\":\"\t\"}", "{\"a\":\"\x00\"}",
	`{"a":tru}`, `{"a":nul}`, `{"a":True}`, `{"a":undefined}`,
	`{"a"}`, `{"a" 1}`, `{a:1}`, `{"a":1,}`, `{,"a":1}`, `{"a":1 "b":2}`, `{"a":[1,]}`, `{"a":[,1]}`, `{"a":[1 2]}`,
	`{"a":[}`, `{"a":{]}`, `{"a":[1}]}`, `{1:2}`, `{"a":1}}`,
}

func TestDecodeJobRejectsInvalidPayloads(t *testing.T) {
	for _, p := range invalidPayloads {
		b := []byte(`{"v":1,"deliveryId":"d","eventId":"e","event":"User.Created","hookId":"h","payload":` + p + `}`)
		if _, err := decodeStd(b); err == nil {
			t.Fatalf("seed %s is valid JSON; fix the test", p)
		}
		if j, err := DecodeJob(b); err == nil {
			t.Errorf("DecodeJob accepts the payload %s: %+v", p, j)
		}
	}
}

func TestDecodeJobDeepPayload(t *testing.T) {
	for _, depth := range []int{maxDepth - 2, maxDepth, 20000} {
		p := strings.Repeat(`{"a":[`, depth/2) + strings.Repeat(`]}`, depth/2)
		b := []byte(`{"v":1,"payload":` + p + `}`)
		got, gotErr := DecodeJob(b)
		want, wantErr := decodeStd(b)
		if (gotErr != nil) != (wantErr != nil) || gotErr == nil && !reflect.DeepEqual(got, want) {
			t.Errorf("depth %d: DecodeJob error %v, json.Unmarshal error %v", depth, gotErr, wantErr)
		}
	}
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
