package libcontainer

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/initproto"
)

// The PID namespace moves to the clone of stage 0 only when no user
// namespace must own it and no time namespace makes stage 0 fork anyway.
func TestPIDNamespaceAtClone(t *testing.T) {
	const rest = unix.CLONE_NEWNS | unix.CLONE_NEWNET | unix.CLONE_NEWCGROUP
	for _, tc := range []struct {
		name      string
		b         initproto.Bootstrap
		wantClone uintptr
		wantLeft  uint32 // CloneFlags left for stage 0
	}{
		{"new pid namespace", initproto.Bootstrap{CloneFlags: rest | unix.CLONE_NEWPID}, unix.CLONE_NEWPID, rest},
		{"no pid namespace", initproto.Bootstrap{CloneFlags: rest}, 0, rest},
		{"joined pid namespace", initproto.Bootstrap{CloneFlags: rest, Join: []initproto.JoinNamespace{{Flag: unix.CLONE_NEWPID, Path: "/p"}}}, 0, rest},
		{"new user namespace", initproto.Bootstrap{CloneFlags: rest | unix.CLONE_NEWPID | unix.CLONE_NEWUSER}, 0, rest | unix.CLONE_NEWPID | unix.CLONE_NEWUSER},
		{"joined user namespace", initproto.Bootstrap{CloneFlags: rest | unix.CLONE_NEWPID, Join: []initproto.JoinNamespace{{Flag: unix.CLONE_NEWUSER, Path: "/u"}}}, 0, rest | unix.CLONE_NEWPID},
		{"new time namespace", initproto.Bootstrap{CloneFlags: rest | unix.CLONE_NEWPID | unix.CLONE_NEWTIME}, 0, rest | unix.CLONE_NEWPID | unix.CLONE_NEWTIME},
		{"joined time namespace", initproto.Bootstrap{CloneFlags: rest | unix.CLONE_NEWPID, Join: []initproto.JoinNamespace{{Flag: unix.CLONE_NEWTIME, Path: "/t"}}}, 0, rest | unix.CLONE_NEWPID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.b
			if got := pidNamespaceAtClone(&b); got != tc.wantClone {
				t.Errorf("clone flags %#x, want %#x", got, tc.wantClone)
			}
			if b.CloneFlags != tc.wantLeft {
				t.Errorf("stage 0 left with %#x, want %#x", b.CloneFlags, tc.wantLeft)
			}
		})
	}
}
