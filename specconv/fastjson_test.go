package specconv

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/ocirun/ocirun/libcontainer/jsonfast"
	"github.com/ocirun/ocirun/libcontainer/jsonfast/jsonfasttest"
)

func asSpec(s *specs.Spec) jsonfast.Decoder       { return (*specJSON)(s) }
func asProcess(p *specs.Process) jsonfast.Decoder { return (*processJSON)(p) }

func fastAgrees(t testing.TB, data []byte) bool {
	t.Helper()
	return jsonfasttest.Agree(t, data, asSpec)
}

func TestFastDecodeKnowsEveryField(t *testing.T) {
	t.Run("specs.Spec", func(t *testing.T) {
		jsonfasttest.KnowsEveryField(t, asSpec, "go generate ./specconv")
	})
	t.Run("specs.Process", func(t *testing.T) {
		jsonfasttest.KnowsEveryField(t, asProcess, "go generate ./specconv")
	})
}

func TestFastDecodeAgrees(t *testing.T) {
	example, err := json.MarshalIndent(Example(), "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	rootless := Example()
	ExampleRootless(rootless)
	rootlessJSON, err := json.Marshal(rootless)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		data     string
		wantFast bool // the fast path must take it, or the speed is lost
	}{
		{"example", string(example), true},
		{"rootless example", string(rootlessJSON), true},
		{"escapes as encoding/json writes them", `{"process":{"args":["sh","-c","a \u0026\u0026 b \u003c c"]}}`, true},
		{"empty map", `{"annotations":{},"linux":{"sysctl":{}}}`, true},
		{"null map", `{"annotations":null}`, true},
		{"null pointer and slice", `{"process":null,"mounts":null}`, true},
		{"empty slice", `{"mounts":[]}`, true},
		{"surrogate pair and a lone one", `{"hostname":"\ud83d\ude00 \ud800 \udc00x"}`, true},
		{"negative to int64", `{"linux":{"resources":{"cpu":{"quota":-1}}}}`, true},
		{"extension field", `{"org.example":1}`, false},
		{"field name in another case", `{"Hostname":"x"}`, false},
		{"key given twice", `{"hostname":"a","hostname":"b"}`, false},
		{"map key given twice", `{"annotations":{"a":"1","a":"2"}}`, false},
		{"object given twice", `{"annotations":{"a":"1"},"annotations":{"b":"2"}}`, false},
		{"slice of structs given twice", `{"mounts":[{"destination":"/a","type":"t"}],"mounts":[{"source":"s"}]}`, false},
		{"leading zero", `{"process":{"user":{"uid":01}}}`, false},
		{"raw control character", "{\"hostname\":\"a\nb\"}", false},
		{"invalid UTF-8", "{\"hostname\":\"\xff\"}", false},
		{"trailing comma", `{"hostname":"a",}`, false},
		{"trailing data", `{"hostname":"a"} x`, false},
		{"float to an integer", `{"process":{"user":{"uid":1.0}}}`, false},
		{"overflow", `{"process":{"user":{"uid":4294967296}}}`, false},
		{"negative to unsigned", `{"process":{"user":{"uid":-1}}}`, false},
		{"string to bool", `{"process":{"terminal":"true"}}`, false},
		{"deep nesting", `{"org.example":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, false},
		{"not an object", `[]`, false},
		{"null", `null`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := fastAgrees(t, []byte(tc.data)); got != tc.wantFast {
				t.Errorf("fast path took it: %v, want %v", got, tc.wantFast)
			}
		})
	}
}

// FuzzFastDecode holds the generated decoder to encoding/json on arbitrary
// input: whatever it accepts must decode to the same value.
func FuzzFastDecode(f *testing.F) {
	example, err := json.Marshal(Example())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	f.Add([]byte(`{"annotations":{"a":"1"},"mounts":[{"destination":"/a","options":["ro"]}],"linux":{"resources":{"unified":{"k":"v"}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fastAgrees(t, data)
	})
}

// copyResources copies every field, and shares no memory with the spec.
func TestCopyResourcesCopiesEverything(t *testing.T) {
	var r specs.LinuxResources
	jsonfasttest.Fill(t, &r)
	cp, err := copyResources(&r)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cp, &r) {
		t.Fatalf("the copy differs:\ngot  %#v\nwant %#v", cp, &r)
	}
	if where := shared(reflect.ValueOf(cp), reflect.ValueOf(&r), "resources"); where != "" {
		t.Fatalf("the copy shares %s with the spec", where)
	}
}

// shared names the first pointer, slice or map a and b have in common.
func shared(a, b reflect.Value, path string) string {
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return ""
		}
		if a.Pointer() == b.Pointer() {
			return path
		}
		return shared(a.Elem(), b.Elem(), path)
	case reflect.Struct:
		for i := range a.NumField() {
			if w := shared(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name); w != "" {
				return w
			}
		}
	case reflect.Slice:
		if a.Len() > 0 && b.Len() > 0 && a.Pointer() == b.Pointer() {
			return path
		}
		for i := range min(a.Len(), b.Len()) {
			if w := shared(a.Index(i), b.Index(i), path+"[i]"); w != "" {
				return w
			}
		}
	case reflect.Map:
		if !a.IsNil() && a.Pointer() == b.Pointer() {
			return path
		}
		for it := a.MapRange(); it.Next(); {
			if w := shared(it.Value(), b.MapIndex(it.Key()), path+"[k]"); w != "" {
				return w
			}
		}
	}
	return ""
}
