package rootfs

import (
	"reflect"
	"strings"
	"testing"

	"github.com/moby/sys/mountinfo"
)

// A nested engine covers the host's cgroup hierarchies with a new tmpfs
// and mounts its own: only the new ones are visible.
func TestVisibleMounts(t *testing.T) {
	const in = `1 0 0:1 / / rw - ext4 /dev/root rw
20 1 0:20 / /sys rw - sysfs sysfs rw
30 20 0:30 / /sys/fs/cgroup rw - tmpfs tmpfs rw
31 30 0:31 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu
32 30 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
40 30 0:40 / /sys/fs/cgroup rw - tmpfs tmpfs rw
41 40 0:31 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu
42 40 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
50 1 0:50 / /mnt rw - tmpfs tmpfs rw
51 50 0:51 / /mnt/a/b rw - tmpfs tmpfs rw
52 50 0:52 / /mnt/a rw - tmpfs tmpfs rw
`
	infos, err := mountinfo.GetMountsFromReader(strings.NewReader(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, m := range visibleMounts(infos) {
		got = append(got, m.ID)
	}
	// 30 is covered by 40 (stacked), so 31 and 32 go with it; 51 sits on
	// a directory that 52, mounted later in the same parent, covers.
	want := []int{1, 20, 40, 41, 42, 50, 52}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("visible mounts %v, want %v", got, want)
	}
}
