package slack

// ocirun_slack_coarsen (coarsen_linux_amd64.s) gives the calling thread a
// timer slack of coarseNs and records the slack it had in inheritedNs,
// unless that was 0 (a real-time thread) or already coarseNs or more.
// Package prefault's ELF entry calls it before the Go runtime starts (no
// g, no Go stack frame: assembly with raw system calls), by that global
// name: an assembler symbol cannot spell this package's path. Go never
// calls it, so it has no Go declaration.
