package sdbus

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	sd "github.com/coreos/go-systemd/v22/dbus"
	godbus "github.com/godbus/dbus/v5"

	"github.com/ocirun/ocirun/libcontainer/cgroups/systemd"
)

// AnnotationProperties reads the org.systemd.property.* annotations
// (systemd.AnnotationPrefix), in key order. As systemd-run does, a
// property documented in seconds ("...Sec", after a lower-case letter) is
// sent as the microseconds one ("...USec") that the D-Bus API has.
func AnnotationProperties(annotations map[string]string) ([]sd.Property, error) {
	var keys []string
	for k := range annotations {
		if strings.HasPrefix(k, systemd.AnnotationPrefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out []sd.Property
	for _, k := range keys {
		name := strings.TrimPrefix(k, systemd.AnnotationPrefix)
		if err := checkPropertyName(name); err != nil {
			return nil, fmt.Errorf("annotation %s: property name: %w", k, err)
		}
		v, err := godbus.ParseVariant(annotations[k], godbus.Signature{})
		if err != nil {
			return nil, fmt.Errorf("annotation %s: value %q: %w", k, annotations[k], err)
		}
		if base, ok := strings.CutSuffix(name, "Sec"); ok && base != "" && base[len(base)-1] >= 'a' && base[len(base)-1] <= 'z' {
			usec, err := secondsToUsec(v)
			if err != nil {
				return nil, fmt.Errorf("annotation %s: value %q: %w", k, annotations[k], err)
			}
			name, v = base+"USec", godbus.MakeVariant(usec)
		}
		out = append(out, sd.Property{Name: name, Value: v})
	}
	return out, nil
}

// checkPropertyName accepts what systemd's property names look like:
// ASCII letters, starting with a capital.
func checkPropertyName(s string) error {
	if len(s) < 2 {
		return errors.New("too short")
	}
	if s[0] < 'A' || s[0] > 'Z' {
		return fmt.Errorf("%q does not start with a capital letter", s)
	}
	for _, c := range s {
		if (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') {
			return fmt.Errorf("%q has a character other than an ASCII letter", s)
		}
	}
	return nil
}

func secondsToUsec(v godbus.Variant) (uint64, error) {
	const M = 1000000
	var n float64
	switch x := v.Value().(type) {
	case byte:
		n = float64(x)
	case int16:
		n = float64(x)
	case uint16:
		n = float64(x)
	case int32:
		n = float64(x)
	case uint32:
		n = float64(x)
	case int64:
		n = float64(x)
	case uint64:
		return x * M, nil
	case float64:
		n = x
	default:
		return 0, fmt.Errorf("a number of seconds is needed, not a %s", v.Signature())
	}
	if n < 0 {
		return 0, errors.New("a negative number of seconds")
	}
	return uint64(n * M), nil
}
