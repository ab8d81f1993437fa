package cgroups

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The bpf(2) attributes used here: leading parts of union bpf_attr, which
// the kernel accepts when the rest would be zero.

type bpfProgLoadAttr struct {
	progType           uint32
	insnCnt            uint32
	insns              uint64
	license            uint64
	logLevel           uint32
	logSize            uint32
	logBuf             uint64
	kernVersion        uint32
	progFlags          uint32
	progName           [16]byte
	progIfindex        uint32
	expectedAttachType uint32
}

type bpfProgAttachAttr struct {
	targetFd     uint32
	attachBpfFd  uint32
	attachType   uint32
	attachFlags  uint32
	replaceBpfFd uint32
}

type bpfProgQueryAttr struct {
	targetFd    uint32
	attachType  uint32
	queryFlags  uint32
	attachFlags uint32
	progIDs     uint64
	progCnt     uint32
	_           uint32
}

type bpfGetFdByIDAttr struct {
	id        uint32
	nextID    uint32
	openFlags uint32
}

func bpf(cmd int, attr unsafe.Pointer, size uintptr) (uintptr, error) {
	r, _, errno := unix.Syscall(unix.SYS_BPF, uintptr(cmd), uintptr(attr), size)
	if errno != 0 {
		return 0, errno
	}
	return r, nil
}

// installDeviceFilter loads the program for rules and attaches it to the
// cgroup at dir in place of the programs attached there before. The new
// program is attached before the old ones are detached, so the cgroup is
// never left without a filter.
func installDeviceFilter(dir string, rules []deviceRule) error {
	insns, err := deviceFilter(rules)
	if err != nil {
		return err
	}
	prog, err := loadDeviceProgram(insns)
	if err != nil {
		return fmt.Errorf("device rules for cgroup %s: %w", dir, err)
	}
	defer unix.Close(prog)

	cg, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("device rules: open cgroup %s: %w", dir, err)
	}
	defer unix.Close(cg)

	old, err := attachedDevicePrograms(cg)
	if err != nil {
		return fmt.Errorf("device rules: list the programs attached to %s: %w", dir, err)
	}
	attach := bpfProgAttachAttr{
		targetFd:    uint32(cg),
		attachBpfFd: uint32(prog),
		attachType:  unix.BPF_CGROUP_DEVICE,
		attachFlags: unix.BPF_F_ALLOW_MULTI,
	}
	if _, err := bpf(unix.BPF_PROG_ATTACH, unsafe.Pointer(&attach), unsafe.Sizeof(attach)); err != nil {
		return fmt.Errorf("device rules: attach the eBPF device filter to %s: %w", dir, err)
	}
	for _, id := range old {
		if err := detachProgram(cg, id); err != nil {
			return fmt.Errorf("device rules: detach the previous device filter (id %d) from %s: %w", id, dir, err)
		}
	}
	return nil
}

func loadDeviceProgram(insns []bpfInsn) (int, error) {
	code := encodeInsns(insns)
	license := []byte("Apache-2.0\x00")
	attr := bpfProgLoadAttr{
		progType: unix.BPF_PROG_TYPE_CGROUP_DEVICE,
		insnCnt:  uint32(len(insns)),
		insns:    uint64(uintptr(unsafe.Pointer(&code[0]))),
		license:  uint64(uintptr(unsafe.Pointer(&license[0]))),
	}
	copy(attr.progName[:], "ocirun_devices")
	fd, err := bpf(unix.BPF_PROG_LOAD, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	runtime.KeepAlive(code)
	runtime.KeepAlive(license)
	if err == nil {
		return int(fd), nil
	}
	// Load again with the verifier's log, to say why.
	log := make([]byte, 64*1024)
	attr.logLevel = 1
	attr.logSize = uint32(len(log))
	attr.logBuf = uint64(uintptr(unsafe.Pointer(&log[0])))
	fd, err2 := bpf(unix.BPF_PROG_LOAD, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	runtime.KeepAlive(code)
	runtime.KeepAlive(license)
	runtime.KeepAlive(log)
	if err2 == nil {
		return int(fd), nil
	}
	end := bytes.IndexByte(log, 0)
	if end < 0 {
		end = len(log)
	}
	msg := string(bytes.TrimRight(log[:end], "\n"))
	if errors.Is(err, unix.EPERM) {
		return -1, fmt.Errorf("load the eBPF device filter: %w (needs CAP_SYS_ADMIN or CAP_BPF)", err)
	}
	if msg != "" {
		return -1, fmt.Errorf("load the eBPF device filter: %w (verifier: %s)", err, lastLines(msg, 3))
	}
	return -1, fmt.Errorf("load the eBPF device filter: %w", err)
}

func lastLines(s string, n int) string {
	lines := bytes.Split([]byte(s), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("; ")))
}

// attachedDevicePrograms lists the ids of the device programs attached to
// the cgroup itself (not those inherited from its ancestors).
func attachedDevicePrograms(cg int) ([]uint32, error) {
	ids := make([]uint32, 64)
	for {
		q := bpfProgQueryAttr{
			targetFd:   uint32(cg),
			attachType: unix.BPF_CGROUP_DEVICE,
			progIDs:    uint64(uintptr(unsafe.Pointer(&ids[0]))),
			progCnt:    uint32(len(ids)),
		}
		_, err := bpf(unix.BPF_PROG_QUERY, unsafe.Pointer(&q), unsafe.Sizeof(q))
		runtime.KeepAlive(ids)
		if errors.Is(err, unix.ENOSPC) {
			ids = make([]uint32, 2*len(ids))
			continue
		}
		if err != nil {
			return nil, err
		}
		return ids[:q.progCnt], nil
	}
}

func detachProgram(cg int, id uint32) error {
	get := bpfGetFdByIDAttr{id: id}
	fd, err := bpf(unix.BPF_PROG_GET_FD_BY_ID, unsafe.Pointer(&get), unsafe.Sizeof(get))
	if errors.Is(err, unix.ENOENT) {
		return nil // already gone
	}
	if err != nil {
		return err
	}
	defer unix.Close(int(fd))
	detach := bpfProgAttachAttr{
		targetFd:    uint32(cg),
		attachBpfFd: uint32(fd),
		attachType:  unix.BPF_CGROUP_DEVICE,
	}
	_, err = bpf(unix.BPF_PROG_DETACH, unsafe.Pointer(&detach), unsafe.Sizeof(detach))
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	return err
}
