package jwriter

import (
	"encoding/json"
	"errors"
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

type rawJSON string

func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

type text string

func (x text) MarshalText() ([]byte, error) { return []byte(x), nil }

type failing struct{}

func (failing) MarshalJSON() ([]byte, error) { return nil, errFailing }
func (failing) MarshalText() ([]byte, error) { return nil, errFailing }

var errFailing = errors.New("no")

// Raw and RawText write a MarshalJSON's and a MarshalText's result as
// encoding/json does: the first compact, with HTML characters escaped,
// the second as a string.
func TestRawMatchesEncodingJSON(t *testing.T) {
	for _, r := range []rawJSON{`{ "a" : [1, 2] ,"b":"<&>\u2028"}`, `"x"`, ` 12 `, `null`, `"2026-12-05T15:00:00.123456789Z"`} {
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var w Writer
		w.Raw(r.MarshalJSON())
		if got := w.Bytes(); w.Error != nil || string(got) != string(want) {
			t.Errorf("Raw(%q) = %s (error %v), encoding/json writes %s", r, got, w.Error, want)
		}
	}
	for _, x := range []text{"", "v1", "<a&b>", "\xff"} {
		want, err := json.Marshal(x)
		if err != nil {
			t.Fatal(err)
		}
		var w Writer
		w.RawText(x.MarshalText())
		if got := w.Bytes(); w.Error != nil || string(got) != string(want) {
			t.Errorf("RawText(%q) = %s (error %v), encoding/json writes %s", x, got, w.Error, want)
		}
	}
}

// A marshaler's error, or invalid JSON from a MarshalJSON, is the
// writer's error, as it is encoding/json's.
func TestRawErrors(t *testing.T) {
	var w Writer
	w.Raw(rawJSON(`{"a":`).MarshalJSON())
	if w.Error == nil {
		t.Error("Raw took invalid JSON")
	}
	if _, err := json.Marshal(rawJSON(`{"a":`)); err == nil {
		t.Error("encoding/json took invalid JSON from MarshalJSON; the test assumes it refuses")
	}
	w = Writer{}
	w.RawText(failing{}.MarshalText())
	w.Raw(failing{}.MarshalJSON())
	if !errors.Is(w.Error, errFailing) {
		t.Errorf("error %v, want the first marshaler's", w.Error)
	}
}
