package initproto

import (
	"encoding/binary"
	"fmt"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

// WaitEnv names the environment variable that turns "ocirun init" into
// the start waiter: "LISTENFD,PLANFD". See [WaitPlan].
const WaitEnv = "_OCIRUN_WAIT"

// NofileEnv carries, from stage 0 to stage 1, the soft RLIMIT_NOFILE the
// init was started with, before stage 1's Go runtime raised it.
const NofileEnv = "_OCIRUN_NOFILE"

// WaitPlan is what the start waiter needs. Once stage 1 has built the
// container and applied the process's identity and capabilities, it does
// not wait for start itself, because its Go runtime would hold several
// megabytes for as long as the container stays created. It re-executes the
// runtime binary with $_OCIRUN_WAIT set; C code in package nsenter then
// waits in accept(2) on the start socket, before any Go runtime exists,
// and on "ocirun start" loads the seccomp filter (when no_new_privs lets it
// come last), sends a notify fd as MsgSeccompFd and execs the user process,
// or reports MsgError on the start connection.
//
// The plan reaches the waiter in a sealed memfd, as attributes with the
// layout of [Bootstrap]:
//
//	attribute          value
//	-----------------  ---------------------------------------------------
//	AttrWaitPath       the executable, as resolved in the container
//	AttrWaitArg        one argv entry; repeated, in order
//	AttrWaitEnv        one environment entry; repeated, in order
//	AttrWaitSeccomp    a seccomp BPF program (struct sock_filter array)
//	AttrWaitSeccompFl  u32: flags for seccomp(SECCOMP_SET_MODE_FILTER)
//	AttrWaitRlimit     u32 resource, u64 soft, u64 hard; repeated
//
// The rlimits come last because a small one (an RLIMIT_AS below the Go
// runtime's reservations) would break the runtime's own code; stage 1 has
// already raised every hard limit that needed privilege to raise.
type WaitPlan struct {
	Path         string
	Args         []string
	Env          []string
	SeccompBPF   []byte
	SeccompFlags uint32
	Rlimits      []configs.Rlimit
}

// Attribute types of [WaitPlan]; keep in sync with waiter.c.
const (
	AttrWaitPath      uint16 = 1
	AttrWaitArg       uint16 = 2
	AttrWaitEnv       uint16 = 3
	AttrWaitSeccomp   uint16 = 4
	AttrWaitSeccompFl uint16 = 5
	AttrWaitRlimit    uint16 = 6
)

// Encode serialises the plan.
func (p *WaitPlan) Encode() []byte {
	var out []byte
	attr := func(t uint16, v []byte) {
		var hdr [6]byte
		binary.LittleEndian.PutUint16(hdr[:2], t)
		binary.LittleEndian.PutUint32(hdr[2:], uint32(len(v)))
		out = append(append(out, hdr[:]...), v...)
	}
	attr(AttrWaitPath, []byte(p.Path))
	for _, a := range p.Args {
		attr(AttrWaitArg, []byte(a))
	}
	for _, e := range p.Env {
		attr(AttrWaitEnv, []byte(e))
	}
	if len(p.SeccompBPF) > 0 {
		attr(AttrWaitSeccomp, p.SeccompBPF)
		attr(AttrWaitSeccompFl, binary.LittleEndian.AppendUint32(nil, p.SeccompFlags))
	}
	for _, r := range p.Rlimits {
		v := binary.LittleEndian.AppendUint32(nil, uint32(r.Type))
		v = binary.LittleEndian.AppendUint64(v, r.Soft)
		attr(AttrWaitRlimit, binary.LittleEndian.AppendUint64(v, r.Hard))
	}
	return out
}

// DecodeWaitPlan parses what Encode produced; the waiter has its own C
// parser, this one keeps the encoding tested from both sides.
func DecodeWaitPlan(b []byte) (*WaitPlan, error) {
	p := &WaitPlan{}
	for len(b) > 0 {
		if len(b) < 6 {
			return nil, fmt.Errorf("wait plan: truncated attribute header")
		}
		t := binary.LittleEndian.Uint16(b[:2])
		n := binary.LittleEndian.Uint32(b[2:6])
		b = b[6:]
		if uint32(len(b)) < n {
			return nil, fmt.Errorf("wait plan: attribute %d truncated", t)
		}
		v := string(b[:n])
		switch t {
		case AttrWaitPath:
			p.Path = v
		case AttrWaitArg:
			p.Args = append(p.Args, v)
		case AttrWaitEnv:
			p.Env = append(p.Env, v)
		case AttrWaitSeccomp:
			p.SeccompBPF = []byte(v)
		case AttrWaitSeccompFl:
			if n != 4 {
				return nil, fmt.Errorf("wait plan: seccomp flags: bad length %d", n)
			}
			p.SeccompFlags = binary.LittleEndian.Uint32(b[:4])
		case AttrWaitRlimit:
			if n != 20 {
				return nil, fmt.Errorf("wait plan: rlimit: bad length %d", n)
			}
			p.Rlimits = append(p.Rlimits, configs.Rlimit{
				Type: int(binary.LittleEndian.Uint32(b[:4])),
				Soft: binary.LittleEndian.Uint64(b[4:12]),
				Hard: binary.LittleEndian.Uint64(b[12:20]),
			})
		default:
			return nil, fmt.Errorf("wait plan: unknown attribute %d", t)
		}
		b = b[n:]
	}
	return p, nil
}
