package initproto

import (
	"encoding/binary"
	"fmt"
)

// Bootstrap is the payload of MsgBootstrap, read by the C code of stage 0.
//
// It is encoded as a list of attributes, each a 2-byte little-endian type, a
// 4-byte little-endian length and the value:
//
//	attribute         value
//	----------------  ------------------------------------------------------------
//	AttrCloneFlags    u32: CLONE_NEW* flags of the namespaces to create
//	AttrJoin          u32 CLONE_NEW* flag of the namespace, then its path (no NUL);
//	                  repeated, in the order the config lists them
//	AttrTimeOffsets   text written as-is to /proc/self/timens_offsets
//	AttrBecomeRoot    u8 1: after the ID mapping, switch to uid/gid 0 of the new
//	                  user namespace (set when 0 is mapped)
//
// Stage 0 opens every path before joining anything (a path must be resolved
// in the runtime's mount namespace), joins the user namespace first (so it
// holds the capabilities the other joins need), then the rest, then creates
// the new namespaces: a new user namespace first, asking the runtime to map
// it (MsgMapIDs), then all others in one unshare(2).
type Bootstrap struct {
	CloneFlags  uint32
	Join        []JoinNamespace
	TimeOffsets string
	BecomeRoot  bool
}

// JoinNamespace is a namespace to enter by path.
type JoinNamespace struct {
	Flag uint32 // CLONE_NEW*
	Path string
}

// Attribute types of [Bootstrap]; keep in sync with nsenter.c.
const (
	AttrCloneFlags  uint16 = 1
	AttrJoin        uint16 = 2
	AttrTimeOffsets uint16 = 3
	AttrBecomeRoot  uint16 = 4
)

// Encode serialises b for MsgBootstrap.
func (b *Bootstrap) Encode() []byte {
	var out []byte
	attr := func(t uint16, v []byte) {
		var hdr [6]byte
		binary.LittleEndian.PutUint16(hdr[:2], t)
		binary.LittleEndian.PutUint32(hdr[2:], uint32(len(v)))
		out = append(out, hdr[:]...)
		out = append(out, v...)
	}
	attr(AttrCloneFlags, binary.LittleEndian.AppendUint32(nil, b.CloneFlags))
	for _, j := range b.Join {
		attr(AttrJoin, append(binary.LittleEndian.AppendUint32(nil, j.Flag), j.Path...))
	}
	if b.TimeOffsets != "" {
		attr(AttrTimeOffsets, []byte(b.TimeOffsets))
	}
	if b.BecomeRoot {
		attr(AttrBecomeRoot, []byte{1})
	}
	return out
}

// DecodeBootstrap parses what Encode produced. Stage 0 has its own parser in
// C; this one exists so the encoding is tested from both directions.
func DecodeBootstrap(p []byte) (*Bootstrap, error) {
	b := &Bootstrap{}
	for len(p) > 0 {
		if len(p) < 6 {
			return nil, fmt.Errorf("bootstrap: truncated attribute header")
		}
		t := binary.LittleEndian.Uint16(p[:2])
		n := binary.LittleEndian.Uint32(p[2:6])
		p = p[6:]
		if uint32(len(p)) < n {
			return nil, fmt.Errorf("bootstrap: attribute %d: value of %d bytes truncated", t, n)
		}
		v := p[:n]
		p = p[n:]
		switch t {
		case AttrCloneFlags:
			if n != 4 {
				return nil, fmt.Errorf("bootstrap: clone flags: bad length %d", n)
			}
			b.CloneFlags = binary.LittleEndian.Uint32(v)
		case AttrJoin:
			if n < 5 {
				return nil, fmt.Errorf("bootstrap: join: bad length %d", n)
			}
			b.Join = append(b.Join, JoinNamespace{Flag: binary.LittleEndian.Uint32(v[:4]), Path: string(v[4:])})
		case AttrTimeOffsets:
			b.TimeOffsets = string(v)
		case AttrBecomeRoot:
			b.BecomeRoot = n == 1 && v[0] == 1
		default:
			return nil, fmt.Errorf("bootstrap: unknown attribute %d", t)
		}
	}
	return b, nil
}

// Stage1Pid decodes the payload of MsgStage1Pid.
func Stage1Pid(p []byte) (int, error) {
	if len(p) != 4 {
		return 0, fmt.Errorf("stage1-pid: bad payload length %d", len(p))
	}
	return int(int32(binary.LittleEndian.Uint32(p))), nil
}
