package specconv

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadSpec(t *testing.T) {
	data, err := json.MarshalIndent(Example(), "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	// Unknown fields, at the top and deeper, are extensions and fine.
	withExtra := strings.Replace(string(data), "{", `{"org.example.extension": {"x": 1},`, 1)
	spec, err := LoadSpec(writeFile(t, withExtra))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(spec, Example()) {
		t.Errorf("round trip changed the spec")
	}
}

func TestLoadSpecErrors(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    string
		line    int
		col     int
	}{
		{
			name:    "missing comma",
			content: "{\n  \"ociVersion\": \"1.0.2\"\n  \"hostname\": \"x\"\n}\n",
			want:    `line 3, column 3 (offset 29): invalid character '"' after object key:value pair`,
			line:    3, col: 3,
		},
		{
			name:    "wrong type",
			content: "{\n\t\"ociVersion\": \"1.0.2\",\n\t\"process\": {\"user\": {\"uid\": \"root\"}}\n}",
			want:    `line 3, column 35 (offset 61): process.user.uid: cannot use a JSON string as uint32`,
			line:    3, col: 35,
		},
		{
			name:    "truncated",
			content: "{\"ociVersion\": \"1.0.2\",",
			want:    "unexpected end of JSON input",
			line:    1,
		},
		{
			name:    "trailing garbage",
			content: "{}\n}",
			want:    "line 2, column 1 (offset 4): invalid character '}' after top-level value",
			line:    2, col: 1,
		},
		{
			name:    "empty",
			content: " \n",
			want:    "the file is empty",
			line:    1, col: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, tt.content)
			_, err := LoadSpec(p)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), "parse "+p+": ") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q; want it to name %s and contain %q", err, p, tt.want)
			}
			var je *JSONError
			if !errors.As(err, &je) || je.Line != tt.line || (tt.col != 0 && je.Column != tt.col) || je.File != p {
				t.Fatalf("JSONError %+v; want line %d column %d", je, tt.line, tt.col)
			}
		})
	}

	_, err := LoadSpec(filepath.Join(t.TempDir(), "missing.json"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

func TestLoadProcess(t *testing.T) {
	p, err := LoadProcess(writeFile(t, `{"args":["ls"],"cwd":"/","user":{"uid":1,"gid":2,"additionalGids":[3]},"terminal":true}`))
	if err != nil {
		t.Fatal(err)
	}
	want := &specs.Process{Args: []string{"ls"}, Cwd: "/", User: specs.User{UID: 1, GID: 2, AdditionalGids: []uint32{3}}, Terminal: true}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("%+v", p)
	}
	_, err = LoadProcess(writeFile(t, `{"args": "ls"}`))
	if err == nil || !strings.Contains(err.Error(), "args: cannot use a JSON string as []string") {
		t.Errorf("error %v", err)
	}
}
