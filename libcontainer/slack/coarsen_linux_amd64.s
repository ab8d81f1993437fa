#include "go_asm.h"
#include "textflag.h"

#define SYS_prctl 157
#define PR_SET_TIMERSLACK 29
#define PR_GET_TIMERSLACK 30

// ocirun_slack_coarsen; see coarsen_linux_amd64.go. The runtime's entry,
// which runs next, reads only the stack: any register may change here.
TEXT ocirun_slack_coarsen(SB),NOSPLIT|NOFRAME,$0
	MOVQ	$PR_GET_TIMERSLACK, DI
	XORQ	SI, SI
	XORQ	DX, DX
	XORQ	R10, R10
	XORQ	R8, R8
	MOVQ	$SYS_prctl, AX
	SYSCALL
	CMPQ	AX, $0
	JLE	done
	CMPQ	AX, $const_coarseNs
	JGE	done
	MOVQ	AX, R9
	MOVQ	$PR_SET_TIMERSLACK, DI
	MOVQ	$const_coarseNs, SI
	MOVQ	$SYS_prctl, AX
	SYSCALL
	CMPQ	AX, $0
	JNE	done
	MOVQ	R9, ·inheritedNs(SB)
done:
	RET
