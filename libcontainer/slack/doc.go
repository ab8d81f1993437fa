// Package slack keeps the Go runtime's monitor thread from waking the
// command line every 20 us, without letting that change reach the
// container or the hooks.
//
// Go's monitor thread (sysmon) sleeps 20 us at a time while any goroutine
// runs or waits in a system call, and a runtime command spends nearly all
// of its life in system calls: `create` woke it some 117 times, each a
// timer, a context switch and, under a hypervisor, an exit to it. A thread
// sleeps at least its timer slack (50 us by default), which the kernel
// uses to batch wake-ups: with 1 ms the monitor wakes some 17 times per
// `create`. The slack is a property of each thread, copied to the threads
// and processes it clones, and only a thread can set its own; the monitor
// is cloned from the main thread before any Go code of ours runs. So the
// ELF entry of the pure-Go binaries (package prefault's entry, amd64)
// calls coarsen, which gives the main thread a slack of 1 ms before the
// runtime starts, and every thread of the runtime inherits it.
//
// A process started from such a thread would inherit the coarse slack as
// its current and its default one. [Start] starts the processes that run
// the user's programs (stage 0, which becomes the container's processes,
// and the hooks) from a locked thread whose slack is, for that moment, the
// one the command started with: they get what runc's or crun's would. The
// runtime's own helpers (the systemd helper, the probes, newuidmap, ps)
// are started as they are; their precision does not matter, and the
// pure-Go ones coarsen themselves anyway.
//
// Timers of the command itself (hook timeouts, freezer polls, retries
// while a cgroup empties) may fire up to 1 ms late, which none of them
// notices. A thread that started with a slack of 1 ms or more, or with
// none (a real-time thread), is left as it is.
package slack
