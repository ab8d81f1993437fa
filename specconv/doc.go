// Package specconv turns an OCI runtime bundle's config.json (runtime-spec
// v1.3.0) into the runtime's internal configs.Config, and checks it on the
// way.
//
// The package is pure: it never calls into the kernel or reads host state.
// What it needs to know about the host (the bundle directory, the cgroup
// driver, the kernel's last capability, the capabilities the runtime can
// grant) comes in Options, so every rule can be tested without root.
//
// # Errors
//
// Every validation error is an *Error whose text starts with the JSON path of
// the offending field, e.g.
//
//	linux.namespaces[2].type: unknown namespace "foo"
//	mounts[3].destination: "tmp" is not absolute
//	process.capabilities.bounding[1]: unknown capability "CAP_FOO"
//
// so the one line an engine shows its user points at the field to fix.
// Problems the runtime-spec says must not fail a container (a capability the
// running kernel does not know, a capability that cannot be granted) are
// reported through Options.Warn and dropped instead.
//
// # Fields
//
// Every field of config.json is either translated, or rejected with an error
// naming it; none is ignored silently. Rejected because ocirun does not
// implement them: linux.intelRdt, the solaris, windows, vm, zos and freebsd sections,
// and the Windows-only process.commandLine and process.user.username.
// process.execCPUAffinity is kept in the config's process, which exec
// starts from, but never applied to the init (the runtime-spec says it does
// not apply there). A mount namespace, new or joined by path, is required:
// the root filesystem is never built in the runtime's own.
//
// Values that the cgroup code interprets (linux.resources, apart from the
// device rules and the simple ranges checked here) are copied through for it
// to decide.
//
// # Host checks left to the runtime
//
// Being pure, this package cannot tell whether a namespace path really is a
// namespace of that type, whether a network namespace joined by path is the
// host's own (net.* sysctls are then not allowed), whether the mappings given
// next to a joined user namespace match it, or whether root.path exists.
package specconv
