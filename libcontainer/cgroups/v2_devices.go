package cgroups

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// cgroup v2 has no devices files: device access is decided by an eBPF
// program of type BPF_PROG_TYPE_CGROUP_DEVICE attached to the cgroup. The
// kernel calls it for each open/mknod with
//
//	struct bpf_cgroup_dev_ctx {
//		__u32 access_type; /* (access << 16) | type */
//		__u32 major;
//		__u32 minor;
//	};
//
// and lets the operation through if it returns 1. This file compiles the
// device rules into such a program. Its semantics are those of the v1
// devices controller fed with "deny a" and then the rules in order: for
// each access bit asked for (mknod, read, write), the last rule that covers
// the device and that bit decides; a bit no rule covers is denied. So
// "allow c 1:3 r" then "allow c 1:3 w" allows an open for reading and
// writing, and "allow c 1:3 rw" then "deny c 1:3 w" allows only reading.

// Values the kernel passes in the context (include/uapi/linux/bpf.h).
const (
	devcgDevBlock = 1
	devcgDevChar  = 2
	devcgAccMknod = 1
	devcgAccRead  = 2
	devcgAccWrite = 4
)

// bpfInsn is struct bpf_insn.
type bpfInsn struct {
	code     uint8
	dst, src uint8
	off      int16
	imm      int32
}

// The few eBPF opcodes the program uses (include/uapi/linux/bpf.h,
// bpf_common.h).
const (
	opLdxW     = 0x61 // BPF_LDX | BPF_MEM | BPF_W: dst = *(u32 *)(src + off)
	opMov32Reg = 0xbc // BPF_ALU | BPF_MOV | BPF_X: w(dst) = w(src)
	opAnd32Imm = 0x54 // BPF_ALU | BPF_AND | BPF_K
	opRsh32Imm = 0x74 // BPF_ALU | BPF_RSH | BPF_K
	opJne32Imm = 0x56 // BPF_JMP32 | BPF_JNE | BPF_K: if w(dst) != imm goto +off
	opJeq32Imm = 0x16 // BPF_JMP32 | BPF_JEQ | BPF_K
	opJa       = 0x05 // BPF_JMP | BPF_JA: goto +off
	opMov64Imm = 0xb7 // BPF_ALU64 | BPF_MOV | BPF_K: dst = imm
	opExit     = 0x95 // BPF_JMP | BPF_EXIT: return r0
)

// Registers: r1 holds the context on entry, r0 the result on exit.
const (
	rRet    = 0
	rCtx    = 1
	rAccTyp = 2
	rType   = 3
	rAccess = 4
	rMajor  = 5
	rMinor  = 6
	rTmp    = 7
)

// asm collects instructions with jumps to labels resolved at the end.
//
// This small assembler stands in for github.com/cilium/ebpf/asm, the
// library made for the job, because that package is not small: it imports
// the rest of cilium/ebpf's internals, which bring crypto, compress,
// debug/elf, debug/dwarf and go/format into every command of ocirun (the
// device program is built in the CLI). Tried at v0.22.0, it added 58
// packages and 0.87 MB (+10%) to ocirun, and 26 page faults (+8%) to
// "ocirun --version"; the start-up cost is in the design note of
// bench/README.md. The program needs nine opcodes, and the unit tests
// run it in an interpreter against a model of the v1 rules.
type asm struct {
	insns  []bpfInsn
	labels []int // label -> instruction index, -1 until placed
	fixups []struct{ at, label int }
}

func (a *asm) newLabel() int {
	a.labels = append(a.labels, -1)
	return len(a.labels) - 1
}

func (a *asm) place(l int) { a.labels[l] = len(a.insns) }

func (a *asm) emit(i bpfInsn) { a.insns = append(a.insns, i) }

func (a *asm) jump(code, dst uint8, imm int32, label int) {
	a.fixups = append(a.fixups, struct{ at, label int }{len(a.insns), label})
	a.emit(bpfInsn{code: code, dst: dst, imm: imm})
}

func (a *asm) ret(v int32) {
	a.emit(bpfInsn{code: opMov64Imm, dst: rRet, imm: v})
	a.emit(bpfInsn{code: opExit})
}

func (a *asm) link() ([]bpfInsn, error) {
	for _, f := range a.fixups {
		target := a.labels[f.label]
		if target < 0 {
			return nil, fmt.Errorf("device filter: label %d never placed", f.label)
		}
		off := target - (f.at + 1)
		if off < -32768 || off > 32767 {
			return nil, fmt.Errorf("device filter: too many rules (jump of %d instructions)", off)
		}
		a.insns[f.at].off = int16(off)
	}
	return a.insns, nil
}

var accessBits = []struct {
	bit  int32
	char string
}{{devcgAccMknod, "m"}, {devcgAccRead, "r"}, {devcgAccWrite, "w"}}

// deviceFilter compiles rules into an eBPF program.
func deviceFilter(rules []deviceRule) ([]bpfInsn, error) {
	a := &asm{}
	a.emit(bpfInsn{code: opLdxW, dst: rAccTyp, src: rCtx, off: 0})
	a.emit(bpfInsn{code: opLdxW, dst: rMajor, src: rCtx, off: 4})
	a.emit(bpfInsn{code: opLdxW, dst: rMinor, src: rCtx, off: 8})
	a.emit(bpfInsn{code: opMov32Reg, dst: rType, src: rAccTyp})
	a.emit(bpfInsn{code: opAnd32Imm, dst: rType, imm: 0xffff})
	a.emit(bpfInsn{code: opMov32Reg, dst: rAccess, src: rAccTyp})
	a.emit(bpfInsn{code: opRsh32Imm, dst: rAccess, imm: 16})
	for _, b := range accessBits {
		bitDone := a.newLabel()
		// Skip this bit if it is not asked for.
		a.emit(bpfInsn{code: opMov32Reg, dst: rTmp, src: rAccess})
		a.emit(bpfInsn{code: opAnd32Imm, dst: rTmp, imm: b.bit})
		a.jump(opJeq32Imm, rTmp, 0, bitDone)
		// Last rule first: the first match is the rule that applied last.
		// A rule covering every device ends the list (the verifier
		// refuses the unreachable code after it).
		covered := false
		for i := len(rules) - 1; i >= 0 && !covered; i-- {
			r := rules[i]
			if !strings.Contains(r.access, b.char) {
				continue
			}
			covered = r.typ == 'a' && r.major == -1 && r.minor == -1
			next := a.newLabel()
			switch r.typ {
			case 'c':
				a.jump(opJne32Imm, rType, devcgDevChar, next)
			case 'b':
				a.jump(opJne32Imm, rType, devcgDevBlock, next)
			}
			if r.major != -1 {
				a.jump(opJne32Imm, rMajor, int32(uint32(r.major)), next)
			}
			if r.minor != -1 {
				a.jump(opJne32Imm, rMinor, int32(uint32(r.minor)), next)
			}
			if r.allow {
				a.jump(opJa, 0, 0, bitDone)
			} else {
				a.ret(0)
			}
			a.place(next)
		}
		if !covered {
			// No rule covers this bit: denied.
			a.ret(0)
		}
		a.place(bitDone)
	}
	a.ret(1)
	return a.link()
}

// encodeInsns lays the program out as the kernel reads struct bpf_insn,
// whose register nibbles follow the machine's bit-field order.
func encodeInsns(insns []bpfInsn) []byte {
	bigEndian := binary.NativeEndian.Uint16([]byte{1, 0}) != 1
	out := make([]byte, 0, 8*len(insns))
	for _, in := range insns {
		regs := in.dst&0xf | in.src<<4
		if bigEndian {
			regs = in.dst<<4 | in.src&0xf
		}
		out = append(out, in.code, regs)
		out = binary.NativeEndian.AppendUint16(out, uint16(in.off))
		out = binary.NativeEndian.AppendUint32(out, uint32(in.imm))
	}
	return out
}
