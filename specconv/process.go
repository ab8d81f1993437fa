package specconv

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/ocirun/ocirun/libcontainer/capabilities"
	"github.com/ocirun/ocirun/libcontainer/configs"
)

// ToProcess validates and translates a process object on its own, as exec
// --process gives it. Error paths start with "process.". oomScoreAdj is
// checked but not returned: configs.Process has no place for it (for a
// container's init ToConfig puts it in Config.OomScoreAdj).
func ToProcess(p *specs.Process, opts Options) (*configs.Process, error) {
	if p == nil {
		return nil, fieldErr("process", "required")
	}
	proc, _, err := convertProcess(p, "process", &opts)
	return proc, err
}

// ProcessEnv is the environment a process gets from its env entries
// (checked NAME=value strings): a name given more than once is set once,
// to its last value, in the place of its last occurrence; an empty HOME is
// dropped, so that HOME comes from the container's /etc/passwd as for an
// unset one. runc does both, and engines rely on the second ("HOME=" in an
// image's config).
func ProcessEnv(env []string) []string {
	if env == nil {
		return nil
	}
	out := make([]string, 0, len(env))
	seen := make(map[string]bool, len(env))
	for i := len(env) - 1; i >= 0; i-- {
		name, _, _ := strings.Cut(env[i], "=")
		if seen[name] {
			continue
		}
		seen[name] = true
		if env[i] != "HOME=" {
			out = append(out, env[i])
		}
	}
	slices.Reverse(out)
	return out
}

// convertProcess translates p, found at JSON path path, for the container's
// init (create) or for exec.
func convertProcess(p *specs.Process, path string, opts *Options) (*configs.Process, *int, error) {
	if len(p.Args) == 0 {
		return nil, nil, fieldErr(path+".args", "must not be empty")
	}
	if p.Args[0] == "" {
		return nil, nil, fieldErr(path+".args[0]", "must not be empty")
	}
	if err := checkStrings(path+".args", p.Args); err != nil {
		return nil, nil, err
	}
	if p.CommandLine != "" {
		return nil, nil, unsupported(path+".commandLine", "it is for Windows; use args")
	}
	if err := checkEnv(path+".env", p.Env); err != nil {
		return nil, nil, err
	}
	if p.Cwd == "" {
		return nil, nil, fieldErr(path+".cwd", "required")
	}
	if !filepath.IsAbs(p.Cwd) {
		return nil, nil, fieldErr(path+".cwd", "%q is not absolute", p.Cwd)
	}
	if err := noNUL(path+".cwd", p.Cwd); err != nil {
		return nil, nil, err
	}

	out := &configs.Process{
		Args:            cloneStrings(p.Args),
		Env:             ProcessEnv(p.Env),
		Cwd:             p.Cwd,
		Terminal:        p.Terminal,
		NoNewPrivileges: p.NoNewPrivileges,
		ApparmorProfile: p.ApparmorProfile,
		SelinuxLabel:    p.SelinuxLabel,
	}
	if err := noNUL(path+".apparmorProfile", p.ApparmorProfile); err != nil {
		return nil, nil, err
	}
	if err := noNUL(path+".selinuxLabel", p.SelinuxLabel); err != nil {
		return nil, nil, err
	}

	// The runtime-spec says consoleSize MUST be ignored without a terminal.
	if p.Terminal && p.ConsoleSize != nil {
		if p.ConsoleSize.Height > math.MaxUint16 {
			return nil, nil, fieldErr(path+".consoleSize.height", "%d is larger than a terminal can be (%d)", p.ConsoleSize.Height, math.MaxUint16)
		}
		if p.ConsoleSize.Width > math.MaxUint16 {
			return nil, nil, fieldErr(path+".consoleSize.width", "%d is larger than a terminal can be (%d)", p.ConsoleSize.Width, math.MaxUint16)
		}
		out.ConsoleHeight = uint16(p.ConsoleSize.Height)
		out.ConsoleWidth = uint16(p.ConsoleSize.Width)
	}

	var err error
	if out.User, err = convertUser(&p.User, path+".user"); err != nil {
		return nil, nil, err
	}
	if out.Capabilities, err = convertCapabilities(p.Capabilities, path+".capabilities", opts); err != nil {
		return nil, nil, err
	}
	if out.Rlimits, err = convertRlimits(p.Rlimits, path+".rlimits"); err != nil {
		return nil, nil, err
	}
	if out.Scheduler, err = convertScheduler(p.Scheduler, path+".scheduler"); err != nil {
		return nil, nil, err
	}
	if out.IOPriority, err = convertIOPriority(p.IOPriority, path+".ioPriority"); err != nil {
		return nil, nil, err
	}

	var oom *int
	if p.OOMScoreAdj != nil {
		v := *p.OOMScoreAdj
		if v < -1000 || v > 1000 {
			return nil, nil, fieldErr(path+".oomScoreAdj", "%d is outside -1000..1000", v)
		}
		oom = &v
	}

	if out.ExecCPUAffinity, err = convertExecCPUAffinity(p.ExecCPUAffinity, path+".execCPUAffinity"); err != nil {
		return nil, nil, err
	}
	return out, oom, nil
}

// invalidID is (uid_t)-1, which setuid(2) and friends read as "leave
// unchanged", so it can never be a process's identity.
const invalidID = math.MaxUint32

func convertUser(u *specs.User, path string) (configs.User, error) {
	if u.Username != "" {
		return configs.User{}, unsupported(path+".username", "it is for Windows; use uid and gid")
	}
	if u.UID == invalidID {
		return configs.User{}, fieldErr(path+".uid", "%d is not a valid user id", u.UID)
	}
	if u.GID == invalidID {
		return configs.User{}, fieldErr(path+".gid", "%d is not a valid group id", u.GID)
	}
	for i, g := range u.AdditionalGids {
		if g == invalidID {
			return configs.User{}, fieldErr(idx(path+".additionalGids", i), "%d is not a valid group id", g)
		}
	}
	out := configs.User{UID: u.UID, GID: u.GID}
	if len(u.AdditionalGids) > 0 {
		out.AdditionalGids = slices.Clone(u.AdditionalGids)
	}
	if u.Umask != nil {
		if *u.Umask > 0o777 {
			return configs.User{}, fieldErr(path+".umask", "%#o has bits beyond 0777", *u.Umask)
		}
		m := *u.Umask
		out.Umask = &m
	}
	return out, nil
}

// Capability resolves the capability name found at path, a JSON path or a
// command-line flag, for a process the runtime is about to start. An unknown
// name is an error: it is a typo in the configuration, not a limit of the
// host. A capability the running kernel does not know (above LastCap) or
// that the runtime cannot grant (see Grantable) is logged as a warning and
// reported with ok false, so the caller leaves it out instead of failing.
func (o *Options) Capability(path, name string) (n int, ok bool, err error) {
	n, why, err := o.capability(path, name)
	if err != nil {
		return 0, false, err
	}
	if why != "" {
		o.warn("%s: %s: %s; dropped", path, name, why)
		return n, false, nil
	}
	return n, true, nil
}

// GrantCapabilities returns a copy of c with the named capabilities added
// to the bounding, effective and permitted sets, as exec's --cap does; never
// to the inheritable set, which would let them survive into programs the
// process execs (CVE-2022-29162). As in runc 1.2 and later, one the
// inheritable set already holds goes to the ambient set too: the config
// let it be inherited. Names are matched without regard to case; path
// names their source in errors and warnings.
func (o *Options) GrantCapabilities(c *configs.Capabilities, names []string, path string) (*configs.Capabilities, error) {
	nc := configs.Capabilities{}
	if c != nil {
		nc = *c
	}
	for _, name := range names {
		n, ok, err := o.Capability(path, strings.ToUpper(name))
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		nc.Bounding = append(slices.Clone(nc.Bounding), n)
		nc.Effective = append(slices.Clone(nc.Effective), n)
		nc.Permitted = append(slices.Clone(nc.Permitted), n)
		if slices.Contains(nc.Inheritable, n) && !slices.Contains(nc.Ambient, n) {
			nc.Ambient = append(slices.Clone(nc.Ambient), n)
		}
	}
	return &nc, nil
}

// capability is Capability without the warning: why says why the
// capability cannot be had ("" when it can).
func (o *Options) capability(path, name string) (n int, why string, err error) {
	n, known := capabilities.FromName(name)
	if !known {
		return 0, "", fieldErr(path, "unknown capability %q", name)
	}
	if o.LastCap > 0 && n > o.LastCap {
		return n, fmt.Sprintf("not supported by the running kernel (cap_last_cap is %d)", o.LastCap), nil
	}
	if o.Grantable != nil && !o.Grantable(n) {
		return n, "not in the runtime's own bounding set, so it cannot be granted", nil
	}
	return n, "", nil
}

// capDrops gathers the capabilities a process's sets lose, so that each
// reason is reported once per process, in one line naming every capability
// and set it concerns, whichever way the config lists them: a config
// written for a more capable host would otherwise print a line per set and
// capability on every run.
type capDrops struct {
	reasons []string
	caps    map[string][]string
	sets    map[string][]string
}

func (d *capDrops) add(why, set, name string) {
	if d.caps == nil {
		d.caps, d.sets = map[string][]string{}, map[string][]string{}
	}
	if _, ok := d.caps[why]; !ok {
		d.reasons = append(d.reasons, why)
	}
	if !slices.Contains(d.caps[why], name) {
		d.caps[why] = append(d.caps[why], name)
	}
	if !slices.Contains(d.sets[why], set) {
		d.sets[why] = append(d.sets[why], set)
	}
}

func (d *capDrops) warn(path string, opts *Options) {
	for _, why := range d.reasons {
		caps, sets := d.caps[why], d.sets[why]
		where := path + "." + sets[0]
		if len(sets) > 1 {
			where = path + " (" + strings.Join(sets, ", ") + ")"
		}
		opts.warn("%s: %s: %s; dropped", where, strings.Join(caps, ", "), why)
	}
}

func convertCapabilities(c *specs.LinuxCapabilities, path string, opts *Options) (*configs.Capabilities, error) {
	if c == nil {
		return nil, nil
	}
	var drops capDrops
	resolve := func(set string, names []string) ([]int, error) {
		var out []int
		for i, name := range names {
			n, why, err := opts.capability(idx(path+"."+set, i), name)
			if err != nil {
				return nil, err
			}
			if why != "" {
				drops.add(why, set, name)
			} else if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
		return out, nil
	}
	var (
		out configs.Capabilities
		err error
	)
	if out.Bounding, err = resolve("bounding", c.Bounding); err != nil {
		return nil, err
	}
	if out.Effective, err = resolve("effective", c.Effective); err != nil {
		return nil, err
	}
	if out.Inheritable, err = resolve("inheritable", c.Inheritable); err != nil {
		return nil, err
	}
	if out.Permitted, err = resolve("permitted", c.Permitted); err != nil {
		return nil, err
	}
	if out.Ambient, err = resolve("ambient", c.Ambient); err != nil {
		return nil, err
	}

	// capset(2) refuses an effective capability outside the permitted set,
	// and PR_CAP_AMBIENT_RAISE one outside permitted and inheritable. The
	// runtime-spec says capabilities that cannot be granted are a warning,
	// not a failure, so drop them here with a message naming them.
	out.Effective = slices.DeleteFunc(out.Effective, func(n int) bool {
		if slices.Contains(out.Permitted, n) {
			return false
		}
		drops.add("not in the permitted set, so not effective", "effective", capabilities.Name(n))
		return true
	})
	out.Ambient = slices.DeleteFunc(out.Ambient, func(n int) bool {
		if slices.Contains(out.Permitted, n) && slices.Contains(out.Inheritable, n) {
			return false
		}
		drops.add("not in both the permitted and the inheritable set, so not ambient", "ambient", capabilities.Name(n))
		return true
	})
	drops.warn(path, opts)
	return &out, nil
}

func convertRlimits(rl []specs.POSIXRlimit, path string) ([]configs.Rlimit, error) {
	if len(rl) == 0 {
		return nil, nil
	}
	out := make([]configs.Rlimit, 0, len(rl))
	seen := map[string]int{}
	for i, r := range rl {
		p := idx(path, i)
		n, ok := rlimitTypes[r.Type]
		if !ok {
			return nil, fieldErr(p+".type", "unknown rlimit %q", r.Type)
		}
		if first, dup := seen[r.Type]; dup {
			return nil, fieldErr(p+".type", "duplicate rlimit %q (also at %s)", r.Type, idx(path, first))
		}
		seen[r.Type] = i
		if r.Soft > r.Hard {
			return nil, fieldErr(p, "%s soft limit %d is above its hard limit %d", r.Type, r.Soft, r.Hard)
		}
		out = append(out, configs.Rlimit{Type: n, Hard: r.Hard, Soft: r.Soft})
	}
	return out, nil
}

func convertScheduler(s *specs.Scheduler, path string) (*configs.Scheduler, error) {
	if s == nil {
		return nil, nil
	}
	if s.Policy == "" {
		return nil, fieldErr(path+".policy", "required")
	}
	policy, ok := schedPolicies[string(s.Policy)]
	if !ok {
		return nil, fieldErr(path+".policy", "unknown scheduling policy %q (known: %s)", s.Policy, knownKeys(schedPolicies))
	}
	if s.Nice < -20 || s.Nice > 19 {
		return nil, fieldErr(path+".nice", "%d is outside -20..19", s.Nice)
	}
	realtime := s.Policy == specs.SchedFIFO || s.Policy == specs.SchedRR
	switch {
	case realtime && (s.Priority < 1 || s.Priority > 99):
		return nil, fieldErr(path+".priority", "%s needs a priority in 1..99, got %d", s.Policy, s.Priority)
	case !realtime && s.Priority != 0:
		return nil, fieldErr(path+".priority", "only SCHED_FIFO and SCHED_RR take a priority, not %s", s.Policy)
	}
	if s.Policy != specs.SchedDeadline {
		for _, f := range []struct {
			name string
			v    uint64
		}{{"runtime", s.Runtime}, {"deadline", s.Deadline}, {"period", s.Period}} {
			if f.v != 0 {
				return nil, fieldErr(path+"."+f.name, "only SCHED_DEADLINE takes a %s, not %s", f.name, s.Policy)
			}
		}
	} else {
		// sched_setattr(2): runtime <= deadline <= period (period 0 means
		// "same as deadline").
		if s.Runtime > s.Deadline {
			return nil, fieldErr(path+".runtime", "%d is larger than the deadline %d", s.Runtime, s.Deadline)
		}
		if s.Period != 0 && s.Deadline > s.Period {
			return nil, fieldErr(path+".deadline", "%d is larger than the period %d", s.Deadline, s.Period)
		}
	}
	out := &configs.Scheduler{
		Policy:   policy,
		Nice:     s.Nice,
		Priority: s.Priority,
		Runtime:  s.Runtime,
		Deadline: s.Deadline,
		Period:   s.Period,
	}
	for i, f := range s.Flags {
		bit, ok := schedFlags[string(f)]
		if !ok {
			return nil, fieldErr(idx(path+".flags", i), "unknown scheduler flag %q (known: %s)", f, knownKeys(schedFlags))
		}
		out.Flags |= bit
	}
	return out, nil
}

func convertIOPriority(p *specs.LinuxIOPriority, path string) (*configs.IOPriority, error) {
	if p == nil {
		return nil, nil
	}
	class, ok := ioprioClasses[string(p.Class)]
	if !ok {
		return nil, fieldErr(path+".class", "unknown I/O priority class %q (known: %s)", p.Class, knownKeys(ioprioClasses))
	}
	if p.Priority < 0 || p.Priority > 7 {
		return nil, fieldErr(path+".priority", "%d is outside 0..7", p.Priority)
	}
	return &configs.IOPriority{Class: class, Priority: p.Priority}, nil
}
