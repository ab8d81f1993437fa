package specconv

import (
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

// convertMounts converts the mounts; c holds the converted namespaces, which
// id-mapped mounts without maps of their own take theirs from.
func convertMounts(mounts []specs.Mount, opts Options, c *configs.Config) ([]*configs.Mount, error) {
	var out []*configs.Mount
	for i, m := range mounts {
		path := idx("mounts", i)
		cm, err := convertMount(m, path, opts)
		if err != nil {
			return nil, err
		}
		if cm.IDMapped && len(cm.UIDMappings) == 0 && len(c.UIDMappings) == 0 {
			why := "the container has no user namespace of its own"
			if _, ok := c.Namespace(configs.NEWUSER); ok {
				why = "the container joins an existing user namespace"
			}
			return nil, fieldErr(path+".options", "an id-mapped mount needs uidMappings and gidMappings of its own: %s whose maps it could use", why)
		}
		out = append(out, cm)
	}
	return out, nil
}

func convertMount(m specs.Mount, path string, opts Options) (*configs.Mount, error) {
	if m.Destination == "" {
		return nil, fieldErr(path+".destination", "required")
	}
	// The runtime-spec still tolerates relative destinations (deprecated);
	// ocirun does not, so that no mount lands somewhere unexpected.
	if !filepath.IsAbs(m.Destination) {
		return nil, fieldErr(path+".destination", "%q is not absolute", m.Destination)
	}
	for _, f := range []struct{ name, v string }{{"destination", m.Destination}, {"source", m.Source}, {"type", m.Type}} {
		if err := noNUL(path+"."+f.name, f.v); err != nil {
			return nil, err
		}
	}
	dest := filepath.Clean(m.Destination)
	if dest == "/" {
		return nil, fieldErr(path+".destination", "%q is the container's root; set root.path instead of mounting over it", m.Destination)
	}
	out, err := parseMountOptions(m.Options, path+".options")
	if err != nil {
		return nil, err
	}
	if out.UIDMappings, err = convertIDMaps(m.UIDMappings, path+".uidMappings", "uid"); err != nil {
		return nil, err
	}
	if out.GIDMappings, err = convertIDMaps(m.GIDMappings, path+".gidMappings", "gid"); err != nil {
		return nil, err
	}
	switch {
	case len(m.UIDMappings) > 0 && len(m.GIDMappings) == 0:
		return nil, fieldErr(path+".gidMappings", "required with uidMappings: an id-mapped mount maps both")
	case len(m.GIDMappings) > 0 && len(m.UIDMappings) == 0:
		return nil, fieldErr(path+".uidMappings", "required with gidMappings: an id-mapped mount maps both")
	case len(m.UIDMappings) > 0:
		// Maps of its own make the mount id-mapped, as with runc, even
		// without the idmap option.
		out.IDMapped = true
	}
	out.Destination = dest
	out.Source = m.Source
	out.Device = m.Type
	if m.Type == "bind" {
		// A "bind" type without a bind option is still a bind mount
		// (non-recursive, as "bind" is).
		out.Flags |= msBind
	}
	if out.Flags&msBind != 0 {
		// The type of a bind mount is a placeholder ("none", "bind", ...);
		// the runtime recognises bind mounts by Device.
		out.Device = "bind"
		if m.Source == "" {
			return nil, fieldErr(path+".source", "required for a bind mount")
		}
		if out.Source, err = bundlePath(path+".source", m.Source, opts); err != nil {
			return nil, err
		}
	} else if m.Type == "" {
		return nil, fieldErr(path+".type", "required unless the mount is a bind mount (options bind or rbind)")
	}
	if out.IDMapped && out.Device != "bind" {
		return nil, fieldErr(path+".options", "id-mapped mounts must be bind mounts (options bind or rbind), not type %q", m.Type)
	}
	if out.TmpcopyUp && out.Device != "tmpfs" {
		return nil, fieldErr(path+".options", "tmpcopyup needs a tmpfs mount, not type %q", m.Type)
	}
	return out, nil
}

// parseMountOptions sorts options into flags, propagation changes,
// recursive attributes, extensions and filesystem data. Later options win
// over earlier ones ("ro", then "rw" gives a writable mount).
func parseMountOptions(options []string, path string) (*configs.Mount, error) {
	m := &configs.Mount{}
	var data []string
	for i, o := range options {
		p := idx(path, i)
		if o == "" {
			return nil, fieldErr(p, "empty mount option")
		}
		if err := noNUL(p, o); err != nil {
			return nil, err
		}
		if f, ok := mountFlagOptions[o]; ok {
			if f.clear {
				m.Flags &^= f.flag
				m.ClearedFlags |= f.flag
			} else {
				m.Flags |= f.flag
				m.ClearedFlags &^= f.flag
			}
			continue
		}
		if f, ok := propagationOptions[o]; ok {
			m.PropagationFlags = append(m.PropagationFlags, f)
			continue
		}
		if a, ok := recAttrOptions[o]; ok {
			if a.clear {
				m.RecAttrClr |= a.attr
				m.RecAttrSet &^= a.attr
			} else {
				m.RecAttrSet |= a.attr
				m.RecAttrClr &^= a.attr
			}
			continue
		}
		if mode, ok := recAtimeOptions[o]; ok {
			m.RecAttrClr |= recAtimeMask
			m.RecAttrSet = m.RecAttrSet&^recAtimeMask | mode
			continue
		}
		switch o {
		case "tmpcopyup":
			m.TmpcopyUp = true
			continue
		case "idmap", "ridmap":
			m.IDMapped = true
			m.IDMapRecursive = o == "ridmap"
			continue
		}
		data = append(data, o)
	}
	m.Data = strings.Join(data, ",")
	return m, nil
}

// convertFilesystemPaths handles maskedPaths, readonlyPaths,
// rootfsPropagation and mountLabel.
func convertFilesystemPaths(l *specs.Linux, c *configs.Config) error {
	for _, list := range []struct {
		field string
		paths []string
		dst   *[]string
	}{
		{"linux.maskedPaths", l.MaskedPaths, &c.MaskPaths},
		{"linux.readonlyPaths", l.ReadonlyPaths, &c.ReadonlyPaths},
	} {
		for i, p := range list.paths {
			f := idx(list.field, i)
			if !filepath.IsAbs(p) {
				return fieldErr(f, "%q is not absolute", p)
			}
			if err := noNUL(f, p); err != nil {
				return err
			}
			if filepath.Clean(p) == "/" {
				return fieldErr(f, "%q is the container's root", p)
			}
			*list.dst = append(*list.dst, filepath.Clean(p))
		}
	}
	if l.RootfsPropagation != "" {
		f, ok := propagationOptions[l.RootfsPropagation]
		if !ok {
			return fieldErr("linux.rootfsPropagation", "unknown propagation %q (known: %s)", l.RootfsPropagation, knownKeys(propagationOptions))
		}
		c.RootPropagation = f
	}
	if err := noNUL("linux.mountLabel", l.MountLabel); err != nil {
		return err
	}
	c.MountLabel = l.MountLabel
	return nil
}
