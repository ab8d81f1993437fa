package userns

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestIsInitialMap(t *testing.T) {
	for in, want := range map[string]bool{
		"         0          0 4294967295\n": true,
		"0 0 4294967295":                     true,
		"         0       1000          1\n": false,
		"0 1000 1\n1 100000 65536\n":         false,
		"0 0 65536\n":                        false,
		"":                                   false,
	} {
		if got := isInitialMap([]byte(in)); got != want {
			t.Errorf("isInitialMap(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestSubIDCount(t *testing.T) {
	f := filepath.Join(t.TempDir(), "subuid")
	os.WriteFile(f, []byte("alice:100000:65536\n1000:300000:10\nbob:200000:65536\nalice:400000:5\nbroken line\n"), 0o644)
	for _, tc := range []struct {
		name string
		uid  int
		want uint64
	}{
		{"alice", 1000, 65536 + 10 + 5}, // by name and by number
		{"bob", 1001, 65536},
		{"carol", 1002, 0},
	} {
		got, err := SubIDCount(f, tc.name, tc.uid)
		if err != nil || got != tc.want {
			t.Errorf("%s: got %d, %v; want %d", tc.name, got, err, tc.want)
		}
	}
	if n, err := SubIDCount(filepath.Join(t.TempDir(), "none"), "alice", 1000); n != 0 || err != nil {
		t.Errorf("missing file: got %d, %v; want 0, nil", n, err)
	}
}

func TestLookupPasswd(t *testing.T) {
	passwd := "root:x:0:0:root:/root:/bin/bash\n#comment:x:7:7\nbroken line\nadm:x:3:4:adm:/var/adm:/sbin/nologin\nlast:x:9:9"
	for uid, want := range map[int]string{0: "root", 3: "adm", 9: "last", 7: "", 4: ""} {
		got, ok := lookupPasswd(strings.NewReader(passwd), uid)
		if got != want || ok != (want != "") {
			t.Errorf("uid %d: %q, %v; want %q", uid, got, ok, want)
		}
	}
	if name, ok := UserName(0); !ok || name == "" {
		t.Errorf("UserName(0) = %q, %v", name, ok)
	}
}
