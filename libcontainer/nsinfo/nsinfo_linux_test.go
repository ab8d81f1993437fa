package nsinfo

import (
	"reflect"
	"testing"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

// ns builds a container's inodes: every type the host's (100+i), except
// those given.
func ns(own map[configs.NamespaceType]uint64) map[configs.NamespaceType]uint64 {
	m := map[configs.NamespaceType]uint64{}
	for t, ino := range host {
		m[t] = ino
	}
	for t, ino := range own {
		m[t] = ino
	}
	return m
}

var host = map[configs.NamespaceType]uint64{
	configs.NEWUSER: 1, configs.NEWNS: 2, configs.NEWPID: 3, configs.NEWNET: 4,
	configs.NEWIPC: 5, configs.NEWUTS: 6, configs.NEWCGROUP: 7, configs.NEWTIME: 8,
}

func TestGroup(t *testing.T) {
	// A pod (infra, app joining its net and ipc; sidecar joining the
	// app's uts), a lone container, and one with no namespace of its own.
	ids := []string{"sidecar", "lone", "infra", "app", "hostish"}
	inodes := []map[configs.NamespaceType]uint64{
		ns(map[configs.NamespaceType]uint64{configs.NEWNS: 30, configs.NEWUTS: 22}),
		ns(map[configs.NamespaceType]uint64{configs.NEWNS: 40, configs.NEWNET: 41}),
		ns(map[configs.NamespaceType]uint64{configs.NEWNS: 10, configs.NEWNET: 11, configs.NEWIPC: 12}),
		ns(map[configs.NamespaceType]uint64{configs.NEWNS: 20, configs.NEWNET: 11, configs.NEWIPC: 12, configs.NEWUTS: 22}),
		ns(nil),
	}
	got := group(ids, inodes, host)
	want := []Group{
		{Containers: []string{"app", "infra", "sidecar"}, Shared: []string{"ipc:[12]", "network:[11]", "uts:[22]"}},
		{Containers: []string{"hostish"}},
		{Containers: []string{"lone"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestGroupEmpty(t *testing.T) {
	if got := group(nil, nil, host); len(got) != 0 || got == nil {
		t.Errorf("got %#v, want an empty list (JSON [])", got)
	}
}
