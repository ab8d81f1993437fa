package prefault

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// The test binary imports the package, so its init has run: the mapping
// that holds anchor must show a huge page, unless the host has none to
// give.
func TestHeapStartIsOneHugePage(t *testing.T) {
	if _, small := syscall.Getenv(SmallHeapEnv); small {
		t.Skipf("%s is set in the test's environment", SmallHeapEnv)
	}
	err := collapseErr
	// The kernel refuses for a moment when it finds no free huge page
	// or a page of the region busy (EAGAIN, ENOMEM): ask again as init
	// would have been answered on a quieter host.
	for try := 0; err != 0 && try < 3 && (err == syscall.EAGAIN || err == syscall.ENOMEM); try++ {
		time.Sleep(10 * time.Millisecond)
		err = collapse()
	}
	if err != 0 {
		mode, _ := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
		if len(mode) == 0 || strings.Contains(string(mode), "[never]") {
			t.Skipf("transparent huge pages are off on this host (%q)", strings.TrimSpace(string(mode)))
		}
		if err == syscall.EINVAL {
			t.Skip("the kernel has no MADV_COLLAPSE (Linux 6.1 added it)")
		}
		t.Fatalf("MADV_COLLAPSE of the heap's first 2 MiB: %v, although transparent huge pages are %q", err, strings.TrimSpace(string(mode)))
	}
	kb := anonHugeKiB(t, uintptr(unsafe.Pointer(anchor)))
	if kb < hugePageSize/1024 {
		t.Fatalf("the mapping that holds the heap's start has %d KiB of huge pages, want at least %d", kb, hugePageSize/1024)
	}
}

// anonHugeKiB is the AnonHugePages of the mapping in /proc/self/smaps
// that contains addr.
func anonHugeKiB(t *testing.T, addr uintptr) int {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if lo, hi, ok := strings.Cut(fields[0], "-"); ok && !strings.HasSuffix(fields[0], ":") {
			start, err1 := strconv.ParseUint(lo, 16, 64)
			end, err2 := strconv.ParseUint(hi, 16, 64)
			if err1 == nil && err2 == nil {
				in = uint64(addr) >= start && uint64(addr) < end
				continue
			}
		}
		if in && fields[0] == "AnonHugePages:" && len(fields) >= 2 {
			kb, err := strconv.Atoi(fields[1])
			if err != nil {
				t.Fatalf("smaps: %q: %v", line, err)
			}
			return kb
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	t.Fatalf("no mapping in /proc/self/smaps holds %#x", addr)
	return 0
}
