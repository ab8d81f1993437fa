package jwriter

import (
	"encoding/json"
	"testing"
)

func FuzzStringMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{"", "plain", "a\"b\\c", "<&>", "\x00\x01\x1f\b\f\n\r\t", "\u2028\u2029", "\xff\xfe", "é€😀", "a\xe2\x82"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var w Writer
		w.String(s)
		if got := w.Bytes(); string(got) != string(want) {
			t.Fatalf("String(%q) = %s, encoding/json writes %s", s, got, want)
		}
	})
}
