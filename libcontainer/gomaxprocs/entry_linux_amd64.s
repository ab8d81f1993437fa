#include "textflag.h"

// "GOMAXPROCS=1" and a NUL; its first 11 bytes are the prefix looked for.
DATA	envVar<>+0(SB)/8, $"GOMAXPRO"
DATA	envVar<>+8(SB)/4, $"CS=1"
GLOBL	envVar<>(SB), RODATA|NOPTR, $16

#define PREFIX_LEN 11

// ocirun_gomaxprocs_env; see entry_linux_amd64.go.
TEXT ocirun_gomaxprocs_env(SB),NOSPLIT|NOFRAME,$0
	MOVQ	SI, R8
next:
	MOVQ	0(R8), DI
	TESTQ	DI, DI
	JZ	absent
	LEAQ	envVar<>(SB), BX
	MOVQ	$PREFIX_LEN, CX
compare:
	MOVB	0(DI), DX
	CMPB	DX, 0(BX)
	JNE	differs
	INCQ	DI
	INCQ	BX
	DECQ	CX
	JNZ	compare
	XORQ	AX, AX
	RET
differs:
	ADDQ	$8, R8
	JMP	next
absent:
	MOVB	$1, ·fromEntry(SB)
	LEAQ	envVar<>(SB), AX
	RET
