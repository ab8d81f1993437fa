package initproto

import (
	"encoding/binary"
	"fmt"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

// WaitEnv names the environment variable that turns "ocirun-init" into
// the start waiter: "LISTENFD,PLANFD". See [WaitPlan].
const WaitEnv = "_OCIRUN_WAIT"

// NofileEnv carries, from stage 0 to stage 1, the soft RLIMIT_NOFILE the
// init was started with, before stage 1's Go runtime raised it.
const NofileEnv = "_OCIRUN_NOFILE"

// WaitPlan is what the start waiter needs. Once stage 1 has built the
// container and applied the process's identity and capabilities, it does
// not wait for start itself, because its Go runtime would hold several
// megabytes for as long as the container stays created. It re-executes the
// init binary with $_OCIRUN_WAIT set; C code in package nsenter then
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
	out := appendAttr(nil, AttrWaitPath, []byte(p.Path))
	for _, a := range p.Args {
		out = appendAttr(out, AttrWaitArg, []byte(a))
	}
	for _, e := range p.Env {
		out = appendAttr(out, AttrWaitEnv, []byte(e))
	}
	if len(p.SeccompBPF) > 0 {
		out = appendAttr(out, AttrWaitSeccomp, p.SeccompBPF)
		out = appendAttr(out, AttrWaitSeccompFl, binary.LittleEndian.AppendUint32(nil, p.SeccompFlags))
	}
	for _, r := range p.Rlimits {
		out = appendAttr(out, AttrWaitRlimit, encodeRlimit(r))
	}
	return out
}

// DecodeWaitPlan parses what Encode produced; the waiter has its own C
// parser, this one keeps the encoding tested from both sides.
func DecodeWaitPlan(b []byte) (*WaitPlan, error) {
	p := &WaitPlan{}
	err := parseAttrs("wait plan", b, func(t uint16, v []byte) error {
		switch t {
		case AttrWaitPath:
			p.Path = string(v)
		case AttrWaitArg:
			p.Args = append(p.Args, string(v))
		case AttrWaitEnv:
			p.Env = append(p.Env, string(v))
		case AttrWaitSeccomp:
			p.SeccompBPF = append([]byte(nil), v...)
		case AttrWaitSeccompFl:
			if len(v) != 4 {
				return fmt.Errorf("seccomp flags: bad length %d", len(v))
			}
			p.SeccompFlags = binary.LittleEndian.Uint32(v)
		case AttrWaitRlimit:
			if len(v) != 20 {
				return fmt.Errorf("rlimit: bad length %d", len(v))
			}
			p.Rlimits = append(p.Rlimits, decodeRlimit(v))
		default:
			return fmt.Errorf("unknown attribute %d", t)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}
