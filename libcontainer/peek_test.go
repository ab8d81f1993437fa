package libcontainer

import (
	"fmt"
	"path/filepath"
	"testing"
)

// PeekEach visits every container once, with its index, with enough
// containers for several workers, and skips a directory that is not a
// container yet.
func TestPeekEach(t *testing.T) {
	s := &Store{Root: filepath.Join(t.TempDir(), "state")}
	var ids []string
	for i := range 40 {
		id := fmt.Sprintf("c%02d", i)
		ids = append(ids, id)
		d, err := s.newDir(id)
		if err != nil {
			t.Fatal(err)
		}
		if i != 7 { // c07 is being created: no state.json yet
			if err := writeState(d.path, &State{ID: id, Bundle: "/b/" + id}); err != nil {
				t.Fatal(err)
			}
		}
		d.unlock()
	}
	seen := make([]string, len(ids))
	if err := s.PeekEach(ids, func(i int, c *Container) { seen[i] = c.State().Bundle }); err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		want := "/b/" + id
		if i == 7 {
			want = ""
		}
		if seen[i] != want {
			t.Errorf("%s: saw %q, want %q", id, seen[i], want)
		}
	}
}
