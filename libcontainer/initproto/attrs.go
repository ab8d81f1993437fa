package initproto

import (
	"encoding/binary"
	"fmt"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

// The binary payloads read by C code ([Bootstrap] and [Plan]) are
// lists of attributes: a 2-byte little-endian type, a 4-byte little-endian
// length, then the value.

func appendAttr(out []byte, t uint16, v []byte) []byte {
	out = binary.LittleEndian.AppendUint16(out, t)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(v)))
	return append(out, v...)
}

// parseAttrs calls fn for each attribute of p, in order.
func parseAttrs(what string, p []byte, fn func(t uint16, v []byte) error) error {
	for len(p) > 0 {
		if len(p) < 6 {
			return fmt.Errorf("%s: truncated attribute header", what)
		}
		t := binary.LittleEndian.Uint16(p[:2])
		n := binary.LittleEndian.Uint32(p[2:6])
		p = p[6:]
		if uint32(len(p)) < n {
			return fmt.Errorf("%s: attribute %d: value of %d bytes truncated", what, t, n)
		}
		if err := fn(t, p[:n]); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		p = p[n:]
	}
	return nil
}

// encodeRlimit is the value of an rlimit attribute: u32 resource, u64 soft,
// u64 hard.
func encodeRlimit(r configs.Rlimit) []byte {
	v := binary.LittleEndian.AppendUint32(nil, uint32(r.Type))
	v = binary.LittleEndian.AppendUint64(v, r.Soft)
	return binary.LittleEndian.AppendUint64(v, r.Hard)
}

// decodeRlimit reverses encodeRlimit; v has 20 bytes.
func decodeRlimit(v []byte) configs.Rlimit {
	return configs.Rlimit{
		Type: int(binary.LittleEndian.Uint32(v[:4])),
		Soft: binary.LittleEndian.Uint64(v[4:12]),
		Hard: binary.LittleEndian.Uint64(v[12:20]),
	}
}
