// Package hugeheap backs the start of the Go heap with one transparent huge
// page. Importing it is all there is to do: the work is done by its init.
//
// Every ocirun process lives for milliseconds and touches about a megabyte
// of fresh heap, one page fault per 4 KiB page. Where a page fault is dear
// (a virtual machine whose page tables the hypervisor shadows: 10-15 us per
// fault on the host of bench/README.md, against a microsecond for a system
// call) those faults are the largest cost of a command. MADV_COLLAPSE makes
// the 2 MiB around the heap's first allocations one huge page, copying the
// few pages already there: every later allocation in it costs no fault.
// Go 1.26 starts the heap at a random page, so when it starts near the end
// of a 2 MiB region the rest of the command's heap lies in the next one and
// still faults page by page (here: 350-370 faults of the CLI's main thread
// in run when its heap fits, 430-640 when it does not, 480 without this
// package). The Makefile builds the pure-Go binaries with the heap at an
// arena boundary, where it always fits; the init, which links C, keeps the
// random start. Making the next region huge too would keep up to 4 MiB
// more resident; untouched allocations meant to move the heap's front to
// the boundary were tried, and Go put them in free runs below the front.
//
// The cost is up to 2 MiB more resident memory per process for its few
// milliseconds, and the kernel's work to find a free huge page, which may
// compact memory on a host whose memory is fragmented. A kernel without
// MADV_COLLAPSE (before 6.1) or with transparent huge pages disabled
// refuses it, and the process runs as it would have without it.
//
// A container's init is charged to the container's memory cgroup. Where a
// limit is already set (an exec's stage 1 joins a running container) or is
// checked against the usage while the init still lives (create with
// startContainer hooks), the runtime sets [SmallHeapEnv] and the heap stays
// in 4 KiB pages: the container's limit must not have to hold a huge page
// of the runtime's.
//
// The package imports nothing but syscall and unsafe, so that its init runs
// as soon as package syscall's has, before most packages allocate.
package hugeheap

import (
	"syscall"
	"unsafe"
)

// madvCollapse is MADV_COLLAPSE (linux/mman.h), which syscall lacks.
const madvCollapse = 25

const hugePageSize = 2 << 20

// SmallHeapEnv, present in a process's environment, keeps its heap in
// 4 KiB pages.
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
