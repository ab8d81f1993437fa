// Package prefault spares ocirun's processes most of the page faults of
// their start. Importing it is all a binary has to do for the heap (its
// init does that work); the binary's own pages need its entry point (below).
//
// Every ocirun process lives for milliseconds, and most of its memory is
// touched for the first time during those milliseconds, one page fault per
// 4 KiB page. Where a page fault is dear (a virtual machine whose page
// tables the hypervisor shadows: 10-15 us per fault on the host of
// bench/README.md, against a microsecond for a system call, and 0.1-0.7 us
// per page when the kernel is asked to map many pages at once) those
// faults are the largest cost of a command. Two things are done about it:
//
//   - The binary's own pages: code and read-only data are mapped in with
//     MADV_POPULATE_READ, writable data and bss with MADV_POPULATE_WRITE,
//     before the Go runtime starts. Go's start touches nearly every 64 KiB
//     of a binary's code and read-only data anyway (each such touch is one
//     fault that maps the 16 pages around it), so this adds little to what
//     is resident. In the pure-Go binaries (the CLI, the systemd helper)
//     [entry] does it, the ELF entry point they are linked with (-E in the
//     Makefile; amd64 only, elsewhere they start at the runtime's entry as
//     before). The init links C, whose entry is the C library's, and its
//     stage 1 is either a child forked after the binary's start, which
//     inherits no mapped page of the code and copies each data page it
//     writes, or stage 0 itself, which has touched only its C part: stage
//     0 does the same for stage 1 before its Go runtime starts
//     (prefault_binary in package nsenter's nsenter.c).
//   - The heap: MADV_COLLAPSE makes the 2 MiB around the heap's first
//     allocations one huge page, copying the few pages already there:
//     every later allocation in it costs no fault. Go 1.26 starts the heap
//     at a random page, so when it starts near the end of a 2 MiB region
//     the rest of the command's heap lies in the next one and still faults
//     page by page (here: 350-370 faults of the CLI's main thread in run
//     when its heap fits, 430-640 when it does not, 480 without the
//     collapse). The Makefile builds the pure-Go binaries with the heap at
//     an arena boundary, where it always fits; the init, which links C,
//     keeps the random start. Making the next region huge too would keep up
//     to 4 MiB more resident; untouched allocations meant to move the
//     heap's front to the boundary were tried, and Go put them in free runs
//     below the front.
//
// The cost of the collapse is up to 2 MiB more resident memory per
// process for its few milliseconds, and the kernel's work to find a free
// huge page, which may compact memory on a host whose memory is
// fragmented. A kernel without MADV_COLLAPSE (before 6.1) or
// MADV_POPULATE_READ/WRITE (before 5.14), or with transparent huge pages
// disabled, refuses, and the process runs as it would have without them.
//
// A container's init is charged to the container's memory cgroup. Where a
// limit is already set (an exec's stage 1 joins a running container) or is
// checked against the usage while the init still lives (create with
// startContainer hooks), the runtime sets [SmallHeapEnv]: the heap stays
// in 4 KiB pages and stage 0 populates nothing, so that the container's
// limit holds only the pages the init touches.
//
// The package imports nothing but syscall, unsafe and (for the entry)
// package slack, which imports only runtime and syscall, so that its init
// runs as soon as package syscall's has, before most packages allocate.
package prefault
