// Package jwriter is the part of easyjson's jwriter that the generated
// encoders of the runtime's stored files call, writing to one growing
// slice (a type that needs more fails to compile in its generated code,
// naming the method). easyjson's own writes
// through its buffer package, which imports net (for net.Buffers) and so
// puts net's package initialisation into every command; easyjsontrim
// points the generated code here instead.
//
// Strings are written as encoding/json writes them (HTML characters, U+2028
// and U+2029 escaped, invalid UTF-8 replaced by U+FFFD), so that a string
// encodes to the same bytes either way.
package jwriter

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// Flags changes what the generated encoders write.
type Flags int

// NilSliceAsEmpty and NilMapAsEmpty write a nil slice as [] and a nil map
// as {} rather than null. The runtime never sets them; the generated code
// tests for them.
const (
	NilSliceAsEmpty Flags = 1 << iota
	NilMapAsEmpty
)

// Writer collects one JSON document.
type Writer struct {
	Flags Flags
	// Error is the first error of a MarshalJSON or MarshalText the
	// generated code called; the document is then incomplete.
	Error error
	buf   []byte
}

// Bytes is the document written so far.
func (w *Writer) Bytes() []byte { return w.buf }

func (w *Writer) RawByte(c byte)     { w.buf = append(w.buf, c) }
func (w *Writer) RawString(s string) { w.buf = append(w.buf, s...) }

// Raw writes the result of a MarshalJSON as encoding/json does: compact,
// with HTML characters in its strings escaped.
func (w *Writer) Raw(data []byte, err error) {
	if err == nil {
		var compact bytes.Buffer
		if err = json.Compact(&compact, data); err == nil {
			dst := bytes.NewBuffer(w.buf)
			json.HTMLEscape(dst, compact.Bytes())
			w.buf = dst.Bytes()
			return
		}
	}
	w.fail(err)
}

// RawText writes the result of a MarshalText as a string, as
// encoding/json does.
func (w *Writer) RawText(text []byte, err error) {
	if err != nil {
		w.fail(err)
		return
	}
	w.String(string(text))
}

func (w *Writer) fail(err error) {
	if w.Error == nil {
		w.Error = err
	}
	w.buf = append(w.buf, "null"...)
}

func (w *Writer) Bool(v bool) { w.buf = strconv.AppendBool(w.buf, v) }

func (w *Writer) Int(n int)       { w.Int64(int64(n)) }
func (w *Writer) Int32(n int32)   { w.Int64(int64(n)) }
func (w *Writer) Int64(n int64)   { w.buf = strconv.AppendInt(w.buf, n, 10) }
func (w *Writer) Uint(n uint)     { w.Uint64(uint64(n)) }
func (w *Writer) Uint16(n uint16) { w.Uint64(uint64(n)) }
func (w *Writer) Uint32(n uint32) { w.Uint64(uint64(n)) }
func (w *Writer) Uint64(n uint64) { w.buf = strconv.AppendUint(w.buf, n, 10) }

const hex = "0123456789abcdef"

// String writes s quoted, escaped as encoding/json escapes it.
func (w *Writer) String(s string) {
	b := append(w.buf, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	w.buf = append(b, '"')
}
