package prefault

import (
	"syscall"
	"unsafe"
)

// madvCollapse is MADV_COLLAPSE (linux/mman.h), which syscall lacks.
const madvCollapse = 25

const hugePageSize = 2 << 20

// SmallHeapEnv, present in a process's environment, keeps its heap in
// 4 KiB pages, and keeps stage 0 from populating stage 1's pages.
const SmallHeapEnv = "_OCIRUN_SMALL_HEAP"

// anchor is allocated by init: where the heap puts it is where the
// allocations after it go.
var anchor *[64]byte

// collapseErr is what the kernel answered init; 0 when the heap's start is
// one huge page, or when SmallHeapEnv kept init from asking.
var collapseErr syscall.Errno

func init() {
	anchor = new([64]byte)
	if _, small := syscall.Getenv(SmallHeapEnv); !small {
		collapseErr = collapse()
	}
}

// collapse asks for the 2 MiB region that holds anchor as one huge page.
func collapse() syscall.Errno {
	region := uintptr(unsafe.Pointer(anchor)) &^ (hugePageSize - 1)
	_, _, errno := syscall.Syscall(syscall.SYS_MADVISE, region, hugePageSize, madvCollapse)
	return errno
}
