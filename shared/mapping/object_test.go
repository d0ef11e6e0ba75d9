package mapping

import (
	"bytes"
	"testing"
)

// TestWriteString pins JSON.stringify's escaping, which differs from Go's
// encoder: no HTML escapes, U+2028/U+2029 kept raw, \b and \f short forms.
func TestWriteString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", `"plain"`},
		{`"quoted" \ back`, `"\"quoted\" \\ back"`},
		{"<a href='x'>&amp;</a>", `"<a href='x'>&amp;</a>"`},
		{"line\u2028para\u2029", "\"line\u2028para\u2029\""},
		{"\b\f\n\r\t\x00\x1f\x7f", `"\b\f\n\r\t\u0000\u001f` + "\x7f\""},
		{"é日本🙂", `"é日本🙂"`},
		{"bad\xffutf8", "\"bad\ufffdutf8\""},
		{"", `""`},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		writeString(&b, tt.in)
		if got := b.String(); got != tt.want {
			t.Errorf("writeString(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestPickAndOmit(t *testing.T) {
	obj := []byte(`{"b":1, "a":{"x" : [1, 2]},"c":null,"b":3}`)
	if got, want := string(pick(obj, "a", "b", "missing", "c")), `{"a":{"x":[1,2]},"b":3,"c":null}`; got != want {
		t.Errorf("pick = %s, want %s", got, want)
	}
	if got, want := string(omit(obj, "a")), `{"b":3,"c":null}`; got != want {
		t.Errorf("omit = %s, want %s (duplicate key keeps its first position, last value)", got, want)
	}
	if got := pick([]byte(`[1]`), "a"); got != nil {
		t.Errorf("pick of an array = %s, want nil", got)
	}
	if got, want := string(omit([]byte(`"s"`), "a")), `"s"`; got != want {
		t.Errorf("omit of a string = %s, want it unchanged", got)
	}
	var o object
	if got := string(o.bytes()); got != "{}" {
		t.Errorf("empty object = %s, want {}", got)
	}
}
