// Package jsonfast runs the JSON decoders generated (by easyjson) for the
// runtime's hot files as a fast path in front of encoding/json, and the
// generated encoder of the config the runtime stores.
//
// Every runtime command and every init runs once, so encoding/json always
// meets the types cold: it builds a decoder or encoder for each of them by
// reflection before it reads or writes a byte. For a config.json that is
// 1-2 ms of a create, as much as the rest of the translation, and as much
// again in stage 1 for the init's config; storing the config cost about 1
// ms more. Generated code does the same work without that start-up.
//
// The fast path must never decide anything. [Decode] accepts a document
// only where encoding/json gives the same value; a caller decodes a
// document it refuses again with encoding/json, whose value and errors are
// the ones users see. So the generator is told to refuse unknown fields
// (encoding/json ignores them, and also matches field names regardless of
// case); documents with a key given twice, invalid UTF-8, or syntax the
// generated lexer is lenient about are refused here; and the easyjsontrim
// command rewrites the generated map decoding to encoding/json's rules and
// drops the generated encoders, whose packages link net/http, or with
// -encoders points them at package jwriter here. Package jsonfasttest
// holds the two decoders to the same result, and the generated encoders
// to encoding/json's keys and values.
//
// A package with generated decoders says, next to the types:
//
//	//go:generate go tool easyjson -disallow_unknown_fields -no_std_marshalers -output_filename F_easyjson.go F.go
//	//go:generate go run github.com/ocirun/ocirun/libcontainer/jsonfast/easyjsontrim [-encoders] F_easyjson.go
package jsonfast

import (
	"encoding/json"
	"reflect"
	"slices"
	"unicode/utf8"

	"github.com/mailru/easyjson/jlexer"

	"github.com/ocirun/ocirun/libcontainer/jsonfast/jwriter"
)

// Decoder is what the generated code gives each type it decodes.
type Decoder interface {
	UnmarshalEasyJSON(*jlexer.Lexer)
}

// Encoder is what the generated code gives each type it encodes, when it
// is generated with encoders (easyjsontrim -encoders).
type Encoder interface {
	MarshalEasyJSON(*jwriter.Writer)
}

// Encode writes v as JSON with its generated encoder: what encoding/json
// writes but for the order of map keys. It fails where a MarshalJSON or
// MarshalText of a field's type does.
func Encode(v Encoder) ([]byte, error) {
	var w jwriter.Writer
	v.MarshalEasyJSON(&w)
	if w.Error != nil {
		return nil, w.Error
	}
	return w.Bytes(), nil
}

// Unmarshal decodes data into v, a pointer, with fast (v's generated
// decoder, or nil) when it takes the document, and otherwise with
// encoding/json into a zeroed v, whose value and error are then the
// result.
func Unmarshal(data []byte, v any, fast Decoder) error {
	if fast != nil {
		if Decode(data, fast) {
			return nil
		}
		reflect.ValueOf(v).Elem().SetZero()
	}
	return json.Unmarshal(data, v)
}

// Decode reports whether the generated decoder took data whole into v with
// the value encoding/json would give. When it did not, v holds a partial
// result and must be discarded.
func Decode(data []byte, v Decoder) bool {
	// The generated decoder's lexer is more lenient than JSON: it takes
	// raw control characters in strings, leading zeros and invalid UTF-8.
	// encoding/json's syntax check has no reflection and so no start-up
	// cost.
	if !utf8.Valid(data) || !json.Valid(data) {
		return false
	}
	l := jlexer.Lexer{Data: data}
	v.UnmarshalEasyJSON(&l)
	if l.Error() != nil {
		return false
	}
	// A key given twice: encoding/json decodes the second value over the
	// first (slices of structs element by element), which the generated
	// decoder does not copy.
	l = jlexer.Lexer{Data: data}
	return uniqueKeys(&l, 0) && l.Ok()
}

// maxUniqueKeysDepth bounds uniqueKeys' recursion. The runtime's files
// nest less than half as deep; deeper documents go to encoding/json.
const maxUniqueKeysDepth = 32

// uniqueKeys reports whether no object in the value at l names a key twice.
// The value is known to be valid JSON.
func uniqueKeys(l *jlexer.Lexer, depth int) bool {
	if depth > maxUniqueKeysDepth {
		return false
	}
	switch {
	case l.IsDelim('{'):
		l.Delim('{')
		var keys []string
		for !l.IsDelim('}') {
			key := l.UnsafeFieldName(false)
			if slices.Contains(keys, key) {
				return false
			}
			keys = append(keys, key)
			l.WantColon()
			if !uniqueKeys(l, depth+1) {
				return false
			}
			l.WantComma()
		}
		l.Delim('}')
	case l.IsDelim('['):
		l.Delim('[')
		for !l.IsDelim(']') {
			if !uniqueKeys(l, depth+1) {
				return false
			}
			l.WantComma()
		}
		l.Delim(']')
	default:
		l.Skip()
	}
	return l.Ok()
}
