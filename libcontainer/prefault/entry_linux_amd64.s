#include "textflag.h"

#define SYS_madvise 28
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23

// func entry(), the ELF entry point (see entry_linux_amd64.go). The
// runtime's own entry, _rt0_amd64_linux, finds argc, argv and auxv on the
// stack as the kernel left them: this touches neither the stack nor any
// register it reads. The text starts at runtime·text, the writable
// segment at the page that holds runtime·noptrdata (the linker puts only
// build and module data before it), and the bss ends at runtime·enoptrbss;
// the read-only data lies between text and the writable segment. Then
// package slack's coarsen gives the main thread, and so every thread of the
// runtime, a coarse timer slack (the CALL writes below the kernel's stack
// pointer only).
TEXT ·entry(SB),NOSPLIT|NOFRAME,$0
	LEAQ	runtime·text(SB), DI
	ANDQ	$~4095, DI
	LEAQ	runtime·noptrdata(SB), R12
	ANDQ	$~4095, R12
	MOVQ	R12, SI
	SUBQ	DI, SI
	MOVQ	$MADV_POPULATE_READ, DX
	MOVQ	$SYS_madvise, AX
	SYSCALL
	MOVQ	R12, DI
	LEAQ	runtime·enoptrbss(SB), SI
	SUBQ	DI, SI
	MOVQ	$MADV_POPULATE_WRITE, DX
	MOVQ	$SYS_madvise, AX
	SYSCALL
	CALL	ocirun_slack_coarsen(SB)
	JMP	_rt0_amd64_linux(SB)
