// Package userns says whether the runtime runs without root on the host:
// as an unprivileged user, or as root of a user namespace someone else
// made (rootless podman's pause process, rootlesskit). Both are what runc
// calls rootless; the rest of the runtime asks here rather than looking at
// its uid, which is 0 in the second case.
package userns

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/moby/sys/user"

	"github.com/ocirun/ocirun/libcontainer/smallfile"
)

// initialMap is the uid_map of the initial user namespace: every id maps
// to itself.
var initialMap = []byte("0 0 4294967295")

// RunningInUserNS reports whether the calling process is in a user
// namespace other than the initial one. A kernel without user namespaces
// has no uid_map: that is the initial namespace too.
var RunningInUserNS = sync.OnceValue(func() bool {
	b, err := smallfile.Read("/proc/self/uid_map")
	if err != nil {
		return false
	}
	return !isInitialMap(b)
})

func isInitialMap(uidMap []byte) bool {
	return bytes.Equal(bytes.Join(bytes.Fields(uidMap), []byte(" ")), initialMap)
}

// Rootless reports whether the runtime lacks root on the host: its
// effective uid is not 0, or it is in a user namespace of its own.
func Rootless() bool {
	return os.Geteuid() != 0 || RunningInUserNS()
}

// CallerName is the name of the effective user of this process, or its
// uid when /etc/passwd does not list it: the name that /etc/subuid and
// usermod know the user by.
func CallerName() string {
	if name, ok := UserName(os.Geteuid()); ok {
		return name
	}
	return strconv.Itoa(os.Geteuid())
}

// UserName is the name /etc/passwd gives uid; ok is false when it gives
// none. The file is read without the Go poller (package smallfile).
func UserName(uid int) (name string, ok bool) {
	data, err := smallfile.Read("/etc/passwd")
	if err != nil {
		return "", false
	}
	return lookupPasswd(bytes.NewReader(data), uid)
}

func lookupPasswd(passwd io.Reader, uid int) (string, bool) {
	// The parser keeps every line: a comment comes back as a user named
	// "#...", and names no one.
	found, err := user.ParsePasswdFilter(passwd, func(u user.User) bool {
		return u.Uid == uid && u.Name != "" && !strings.HasPrefix(u.Name, "#")
	})
	if err != nil || len(found) == 0 {
		return "", false
	}
	return found[0].Name, true
}

// SubIDCount sums the ranges of /etc/subuid or /etc/subgid that belong
// to the user (by name or number).
func SubIDCount(file, name string, uid int) (uint64, error) {
	ranges, err := user.ParseSubIDFileFilter(file, func(r user.SubID) bool {
		return r.Name == name || r.Name == strconv.Itoa(uid)
	})
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var n uint64
	for _, r := range ranges {
		if r.Count > 0 {
			n += uint64(r.Count)
		}
	}
	return n, nil
}
