package specconv

import "sort"

// MountOptions lists every mounts[].options value ToConfig understands as
// a flag, propagation change, recursive attribute or extension, for the
// features command. Other options are passed to the filesystem as data.
func MountOptions() []string {
	var opts []string
	for o := range mountFlagOptions {
		opts = append(opts, o)
	}
	for o := range propagationOptions {
		opts = append(opts, o)
	}
	for o := range recAttrOptions {
		opts = append(opts, o)
	}
	for o := range recAtimeOptions {
		opts = append(opts, o)
	}
	opts = append(opts, "tmpcopyup", "idmap", "ridmap")
	sort.Strings(opts)
	return opts
}
