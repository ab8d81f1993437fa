package libcontainer

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
	"github.com/ocirun/ocirun/libcontainer/initproto"
)

// NamespaceProbe is a container init stopped right after stage 0, living
// in the namespaces it was asked to create or join: "ocirun check" uses it
// to try namespaces through the very code create runs.
type NamespaceProbe struct {
	l *launch
	// Pid is the host pid of stage 1, in the new namespaces.
	Pid int
}

// ProbeNamespaces starts stage 0 with only namespaces to create (clone
// flags) and to join, and no cgroup. A new user namespace maps root to the
// caller's uid and gid. Close ends the probe.
func ProbeNamespaces(create uint32, join []initproto.JoinNamespace) (*NamespaceProbe, error) {
	if err := unixSubreaper(); err != nil {
		return nil, err
	}
	b := &initproto.Bootstrap{CloneFlags: create, Join: join, BecomeRoot: create&unix.CLONE_NEWUSER != 0}
	for _, j := range join {
		b.BecomeRoot = b.BecomeRoot || j.Flag == unix.CLONE_NEWUSER
	}
	uids := []configs.IDMap{{ContainerID: 0, HostID: uint32(os.Geteuid()), Size: 1}}
	gids := []configs.IDMap{{ContainerID: 0, HostID: uint32(os.Getegid()), Size: 1}}
	l, err := startBare(b, uids, gids)
	if err != nil {
		return nil, err
	}
	return &NamespaceProbe{l: l, Pid: l.stage1Pid}, nil
}

// startBare starts the init with b and no cgroup, with /dev/null as its
// stdio, and stops it after stage 0: stage 1 waits for a config that never
// comes, in the namespaces of b, until the caller kills it. The caller is
// a child subreaper.
func startBare(b *initproto.Bootstrap, uids, gids []configs.IDMap) (*launch, error) {
	// Read-only: the probe writes nothing, and a host may keep /dev/null
	// writable only by root.
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return nil, err
	}
	defer devnull.Close()
	l, err := startStage0(initproto.InitBinary, b, Stdio{devnull, devnull, devnull}, nil, nil, false)
	if err != nil {
		return nil, err
	}
	if err := l.bootstrap(b, uids, gids); err != nil {
		l.kill()
		return nil, err
	}
	return l, nil
}

// Close ends the probe's process and reaps it.
func (p *NamespaceProbe) Close() { p.l.kill() }

// CheckHelper finds one of the binaries installed with ocirun and makes the
// sealed, read-only mount of it that create and exec run it from; it
// returns the binary's path.
func CheckHelper(name string) (string, error) {
	path, err := helperPath(name)
	if err != nil {
		return "", err
	}
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return path, fmt.Errorf("%s: %w", path, err)
	}
	if err := unix.Access(path, unix.X_OK); err != nil {
		return path, fmt.Errorf("%s is not executable: %w", path, err)
	}
	f, err := sealedBinary(name)
	if err != nil {
		return path, err
	}
	f.Close()
	return path, nil
}

// NamespaceTypes lists every namespace type, user first: a new user
// namespace owns the others.
var NamespaceTypes = []configs.NamespaceType{
	configs.NEWUSER, configs.NEWNS, configs.NEWPID, configs.NEWNET,
	configs.NEWIPC, configs.NEWUTS, configs.NEWCGROUP, configs.NEWTIME,
}

// NamespaceFile is the file name of a namespace type under /proc/<pid>/ns.
func NamespaceFile(t configs.NamespaceType) string { return procNsName[t] }

// NamespaceCloneFlag is the clone(2) flag of a namespace type.
func NamespaceCloneFlag(t configs.NamespaceType) uint32 { return nsFlags[t] }
