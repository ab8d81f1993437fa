package cgroups

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// setV1Devices brings the cgroup from what its devices.list shows to what
// the rules say with the fewest writes: an update that keeps a device
// allowed never denies it, even for a moment, which a reset to "deny
// everything" followed by a replay of the rules would (a process opening
// /dev/null then fails). runc moves between the two states the same way.
func setV1Devices(w writeFunc, dir string, devs []specs.LinuxDeviceCgroup) error {
	rules, err := deviceRules(devs)
	if err != nil {
		return err
	}
	for i, r := range rules {
		// v1 only knows "a" as a whole: it switches the default and
		// drops every exception, whatever follows the "a".
		if r.typ == 'a' && !r.all() {
			return fmt.Errorf("linux.resources.devices[%d]: cgroup v1 cannot express type \"a\" limited to some numbers or access (%q)", i, r.v1String())
		}
	}
	cur := v1DevicesUnknown
	if list, err := readFile(dir, "devices.list"); err == nil {
		cur = parseV1DevicesList(list)
	}
	writes := v1DevicesTransition(cur, emulateV1Devices(rules))
	if len(writes) > 0 && writes[0].typ == 'a' {
		// The default changes (a new cgroup, which allows everything,
		// getting its first rules): every device is denied for a moment
		// whatever is written, so write the rules as the config lists
		// them, and devices.list shows them in that order, as the spec
		// asks ("in the listed order").
		writes = rules
	}
	for _, r := range writes {
		file := "devices.deny"
		if r.allow {
			file = "devices.allow"
		}
		if err := w(dir, file, r.v1String()); err != nil {
			return err
		}
	}
	return nil
}

// v1Devices is the state of a v1 devices cgroup: a default and the
// exceptions to it, each with the accesses ('r', 'w', 'm' as bits 1, 2, 4)
// it turns the other way.
type v1Devices struct {
	allow bool
	// known is false when the exceptions cannot be read: devices.list
	// shows an allowing cgroup as "a *:* rwm" whatever it denies.
	known      bool
	exceptions map[v1DeviceKey]uint8
}

type v1DeviceKey struct {
	typ          byte
	major, minor int64
}

var v1DevicesUnknown = v1Devices{allow: true}

func v1AccessBits(s string) uint8 {
	var b uint8
	for i, c := range "rwm" {
		if strings.ContainsRune(s, c) {
			b |= 1 << i
		}
	}
	return b
}

func v1AccessString(b uint8) string {
	var s strings.Builder
	for i, c := range "rwm" {
		if b&(1<<i) != 0 {
			s.WriteRune(c)
		}
	}
	return s.String()
}

// emulateV1Devices applies the rules, in order, to a cgroup that denies
// everything, as the kernel does: "a" resets the default and drops every
// exception; a rule against the default adds its accesses to the
// exception of exactly its type and numbers, a rule with the default
// takes them away.
func emulateV1Devices(rules []deviceRule) v1Devices {
	st := v1Devices{known: true, exceptions: map[v1DeviceKey]uint8{}}
	for _, r := range rules {
		if r.typ == 'a' {
			st.allow = r.allow
			clear(st.exceptions)
			continue
		}
		k := v1DeviceKey{r.typ, r.major, r.minor}
		if r.allow != st.allow {
			st.exceptions[k] |= v1AccessBits(r.access)
		} else if b := st.exceptions[k] &^ v1AccessBits(r.access); b != 0 {
			st.exceptions[k] = b
		} else {
			delete(st.exceptions, k)
		}
	}
	return st
}

// parseV1DevicesList reads devices.list: "a *:* rwm" for a cgroup that
// allows by default (its denials are not shown), otherwise the allowed
// exceptions of a denying one.
func parseV1DevicesList(list string) v1Devices {
	st := v1Devices{known: true, exceptions: map[v1DeviceKey]uint8{}}
	for _, line := range strings.Split(strings.TrimSpace(list), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || len(f[0]) != 1 {
			continue
		}
		if f[0] == "a" {
			return v1DevicesUnknown
		}
		maj, min, ok := strings.Cut(f[1], ":")
		if !ok {
			return v1DevicesUnknown
		}
		num := func(s string) (int64, bool) {
			if s == "*" {
				return -1, true
			}
			n, err := strconv.ParseInt(s, 10, 64)
			return n, err == nil
		}
		ma, ok1 := num(maj)
		mi, ok2 := num(min)
		if !ok1 || !ok2 {
			return v1DevicesUnknown
		}
		st.exceptions[v1DeviceKey{f[0][0], ma, mi}] |= v1AccessBits(f[2])
	}
	return st
}

// v1DevicesTransition lists the writes that take a cgroup from cur to
// target: a reset only when the default changes or cur's exceptions are
// unknown, then the accesses to take away, then the ones to add.
func v1DevicesTransition(cur, target v1Devices) []deviceRule {
	var out []deviceRule
	old := cur.exceptions
	if !cur.known || cur.allow != target.allow {
		out = append(out, deviceRule{allow: target.allow, typ: 'a', major: -1, minor: -1, access: "rwm"})
		old = nil
	}
	keys := func(m map[v1DeviceKey]uint8) []v1DeviceKey {
		ks := make([]v1DeviceKey, 0, len(m))
		for k := range m {
			ks = append(ks, k)
		}
		slices.SortFunc(ks, func(a, b v1DeviceKey) int {
			if a.typ != b.typ {
				return int(a.typ) - int(b.typ)
			}
			if a.major != b.major {
				return int(a.major - b.major)
			}
			return int(a.minor - b.minor)
		})
		return ks
	}
	rule := func(k v1DeviceKey, allow bool, bits uint8) deviceRule {
		return deviceRule{allow: allow, typ: k.typ, major: k.major, minor: k.minor, access: v1AccessString(bits)}
	}
	for _, k := range keys(old) {
		if gone := old[k] &^ target.exceptions[k]; gone != 0 {
			out = append(out, rule(k, target.allow, gone))
		}
	}
	for _, k := range keys(target.exceptions) {
		if added := target.exceptions[k] &^ old[k]; added != 0 {
			out = append(out, rule(k, !target.allow, added))
		}
	}
	return out
}
