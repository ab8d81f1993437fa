#include "textflag.h"

#define SYS_madvise 28
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23

// func entry(), the ELF entry point (see entry_linux_amd64.go). The
// runtime's own entry, _rt0_amd64_linux, reads argc, argv, the
// environment and auxv from the stack, and no register. The text starts
// at runtime·text, the writable segment at the page that holds
// runtime·noptrdata (the linker puts only build and module data before
// it), and the bss ends at runtime·enoptrbss; the read-only data lies
// between text and the writable segment. Then package slack's coarsen
// gives the main thread, and so every thread of the runtime, a coarse
// timer slack (the CALLs write below the kernel's stack pointer only).
//
// Last, package gomaxprocs may ask for GOMAXPROCS=1 in the environment.
// The kernel left argc, the argv pointers and argv's NULL, then the
// environment's pointers, its NULL and auxv: the words from argc to argv's
// NULL move down one word, and the word they free, just before the
// environment's first pointer, points at the new variable. The stack
// below the kernel's stack pointer is mapped (or grows on the fault), and
// the runtime aligns the stack pointer itself.
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
	MOVQ	0(SP), R12
	LEAQ	16(SP)(R12*8), SI
	CALL	ocirun_gomaxprocs_env(SB)
	TESTQ	AX, AX
	JZ	start
	MOVQ	SP, DI
	LEAQ	-8(SI), R13
move:
	MOVQ	0(DI), DX
	MOVQ	DX, -8(DI)
	ADDQ	$8, DI
	CMPQ	DI, R13
	JLS	move
	MOVQ	AX, -8(SI)
	SUBQ	$8, SP
start:
	JMP	_rt0_amd64_linux(SB)
