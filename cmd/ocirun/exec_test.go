package main

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseSubCgroups(t *testing.T) {
	tests := []struct {
		args []string
		want map[string]string
		err  string
	}{
		{args: nil, want: nil},
		{args: []string{"sub"}, want: map[string]string{"": "sub"}},
		{args: []string{"cpu,cpuacct:a/b"}, want: map[string]string{"cpu": "a/b", "cpuacct": "a/b"}},
		{args: []string{"memory:a", "pids:b"}, want: map[string]string{"memory": "a", "pids": "b"}},
		{args: []string{"name=systemd:x"}, want: map[string]string{"name=systemd": "x"}},
		{args: []string{"a", "b"}, err: "each needs a CONTROLLER: prefix"},
		{args: []string{"memory:a", "memory:b"}, err: "controller memory given twice"},
		{args: []string{"cpu,:a"}, err: "empty controller name"},
		{args: []string{":a"}, err: "empty controller name"},
		{args: []string{"memory:"}, err: "empty path"},
		{args: []string{""}, err: "empty path"},
	}
	for _, tt := range tests {
		got, err := parseSubCgroups(tt.args)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: err %v; want %q", tt.args, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q = %v, %v; want %v", tt.args, got, err, tt.want)
		}
	}
}
