package initproto

import (
	"encoding/binary"
	"fmt"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

// Plan is the last step of starting any process: everything between "the
// process's namespaces, cgroup and root filesystem are ready" and execve(2).
// Exactly one implementation applies it: the finisher, C in the static musl
// binary ocirun-exec (cmd/ocirun-exec/finish.c). It runs single-threaded and
// without a Go runtime, so the seccomp filter can be loaded right before the
// execve: nothing can start a thread that the filter would break.
//
// The finisher is entered in one of two ways (see the table in the package
// documentation):
//   - exec, when the process needs nothing of Go (no terminal, a container
//     that is not paused, a stored seccomp program): the plan travels in
//     MsgBootstrap (AttrPlan) and stage 0's child, already in the cgroup and
//     every namespace, finishes at once;
//   - otherwise stage 1 (Go) does its part (the root filesystem, hooks, a
//     terminal), writes the plan into a sealed memfd and executes
//     ocirun-exec with $_OCIRUN_FINISH="PLANFD,SYNCFD,LISTENFD".
//
// With LISTENFD >= 0 (create) the finisher applies everything up to the
// uid switch and the capabilities, sends MsgReady on the sync socket and
// waits for MsgCommitted; then it blocks in accept(2) on the start socket
// until "ocirun start" connects, and only then lowers the rlimits, loads a
// seccomp filter that no_new_privs lets come last, and execs. Errors go
// to whoever waits: create before MsgCommitted, start after. With
// LISTENFD = -1 it does all of it at once and reports on SYNCFD.
//
// The steps, in the order the kernel forces: setsid; chdir to Cwd and
// check that it is inside the root; resolve Args[0] with the process's
// PATH; add HOME from /etc/passwd; raise the rlimits whose hard limit
// grows; scheduler and I/O priority; personality; mark every fd from
// 3+PreserveFds close-on-exec; umask; drop the bounding set; the LSM
// label; no_new_privs; seccomp when no_new_privs is off (loading it later
// would need CAP_SYS_ADMIN, which the uid switch may take away); groups,
// gid, uid keeping capabilities; the capability sets; chdir again as the
// process's user; [create: ready, wait for start]; every rlimit; seccomp
// when no_new_privs is on; execve. A notify fd goes to the runtime as
// MsgSeccompFd at once.
//
// Encoded as attributes with the layout of [Bootstrap]:
//
//	attribute            value
//	-------------------  ---------------------------------------------------
//	AttrPlanArg          one argv entry; repeated, in order
//	AttrPlanEnv          one environment entry; repeated, in order. HOME is
//	                     added from the container's /etc/passwd when absent
//	AttrPlanCwd          the working directory, as seen in the container
//	AttrPlanUser         u32 uid, u32 gid, u32 umask
//	AttrPlanGroup        u32 additional gid; repeated
//	AttrPlanCaps         u64 masks: bounding, effective, permitted,
//	                     inheritable, ambient. Absent: the sets stay as
//	                     they are
//	AttrPlanNoNewPrivs   empty: set no_new_privs
//	AttrPlanPersonality  u32 personality(2) domain
//	AttrPlanRlimit       u32 resource, u64 soft, u64 hard; repeated
//	AttrPlanSeccomp      a seccomp BPF program (struct sock_filter array)
//	AttrPlanSeccompFl    u32: flags for seccomp(SECCOMP_SET_MODE_FILTER);
//	                     SECCOMP_FILTER_FLAG_NEW_LISTENER for a notify rule
//	AttrPlanPreserveFds  u32: fds 3 .. 3+N-1 stay open for the process
//	AttrPlanScheduler    struct sched_attr fields: u32 policy, u64 flags,
//	                     i32 nice, u32 priority, u64 runtime, deadline, period
//	AttrPlanIOPriority   u32: the ioprio_set(2) value (class << 13 | level)
//	AttrPlanApparmor     the AppArmor profile, for attr/apparmor/exec
//	AttrPlanSelinux      the SELinux label, for attr/exec
type Plan struct {
	Args         []string
	Env          []string
	Cwd          string
	UID, GID     uint32
	Umask        uint32
	Groups       []uint32
	Caps         *PlanCaps
	NoNewPrivs   bool
	Personality  *uint32
	Rlimits      []configs.Rlimit
	SeccompBPF   []byte
	SeccompFlags uint32
	PreserveFds  uint32
	Scheduler    *configs.Scheduler
	IOPriority   *uint32
	Apparmor     string
	Selinux      string
}

// PlanCaps are the capability sets of a [Plan] as bit masks.
type PlanCaps struct {
	Bounding, Effective, Permitted, Inheritable, Ambient uint64
}

// NewPlan translates a process into a plan; the caller adds the seccomp
// program, which only a libseccomp (stage 1) or a stored one can supply.
func NewPlan(p *configs.Process, personality *configs.Personality, preserveFds int) (*Plan, error) {
	plan := &Plan{
		Args:        p.Args,
		Env:         p.Env,
		Cwd:         p.Cwd,
		UID:         p.User.UID,
		GID:         p.User.GID,
		Umask:       0o022,
		Groups:      p.User.AdditionalGids,
		NoNewPrivs:  p.NoNewPrivileges,
		Rlimits:     p.Rlimits,
		PreserveFds: uint32(preserveFds),
		Scheduler:   p.Scheduler,
		Apparmor:    p.ApparmorProfile,
		Selinux:     p.SelinuxLabel,
	}
	if plan.Cwd == "" {
		plan.Cwd = "/"
	}
	if p.User.Umask != nil {
		plan.Umask = *p.User.Umask
	}
	if personality != nil {
		d := uint32(personality.Domain)
		plan.Personality = &d
	}
	if io := p.IOPriority; io != nil {
		const classShift = 13
		v := uint32(io.Class<<classShift | io.Priority)
		plan.IOPriority = &v
	}
	if c := p.Capabilities; c != nil {
		pc := &PlanCaps{}
		for _, s := range []struct {
			mask *uint64
			caps []int
		}{{&pc.Bounding, c.Bounding}, {&pc.Effective, c.Effective}, {&pc.Permitted, c.Permitted},
			{&pc.Inheritable, c.Inheritable}, {&pc.Ambient, c.Ambient}} {
			var err error
			if *s.mask, err = CapMask(s.caps); err != nil {
				return nil, fmt.Errorf("process.capabilities: %w", err)
			}
		}
		plan.Caps = pc
	}
	return plan, nil
}

func u32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

// Encode serialises the plan.
func (p *Plan) Encode() []byte {
	le := binary.LittleEndian
	var out []byte
	for _, a := range p.Args {
		out = appendAttr(out, AttrPlanArg, []byte(a))
	}
	for _, e := range p.Env {
		out = appendAttr(out, AttrPlanEnv, []byte(e))
	}
	out = appendAttr(out, AttrPlanCwd, []byte(p.Cwd))
	out = appendAttr(out, AttrPlanUser, le.AppendUint32(le.AppendUint32(u32(p.UID), p.GID), p.Umask))
	for _, g := range p.Groups {
		out = appendAttr(out, AttrPlanGroup, u32(g))
	}
	if c := p.Caps; c != nil {
		var v []byte
		for _, m := range []uint64{c.Bounding, c.Effective, c.Permitted, c.Inheritable, c.Ambient} {
			v = le.AppendUint64(v, m)
		}
		out = appendAttr(out, AttrPlanCaps, v)
	}
	if p.NoNewPrivs {
		out = appendAttr(out, AttrPlanNoNewPrivs, nil)
	}
	if p.Personality != nil {
		out = appendAttr(out, AttrPlanPersonality, u32(*p.Personality))
	}
	for _, r := range p.Rlimits {
		out = appendAttr(out, AttrPlanRlimit, encodeRlimit(r))
	}
	if len(p.SeccompBPF) > 0 {
		out = appendAttr(out, AttrPlanSeccomp, p.SeccompBPF)
		out = appendAttr(out, AttrPlanSeccompFl, u32(p.SeccompFlags))
	}
	if p.PreserveFds > 0 {
		out = appendAttr(out, AttrPlanPreserveFds, u32(p.PreserveFds))
	}
	if s := p.Scheduler; s != nil {
		v := le.AppendUint64(u32(uint32(s.Policy)), s.Flags)
		v = le.AppendUint32(v, uint32(s.Nice))
		v = le.AppendUint32(v, uint32(s.Priority))
		v = le.AppendUint64(le.AppendUint64(le.AppendUint64(v, s.Runtime), s.Deadline), s.Period)
		out = appendAttr(out, AttrPlanScheduler, v)
	}
	if p.IOPriority != nil {
		out = appendAttr(out, AttrPlanIOPriority, u32(*p.IOPriority))
	}
	if p.Apparmor != "" {
		out = appendAttr(out, AttrPlanApparmor, []byte(p.Apparmor))
	}
	if p.Selinux != "" {
		out = appendAttr(out, AttrPlanSelinux, []byte(p.Selinux))
	}
	return out
}

// planFixedLen are the attributes whose value has one size.
var planFixedLen = map[uint16]int{
	AttrPlanUser: LenPlanUser, AttrPlanGroup: LenPlanGroup, AttrPlanCaps: LenPlanCaps,
	AttrPlanNoNewPrivs: LenPlanNoNewPrivs, AttrPlanPersonality: LenPlanPersonality,
	AttrPlanRlimit: LenPlanRlimit, AttrPlanSeccompFl: LenPlanSeccompFl,
	AttrPlanPreserveFds: LenPlanPreserveFds, AttrPlanScheduler: LenPlanScheduler,
	AttrPlanIOPriority: LenPlanIOPriority,
}

// DecodePlan parses what Encode produced. The finisher has its own parser
// in C; TestPlanThroughTheCDecoder feeds Encode's output to it.
func DecodePlan(b []byte) (*Plan, error) {
	p := &Plan{}
	le := binary.LittleEndian
	err := parseAttrs("plan", b, func(t uint16, v []byte) error {
		if n, fixed := planFixedLen[t]; fixed && len(v) != n {
			return fmt.Errorf("attribute %d: bad length %d", t, len(v))
		}
		switch t {
		case AttrPlanArg:
			p.Args = append(p.Args, string(v))
		case AttrPlanEnv:
			p.Env = append(p.Env, string(v))
		case AttrPlanCwd:
			p.Cwd = string(v)
		case AttrPlanUser:
			p.UID, p.GID, p.Umask = le.Uint32(v), le.Uint32(v[4:]), le.Uint32(v[8:])
		case AttrPlanGroup:
			p.Groups = append(p.Groups, le.Uint32(v))
		case AttrPlanCaps:
			p.Caps = &PlanCaps{Bounding: le.Uint64(v), Effective: le.Uint64(v[8:]),
				Permitted: le.Uint64(v[16:]), Inheritable: le.Uint64(v[24:]), Ambient: le.Uint64(v[32:])}
		case AttrPlanNoNewPrivs:
			p.NoNewPrivs = true
		case AttrPlanPersonality:
			d := le.Uint32(v)
			p.Personality = &d
		case AttrPlanRlimit:
			p.Rlimits = append(p.Rlimits, decodeRlimit(v))
		case AttrPlanSeccomp:
			p.SeccompBPF = append([]byte(nil), v...)
		case AttrPlanSeccompFl:
			p.SeccompFlags = le.Uint32(v)
		case AttrPlanPreserveFds:
			p.PreserveFds = le.Uint32(v)
		case AttrPlanScheduler:
			p.Scheduler = &configs.Scheduler{Policy: int(le.Uint32(v)), Flags: le.Uint64(v[4:]),
				Nice: int32(le.Uint32(v[12:])), Priority: int32(le.Uint32(v[16:])),
				Runtime: le.Uint64(v[20:]), Deadline: le.Uint64(v[28:]), Period: le.Uint64(v[36:])}
		case AttrPlanIOPriority:
			io := le.Uint32(v)
			p.IOPriority = &io
		case AttrPlanApparmor:
			p.Apparmor = string(v)
		case AttrPlanSelinux:
			p.Selinux = string(v)
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

// ChildFds is the fd layout of a process the runtime starts as stage 0,
// which stage 1 and the finisher inherit: 0-2 stdio, then the preserved
// fds (3 .. 3+Preserve-1), then the sync socket, then the extra fds in the
// order the runtime passes them. Every fd number on either side comes from
// here.
type ChildFds struct{ Preserve int }

// Sync is the sync socket's number.
func (l ChildFds) Sync() int { return 3 + l.Preserve }

// Extra is the number of the i-th extra fd (from 0).
func (l ChildFds) Extra(i int) int { return l.Sync() + 1 + i }
