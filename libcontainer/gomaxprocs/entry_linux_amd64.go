package gomaxprocs

// ocirun_gomaxprocs_env (entry_linux_amd64.s) is called by package
// prefault's ELF entry, before the Go runtime starts, with SI pointing at
// the environment's first pointer on the initial stack. When no variable
// there starts with "GOMAXPROCS=", it sets fromEntry and returns in AX the
// address of a NUL-terminated "GOMAXPROCS=1" for the entry to insert;
// otherwise it returns 0. It changes only AX, BX, CX, DX, DI and R8, and
// writes no memory but fromEntry. Go never calls it, so it has no Go
// declaration; it has a global name because an assembler symbol cannot
// spell this package's path.
