package libcontainer

import (
	"errors"
	"strings"
	"testing"

	"github.com/ocirun/ocirun/libcontainer/initproto"
)

func TestRootDirKind(t *testing.T) {
	for _, tc := range []struct {
		name, mountinfo string
		want            int
	}{
		{"ext4 root", "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n23 22 0:5 / /proc rw - proc proc rw\n", rootMounted},
		{"initial ramfs", "1 1 0:2 / / rw - rootfs rootfs rw\n23 1 0:5 / /proc rw - proc proc rw\n", rootRamfs},
		{"ext4 over the ramfs", "1 1 0:2 / / rw - rootfs rootfs rw\n22 1 8:1 / / rw - ext4 /dev/sda1 rw\n", rootMounted},
		{"initial ramfs of a new mount namespace", "129 129 0:2 / / rw,nosuid - rootfs rootfs rw,size=12335000k\n168 129 0:20 / /proc rw - proc proc rw\n", rootRamfs},
		{"tmpfs root", "40 1 0:40 / / rw - tmpfs tmpfs rw\n", rootMounted},
		{"ramfs mounted on /", "41 1 0:41 / / rw - ramfs ramfs rw\n", rootMounted},
		{"chroot into a plain directory", "23 22 0:5 / /proc rw - proc proc rw\n24 22 0:6 / /sys rw - sysfs sysfs rw\n", rootNotMounted},
		{"escaped mount point", `30 22 0:7 / /a\040b rw - tmpfs tmpfs rw` + "\n", rootNotMounted},
		{"unreadable", "garbage\n", rootUnknown},
	} {
		if got := rootDirKind(strings.NewReader(tc.mountinfo)); got != tc.want {
			t.Errorf("%s: got %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestPivotRootErrorMessage(t *testing.T) {
	err := &PivotRootError{Err: &initproto.RemoteError{Msg: "pivot_root to /b/rootfs: invalid argument"}, Reason: "the runtime's root directory is the initial ramfs"}
	want := "pivot_root to /b/rootfs: invalid argument: the runtime's root directory is the initial ramfs, and pivot_root cannot move it; create the container without pivot_root"
	if err.Error() != want {
		t.Errorf("got %q\nwant %q", err.Error(), want)
	}
	var remote *initproto.RemoteError
	if !errors.As(err, &remote) {
		t.Error("the init's error is not kept")
	}
	// Anything but a build's error passes through unchanged.
	plain := errors.New("pivot_root to /x: invalid argument")
	if got := explainRootDir(plain, false); got != plain {
		t.Errorf("a local error was changed: %v", got)
	}
}
