// Package jwriter is the part of easyjson's jwriter that the generated
// encoders call, writing to one growing slice. easyjson's own writes
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

const (
	// NilMapAsEmpty writes a nil map as {} rather than null.
	NilMapAsEmpty Flags = 1 << iota
	// NilSliceAsEmpty writes a nil slice as [] rather than null.
	NilSliceAsEmpty
)

// Writer collects one JSON document.
type Writer struct {
	Flags Flags
	// Error is the first error of a Raw value.
	Error error
	buf   []byte
}

// Bytes is the document written so far, or the first error.
func (w *Writer) Bytes() ([]byte, error) {
	if w.Error != nil {
		return nil, w.Error
	}
	return w.buf, nil
}

func (w *Writer) RawByte(c byte)     { w.buf = append(w.buf, c) }
func (w *Writer) RawString(s string) { w.buf = append(w.buf, s...) }

// Raw writes data, JSON that another encoder produced, unless err is set.
func (w *Writer) Raw(data []byte, err error) {
	switch {
	case w.Error != nil:
	case err != nil:
		w.Error = err
	case len(data) > 0:
		w.buf = append(w.buf, data...)
	default:
		w.buf = append(w.buf, "null"...)
	}
}

func (w *Writer) Bool(v bool) { w.buf = strconv.AppendBool(w.buf, v) }

func (w *Writer) Int(n int)       { w.Int64(int64(n)) }
func (w *Writer) Int8(n int8)     { w.Int64(int64(n)) }
func (w *Writer) Int16(n int16)   { w.Int64(int64(n)) }
func (w *Writer) Int32(n int32)   { w.Int64(int64(n)) }
func (w *Writer) Int64(n int64)   { w.buf = strconv.AppendInt(w.buf, n, 10) }
func (w *Writer) Uint(n uint)     { w.Uint64(uint64(n)) }
func (w *Writer) Uint8(n uint8)   { w.Uint64(uint64(n)) }
func (w *Writer) Uint16(n uint16) { w.Uint64(uint64(n)) }
func (w *Writer) Uint32(n uint32) { w.Uint64(uint64(n)) }
func (w *Writer) Uint64(n uint64) { w.buf = strconv.AppendUint(w.buf, n, 10) }

// The ...Str forms write a number as a string, as for map keys.
func (w *Writer) IntStr(n int)       { w.Int64Str(int64(n)) }
func (w *Writer) Int8Str(n int8)     { w.Int64Str(int64(n)) }
func (w *Writer) Int16Str(n int16)   { w.Int64Str(int64(n)) }
func (w *Writer) Int32Str(n int32)   { w.Int64Str(int64(n)) }
func (w *Writer) UintStr(n uint)     { w.Uint64Str(uint64(n)) }
func (w *Writer) Uint8Str(n uint8)   { w.Uint64Str(uint64(n)) }
func (w *Writer) Uint16Str(n uint16) { w.Uint64Str(uint64(n)) }
func (w *Writer) Uint32Str(n uint32) { w.Uint64Str(uint64(n)) }

func (w *Writer) Int64Str(n int64) {
	w.buf = append(w.buf, '"')
	w.buf = strconv.AppendInt(w.buf, n, 10)
	w.buf = append(w.buf, '"')
}

func (w *Writer) Uint64Str(n uint64) {
	w.buf = append(w.buf, '"')
	w.buf = strconv.AppendUint(w.buf, n, 10)
	w.buf = append(w.buf, '"')
}

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
