package libcontainer

import (
	"bytes"
	"testing"

	"golang.org/x/sys/unix"
)

// Attributes are padded to four bytes and read back in order; a truncated
// one ends the walk instead of reading past the buffer.
func TestRouteAttrs(t *testing.T) {
	b := appendAttr(nil, unix.IFLA_IFNAME, []byte("ctr0\x00"))
	b = appendAttr(b, unix.IFLA_NET_NS_FD, []byte{7, 0, 0, 0})
	if len(b) != 8+4+8 {
		t.Fatalf("length %d, want 20 (5 bytes padded to 8, plus 8)", len(b))
	}
	type attr struct {
		typ uint16
		val []byte
	}
	var got []attr
	for typ, val := range attrs(b) {
		got = append(got, attr{typ, val})
	}
	if len(got) != 2 || got[0].typ != unix.IFLA_IFNAME || !bytes.Equal(got[0].val, []byte("ctr0\x00")) ||
		got[1].typ != unix.IFLA_NET_NS_FD || !bytes.Equal(got[1].val, []byte{7, 0, 0, 0}) {
		t.Fatalf("got %v", got)
	}
	n := 0
	for range attrs(b[:len(b)-2]) {
		n++
	}
	if n != 1 {
		t.Errorf("truncated buffer: %d attributes, want 1", n)
	}
}
