package initproto

import (
	"fmt"

	"github.com/ocirun/ocirun/libcontainer/prefault"
)

// The numbers both languages must agree on: message types, attribute types
// and the lengths of fixed-size attribute values. They are written here only;
// the C side includes initproto.h in package nsenter, which "go generate"
// writes from the table below (TestCHeaderIsCurrent fails when it is stale).

//go:generate go run ./genheader ../nsenter/initproto.h

// Message types; see the package documentation for who sends each one.
const (
	MsgBootstrap      MsgType = 1
	MsgMapIDs         MsgType = 2
	MsgIDsMapped      MsgType = 3
	MsgStage1Pid      MsgType = 4
	MsgConfig         MsgType = 5
	MsgRuntimeHooks   MsgType = 6
	MsgHooksDone      MsgType = 7
	MsgReady          MsgType = 8
	MsgCommitted      MsgType = 9
	MsgError          MsgType = 10
	MsgSeccompFd      MsgType = 11
	MsgSeccompProgram MsgType = 12
	MsgProcMount      MsgType = 13
	MsgBuilt          MsgType = 14
)

// Attribute types of [Bootstrap].
const (
	AttrCloneFlags  uint16 = 1
	AttrJoin        uint16 = 2
	AttrTimeOffsets uint16 = 3
	AttrBecomeRoot  uint16 = 4
	AttrPlan        uint16 = 5
	AttrCgroupJoin  uint16 = 6
	AttrRoot        uint16 = 7
	AttrCPUsInitial uint16 = 8
	AttrCPUsFinal   uint16 = 9
	AttrMemPolicy   uint16 = 10
	AttrKeyring     uint16 = 11
	AttrBuilt       uint16 = 12
	AttrProcMount   uint16 = 13
)

// Attribute types of [Plan].
const (
	AttrPlanArg         uint16 = 1
	AttrPlanEnv         uint16 = 2
	AttrPlanCwd         uint16 = 3
	AttrPlanUser        uint16 = 4
	AttrPlanGroup       uint16 = 5
	AttrPlanCaps        uint16 = 6
	AttrPlanNoNewPrivs  uint16 = 7
	AttrPlanPersonality uint16 = 8
	AttrPlanRlimit      uint16 = 9
	AttrPlanSeccomp     uint16 = 10
	AttrPlanSeccompFl   uint16 = 11
	AttrPlanPreserveFds uint16 = 12
	AttrPlanScheduler   uint16 = 13
	AttrPlanIOPriority  uint16 = 14
	AttrPlanApparmor    uint16 = 15
	AttrPlanSelinux     uint16 = 16
)

// Lengths of the fixed-size values: the header (4-byte length, type), an
// attribute's header (2-byte type, 4-byte length), and the [Plan]
// attributes whose value has one size.
const (
	LenMsgHeader       = 5
	LenAttrHeader      = 6
	LenStage1Pid       = 4
	LenCloneFlags      = 4
	LenBuilt           = 4
	LenPlanUser        = 12
	LenPlanGroup       = 4
	LenPlanCaps        = 40
	LenPlanNoNewPrivs  = 0
	LenPlanPersonality = 4
	LenPlanRlimit      = 20
	LenPlanSeccompFl   = 4
	LenPlanPreserveFds = 4
	LenPlanScheduler   = 44
	LenPlanIOPriority  = 4
	// MaxProcMounts bounds the AttrProcMount attributes of one bootstrap.
	MaxProcMounts = 8
)

// Environment variables that the C code reads.
const (
	// SyncFdEnv carries the sync socket's fd number into stage 0. Its
	// presence is what makes stage 0 run.
	SyncFdEnv = "_OCIRUN_SYNC_FD"
	// FinishEnv turns ocirun-exec into the finisher of a stage 1:
	// "PLANFD,SYNCFD,LISTENFD" (see [Plan]).
	FinishEnv = "_OCIRUN_FINISH"
	// NofileEnv carries, from stage 0 to stage 1, the soft RLIMIT_NOFILE
	// the init was started with, before stage 1's Go runtime raised it.
	NofileEnv = "_OCIRUN_NOFILE"
	// SmallHeapEnv keeps stage 1 small in the container's memory cgroup
	// (package prefault): its Go heap in 4 KiB pages, and stage 0 from
	// populating its pages.
	SmallHeapEnv = prefault.SmallHeapEnv
)

// wireNames lists every definition above with its name in initproto.h.
var wireNames = []struct {
	name  string
	value any
}{
	{"MSG_BOOTSTRAP", MsgBootstrap}, {"MSG_MAP_IDS", MsgMapIDs}, {"MSG_IDS_MAPPED", MsgIDsMapped},
	{"MSG_STAGE1_PID", MsgStage1Pid}, {"MSG_CONFIG", MsgConfig}, {"MSG_RUNTIME_HOOKS", MsgRuntimeHooks},
	{"MSG_HOOKS_DONE", MsgHooksDone}, {"MSG_READY", MsgReady}, {"MSG_COMMITTED", MsgCommitted},
	{"MSG_ERROR", MsgError}, {"MSG_SECCOMP_FD", MsgSeccompFd}, {"MSG_SECCOMP_PROGRAM", MsgSeccompProgram},
	{"MSG_PROC_MOUNT", MsgProcMount}, {"MSG_BUILT", MsgBuilt},

	{"ATTR_CLONE_FLAGS", AttrCloneFlags}, {"ATTR_JOIN", AttrJoin}, {"ATTR_TIME_OFFSETS", AttrTimeOffsets},
	{"ATTR_BECOME_ROOT", AttrBecomeRoot}, {"ATTR_PLAN", AttrPlan}, {"ATTR_CGROUP_JOIN", AttrCgroupJoin},
	{"ATTR_ROOT", AttrRoot}, {"ATTR_CPUS_INITIAL", AttrCPUsInitial}, {"ATTR_CPUS_FINAL", AttrCPUsFinal},
	{"ATTR_MEM_POLICY", AttrMemPolicy}, {"ATTR_KEYRING", AttrKeyring}, {"ATTR_BUILT", AttrBuilt},
	{"ATTR_PROC_MOUNT", AttrProcMount},

	{"ATTR_PLAN_ARG", AttrPlanArg}, {"ATTR_PLAN_ENV", AttrPlanEnv}, {"ATTR_PLAN_CWD", AttrPlanCwd},
	{"ATTR_PLAN_USER", AttrPlanUser}, {"ATTR_PLAN_GROUP", AttrPlanGroup}, {"ATTR_PLAN_CAPS", AttrPlanCaps},
	{"ATTR_PLAN_NO_NEW_PRIVS", AttrPlanNoNewPrivs}, {"ATTR_PLAN_PERSONALITY", AttrPlanPersonality},
	{"ATTR_PLAN_RLIMIT", AttrPlanRlimit}, {"ATTR_PLAN_SECCOMP", AttrPlanSeccomp},
	{"ATTR_PLAN_SECCOMP_FL", AttrPlanSeccompFl}, {"ATTR_PLAN_PRESERVE_FDS", AttrPlanPreserveFds},
	{"ATTR_PLAN_SCHEDULER", AttrPlanScheduler}, {"ATTR_PLAN_IO_PRIORITY", AttrPlanIOPriority},
	{"ATTR_PLAN_APPARMOR", AttrPlanApparmor}, {"ATTR_PLAN_SELINUX", AttrPlanSelinux},

	{"LEN_MSG_HEADER", LenMsgHeader}, {"LEN_ATTR_HEADER", LenAttrHeader}, {"LEN_STAGE1_PID", LenStage1Pid},
	{"LEN_CLONE_FLAGS", LenCloneFlags}, {"LEN_BUILT", LenBuilt}, {"LEN_PLAN_USER", LenPlanUser}, {"LEN_PLAN_GROUP", LenPlanGroup},
	{"LEN_PLAN_CAPS", LenPlanCaps}, {"LEN_PLAN_NO_NEW_PRIVS", LenPlanNoNewPrivs},
	{"LEN_PLAN_PERSONALITY", LenPlanPersonality}, {"LEN_PLAN_RLIMIT", LenPlanRlimit},
	{"LEN_PLAN_SECCOMP_FL", LenPlanSeccompFl}, {"LEN_PLAN_PRESERVE_FDS", LenPlanPreserveFds},
	{"LEN_PLAN_SCHEDULER", LenPlanScheduler}, {"LEN_PLAN_IO_PRIORITY", LenPlanIOPriority},
	{"MAX_PROC_MOUNTS", MaxProcMounts},

	{"SYNC_FD_ENV", SyncFdEnv}, {"FINISH_ENV", FinishEnv}, {"NOFILE_ENV", NofileEnv},
	{"SMALL_HEAP_ENV", SmallHeapEnv},
}

// CHeader renders the definitions as the C header initproto.h.
func CHeader() string {
	var b []byte
	b = append(b, "// Code generated by \"go generate\" in libcontainer/initproto from wire.go. DO NOT EDIT.\n"...)
	b = append(b, "#ifndef OCIRUN_INITPROTO_H\n#define OCIRUN_INITPROTO_H\n\n"...)
	for _, w := range wireNames {
		b = append(b, "#define OCIRUN_"+w.name+" "...)
		switch v := w.value.(type) {
		case string:
			b = append(b, '"')
			b = append(b, v...)
			b = append(b, '"')
		default:
			b = fmt.Appendf(b, "%d", v)
		}
		b = append(b, '\n')
	}
	return string(append(b, "\n#endif\n"...))
}
