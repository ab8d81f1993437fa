// Package capabilities knows the Linux capability names and applies a
// process's capability sets.
//
// names.go is pure data and is used by specconv to resolve the names in
// config.json. The functions in capabilities_linux.go change the calling
// thread's capability state; see their documentation for the threading rules.
package capabilities

import "sort"

// byNumber lists the capabilities this table knows, indexed by number. The
// numbers are part of the kernel ABI (include/uapi/linux/capability.h) and
// are the same on every architecture.
var byNumber = [...]string{
	0:  "CAP_CHOWN",
	1:  "CAP_DAC_OVERRIDE",
	2:  "CAP_DAC_READ_SEARCH",
	3:  "CAP_FOWNER",
	4:  "CAP_FSETID",
	5:  "CAP_KILL",
	6:  "CAP_SETGID",
	7:  "CAP_SETUID",
	8:  "CAP_SETPCAP",
	9:  "CAP_LINUX_IMMUTABLE",
	10: "CAP_NET_BIND_SERVICE",
	11: "CAP_NET_BROADCAST",
	12: "CAP_NET_ADMIN",
	13: "CAP_NET_RAW",
	14: "CAP_IPC_LOCK",
	15: "CAP_IPC_OWNER",
	16: "CAP_SYS_MODULE",
	17: "CAP_SYS_RAWIO",
	18: "CAP_SYS_CHROOT",
	19: "CAP_SYS_PTRACE",
	20: "CAP_SYS_PACCT",
	21: "CAP_SYS_ADMIN",
	22: "CAP_SYS_BOOT",
	23: "CAP_SYS_NICE",
	24: "CAP_SYS_RESOURCE",
	25: "CAP_SYS_TIME",
	26: "CAP_SYS_TTY_CONFIG",
	27: "CAP_MKNOD",
	28: "CAP_LEASE",
	29: "CAP_AUDIT_WRITE",
	30: "CAP_AUDIT_CONTROL",
	31: "CAP_SETFCAP",
	32: "CAP_MAC_OVERRIDE",
	33: "CAP_MAC_ADMIN",
	34: "CAP_SYSLOG",
	35: "CAP_WAKE_ALARM",
	36: "CAP_BLOCK_SUSPEND",
	37: "CAP_AUDIT_READ",
	38: "CAP_PERFMON",
	39: "CAP_BPF",
	40: "CAP_CHECKPOINT_RESTORE",
}

// MaxKnown is the highest capability number in this table. A kernel may know
// fewer (see LastCap) or, if it is newer than this table, more.
const MaxKnown = len(byNumber) - 1

var byName = func() map[string]int {
	m := make(map[string]int, len(byNumber))
	for n, name := range byNumber {
		m[name] = n
	}
	return m
}()

// FromName returns the number of a capability given by its full name, as
// config.json spells it ("CAP_CHOWN"). Matching is exact: "cap_chown" and
// "CHOWN" are not capability names.
func FromName(name string) (int, bool) {
	n, ok := byName[name]
	return n, ok
}

// Name returns the name of capability n, or "" if the table does not know n.
func Name(n int) string {
	if n < 0 || n > MaxKnown {
		return ""
	}
	return byNumber[n]
}

// All returns the numbers of every capability in this table, ascending.
func All() []int {
	all := make([]int, len(byNumber))
	for i := range all {
		all[i] = i
	}
	return all
}

// Names returns the names of every capability in this table, sorted.
func Names() []string {
	names := make([]string, len(byNumber))
	copy(names, byNumber[:])
	sort.Strings(names)
	return names
}
