package configs

import "os"

// Mount is one entry of config.json's mounts, with its options already split
// into mount(2) flags, propagation changes and filesystem data.
type Mount struct {
	// Source is the host path for bind mounts (absolute: relative sources are
	// resolved against the bundle), otherwise the filesystem's source string.
	Source string `json:"source"`
	// Destination is an absolute path inside the container.
	Destination string `json:"destination"`
	// Device is the filesystem type; bind mounts have "bind".
	Device string `json:"device"`
	// Flags are the MS_* flags to mount with (MS_BIND, MS_REC, MS_RDONLY, ...).
	Flags uint64 `json:"flags,omitempty"`
	// ClearedFlags are flags the options turned off explicitly ("rw", "suid",
	// "dev", "exec", ...); a bind remount must not keep them from the source.
	ClearedFlags uint64 `json:"cleared_flags,omitempty"`
	// PropagationFlags are applied one by one after the mount (MS_SHARED,
	// MS_PRIVATE, MS_SLAVE, MS_UNBINDABLE, each maybe with MS_REC).
	PropagationFlags []uint64 `json:"propagation_flags,omitempty"`
	// Data is the comma-separated filesystem-specific option string.
	Data string `json:"data,omitempty"`
	// RecAttrSet and RecAttrClr are MOUNT_ATTR_* bits applied recursively
	// with mount_setattr(2) (the "rro", "rnosuid", ... options).
	RecAttrSet uint64 `json:"rec_attr_set,omitempty"`
	RecAttrClr uint64 `json:"rec_attr_clr,omitempty"`
	// TmpcopyUp asks for a tmpfs that starts with a copy of what the
	// destination held in the rootfs (runc's "tmpcopyup" extension).
	TmpcopyUp bool `json:"tmpcopyup,omitempty"`
	// IDMapped asks for an id-mapped bind mount (the "idmap" and "ridmap"
	// options, or mappings of the mount's own). The runtime builds it on
	// the host and stage 1 moves it into place.
	IDMapped bool `json:"idmapped,omitempty"`
	// IDMapRecursive maps every mount of the tree ("ridmap"), not only the
	// top one.
	IDMapRecursive bool `json:"idmap_recursive,omitempty"`
	// UIDMappings and GIDMappings are the mount's own maps, in the format of
	// a user namespace's: ids on the source filesystem (ContainerID) appear
	// as HostID through the mount. Empty: the container's user namespace
	// maps apply.
	UIDMappings []IDMap `json:"uid_mappings,omitempty"`
	GIDMappings []IDMap `json:"gid_mappings,omitempty"`
}

// IsBind reports whether the mount is a bind mount.
func (m *Mount) IsBind() bool { return m.Device == "bind" || m.Flags&msBind != 0 }

const msBind = 0x1000 // MS_BIND, spelled out to keep this package free of x/sys.

// Device is a device node to create in the container's /dev.
type Device struct {
	// Path is the absolute path inside the container.
	Path string `json:"path"`
	// Type is 'c' (character), 'b' (block) or 'p' (FIFO).
	Type     rune        `json:"type"`
	Major    int64       `json:"major"`
	Minor    int64       `json:"minor"`
	FileMode os.FileMode `json:"file_mode"`
	UID      uint32      `json:"uid"`
	GID      uint32      `json:"gid"`
}
