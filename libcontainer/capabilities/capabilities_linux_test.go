package capabilities

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

// childEnv makes the test binary act as a throw-away process that applies
// the capability sets it is given and reports what the kernel then shows.
// Capabilities cannot be regained once dropped, so the test process itself
// never changes its own.
const childEnv = "_OCIRUN_CAPS_TEST_CHILD"

type childRequest struct {
	Caps     configs.Capabilities
	KeepCaps bool
}

func init() {
	if os.Getenv(childEnv) != "" {
		// Keep the main goroutine on the main thread, the thread group
		// leader, so /proc/self/status shows the thread we change.
		runtime.LockOSThread()
	}
}

func TestMain(m *testing.M) {
	if req := os.Getenv(childEnv); req != "" {
		os.Exit(runChild(req))
	}
	os.Exit(m.Run())
}

func runChild(raw string) int {
	var req childRequest
	if err := json.Unmarshal([]byte(raw), &req); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	err := DropBounding(req.Caps.Bounding)
	if err == nil {
		err = SetKeepCaps(req.KeepCaps)
	}
	if err == nil {
		err = Set(&req.Caps)
	}
	if err == nil {
		err = SetAmbient(req.Caps.Ambient)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	keep, err := unix.PrctlRetInt(unix.PR_GET_KEEPCAPS, 0, 0, 0, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	bnd, err := Bounding()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	os.Stdout.Write(status)
	fmt.Printf("KeepCaps:\t%d\n", keep)
	// Lets the parent check Bounding against the kernel's CapBnd after a drop.
	fmt.Printf("CapBndFunc:\t%016x\n", bnd)
	return 0
}

// runInChild applies req in a fresh copy of the test binary and returns the
// Cap* and KeepCaps lines of its status, or its error output.
func runInChild(t *testing.T, req childRequest) (map[string]uint64, string, error) {
	t.Helper()
	raw, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(raw))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, stderr.String(), err
	}
	got := map[string]uint64{}
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok || (!strings.HasPrefix(key, "Cap") && key != "KeepCaps") {
			continue
		}
		base := 16
		if key == "KeepCaps" {
			base = 10
		}
		n, err := strconv.ParseUint(strings.TrimSpace(val), base, 64)
		if err != nil {
			t.Fatalf("status line %q: %v", sc.Text(), err)
		}
		got[key] = n
	}
	return got, "", nil
}

func mask(caps ...int) uint64 {
	var m uint64
	for _, c := range caps {
		m |= 1 << uint(c)
	}
	return m
}

func requireCapRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	// The child must be able to drop bounding capabilities and keep the
	// ones the cases ask for.
	for _, c := range []int{unix.CAP_SETPCAP, unix.CAP_CHOWN, unix.CAP_KILL, unix.CAP_NET_BIND_SERVICE, unix.CAP_AUDIT_WRITE} {
		in, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(c), 0, 0, 0)
		if err != nil || in != 1 {
			t.Skipf("%s is not in this process's bounding set", Name(c))
		}
	}
}

func TestApplyInChild(t *testing.T) {
	requireCapRoot(t)
	chown, kill, bind, audit := unix.CAP_CHOWN, unix.CAP_KILL, unix.CAP_NET_BIND_SERVICE, unix.CAP_AUDIT_WRITE
	tests := []struct {
		name string
		req  childRequest
		want map[string]uint64
	}{
		{
			name: "all sets",
			req: childRequest{KeepCaps: true, Caps: configs.Capabilities{
				Bounding:    []int{chown, kill, bind, audit},
				Effective:   []int{chown, kill},
				Permitted:   []int{chown, kill, bind},
				Inheritable: []int{kill, bind},
				Ambient:     []int{kill},
			}},
			want: map[string]uint64{
				"CapBnd":   mask(chown, kill, bind, audit),
				"CapEff":   mask(chown, kill),
				"CapPrm":   mask(chown, kill, bind),
				"CapInh":   mask(kill, bind),
				"CapAmb":   mask(kill),
				"KeepCaps": 1,
			},
		},
		{
			name: "runc spec defaults",
			req: childRequest{Caps: configs.Capabilities{
				Bounding:  []int{audit, kill, bind},
				Effective: []int{audit, kill, bind},
				Permitted: []int{audit, kill, bind},
			}},
			want: map[string]uint64{
				"CapBnd":   mask(audit, kill, bind),
				"CapEff":   mask(audit, kill, bind),
				"CapPrm":   mask(audit, kill, bind),
				"CapInh":   0,
				"CapAmb":   0,
				"KeepCaps": 0,
			},
		},
		{
			name: "nothing",
			req:  childRequest{},
			want: map[string]uint64{"CapBnd": 0, "CapEff": 0, "CapPrm": 0, "CapInh": 0, "CapAmb": 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, stderr, err := runInChild(t, tt.req)
			if err != nil {
				t.Fatalf("child: %v: %s", err, stderr)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %#x; want %#x", k, got[k], v)
				}
			}
			if got["CapBndFunc"] != got["CapBnd"] {
				t.Errorf("Bounding() = %#x after the drop; the kernel's CapBnd is %#x", got["CapBndFunc"], got["CapBnd"])
			}
		})
	}
}

func TestApplyInChildErrors(t *testing.T) {
	requireCapRoot(t)
	tests := []struct {
		name    string
		req     childRequest
		wantErr string
	}{
		{
			name: "effective outside permitted",
			req: childRequest{Caps: configs.Capabilities{
				Bounding:  []int{unix.CAP_KILL},
				Effective: []int{unix.CAP_KILL},
			}},
			wantErr: "capset (effective [CAP_KILL], permitted [], inheritable []): operation not permitted",
		},
		{
			name: "ambient outside inheritable",
			req: childRequest{Caps: configs.Capabilities{
				Bounding:  []int{unix.CAP_KILL},
				Permitted: []int{unix.CAP_KILL},
				Ambient:   []int{unix.CAP_KILL},
			}},
			wantErr: "raise ambient CAP_KILL: operation not permitted",
		},
		{
			name:    "bounding beyond the kernel",
			req:     childRequest{Caps: configs.Capabilities{Bounding: []int{63}}},
			wantErr: "is not known to the running kernel",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, err := runInChild(t, tt.req)
			if err == nil {
				t.Fatal("child succeeded; want an error")
			}
			if !strings.Contains(stderr, tt.wantErr) {
				t.Fatalf("child error %q does not contain %q", stderr, tt.wantErr)
			}
		})
	}
}

func TestLastCap(t *testing.T) {
	n, err := LastCap()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(lastCapPath)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := strconv.Atoi(strings.TrimSpace(string(data))); n != want {
		t.Fatalf("LastCap() = %d; %s says %d", n, lastCapPath, want)
	}
	// Every kernel a container runtime can use knows at least CAP_AUDIT_READ.
	if n < unix.CAP_AUDIT_READ {
		t.Fatalf("LastCap() = %d; implausibly low", n)
	}
}

// TestBounding checks Bounding against the kernel's own report of this
// process's set. On a host whose bounding set is full this only shows the
// bits line up; TestApplyInChild also compares them after a drop.
func TestBounding(t *testing.T) {
	got, err := Bounding()
	if err != nil {
		t.Fatal(err)
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	var want uint64
	found := false
	for _, line := range strings.Split(string(status), "\n") {
		val, ok := strings.CutPrefix(line, "CapBnd:")
		if !ok {
			continue
		}
		if want, err = strconv.ParseUint(strings.TrimSpace(val), 16, 64); err != nil {
			t.Fatalf("status line %q: %v", line, err)
		}
		found = true
	}
	if !found {
		t.Fatal("no CapBnd line in /proc/self/status")
	}
	if got != want {
		t.Fatalf("Bounding() = %#x; /proc/self/status says CapBnd %#x", got, want)
	}
}

func TestSetNil(t *testing.T) {
	if err := Set(nil); err == nil {
		t.Fatal("Set(nil) succeeded")
	}
}
