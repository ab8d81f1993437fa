package initproto

import (
	"encoding/binary"
	"fmt"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

// ExecPlan is a process for exec that needs nothing Go does better: no
// terminal, no LSM label, no scheduling policy, no seccomp notify listener,
// a container that is not paused. Then no Go runtime starts inside the
// container at all: the runtime computes the plan, sends it inside
// MsgBootstrap (AttrExecPlan), and stage 0's child, already in every
// namespace of the container, waits for MsgCommitted (the runtime has
// moved it into the container's cgroup), applies the plan in C (exec.c in
// package nsenter) and execs, or sends MsgError. Anything else goes through
// stage 1 in Go, which applies the same settings in the same order
// (containerinit's applyProcess and finishExec).
//
// The plan is a list of attributes with the layout of [Bootstrap]:
//
//	attribute            value
//	-------------------  ---------------------------------------------------
//	AttrExecArg          one argv entry; repeated, in order
//	AttrExecEnv          one environment entry; repeated, in order. HOME is
//	                     added from the container's /etc/passwd when absent
//	AttrExecCwd          the working directory, as seen in the container
//	AttrExecUser         u32 uid, u32 gid, u32 umask
//	AttrExecGroup        u32 additional gid; repeated
//	AttrExecCaps         u32 cap_last_cap of the host kernel, then u64 masks:
//	                     bounding, effective, permitted, inheritable, ambient.
//	                     Absent: the capability sets are left as they are
//	AttrExecNoNewPrivs   empty: set no_new_privs
//	AttrExecPersonality  u32 personality(2) domain
//	AttrExecRlimit       u32 resource, u64 soft, u64 hard; repeated
//	AttrExecSeccomp      a seccomp BPF program (struct sock_filter array)
//	AttrExecSeccompFl    u32: flags for seccomp(SECCOMP_SET_MODE_FILTER)
//	AttrExecPreserveFds  u32: fds 3 .. 3+N-1 stay open for the process
type ExecPlan struct {
	Args         []string
	Env          []string
	Cwd          string
	UID, GID     uint32
	Umask        uint32
	Groups       []uint32
	Caps         *ExecCaps
	NoNewPrivs   bool
	Personality  *uint32
	Rlimits      []configs.Rlimit
	SeccompBPF   []byte
	SeccompFlags uint32
	PreserveFds  uint32
}

// ExecCaps are the capability sets of an [ExecPlan] as bit masks.
type ExecCaps struct {
	LastCap                                              uint32
	Bounding, Effective, Permitted, Inheritable, Ambient uint64
}

// Attribute types of [ExecPlan]; keep in sync with exec.c.
const (
	AttrExecArg         uint16 = 1
	AttrExecEnv         uint16 = 2
	AttrExecCwd         uint16 = 3
	AttrExecUser        uint16 = 4
	AttrExecGroup       uint16 = 5
	AttrExecCaps        uint16 = 6
	AttrExecNoNewPrivs  uint16 = 7
	AttrExecPersonality uint16 = 8
	AttrExecRlimit      uint16 = 9
	AttrExecSeccomp     uint16 = 10
	AttrExecSeccompFl   uint16 = 11
	AttrExecPreserveFds uint16 = 12
)

func u32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

// Encode serialises the plan for AttrExecPlan.
func (p *ExecPlan) Encode() []byte {
	var out []byte
	for _, a := range p.Args {
		out = appendAttr(out, AttrExecArg, []byte(a))
	}
	for _, e := range p.Env {
		out = appendAttr(out, AttrExecEnv, []byte(e))
	}
	out = appendAttr(out, AttrExecCwd, []byte(p.Cwd))
	user := binary.LittleEndian.AppendUint32(u32(p.UID), p.GID)
	out = appendAttr(out, AttrExecUser, binary.LittleEndian.AppendUint32(user, p.Umask))
	for _, g := range p.Groups {
		out = appendAttr(out, AttrExecGroup, u32(g))
	}
	if c := p.Caps; c != nil {
		v := u32(c.LastCap)
		for _, m := range []uint64{c.Bounding, c.Effective, c.Permitted, c.Inheritable, c.Ambient} {
			v = binary.LittleEndian.AppendUint64(v, m)
		}
		out = appendAttr(out, AttrExecCaps, v)
	}
	if p.NoNewPrivs {
		out = appendAttr(out, AttrExecNoNewPrivs, nil)
	}
	if p.Personality != nil {
		out = appendAttr(out, AttrExecPersonality, u32(*p.Personality))
	}
	for _, r := range p.Rlimits {
		out = appendAttr(out, AttrExecRlimit, encodeRlimit(r))
	}
	if len(p.SeccompBPF) > 0 {
		out = appendAttr(out, AttrExecSeccomp, p.SeccompBPF)
		out = appendAttr(out, AttrExecSeccompFl, u32(p.SeccompFlags))
	}
	if p.PreserveFds > 0 {
		out = appendAttr(out, AttrExecPreserveFds, u32(p.PreserveFds))
	}
	return out
}

// DecodeExecPlan parses what Encode produced; exec.c has its own parser,
// this one keeps the encoding tested from both sides.
func DecodeExecPlan(b []byte) (*ExecPlan, error) {
	p := &ExecPlan{}
	le := binary.LittleEndian
	err := parseAttrs("exec plan", b, func(t uint16, v []byte) error {
		need := map[uint16]int{AttrExecUser: 12, AttrExecGroup: 4, AttrExecCaps: 44, AttrExecNoNewPrivs: 0,
			AttrExecPersonality: 4, AttrExecRlimit: 20, AttrExecSeccompFl: 4, AttrExecPreserveFds: 4}
		if n, fixed := need[t]; fixed && len(v) != n {
			return fmt.Errorf("attribute %d: bad length %d", t, len(v))
		}
		switch t {
		case AttrExecArg:
			p.Args = append(p.Args, string(v))
		case AttrExecEnv:
			p.Env = append(p.Env, string(v))
		case AttrExecCwd:
			p.Cwd = string(v)
		case AttrExecUser:
			p.UID, p.GID, p.Umask = le.Uint32(v), le.Uint32(v[4:]), le.Uint32(v[8:])
		case AttrExecGroup:
			p.Groups = append(p.Groups, le.Uint32(v))
		case AttrExecCaps:
			p.Caps = &ExecCaps{LastCap: le.Uint32(v), Bounding: le.Uint64(v[4:]), Effective: le.Uint64(v[12:]),
				Permitted: le.Uint64(v[20:]), Inheritable: le.Uint64(v[28:]), Ambient: le.Uint64(v[36:])}
		case AttrExecNoNewPrivs:
			p.NoNewPrivs = true
		case AttrExecPersonality:
			d := le.Uint32(v)
			p.Personality = &d
		case AttrExecRlimit:
			p.Rlimits = append(p.Rlimits, decodeRlimit(v))
		case AttrExecSeccomp:
			p.SeccompBPF = append([]byte(nil), v...)
		case AttrExecSeccompFl:
			p.SeccompFlags = le.Uint32(v)
		case AttrExecPreserveFds:
			p.PreserveFds = le.Uint32(v)
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

// CapMask turns a list of capability numbers into a bit mask.
func CapMask(caps []int) (uint64, error) {
	var m uint64
	for _, c := range caps {
		if c < 0 || c > 63 {
			return 0, fmt.Errorf("capability %d is out of range", c)
		}
		m |= 1 << uint(c)
	}
	return m, nil
}
