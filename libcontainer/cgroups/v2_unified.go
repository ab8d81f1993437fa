package cgroups

import (
	"fmt"
	"sort"
	"strings"
)

// checkUnified refuses linux.resources.unified keys that are not plain
// file names of a controller ("memory.high"), so nothing outside the
// container's cgroup can be written.
func checkUnified(u map[string]string) error {
	for k := range u {
		ctrl, param, ok := strings.Cut(k, ".")
		if !ok || ctrl == "" || param == "" || strings.ContainsAny(k, "/\x00") || strings.Contains(k, "..") {
			return fmt.Errorf("linux.resources.unified: %q is not a cgroup file name (<controller>.<parameter>)", k)
		}
	}
	return nil
}

// setUnified writes the unified entries, a line at a time: files such as
// io.max take one device per write.
func setUnified(w writeFunc, dir string, u map[string]string) error {
	keys := make([]string, 0, len(u))
	for k := range u {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var lines []string
		for _, l := range strings.Split(u[k], "\n") {
			if strings.TrimSpace(l) != "" {
				lines = append(lines, l)
			}
		}
		if len(lines) == 0 {
			lines = []string{u[k]}
		}
		for _, l := range lines {
			if err := w(dir, k, l); err != nil {
				return fmt.Errorf("linux.resources.unified[%q]: %w", k, err)
			}
		}
	}
	return nil
}
