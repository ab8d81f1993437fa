// Package jwriter is the part of easyjson's jwriter that the generated
// encoders of package configs call, writing to one growing slice (a type
// that needs more, an interface field's Raw say, fails to compile in its
// generated code, naming the method). easyjson's own writes
// through its buffer package, which imports net (for net.Buffers) and so
// puts net's package initialisation into every command; easyjsontrim
// points the generated code here instead.
//
// Strings are written as encoding/json writes them (HTML characters, U+2028
// and U+2029 escaped, invalid UTF-8 replaced by U+FFFD), so that a string
// encodes to the same bytes either way.
package jwriter

import (
	"strconv"
	"unicode/utf8"
)

// Flags changes what the generated encoders write.
type Flags int

// NilSliceAsEmpty writes a nil slice as [] rather than null. The runtime
// never sets it; the generated code tests for it.
const NilSliceAsEmpty Flags = 1

// Writer collects one JSON document.
type Writer struct {
	Flags Flags
	buf   []byte
}

// Bytes is the document written so far.
func (w *Writer) Bytes() []byte { return w.buf }

func (w *Writer) RawByte(c byte)     { w.buf = append(w.buf, c) }
func (w *Writer) RawString(s string) { w.buf = append(w.buf, s...) }

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
