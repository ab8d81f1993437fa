// Package jsonfasttest holds a type's generated decoder to encoding/json.
package jsonfasttest

import (
	"encoding"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/ocirun/ocirun/libcontainer/jsonfast"
)

// As gives T's generated decoder for a value: for a type the generator saw
// under another name (type specJSON specs.Spec), the conversion.
type As[T any] func(*T) jsonfast.Decoder

// Agree decodes data both ways and fails t if the generated decoder
// accepted data with a value encoding/json does not give. It reports
// whether the fast path accepted data.
func Agree[T any](t testing.TB, data []byte, as As[T]) bool {
	t.Helper()
	var fast T
	if !jsonfast.Decode(data, as(&fast)) {
		return false
	}
	var std T
	if err := json.Unmarshal(data, &std); err != nil {
		t.Fatalf("the fast decoder accepted what encoding/json refuses (%v): %q", err, data)
	}
	if !reflect.DeepEqual(fast, std) {
		t.Fatalf("the decoders disagree on %q:\nfast %#v\nstd  %#v", data, fast, std)
	}
	return true
}

// KnowsEveryField fails t unless T's generated decoder takes a T with every
// field set, as encoding/json writes it, back whole. A new field in T (a
// runtime-spec upgrade, a field added to the runtime's own types) makes the
// generated decoder refuse every document that uses it, and the speed is
// gone without a word; this notices and names the go generate to run.
func KnowsEveryField[T any](t *testing.T, as As[T], regenerate string) {
	t.Helper()
	var want T
	Fill(t, &want)
	data, err := json.Marshal(&want)
	if err != nil {
		t.Fatal(err)
	}
	var got T
	if !jsonfast.Decode(data, as(&got)) {
		t.Fatalf("the generated decoder refuses a %T with every field set; run %s", want, regenerate)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("the generated decoder loses fields of %T; run %s:\ngot  %#v\nwant %#v", want, regenerate, got, want)
	}
}

// Fill sets every exported field reachable from v, a pointer, to a value
// that is not the zero value, so that encoding/json writes each one.
func Fill(t *testing.T, v any) {
	t.Helper()
	fill(t, reflect.ValueOf(v).Elem(), reflect.TypeOf(v).Elem().String())
}

func fill(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, v.Elem(), path)
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() && f.Tag.Get("json") != "-" {
				fill(t, v.Field(i), path+"."+f.Name)
			}
		}
	case reflect.Slice:
		if v.Type() == reflect.TypeFor[json.RawMessage]() {
			v.SetBytes([]byte(`{"x":[1,"y",null]}`))
			return
		}
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(t, v.Index(0), path+"[0]")
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		key := reflect.New(v.Type().Key()).Elem()
		fill(t, key, path+" key")
		elem := reflect.New(v.Type().Elem()).Elem()
		fill(t, elem, path+"[key]")
		v.SetMapIndex(key, elem)
	case reflect.Interface:
		v.Set(reflect.ValueOf(map[string]any{"x": []any{"y", 1.5, true, nil}}))
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(-7)
		for n := int64(1); !marshalsText(v) && n < 64; n++ {
			v.SetInt(n)
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(7)
		for n := uint64(1); !marshalsText(v) && n < 64; n++ {
			v.SetUint(n)
		}
	default:
		t.Fatalf("%s: no test value for a %s; teach fill, and check the generated decoder handles it", path, v.Kind())
	}
}

// marshalsText reports whether v, when its type is an encoding.TextMarshaler
// (an enumeration written by name, say), has a value that marshals: fill
// then looks for one.
func marshalsText(v reflect.Value) bool {
	m, ok := v.Interface().(encoding.TextMarshaler)
	if !ok {
		return true
	}
	_, err := m.MarshalText()
	return err == nil
}

// EncodesEveryField fails t unless T's generated encoder writes a T with
// every field set to the same JSON as encoding/json: the same keys, with
// the same values, though in another order where a struct embeds another.
func EncodesEveryField[T any](t *testing.T, enc func(*T) jsonfast.Encoder, regenerate string) {
	t.Helper()
	var v T
	Fill(t, &v)
	want, err := json.Marshal(&v)
	if err != nil {
		t.Fatal(err)
	}
	got, err := jsonfast.Encode(enc(&v))
	if err != nil {
		t.Fatalf("the generated encoder fails where encoding/json does not: %v", err)
	}
	var gotTree, wantTree any
	if err := json.Unmarshal(got, &gotTree); err != nil {
		t.Fatalf("the generated encoder writes invalid JSON (%v): %s", err, got)
	}
	if err := json.Unmarshal(want, &wantTree); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotTree, wantTree) {
		t.Fatalf("the generated encoder writes a %T with every field set differently; run %s:\ngot  %s\nwant %s", v, regenerate, got, want)
	}
}

// EncodeAgrees fails t unless encoding/json decodes what v's generated
// encoder writes back to v.
func EncodeAgrees[T any](t testing.TB, v *T, enc func(*T) jsonfast.Encoder) {
	t.Helper()
	data, err := jsonfast.Encode(enc(v))
	if err != nil {
		t.Fatalf("the generated encoder fails: %v", err)
	}
	var back T
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatalf("encoding/json cannot read what the generated encoder wrote (%v): %s", err, data)
	}
	if !reflect.DeepEqual(&back, v) {
		t.Fatalf("the generated encoder's output decodes to another value:\ngot  %#v\nwant %#v\nfrom %s", &back, v, data)
	}
}
