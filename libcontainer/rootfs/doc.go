// Package rootfs builds the container's view of the filesystem. Package
// inside calls it as root, possibly root of a new user namespace, inside the
// container's new mount namespace and before any privilege is dropped: from
// stage 1 of the container init, or from a thread of the runtime that
// entered the namespaces of the init (package initproto says when):
//
//	Prepare(cfg, opts)   before the createRuntime / createContainer hooks
//	  1. "/" becomes a recursive slave (or cfg.RootPropagation, but private
//	     for an unbindable one, which step 2 could not bind): from here on
//	     no mount made for the container propagates back to the host, while
//	     the host's later mounts may still reach the container.
//	     If the mount holding the rootfs is still shared (a shared root
//	     propagation) it becomes private: pivot_root refuses otherwise.
//	  2. cfg.Rootfs is bound on itself (MS_BIND|MS_REC): pivot_root needs a
//	     mount point, and mounts below now land on a mount of our own.
//	  3. cfg.Mounts, in order (each may build on the previous ones); a
//	     procfs comes from Options.MakeProc when the caller is not in the
//	     container's PID namespace.
//	  4. Unless /dev is bound from the host: cfg.Devices (mknod, or a bind of
//	     the host's node where mknod is not allowed, as in a user namespace)
//	     and the links /dev/fd, /dev/std{in,out,err}, /dev/ptmx -> pts/ptmx
//	     and /dev/core when the host has /proc/kcore.
//	  5. A /dev mounted with ro is mounted writable in 3 and made read-only
//	     now that its devices and mount points exist.
//	  [the runtime runs createRuntime hooks, the init createContainer hooks:
//	   they see the finished tree at its host path]
//	Finish(cfg, noPivot)  after the hooks
//	  1. pivot_root into the rootfs, from the mount namespace's root even
//	     when the runtime runs in a chroot (else the host's / would stay
//	     above the container's root), and detach the old root (made rslave
//	     first, so the detach does not propagate); with noPivot, the host's
//	     mounts outside the rootfs are detached, the rootfs is moved onto "/"
//	     and chroot'ed into.
//	  2. maskedPaths, 3. readonlyPaths, 4. a read-only root,
//	  5. the root propagation again, now on the new "/".
//	  These come after the hooks so that nothing a hook mounts can undo them,
//	  and after the pivot so that the paths are the container's own.
//	MountConsole(slave)   after Finish, when the process has a terminal.
//
// # Paths inside the rootfs are hostile
//
// The rootfs and the volumes bound into it belong to the container, which
// may have planted symlinks ("/proc -> /", "data -> /etc") or may change them
// while the runtime works (CVE-2021-30465). Every destination is therefore
// resolved inside the rootfs, following symlinks as if the rootfs were "/"
// (openat2 RESOLVE_IN_ROOT; filepath-securejoin's pathrs-lite on kernels
// without openat2), created there if missing, and opened as an O_PATH
// handle; the mount goes onto "/proc/self/fd/N" of that handle, so a later swap of a path component
// cannot redirect it. Before pivot_root /proc is the host's; after it, it is
// the container's procfs, and when the container has none, mounts go onto the
// resolved paths instead: resolution cannot leave the container then, and no
// container process runs yet. proc and sysfs must be mounted on a directory
// reached without any symlink (CVE-2019-19921, CVE-2023-27561), and a masked
// file gets the container's /dev/null only after checking it is the null
// device.
//
// # Bind mounts
//
// MS_BIND ignores every other flag, so a bind with ro, nosuid, nodev,
// noexec or an atime flag is followed by a remount (MS_REMOUNT|MS_BIND) of
// the new mount. That remount repeats the source's ro/nosuid/nodev/noexec
// unless the options cleared them: in a user namespace they are locked and
// dropping one fails with EPERM. The recursive options (rro, rnosuid, ...)
// are applied with mount_setattr(AT_RECURSIVE), then the propagation flags.
// A remount or propagation change needs the new mount itself, which a
// handle opened before the mount does not name: the destination is looked up
// again and its mount id compared with the old one.
//
// # Not done here
//
// cfg.MountLabel becomes a context= option of the tmpfs, devpts and mqueue
// mounts; the init refuses it beforehand on a host without SELinux.
//
// # Testing
//
// The calls that change the mount table or create nodes go through a small
// kernel interface: the unit tests record them for a given config against
// real temporary directories, without root. Tests that need root re-run the
// test binary in a new mount namespace and build real containers' trees.
package rootfs
