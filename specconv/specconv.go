package specconv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/ocirun/ocirun/libcontainer/configs"
	"github.com/ocirun/ocirun/libcontainer/jsonfast"
	"github.com/ocirun/ocirun/libcontainer/smallfile"
)

// Options carries what ToConfig and ToProcess need to know about the host.
type Options struct {
	// Bundle is the absolute bundle directory. A relative root.path and
	// relative bind-mount sources are resolved against it.
	Bundle string
	// CgroupsSystemd is --systemd-cgroup: linux.cgroupsPath is then
	// "slice:prefix:name".
	CgroupsSystemd bool
	// LastCap is the running kernel's cap_last_cap. Capabilities above it are
	// dropped with a warning, as the runtime-spec asks. Zero or less means
	// unknown: every capability the table knows is kept.
	LastCap int
	// Grantable reports whether the runtime can give capability n to a
	// container process at all: a process never gains a capability outside
	// its bounding set, and neither does any child or user namespace it
	// creates, so the CLI answers from its own bounding set. Capabilities
	// it refuses are dropped from every set with a warning, because the
	// runtime-spec says a runtime SHOULD NOT fail on capabilities it cannot
	// grant and MUST warn about them. Nil means every capability the kernel
	// knows can be granted.
	Grantable func(n int) bool
	// Warn receives warnings (may be nil).
	Warn func(string)
}

func (o *Options) warn(format string, args ...any) {
	if o.Warn != nil {
		o.Warn(fmt.Sprintf(format, args...))
	}
}

// LoadSpec reads and decodes a config.json. A malformed file gives an error
// naming the file, line, column and byte offset. Fields this runtime-spec
// version does not define are ignored, as the spec allows for extensions.
func LoadSpec(path string) (*specs.Spec, error) {
	data, err := smallfile.Read(path)
	if err != nil {
		return nil, fmt.Errorf("read OCI spec: %w", err)
	}
	var spec specs.Spec
	if err := decodeJSON(path, data, &spec, (*specJSON)(&spec)); err != nil {
		return nil, err
	}
	return &spec, nil
}

// LoadProcess reads and decodes a process.json as given to exec --process.
func LoadProcess(path string) (*specs.Process, error) {
	data, err := smallfile.Read(path)
	if err != nil {
		return nil, fmt.Errorf("read OCI process: %w", err)
	}
	var p specs.Process
	if err := decodeJSON(path, data, &p, (*processJSON)(&p)); err != nil {
		return nil, err
	}
	return &p, nil
}

// JSONError is a config.json or process.json that does not decode: not JSON,
// or a value of the wrong type for its field.
type JSONError struct {
	File   string
	Line   int // 1-based
	Column int // 1-based, in bytes
	Offset int64
	Err    error // the decoder's error
	msg    string
}

func (e *JSONError) Error() string {
	return fmt.Sprintf("parse %s: line %d, column %d (offset %d): %s", e.File, e.Line, e.Column, e.Offset, e.msg)
}

func (e *JSONError) Unwrap() error { return e.Err }

// decodeJSON unmarshals data, through fast, v's generated decoder, first
// (package jsonfast), turning encoding/json's byte offset into a line and
// column a person can find.
func decodeJSON(name string, data []byte, v any, fast jsonfast.Decoder) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return &JSONError{File: name, Line: 1, Column: 1, Err: errors.New("empty file"), msg: "the file is empty"}
	}
	err := jsonfast.Unmarshal(data, v, fast)
	if err == nil {
		return nil
	}
	var (
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
		offset    int64
		msg       string
	)
	switch {
	case errors.As(err, &syntaxErr):
		offset, msg = syntaxErr.Offset, syntaxErr.Error()
	case errors.As(err, &typeErr):
		offset = typeErr.Offset
		msg = fmt.Sprintf("cannot use a JSON %s as %s", typeErr.Value, typeErr.Type)
		if typeErr.Field != "" {
			msg = typeErr.Field + ": " + msg
		}
	default:
		return fmt.Errorf("parse %s: %w", name, err)
	}
	line, col := position(data, offset)
	return &JSONError{File: name, Line: line, Column: col, Offset: offset, Err: err, msg: msg}
}

// position converts the decoder's offset (the number of bytes read when it
// stopped, so the culprit is the byte before) to a 1-based line and column.
func position(data []byte, offset int64) (line, col int) {
	pos := int(offset) - 1
	if pos < 0 {
		pos = 0
	}
	if pos > len(data) {
		pos = len(data)
	}
	line = 1 + bytes.Count(data[:pos], []byte{'\n'})
	col = pos - bytes.LastIndexByte(data[:pos], '\n')
	return line, col
}

// ToConfig validates spec and translates it into the runtime's config.
func ToConfig(spec *specs.Spec, opts Options) (*configs.Config, error) {
	if spec == nil {
		return nil, errors.New("no OCI spec given")
	}
	if err := checkVersion(spec.Version); err != nil {
		return nil, err
	}
	if err := rejectOtherPlatforms(spec); err != nil {
		return nil, err
	}
	linux := spec.Linux
	if linux == nil {
		linux = &specs.Linux{}
	}
	if err := rejectUnsupportedLinux(linux); err != nil {
		return nil, err
	}

	c := &configs.Config{}
	var err error
	if c.Rootfs, c.Readonly, err = convertRoot(spec.Root, opts); err != nil {
		return nil, err
	}
	if spec.Process == nil {
		return nil, fieldErr("process", "required to create a container")
	}
	if c.Process, c.OomScoreAdj, err = convertProcess(spec.Process, "process", &opts); err != nil {
		return nil, err
	}

	if err := convertNamespaces(linux, c); err != nil {
		return nil, err
	}
	if err := convertHostnames(spec, c); err != nil {
		return nil, err
	}
	if c.Mounts, err = convertMounts(spec.Mounts, opts, c); err != nil {
		return nil, err
	}
	if c.Devices, err = convertDevices(linux.Devices, c.Mounts); err != nil {
		return nil, err
	}
	if c.Cgroups, err = convertCgroups(linux, opts); err != nil {
		return nil, err
	}
	c.Cgroups.Resources = withDefaultDeviceRules(c.Cgroups.Resources, c.Devices)
	if c.Sysctl, err = convertSysctl(linux.Sysctl, c); err != nil {
		return nil, err
	}
	if c.NetDevices, err = convertNetDevices(linux.NetDevices, c); err != nil {
		return nil, err
	}
	if c.MemoryPolicy, err = convertMemoryPolicy(linux.MemoryPolicy); err != nil {
		return nil, err
	}
	if c.Seccomp, err = convertSeccomp(linux.Seccomp); err != nil {
		return nil, err
	}
	if err := convertFilesystemPaths(linux, c); err != nil {
		return nil, err
	}
	if c.Personality, err = convertPersonality(linux.Personality); err != nil {
		return nil, err
	}
	if c.Hooks, err = convertHooks(spec.Hooks); err != nil {
		return nil, err
	}
	if c.Hooks != nil {
		// startContainer hooks run where the process is about to run,
		// and one without an env of its own gets the process's, as in
		// runc, where hooks written for it expect that.
		for i := range c.Hooks.StartContainer {
			if len(c.Hooks.StartContainer[i].Env) == 0 {
				c.Hooks.StartContainer[i].Env = cloneStrings(c.Process.Env)
			}
		}
	}
	if c.Labels, err = convertAnnotations(spec.Annotations); err != nil {
		return nil, err
	}
	return c, nil
}

// versionRE accepts every 1.x release and pre-release: engines send
// "1.0.2-dev", runc writes "1.2.1", older tools "1.0.0-rc5".
var versionRE = lazyRegexp(`^1\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?([-+][0-9A-Za-z.+-]*)?$`)

func checkVersion(v string) error {
	if v == "" {
		return fieldErr("ociVersion", "required")
	}
	if !versionRE().MatchString(v) {
		return fieldErr("ociVersion", "%q is not a 1.x runtime-spec version (ocirun implements %s)", v, specs.Version)
	}
	return nil
}

func rejectOtherPlatforms(spec *specs.Spec) error {
	const why = "ocirun runs Linux containers only"
	switch {
	case spec.Solaris != nil:
		return unsupported("solaris", why)
	case spec.Windows != nil:
		return unsupported("windows", why)
	case spec.VM != nil:
		return unsupported("vm", "ocirun does not run virtual-machine containers")
	case spec.ZOS != nil:
		return unsupported("zos", why)
	case spec.FreeBSD != nil:
		return unsupported("freebsd", why)
	}
	return nil
}

func rejectUnsupportedLinux(l *specs.Linux) error {
	switch {
	case l.IntelRdt != nil:
		return unsupported("linux.intelRdt", "Intel RDT (resctrl) is not implemented; remove the field")
	}
	return nil
}

func convertRoot(root *specs.Root, opts Options) (string, bool, error) {
	if root == nil {
		return "", false, fieldErr("root", "required")
	}
	if root.Path == "" {
		return "", false, fieldErr("root.path", "required")
	}
	if err := noNUL("root.path", root.Path); err != nil {
		return "", false, err
	}
	p, err := bundlePath("root.path", root.Path, opts)
	if err != nil {
		return "", false, err
	}
	return p, root.Readonly, nil
}

// bundlePath makes p absolute against the bundle directory.
func bundlePath(field, p string, opts Options) (string, error) {
	if filepath.IsAbs(p) {
		return filepath.Clean(p), nil
	}
	if opts.Bundle == "" || !filepath.IsAbs(opts.Bundle) {
		return "", fieldErr(field, "%q is relative to the bundle, but the bundle directory %q is not an absolute path", p, opts.Bundle)
	}
	return filepath.Join(opts.Bundle, p), nil
}

// hostNameMax is HOST_NAME_MAX, the longest name sethostname(2) and
// setdomainname(2) accept.
const hostNameMax = 64

func convertHostnames(spec *specs.Spec, c *configs.Config) error {
	_, hasUTS := c.Namespace(configs.NEWUTS)
	for _, f := range []struct{ field, value string }{
		{"hostname", spec.Hostname},
		{"domainname", spec.Domainname},
	} {
		if f.value == "" {
			continue
		}
		if !hasUTS {
			return fieldErr(f.field, "setting it needs a uts namespace in linux.namespaces (it would change the host's %s)", f.field)
		}
		if len(f.value) > hostNameMax {
			return fieldErr(f.field, "%q is longer than %d bytes", f.value, hostNameMax)
		}
		if err := noNUL(f.field, f.value); err != nil {
			return err
		}
	}
	c.Hostname, c.Domainname = spec.Hostname, spec.Domainname
	return nil
}

func convertPersonality(p *specs.LinuxPersonality) (*configs.Personality, error) {
	if p == nil {
		return nil, nil
	}
	d, ok := personalityDomains[string(p.Domain)]
	if !ok {
		return nil, fieldErr("linux.personality.domain", "unknown personality domain %q (known: %s)", p.Domain, knownKeys(personalityDomains))
	}
	if len(p.Flags) > 0 {
		return nil, fieldErr("linux.personality.flags[0]", "unknown personality flag %q (the runtime-spec defines none)", p.Flags[0])
	}
	return &configs.Personality{Domain: d}, nil
}

func convertHooks(h *specs.Hooks) (*configs.Hooks, error) {
	if h == nil {
		return nil, nil
	}
	phases := []struct {
		name  string
		hooks []specs.Hook
	}{
		{"prestart", h.Prestart}, //nolint:staticcheck // deprecated but still valid in 1.x
		{"createRuntime", h.CreateRuntime},
		{"createContainer", h.CreateContainer},
		{"startContainer", h.StartContainer},
		{"poststart", h.Poststart},
		{"poststop", h.Poststop},
	}
	out := &configs.Hooks{}
	copies := []*[]specs.Hook{&out.Prestart, &out.CreateRuntime, &out.CreateContainer, &out.StartContainer, &out.Poststart, &out.Poststop} //nolint:staticcheck
	for pi, ph := range phases {
		for i, hk := range ph.hooks {
			path := idx("hooks."+ph.name, i)
			if hk.Path == "" {
				return nil, fieldErr(path+".path", "required")
			}
			if !filepath.IsAbs(hk.Path) {
				return nil, fieldErr(path+".path", "%q is not absolute", hk.Path)
			}
			if err := noNUL(path+".path", hk.Path); err != nil {
				return nil, err
			}
			if hk.Timeout != nil && *hk.Timeout <= 0 {
				return nil, fieldErr(path+".timeout", "must be greater than zero, got %d", *hk.Timeout)
			}
			if err := checkStrings(path+".args", hk.Args); err != nil {
				return nil, err
			}
			if err := checkEnv(path+".env", hk.Env); err != nil {
				return nil, err
			}
			cp := specs.Hook{Path: hk.Path, Args: cloneStrings(hk.Args), Env: cloneStrings(hk.Env)}
			if hk.Timeout != nil {
				t := *hk.Timeout
				cp.Timeout = &t
			}
			*copies[pi] = append(*copies[pi], cp)
		}
	}
	return out, nil
}

func convertAnnotations(a map[string]string) (map[string]string, error) {
	if len(a) == 0 {
		return nil, nil
	}
	for _, k := range sortedKeys(a) {
		if k == "" {
			return nil, fieldErr("annotations", "keys must not be empty")
		}
	}
	return maps.Clone(a), nil
}

// noNUL rejects strings the kernel would silently cut at a NUL byte.
func noNUL(field, s string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return fieldErr(field, "%q contains a NUL byte", s)
	}
	return nil
}

func checkStrings(field string, ss []string) error {
	for i, s := range ss {
		if err := noNUL(idx(field, i), s); err != nil {
			return err
		}
	}
	return nil
}

// checkEnv checks NAME=value entries.
func checkEnv(field string, env []string) error {
	for i, kv := range env {
		p := idx(field, i)
		name, _, ok := strings.Cut(kv, "=")
		if !ok {
			return fieldErr(p, "%q is not of the form NAME=value", kv)
		}
		if name == "" {
			return fieldErr(p, "%q has an empty variable name", kv)
		}
		if err := noNUL(p, kv); err != nil {
			return err
		}
	}
	return nil
}

func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string{}, s...)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func knownKeys[V any](m map[string]V) string {
	return strings.Join(sortedKeys(m), " ")
}

// lazyRegexp compiles expr on first use: this package is linked into every
// ocirun command, and most of them never validate a config.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
