package prefault

// The entry calls slack's coarsen and gomaxprocs' env.
import (
	_ "github.com/ocirun/ocirun/libcontainer/gomaxprocs"
	_ "github.com/ocirun/ocirun/libcontainer/slack"
)

// EntrySymbol is the linker's name of [entry], for -ldflags "-E ...".
const EntrySymbol = "github.com/ocirun/ocirun/libcontainer/prefault.entry"

// entry is the ELF entry point of the pure-Go binaries: the Makefile links
// them with -E [EntrySymbol]. It maps in the binary's code and read-only
// data (MADV_POPULATE_READ) and its writable data and bss
// (MADV_POPULATE_WRITE), one system call each, coarsens the threads' timer
// slack (package slack), adds GOMAXPROCS=1 to the environment unless it
// has GOMAXPROCS (package gomaxprocs), and continues at the runtime's
// entry. Nothing is
// set up when it runs (no g, no stack frame of Go's), so it is assembly
// with raw system calls, and it ignores their results: a kernel that
// refuses leaves the pages to fault in as they would have. Go never calls
// it.
//
//lint:ignore U1000 the ELF entry point, reached through the linker's -E
func entry()
