package jsonobject

import (
	"errors"
	"testing"
)

func TestMembers(t *testing.T) {
	raw := []byte(` {"a": 1, "b" :{"x":[1,"}"]}, "a":"last"} `)
	if _, err := Members(raw, Reject); !errors.As(err, new(*DuplicateKeyError)) {
		t.Errorf("Reject: error %v, want a DuplicateKeyError", err)
	}
	got, err := Members(raw, LastWins)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Key != "a" || string(got[0].Value) != `"last"` || got[1].Key != "b" {
		t.Fatalf("LastWins: got %+v, want a (last value) then b", got)
	}
	for _, m := range got {
		if string(raw[m.Offset:m.Offset+len(m.Value)]) != string(m.Value) {
			t.Errorf("member %s: Offset %d does not point at its value %s", m.Key, m.Offset, m.Value)
		}
	}
}

func TestMembersErrors(t *testing.T) {
	for _, raw := range []string{``, `[]`, `"s"`, `{"a":1} x`, `{"a":}`, `{"a":1`} {
		if _, err := Members([]byte(raw), LastWins); err == nil {
			t.Errorf("Members(%q): no error", raw)
		}
	}
	if _, err := Members([]byte(`[1]`), Reject); !errors.Is(err, ErrNotObject) {
		t.Errorf("an array: error %v, want ErrNotObject", err)
	}
}

func TestString(t *testing.T) {
	for _, tt := range []struct {
		obj  string
		want string
	}{
		{`{"id":"u1","name":"x"}`, "u1"},
		{`{"id":1}`, ""},
		{`{"name":"x"}`, ""},
		{`["id"]`, ""},
		{``, ""},
		{`{"id":"a\u0062"}`, "ab"},
	} {
		var obj []byte
		if tt.obj != "" {
			obj = []byte(tt.obj)
		}
		if got := String(obj, "id"); got != tt.want {
			t.Errorf("String(%s, id) = %q, want %q", tt.obj, got, tt.want)
		}
	}
}
