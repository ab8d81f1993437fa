// Package hostcheck tries, on this host, what the runtime needs to create
// containers, and reports each item as ok, degraded or missing with the
// reason and the fix ("ocirun check"). It tries rather than guesses: each
// namespace is created and joined through the init's own stage 0, the
// cgroup is created and removed through the cgroup manager, pivot_root,
// tmpfs, overlay, seccomp and no_new_privs are done in a throwaway child in
// a private mount namespace (see probe.go). Nothing is left behind.
//
// With a bundle, its config is translated and checked with the same code
// create uses (LoadBundle, CheckHost), without creating a container, and the
// filesystems it uses are tried.
package hostcheck

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Status is the verdict on one item.
type Status string

const (
	// OK: works as the runtime needs it.
	OK Status = "ok"
	// Degraded: works partly, or is absent but only optional features or
	// ones this run does not use need it.
	Degraded Status = "degraded"
	// Missing: create will fail (for this bundle, when one is given).
	Missing Status = "missing"
)

// Item is one checked thing.
type Item struct {
	Group  string `json:"group"`  // "namespaces", "cgroups", "bundle", ...
	Name   string `json:"name"`   // "net", "pivot_root /run/ocirun", ...
	Status Status `json:"status"` // ok, degraded or missing
	Detail string `json:"detail"` // what was found or the error met
	Fix    string `json:"fix,omitempty"`
}

// Options say what to check.
type Options struct {
	// Root is the state directory (--root).
	Root string
	// Bundle, if set, is a bundle directory whose config is checked.
	Bundle string
	// Systemd says the systemd cgroup driver would be used.
	Systemd bool
	// Rootless is the runtime's --rootless mode: then a cgroup that is
	// not delegated only degrades containers (no limits).
	Rootless bool
}

// Report is the outcome of Run.
type Report struct {
	Items []Item `json:"items"`
}

// Failed reports whether any item is missing: the exit status of "ocirun
// check" is 1 then.
func (r *Report) Failed() bool {
	for _, it := range r.Items {
		if it.Status == Missing {
			return true
		}
	}
	return false
}

func (r *Report) add(group, name string, st Status, detail, fix string) {
	r.Items = append(r.Items, Item{Group: group, Name: name, Status: st, Detail: detail, Fix: fix})
}

// ok, degraded and missing add an item of that status.
func (r *Report) ok(group, name, detail string) { r.add(group, name, OK, detail, "") }
func (r *Report) degraded(group, name, detail, fix string) {
	r.add(group, name, Degraded, detail, fix)
}
func (r *Report) missing(group, name, detail, fix string) { r.add(group, name, Missing, detail, fix) }

// result adds an ok item when err is nil and one of status bad otherwise.
func (r *Report) result(group, name string, err error, okDetail string, bad Status, fix string) {
	if err == nil {
		r.ok(group, name, okDetail)
		return
	}
	r.add(group, name, bad, oneLine(err.Error()), fix)
}

func oneLine(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), "\n", "; ") }

// WriteTable prints the report for a person: one line per item, the fix
// indented below it, and a summary line.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	group := ""
	counts := map[Status]int{}
	for _, it := range r.Items {
		counts[it.Status]++
		if it.Group != group {
			group = it.Group
			fmt.Fprintf(tw, "%s\t\t\n", group)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", it.Name, it.Status, it.Detail)
		if it.Fix != "" {
			fmt.Fprintf(tw, "  \t\tfix: %s\n", it.Fix)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d ok, %d degraded, %d missing\n", counts[OK], counts[Degraded], counts[Missing])
	return err
}
