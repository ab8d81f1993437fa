package initproto

import (
	"bytes"
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
//	AttrCgroupJoin    path of a file to write "0" to, which moves stage 0 into
//	                  one of the container's cgroup directories; repeated
//	                  (see cgroups.Manager.SelfJoinFiles)
//	AttrCloneFlags    u32: CLONE_NEW* flags of the namespaces to create
//	AttrJoin          u32 CLONE_NEW* flag of the namespace, then its path (no NUL);
//	                  repeated, in the order the config lists them
//	AttrTimeOffsets   text written as-is to /proc/self/timens_offsets
//	AttrBecomeRoot    u8 1: after the ID mapping, switch to uid/gid 0 of the new
//	                  user namespace (set when 0 is mapped)
//	AttrPlan          an encoded [Plan]: stage 0's child finishes the process in C
//	                  at once, without stage 1 (exec only)
//	AttrRoot          path of the container init's root directory (exec only;
//	                  /proc/self/fd/N of the runtime's open /proc/<init>/root):
//	                  stage 0 chroots there once it has joined the namespaces
//	AttrCPUsInitial   CPU mask (u64 little-endian words, bit n for CPU n) set
//	                  before the cgroup join; without it, every CPU
//	AttrCPUsFinal     CPU mask set after the cgroup join
//	AttrMemPolicy     u32 set_mempolicy(2) mode with its MPOL_F_* flags, then
//	                  the node mask (u64 little-endian words); set after the
//	                  cgroup join
//	AttrKeyring       name of a new session keyring that stage 0's child joins
//	                  (create without --no-new-keyring), so the container
//	                  cannot reach the keys of whoever started the runtime
//	AttrBuilt         u32: the runtime builds the container itself (create with
//	                  ocirun-exec as stage 0, see "The container built by the
//	                  runtime" in the package documentation); the value is the
//	                  fd of the start socket's listening end
//	AttrProcMount     u32 MOUNT_ATTR_* flags, the source, a NUL, then the
//	                  mount's options: a procfs that stage 0's
//	                  child makes in its PID namespace when the runtime asks
//	                  (MsgProcMount with the attribute's index; with AttrBuilt
//	                  only)
//
// CPU affinity and memory policy belong to the thread and pass to children
// across fork(2) and execve(2), so stage 0 sets them for every process of
// the container or the exec. It resets the affinity to all CPUs before the
// cgroup join even without AttrCPUsInitial: since Linux 6.2 a cgroup move
// keeps an affinity the runtime was started with (taskset, systemd's
// CPUAffinity=), which would pin every container.
//
// Stage 0 joins the cgroups first, while it is still single-threaded and in
// the runtime's namespaces with the runtime's credentials: every process it
// forks is then born in the container's cgroup, and a new cgroup namespace
// is rooted there. It then opens every namespace path before joining anything (a path must be resolved
// in the runtime's mount namespace), joins the user namespace first (so it
// holds the capabilities the other joins need), then the rest, then creates
// the new namespaces: a new user namespace first, asking the runtime to map
// it (MsgMapIDs), then all others in one unshare(2).
//
// Joining a mount namespace puts the caller at that namespace's root mount,
// which is the container's root only when the runtime that created it ran
// at its own namespace's root: from a chroot, pivot_root moved the chroot's
// mount, not the namespace's root. So exec enters the init's root directory
// itself (AttrRoot), whatever the runtime's root was.
type Bootstrap struct {
	CgroupJoin  []string
	CloneFlags  uint32
	Join        []JoinNamespace
	TimeOffsets string
	BecomeRoot  bool
	// Plan, when set, is run by stage 0's child (see [Plan]).
	Plan []byte
	// Root, when set, is the directory stage 0 chroots to after joining
	// the namespaces.
	Root string
	// CPUsInitial and CPUsFinal are CPU masks, bit n of word n/64 for
	// CPU n.
	CPUsInitial, CPUsFinal []uint64
	// MemPolicy is set_mempolicy(2)'s mode with its flags; MemNodes its
	// node mask. HasMemPolicy says whether to call it at all.
	HasMemPolicy bool
	MemPolicy    uint32
	MemNodes     []uint64
	// Keyring, when set, names the session keyring stage 0's child joins.
	Keyring string
	// Built says that the runtime builds the container; BuiltListenFd is
	// then the child's fd of the start socket.
	Built         bool
	BuiltListenFd uint32
	// ProcMounts are the procfs mounts stage 0's child makes when asked,
	// in the order of the config's mounts.
	ProcMounts []ProcMount
}

// ProcMount is a procfs that stage 0's child makes for the runtime: only a
// process in the container's PID namespace can create one for it.
type ProcMount struct {
	Attr   uint32 // MOUNT_ATTR_* of the new mount; MOUNT_ATTR_RDONLY also makes the procfs read-only
	Source string // what mountinfo shows as the source
	Data   string // the options, as for mount(2)
}

// JoinNamespace is a namespace to enter by path.
type JoinNamespace struct {
	Flag uint32 // CLONE_NEW*
	Path string
}

func appendMask(out []byte, mask []uint64) []byte {
	for _, w := range mask {
		out = binary.LittleEndian.AppendUint64(out, w)
	}
	return out
}

func decodeMask(v []byte) ([]uint64, error) {
	if len(v)%8 != 0 {
		return nil, fmt.Errorf("mask of %d bytes is not whole 64-bit words", len(v))
	}
	var mask []uint64
	for ; len(v) > 0; v = v[8:] {
		mask = append(mask, binary.LittleEndian.Uint64(v))
	}
	return mask, nil
}

// Encode serialises b for MsgBootstrap.
func (b *Bootstrap) Encode() []byte {
	var out []byte
	for _, f := range b.CgroupJoin {
		out = appendAttr(out, AttrCgroupJoin, []byte(f))
	}
	out = appendAttr(out, AttrCloneFlags, binary.LittleEndian.AppendUint32(nil, b.CloneFlags))
	for _, j := range b.Join {
		out = appendAttr(out, AttrJoin, append(binary.LittleEndian.AppendUint32(nil, j.Flag), j.Path...))
	}
	if b.TimeOffsets != "" {
		out = appendAttr(out, AttrTimeOffsets, []byte(b.TimeOffsets))
	}
	if b.BecomeRoot {
		out = appendAttr(out, AttrBecomeRoot, []byte{1})
	}
	if len(b.Plan) > 0 {
		out = appendAttr(out, AttrPlan, b.Plan)
	}
	if b.Root != "" {
		out = appendAttr(out, AttrRoot, []byte(b.Root))
	}
	if len(b.CPUsInitial) > 0 {
		out = appendAttr(out, AttrCPUsInitial, appendMask(nil, b.CPUsInitial))
	}
	if len(b.CPUsFinal) > 0 {
		out = appendAttr(out, AttrCPUsFinal, appendMask(nil, b.CPUsFinal))
	}
	if b.HasMemPolicy {
		out = appendAttr(out, AttrMemPolicy, appendMask(binary.LittleEndian.AppendUint32(nil, b.MemPolicy), b.MemNodes))
	}
	if b.Keyring != "" {
		out = appendAttr(out, AttrKeyring, []byte(b.Keyring))
	}
	if b.Built {
		out = appendAttr(out, AttrBuilt, binary.LittleEndian.AppendUint32(nil, b.BuiltListenFd))
	}
	for _, m := range b.ProcMounts {
		v := binary.LittleEndian.AppendUint32(nil, m.Attr)
		v = append(append(v, m.Source...), 0)
		v = append(v, m.Data...)
		out = appendAttr(out, AttrProcMount, v)
	}
	return out
}

// DecodeBootstrap parses what Encode produced. Stage 0 has its own parser in
// C; this one exists so the encoding is tested from both directions.
func DecodeBootstrap(p []byte) (*Bootstrap, error) {
	b := &Bootstrap{}
	err := parseAttrs("bootstrap", p, func(t uint16, v []byte) error {
		switch t {
		case AttrCloneFlags:
			if len(v) != 4 {
				return fmt.Errorf("clone flags: bad length %d", len(v))
			}
			b.CloneFlags = binary.LittleEndian.Uint32(v)
		case AttrJoin:
			if len(v) < 5 {
				return fmt.Errorf("join: bad length %d", len(v))
			}
			b.Join = append(b.Join, JoinNamespace{Flag: binary.LittleEndian.Uint32(v[:4]), Path: string(v[4:])})
		case AttrCgroupJoin:
			if len(v) == 0 {
				return fmt.Errorf("cgroup join: empty path")
			}
			b.CgroupJoin = append(b.CgroupJoin, string(v))
		case AttrTimeOffsets:
			b.TimeOffsets = string(v)
		case AttrBecomeRoot:
			b.BecomeRoot = len(v) == 1 && v[0] == 1
		case AttrPlan:
			b.Plan = append([]byte(nil), v...)
		case AttrRoot:
			if len(v) == 0 {
				return fmt.Errorf("root: empty path")
			}
			b.Root = string(v)
		case AttrCPUsInitial, AttrCPUsFinal:
			mask, err := decodeMask(v)
			if err != nil || len(mask) == 0 {
				return fmt.Errorf("cpu affinity: bad mask of %d bytes", len(v))
			}
			if t == AttrCPUsInitial {
				b.CPUsInitial = mask
			} else {
				b.CPUsFinal = mask
			}
		case AttrMemPolicy:
			if len(v) < 4 {
				return fmt.Errorf("memory policy: bad length %d", len(v))
			}
			nodes, err := decodeMask(v[4:])
			if err != nil {
				return fmt.Errorf("memory policy: %w", err)
			}
			b.HasMemPolicy, b.MemPolicy, b.MemNodes = true, binary.LittleEndian.Uint32(v), nodes
		case AttrKeyring:
			if len(v) == 0 {
				return fmt.Errorf("keyring: empty name")
			}
			b.Keyring = string(v)
		case AttrBuilt:
			if len(v) != LenBuilt {
				return fmt.Errorf("built: bad length %d", len(v))
			}
			b.Built, b.BuiltListenFd = true, binary.LittleEndian.Uint32(v)
		case AttrProcMount:
			parts := bytes.SplitN(v[min(len(v), 4):], []byte{0}, 2)
			if len(v) < 5 || len(parts) != 2 {
				return fmt.Errorf("proc mount: bad value of %d bytes", len(v))
			}
			b.ProcMounts = append(b.ProcMounts, ProcMount{Attr: binary.LittleEndian.Uint32(v), Source: string(parts[0]), Data: string(parts[1])})
		default:
			return fmt.Errorf("unknown attribute %d", t)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// Stage1Pid decodes the payload of MsgStage1Pid: stage 1's host pid, or 0
// when stage 0 forked no child and is stage 1 itself.
func Stage1Pid(p []byte) (int, error) {
	if len(p) != 4 {
		return 0, fmt.Errorf("stage1-pid: bad payload length %d", len(p))
	}
	return int(int32(binary.LittleEndian.Uint32(p))), nil
}
