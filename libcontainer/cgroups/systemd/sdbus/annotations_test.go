package sdbus

import (
	"strings"
	"testing"

	"github.com/ocirun/ocirun/libcontainer/cgroups/systemd"
)

func TestAnnotationProperties(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   map[string]string
		want string // name=value;...
		err  string
	}{
		{name: "none", in: map[string]string{"other": "x"}, want: ""},
		{name: "string and bool, sorted", in: map[string]string{
			systemd.AnnotationPrefix + "Description":   "'hello'",
			systemd.AnnotationPrefix + "CPUAccounting": "true",
		}, want: "CPUAccounting=true;Description=\"hello\""},
		{name: "Sec becomes USec", in: map[string]string{systemd.AnnotationPrefix + "TimeoutStopSec": "30"}, want: "TimeoutStopUSec=@t 30000000"},
		{name: "fractional seconds", in: map[string]string{systemd.AnnotationPrefix + "RuntimeMaxSec": "1.5"}, want: "RuntimeMaxUSec=@t 1500000"},
		{name: "USec stays", in: map[string]string{systemd.AnnotationPrefix + "CPUQuotaPeriodUSec": "uint64 20000"}, want: "CPUQuotaPeriodUSec=@t 20000"},
		{name: "capital before Sec is not seconds", in: map[string]string{systemd.AnnotationPrefix + "XSec": "'a'"}, want: "XSec=\"a\""},
		{name: "seconds as a string", in: map[string]string{systemd.AnnotationPrefix + "TimeoutStopSec": "'30'"}, err: "number of seconds"},
		{name: "lower-case name", in: map[string]string{systemd.AnnotationPrefix + "timeoutStopSec": "30"}, err: "capital"},
		{name: "bad character", in: map[string]string{systemd.AnnotationPrefix + "Memory.Max": "30"}, err: "ASCII letter"},
		{name: "bad value", in: map[string]string{systemd.AnnotationPrefix + "Description": "'unterminated"}, err: "Description: value"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AnnotationProperties(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, %v; want error with %q", got, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var parts []string
			for _, p := range got {
				parts = append(parts, p.Name+"="+p.Value.String())
			}
			if s := strings.Join(parts, ";"); s != tt.want {
				t.Errorf("got %s, want %s", s, tt.want)
			}
		})
	}
}
