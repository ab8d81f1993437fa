package cgroups

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/smallfile"
)

// PrimeMigration moves the calling process into the cgroup it is already
// in, which changes nothing but the state of the kernel's cgroup-migration
// lock. Every write to a cgroup.procs file takes cgroup_threadgroup_rwsem
// for writing; when no migration happened in the last RCU grace period,
// taking it waits for a full grace period (see bench/README.md). A
// runtime about to move a container's init therefore calls this first, in
// the background: the wait then overlaps with loading the config and
// starting the init, and the real move, a few milliseconds later, finds the
// lock in its fast state. Errors are ignored: nothing depends on it.
//
// Only a cgroup2 join needs it: stage 0 of the init joins v1 hierarchies by
// moving its one thread, which skips that lock (Manager.SelfJoinFiles). On
// a v1-only host it does nothing, because a prime in flight holds the
// cgroup mutex through the grace period and would delay the runtime's own
// mkdirs instead.
func PrimeMigration() {
	if DetectMode() == Legacy {
		return
	}
	data, err := smallfile.Read("/proc/self/cgroup")
	if err != nil {
		return
	}
	own, err := parseProcCgroup(string(data))
	if err != nil {
		return
	}
	procs := ""
	for _, ctrl := range []string{"pids", "memory", "cpu", "devices", "freezer"} {
		if p, ok := own[ctrl]; ok {
			procs = filepath.Join(cgroupRoot, ctrl, p, "cgroup.procs")
			break
		}
	}
	if p, ok := own[""]; ok && procs == "" {
		root := cgroupRoot
		if DetectMode() == Hybrid {
			root = hybridUnified
		}
		procs = filepath.Join(root, p, "cgroup.procs")
	}
	if procs == "" || strings.Contains(procs, "..") {
		return
	}
	fd, err := unix.Open(procs, unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	unix.Write(fd, []byte(strconv.Itoa(os.Getpid())))
	unix.Close(fd)
}
