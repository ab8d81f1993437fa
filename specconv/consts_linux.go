package specconv

import (
	"strconv"

	"golang.org/x/sys/unix"
)

// Kernel numbers the spec's names resolve to. They come from x/sys rather than
// being written out because some (the rlimits) differ between architectures.

// mountFlagOptions are the options that set (clear == false) or clear a
// mount(2) flag.
var mountFlagOptions = map[string]struct {
	clear bool
	flag  uint64
}{
	"defaults":      {false, 0},
	"ro":            {false, unix.MS_RDONLY},
	"rw":            {true, unix.MS_RDONLY},
	"nosuid":        {false, unix.MS_NOSUID},
	"suid":          {true, unix.MS_NOSUID},
	"nodev":         {false, unix.MS_NODEV},
	"dev":           {true, unix.MS_NODEV},
	"noexec":        {false, unix.MS_NOEXEC},
	"exec":          {true, unix.MS_NOEXEC},
	"sync":          {false, unix.MS_SYNCHRONOUS},
	"async":         {true, unix.MS_SYNCHRONOUS},
	"dirsync":       {false, unix.MS_DIRSYNC},
	"remount":       {false, unix.MS_REMOUNT},
	"mand":          {false, unix.MS_MANDLOCK},
	"nomand":        {true, unix.MS_MANDLOCK},
	"noatime":       {false, unix.MS_NOATIME},
	"atime":         {true, unix.MS_NOATIME},
	"nodiratime":    {false, unix.MS_NODIRATIME},
	"diratime":      {true, unix.MS_NODIRATIME},
	"relatime":      {false, unix.MS_RELATIME},
	"norelatime":    {true, unix.MS_RELATIME},
	"strictatime":   {false, unix.MS_STRICTATIME},
	"nostrictatime": {true, unix.MS_STRICTATIME},
	"iversion":      {false, unix.MS_I_VERSION},
	"noiversion":    {true, unix.MS_I_VERSION},
	"lazytime":      {false, unix.MS_LAZYTIME},
	"nolazytime":    {true, unix.MS_LAZYTIME},
	"silent":        {false, unix.MS_SILENT},
	"loud":          {true, unix.MS_SILENT},
	"nosymfollow":   {false, unix.MS_NOSYMFOLLOW},
	"symfollow":     {true, unix.MS_NOSYMFOLLOW},
	"bind":          {false, unix.MS_BIND},
	"rbind":         {false, unix.MS_BIND | unix.MS_REC},
}

// propagationOptions are the mount propagation types, for mount options and
// for linux.rootfsPropagation.
var propagationOptions = map[string]uint64{
	"private":     unix.MS_PRIVATE,
	"rprivate":    unix.MS_PRIVATE | unix.MS_REC,
	"shared":      unix.MS_SHARED,
	"rshared":     unix.MS_SHARED | unix.MS_REC,
	"slave":       unix.MS_SLAVE,
	"rslave":      unix.MS_SLAVE | unix.MS_REC,
	"unbindable":  unix.MS_UNBINDABLE,
	"runbindable": unix.MS_UNBINDABLE | unix.MS_REC,
}

// recAttrOptions are the recursive options applied with mount_setattr(2).
// The atime ones are handled apart (see recAtimeOptions) because the kernel
// treats the access-time bits as one three-valued field.
var recAttrOptions = map[string]struct {
	clear bool
	attr  uint64
}{
	"rro":          {false, unix.MOUNT_ATTR_RDONLY},
	"rrw":          {true, unix.MOUNT_ATTR_RDONLY},
	"rnosuid":      {false, unix.MOUNT_ATTR_NOSUID},
	"rsuid":        {true, unix.MOUNT_ATTR_NOSUID},
	"rnodev":       {false, unix.MOUNT_ATTR_NODEV},
	"rdev":         {true, unix.MOUNT_ATTR_NODEV},
	"rnoexec":      {false, unix.MOUNT_ATTR_NOEXEC},
	"rexec":        {true, unix.MOUNT_ATTR_NOEXEC},
	"rnodiratime":  {false, unix.MOUNT_ATTR_NODIRATIME},
	"rdiratime":    {true, unix.MOUNT_ATTR_NODIRATIME},
	"rnosymfollow": {false, unix.MOUNT_ATTR_NOSYMFOLLOW},
	"rsymfollow":   {true, unix.MOUNT_ATTR_NOSYMFOLLOW},
}

// recAtimeOptions map the recursive access-time options to the atime mode
// they select. mount_setattr(2) only changes the mode when attr_clr holds all
// of MOUNT_ATTR__ATIME and attr_set one mode, so "turning off" a mode means
// picking another: ratime and rnostrictatime fall back to the kernel default,
// relatime; rnorelatime selects strictatime, as norelatime does in mount(8).
var recAtimeOptions = map[string]uint64{
	"rrelatime":      unix.MOUNT_ATTR_RELATIME,
	"rnoatime":       unix.MOUNT_ATTR_NOATIME,
	"rstrictatime":   unix.MOUNT_ATTR_STRICTATIME,
	"ratime":         unix.MOUNT_ATTR_RELATIME,
	"rnostrictatime": unix.MOUNT_ATTR_RELATIME,
	"rnorelatime":    unix.MOUNT_ATTR_STRICTATIME,
}

const recAtimeMask = unix.MOUNT_ATTR__ATIME

// rlimitTypes are the RLIMIT_* resources of getrlimit(2).
var rlimitTypes = map[string]int{
	"RLIMIT_AS":         unix.RLIMIT_AS,
	"RLIMIT_CORE":       unix.RLIMIT_CORE,
	"RLIMIT_CPU":        unix.RLIMIT_CPU,
	"RLIMIT_DATA":       unix.RLIMIT_DATA,
	"RLIMIT_FSIZE":      unix.RLIMIT_FSIZE,
	"RLIMIT_LOCKS":      unix.RLIMIT_LOCKS,
	"RLIMIT_MEMLOCK":    unix.RLIMIT_MEMLOCK,
	"RLIMIT_MSGQUEUE":   unix.RLIMIT_MSGQUEUE,
	"RLIMIT_NICE":       unix.RLIMIT_NICE,
	"RLIMIT_NOFILE":     unix.RLIMIT_NOFILE,
	"RLIMIT_NPROC":      unix.RLIMIT_NPROC,
	"RLIMIT_RSS":        unix.RLIMIT_RSS,
	"RLIMIT_RTPRIO":     unix.RLIMIT_RTPRIO,
	"RLIMIT_RTTIME":     unix.RLIMIT_RTTIME,
	"RLIMIT_SIGPENDING": unix.RLIMIT_SIGPENDING,
	"RLIMIT_STACK":      unix.RLIMIT_STACK,
}

// schedPolicies are the sched_setattr(2) policies. SCHED_ISO (4) is reserved
// in the kernel ABI but not implemented; the kernel rejects it, not us.
var schedPolicies = map[string]int{
	"SCHED_OTHER":    unix.SCHED_NORMAL,
	"SCHED_FIFO":     unix.SCHED_FIFO,
	"SCHED_RR":       unix.SCHED_RR,
	"SCHED_BATCH":    unix.SCHED_BATCH,
	"SCHED_ISO":      4,
	"SCHED_IDLE":     unix.SCHED_IDLE,
	"SCHED_DEADLINE": unix.SCHED_DEADLINE,
}

var schedFlags = map[string]uint64{
	"SCHED_FLAG_RESET_ON_FORK":  unix.SCHED_FLAG_RESET_ON_FORK,
	"SCHED_FLAG_RECLAIM":        unix.SCHED_FLAG_RECLAIM,
	"SCHED_FLAG_DL_OVERRUN":     unix.SCHED_FLAG_DL_OVERRUN,
	"SCHED_FLAG_KEEP_POLICY":    unix.SCHED_FLAG_KEEP_POLICY,
	"SCHED_FLAG_KEEP_PARAMS":    unix.SCHED_FLAG_KEEP_PARAMS,
	"SCHED_FLAG_UTIL_CLAMP_MIN": unix.SCHED_FLAG_UTIL_CLAMP_MIN,
	"SCHED_FLAG_UTIL_CLAMP_MAX": unix.SCHED_FLAG_UTIL_CLAMP_MAX,
}

// ioprioClasses are the I/O scheduling classes of ioprio_set(2)
// (include/uapi/linux/ioprio.h; x/sys does not carry them).
var ioprioClasses = map[string]int{
	"IOPRIO_CLASS_RT":   1,
	"IOPRIO_CLASS_BE":   2,
	"IOPRIO_CLASS_IDLE": 3,
}

// personalityDomains are the execution domains of personality(2)
// (include/uapi/linux/personality.h; not in x/sys).
var personalityDomains = map[string]uint64{
	"LINUX":   0x0000,
	"LINUX32": 0x0008,
}

// sFmt masks the file type bits of a mode (S_IFMT).
const sFmt = unix.S_IFMT

const msBind = unix.MS_BIND

// RlimitName is the RLIMIT_* name of a getrlimit(2) resource number.
func RlimitName(t int) string {
	for n, v := range rlimitTypes {
		if v == t {
			return n
		}
	}
	return "rlimit " + strconv.Itoa(t)
}
