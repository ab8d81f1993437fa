package initproto

import (
	"bytes"
	"encoding/binary"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The C side reads the numbers from the checked-in header: it must be what
// wire.go generates now.
func TestCHeaderIsCurrent(t *testing.T) {
	got, err := os.ReadFile("../nsenter/initproto.h")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != CHeader() {
		t.Fatal("libcontainer/nsenter/initproto.h is stale: run \"go generate ./libcontainer/initproto\"")
	}
}

// Every constant of wire.go reaches the header.
func TestEveryWireConstantIsExported(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "wire.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			for _, name := range s.(*ast.ValueSpec).Names {
				n++
				// MsgIDsMapped is MSG_IDS_MAPPED, and so on.
				found := false
				for _, w := range wireNames {
					found = found || strings.EqualFold(strings.ReplaceAll(w.name, "_", ""), name.Name)
				}
				if !found {
					t.Errorf("%s is not in wireNames", name.Name)
				}
			}
		}
	}
	if n != len(wireNames) {
		t.Errorf("wire.go has %d constants, wireNames %d", n, len(wireNames))
	}
}

// TestPlanThroughTheCDecoder builds the finisher's plan decoder into a small
// program (tests/cmd/plandump) and checks every field it reads from what
// the Go encoder wrote.
func TestPlanThroughTheCDecoder(t *testing.T) {
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("no C compiler (cc) on this host")
	}
	bin := filepath.Join(t.TempDir(), "plandump")
	build := exec.Command(cc, "-O2", "-Wall", "-Wextra", "-Werror", "-I../../cmd/ocirun-exec", "-I../nsenter",
		"-o", bin, "../../tests/cmd/plandump/main.c", "../../cmd/ocirun-exec/plan.c")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the C decoder: %v\n%s", err, out)
	}
	decode := func(b []byte) string {
		cmd := exec.Command(bin)
		cmd.Stdin = bytes.NewReader(b)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("plandump: %v", err)
		}
		return string(out)
	}

	want := `arg sh
arg -c
arg echo $A
arg 
env A=1
env PATH=/bin
cwd /tmp
user 1000 1001 077
group 5
group 6
caps 0x200001 0x4 0x8 0x10 0x10000000000
no_new_privs 1
personality 8
rlimit 7 100 200
rlimit 9 1099511627776 18446744073709551615
seccomp 1 6/0/0/2147418112 flags 2
preserve_fds 3
sched 6 9 -3 11 1000000 2000000 3000000
ioprio 16389
apparmor prof
selinux system_u:system_r:container_t:s0
`
	p := examplePlan()
	if got := decode(p.Encode()); got != want {
		t.Errorf("C decoder read\n%s\nwant\n%s", got, want)
	}
	min := Plan{Args: []string{"true"}, Cwd: "/", Umask: 0o022}
	if got, want := decode(min.Encode()), "arg true\ncwd /\nuser 0 0 022\nno_new_privs 0\npreserve_fds 0\n"; got != want {
		t.Errorf("C decoder read\n%s\nwant\n%s", got, want)
	}

	// What the Go decoder refuses, the C one refuses too.
	bad := map[string][]byte{
		"unknown attribute": {99, 0, 0, 0, 0, 0},
		"short user":        append(binary.LittleEndian.AppendUint16(nil, AttrPlanUser), 3, 0, 0, 0, 1, 2, 3),
		"truncated":         {1, 0, 9, 0, 0, 0, 'x'},
		"odd seccomp":       append(append(min.Encode(), byte(AttrPlanSeccomp), 0, 3, 0, 0, 0), 1, 2, 3),
		"no args":           (&Plan{Cwd: "/"}).Encode(),
	}
	for name, b := range bad {
		if got := decode(b); !strings.HasPrefix(got, "error ") {
			t.Errorf("%s: C decoder accepted it: %s", name, got)
		}
	}
}
