package cgroups

import (
	"encoding/binary"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// checkReachable does what the kernel's verifier does first: every
// instruction must be reachable and every jump must land in the program.
func checkReachable(t *testing.T, prog []bpfInsn) {
	t.Helper()
	seen := make([]bool, len(prog))
	work := []int{0}
	for len(work) > 0 {
		pc := work[len(work)-1]
		work = work[:len(work)-1]
		if pc < 0 || pc >= len(prog) {
			t.Fatalf("jump to %d, outside the program", pc)
		}
		if seen[pc] {
			continue
		}
		seen[pc] = true
		switch in := prog[pc]; in.code {
		case opExit:
		case opJa:
			work = append(work, pc+1+int(in.off))
		case opJne32Imm, opJeq32Imm:
			work = append(work, pc+1, pc+1+int(in.off))
		default:
			work = append(work, pc+1)
		}
	}
	for i, ok := range seen {
		if !ok {
			t.Fatalf("instruction %d is unreachable", i)
		}
	}
}

// runFilter interprets the subset of eBPF that deviceFilter emits, as the
// kernel would run it for one device access.
func runFilter(t *testing.T, prog []bpfInsn, typ byte, major, minor uint32, access string) bool {
	t.Helper()
	ctx := make([]byte, 12)
	var acc uint32
	for _, c := range access {
		acc |= map[rune]uint32{'m': devcgAccMknod, 'r': devcgAccRead, 'w': devcgAccWrite}[c]
	}
	dev := uint32(devcgDevChar)
	if typ == 'b' {
		dev = devcgDevBlock
	}
	binary.LittleEndian.PutUint32(ctx[0:], acc<<16|dev)
	binary.LittleEndian.PutUint32(ctx[4:], major)
	binary.LittleEndian.PutUint32(ctx[8:], minor)
	var reg [11]uint64
	pc := 0
	for steps := 0; steps < 100000; steps++ {
		if pc < 0 || pc >= len(prog) {
			t.Fatalf("pc %d out of the program (%d instructions)", pc, len(prog))
		}
		in := prog[pc]
		pc++
		w := func(r uint8) uint32 { return uint32(reg[r]) }
		switch in.code {
		case opLdxW:
			if in.src != rCtx || in.off < 0 || in.off > 8 || in.off%4 != 0 {
				t.Fatalf("bad context load %+v", in)
			}
			reg[in.dst] = uint64(binary.LittleEndian.Uint32(ctx[in.off:]))
		case opMov32Reg:
			reg[in.dst] = uint64(w(in.src))
		case opAnd32Imm:
			reg[in.dst] = uint64(w(in.dst) & uint32(in.imm))
		case opRsh32Imm:
			reg[in.dst] = uint64(w(in.dst) >> uint32(in.imm))
		case opJne32Imm:
			if w(in.dst) != uint32(in.imm) {
				pc += int(in.off)
			}
		case opJeq32Imm:
			if w(in.dst) == uint32(in.imm) {
				pc += int(in.off)
			}
		case opJa:
			pc += int(in.off)
		case opMov64Imm:
			reg[in.dst] = uint64(int64(in.imm))
		case opExit:
			return reg[0] == 1
		default:
			t.Fatalf("unexpected opcode %#x", in.code)
		}
	}
	t.Fatal("program does not terminate")
	return false
}

func dev(allow bool, typ string, major, minor int64, access string) specs.LinuxDeviceCgroup {
	d := specs.LinuxDeviceCgroup{Allow: allow, Type: typ, Access: access}
	if major != -1 {
		d.Major = &major
	}
	if minor != -1 {
		d.Minor = &minor
	}
	return d
}

func TestDeviceFilterSemantics(t *testing.T) {
	type probe struct {
		typ          byte
		major, minor uint32
		access       string
		want         bool
	}
	tests := []struct {
		name   string
		rules  []specs.LinuxDeviceCgroup
		probes []probe
	}{
		{"no rules deny all", nil, []probe{{'c', 1, 3, "r", false}, {'b', 8, 0, "m", false}}},
		{
			"runc-style list",
			[]specs.LinuxDeviceCgroup{
				dev(false, "", -1, -1, "rwm"),
				dev(true, "c", 1, 3, "rwm"),
				dev(true, "c", 136, -1, "rw"),
				dev(true, "c", -1, -1, "m"),
			},
			[]probe{
				{'c', 1, 3, "rw", true}, {'c', 1, 3, "m", true},
				{'c', 1, 5, "r", false}, {'b', 1, 3, "r", false},
				{'c', 136, 7, "rw", true}, {'c', 136, 7, "m", true},
				{'c', 4, 1, "m", true}, {'c', 4, 1, "r", false},
				{'b', 8, 0, "m", false},
			},
		},
		{
			"access bits from separate rules add up",
			[]specs.LinuxDeviceCgroup{dev(true, "c", 1, 3, "r"), dev(true, "c", 1, 3, "w")},
			[]probe{{'c', 1, 3, "rw", true}, {'c', 1, 3, "rwm", false}},
		},
		{
			"a later deny takes one bit away",
			[]specs.LinuxDeviceCgroup{dev(true, "c", 1, 3, "rw"), dev(false, "c", 1, 3, "w")},
			[]probe{{'c', 1, 3, "r", true}, {'c', 1, 3, "w", false}, {'c', 1, 3, "rw", false}},
		},
		{
			"allow all, then deny block writes on major 8",
			[]specs.LinuxDeviceCgroup{dev(true, "a", -1, -1, "rwm"), dev(false, "b", 8, -1, "w")},
			[]probe{{'b', 8, 0, "r", true}, {'b', 8, 0, "w", false}, {'c', 8, 0, "w", true}, {'b', 9, 0, "rwm", true}},
		},
		{
			"a later deny-all resets",
			[]specs.LinuxDeviceCgroup{dev(true, "c", 1, 3, "rwm"), dev(false, "a", -1, -1, "rwm"), dev(true, "c", 1, 5, "r")},
			[]probe{{'c', 1, 3, "r", false}, {'c', 1, 5, "r", true}},
		},
		{
			"largest device numbers",
			[]specs.LinuxDeviceCgroup{dev(true, "b", 0xffffffff, 0x80000000, "r")},
			[]probe{{'b', 0xffffffff, 0x80000000, "r", true}, {'b', 0xffffffff, 0, "r", false}, {'b', 0x7fffffff, 0x80000000, "r", false}},
		},
		{
			"type a with numbers covers both types",
			[]specs.LinuxDeviceCgroup{dev(true, "a", 10, 200, "rw")},
			[]probe{{'c', 10, 200, "rw", true}, {'b', 10, 200, "r", true}, {'c', 10, 201, "r", false}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rules, err := deviceRules(tc.rules)
			if err != nil {
				t.Fatal(err)
			}
			prog, err := deviceFilter(rules)
			if err != nil {
				t.Fatal(err)
			}
			checkReachable(t, prog)
			for _, p := range tc.probes {
				if got := runFilter(t, prog, p.typ, p.major, p.minor, p.access); got != p.want {
					t.Errorf("%c %d:%d %s: allowed = %v, want %v", p.typ, p.major, p.minor, p.access, got, p.want)
				}
			}
		})
	}
}

// refAllowed states the rule semantics directly: for each access bit
// asked, the last rule covering the device and the bit decides.
func refAllowed(rules []deviceRule, typ byte, major, minor uint32, access string) bool {
	for _, bit := range access {
		allowed := false
		for i := len(rules) - 1; i >= 0; i-- {
			r := rules[i]
			if !strings.ContainsRune(r.access, bit) || (r.typ != 'a' && r.typ != typ) ||
				(r.major != -1 && uint32(r.major) != major) || (r.minor != -1 && uint32(r.minor) != minor) {
				continue
			}
			allowed = r.allow
			break
		}
		if !allowed {
			return false
		}
	}
	return true
}

func TestDeviceFilterRandom(t *testing.T) {
	rnd := rand.New(rand.NewSource(1))
	types := []string{"", "a", "c", "b"}
	accesses := []string{"r", "w", "m", "rw", "rm", "wm", "rwm"}
	num := func() int64 {
		if rnd.Intn(3) == 0 {
			return -1
		}
		return int64(rnd.Intn(4))
	}
	for round := 0; round < 300; round++ {
		var specRules []specs.LinuxDeviceCgroup
		for i := rnd.Intn(8); i > 0; i-- {
			specRules = append(specRules, dev(rnd.Intn(2) == 0, types[rnd.Intn(4)], num(), num(), accesses[rnd.Intn(len(accesses))]))
		}
		rules, err := deviceRules(specRules)
		if err != nil {
			t.Fatal(err)
		}
		prog, err := deviceFilter(rules)
		if err != nil {
			t.Fatal(err)
		}
		checkReachable(t, prog)
		for _, typ := range []byte{'b', 'c'} {
			for major := uint32(0); major < 4; major++ {
				for minor := uint32(0); minor < 4; minor++ {
					for _, acc := range accesses {
						got := runFilter(t, prog, typ, major, minor, acc)
						if want := refAllowed(rules, typ, major, minor, acc); got != want {
							t.Fatalf("rules %+v: %c %d:%d %s = %v, want %v", rules, typ, major, minor, acc, got, want)
						}
					}
				}
			}
		}
	}
}

func TestEncodeInsns(t *testing.T) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("expected bytes are for little-endian machines")
	}
	b := encodeInsns([]bpfInsn{{code: opLdxW, dst: 2, src: 1, off: 4, imm: -2}})
	want := []byte{0x61, 0x12, 4, 0, 0xfe, 0xff, 0xff, 0xff}
	if fmt.Sprint(b) != fmt.Sprint(want) {
		t.Errorf("encoded %v, want %v", b, want)
	}
}

func TestV1DeviceStrings(t *testing.T) {
	rules, err := deviceRules([]specs.LinuxDeviceCgroup{
		dev(true, "c", 1, 3, "mwr"), dev(false, "b", -1, 0, ""), dev(true, "a", -1, -1, "rwm"),
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rules {
		got = append(got, r.v1String())
	}
	if strings.Join(got, "|") != "c 1:3 rwm|b *:0 rwm|a" {
		t.Errorf("got %q", got)
	}
}
