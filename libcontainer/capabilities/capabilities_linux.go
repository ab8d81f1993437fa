package capabilities

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/smallfile"
)

const lastCapPath = "/proc/sys/kernel/cap_last_cap"

var (
	lastCapMu     sync.Mutex
	lastCapCached = -1
)

// LastCap returns the highest capability number the running kernel knows
// (/proc/sys/kernel/cap_last_cap). A successful read is cached, so calling it
// once before the container's /proc replaces the host's keeps it working
// afterwards.
func LastCap() (int, error) {
	lastCapMu.Lock()
	defer lastCapMu.Unlock()
	if lastCapCached >= 0 {
		return lastCapCached, nil
	}
	data, err := smallfile.ReadRecord(lastCapPath)
	if err != nil {
		return 0, fmt.Errorf("read the kernel's last capability: %w", err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || n < 0 || n > 63 {
		return 0, fmt.Errorf("read the kernel's last capability: %s holds %q, not a capability number", lastCapPath, strings.TrimSpace(string(data)))
	}
	lastCapCached = n
	return n, nil
}

// Bounding returns the calling thread's bounding set as a bit mask, bit n
// for capability n, read with PR_CAPBSET_READ for every capability up to
// LastCap. No process, and no user namespace it creates, can ever hold a
// capability outside its bounding set, so the runtime uses this to find the
// capabilities it cannot grant to a container. All threads of a process that
// has not called DropBounding share the same set.
func Bounding() (uint64, error) {
	last, err := LastCap()
	if err != nil {
		return 0, err
	}
	var set uint64
	for c := 0; c <= last; c++ {
		in, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(c), 0, 0, 0)
		if err != nil {
			return 0, fmt.Errorf("read %s from the bounding set: %w", describe(c), err)
		}
		if in != 0 {
			set |= 1 << uint(c)
		}
	}
	return set, nil
}

// describe names a capability for error messages, also when the table does
// not know its number.
func describe(n int) string {
	if name := Name(n); name != "" {
		return name
	}
	return "capability " + strconv.Itoa(n)
}
