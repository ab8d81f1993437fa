package libcontainer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

// moveNetDevices moves each of devs from the runtime's network namespace
// into the one of process pid (the container's new one), under its name in
// the container, carries over its permanent global addresses (the kernel
// drops every address of a device that changes namespace) and sets it up,
// as the runtime-spec asks. Nothing moves it back: when the namespace goes,
// the kernel returns physical devices to the initial namespace and destroys
// virtual ones (a veth with its peer).
//
// This is rtnetlink spoken directly with x/sys/unix: the runtime needs five
// requests, which do not justify a netlink library.
func moveNetDevices(devs []configs.NetDevice, pid int) error {
	if len(devs) == 0 {
		return nil
	}
	nsFd, err := unix.Open("/proc/"+strconv.Itoa(pid)+"/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("linux.netDevices: open the container's network namespace: %w", err)
	}
	defer unix.Close(nsFd)
	host, err := openRtnl(-1)
	if err != nil {
		return fmt.Errorf("linux.netDevices: %w", err)
	}
	defer host.close()
	ctr, err := openRtnl(nsFd)
	if err != nil {
		return fmt.Errorf("linux.netDevices: in the container's network namespace: %w", err)
	}
	defer ctr.close()
	for _, d := range devs {
		if err := moveNetDevice(host, ctr, nsFd, d); err != nil {
			return fmt.Errorf("linux.netDevices[%q]: %w", d.HostName, err)
		}
	}
	return nil
}

func moveNetDevice(host, ctr *rtnl, nsFd int, d configs.NetDevice) error {
	index, _, err := host.link(d.HostName, 0)
	if err != nil {
		return fmt.Errorf("find the device: %w", err)
	}
	// The kernel moves the device first and renames it after, so a name
	// already taken would leave it moved under its host name: check first.
	// Nothing runs in the new namespace yet to take the name meanwhile.
	if !strings.Contains(d.Name, "%d") {
		if _, _, err := ctr.link(d.Name, 0); err == nil {
			return fmt.Errorf("the container already has a device named %q", d.Name)
		} else if !errors.Is(err, unix.ENODEV) {
			return fmt.Errorf("look for %q in the container: %w", d.Name, err)
		}
	}
	addrs, err := host.permanentAddrs(index)
	if err != nil {
		return fmt.Errorf("list its addresses: %w", err)
	}
	move := ifinfo(index, 0, 0)
	move = appendAttr(move, unix.IFLA_NET_NS_FD, binary.NativeEndian.AppendUint32(nil, uint32(nsFd)))
	move = appendAttr(move, unix.IFLA_IFNAME, append([]byte(d.Name), 0))
	if _, err := host.request(unix.RTM_NEWLINK, 0, move); err != nil {
		return fmt.Errorf("move it into the container's network namespace as %q: %w", d.Name, err)
	}
	// The kernel keeps the index when the new namespace has it free, and
	// fills in a "%d" template; the name finds the device otherwise.
	var newIndex int32
	name := d.Name
	if strings.Contains(d.Name, "%d") {
		newIndex, name, err = ctr.link("", index)
	} else {
		newIndex, _, err = ctr.link(d.Name, 0)
	}
	if err != nil {
		return fmt.Errorf("find it in the container as %q: %w", d.Name, err)
	}
	for _, a := range addrs {
		binary.NativeEndian.PutUint32(a[4:8], uint32(newIndex))
		if _, err := ctr.request(unix.RTM_NEWADDR, unix.NLM_F_CREATE|unix.NLM_F_REPLACE, a); err != nil {
			return fmt.Errorf("restore address of %s in the container: %w", name, err)
		}
	}
	if _, err := ctr.request(unix.RTM_NEWLINK, 0, ifinfo(newIndex, unix.IFF_UP, unix.IFF_UP)); err != nil {
		return fmt.Errorf("set %s up in the container: %w", name, err)
	}
	return nil
}

// rtnl is a NETLINK_ROUTE socket, bound to the network namespace it was
// made in.
type rtnl struct {
	fd  int
	seq uint32
}

// openRtnl opens a route netlink socket in the runtime's network namespace
// (nsFd < 0) or in nsFd's. A socket stays in the namespace it was created
// in, so only its creation needs the namespace: a locked thread enters it
// and comes back. A thread that cannot come back is left locked, and Go
// ends it with its goroutine.
func openRtnl(nsFd int) (*rtnl, error) {
	if nsFd < 0 {
		return newRtnl()
	}
	type result struct {
		r   *rtnl
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		own, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{err: fmt.Errorf("open own network namespace: %w", err)}
			return
		}
		defer unix.Close(own)
		if err := unix.Setns(nsFd, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			ch <- result{err: fmt.Errorf("enter the network namespace: %w", err)}
			return
		}
		r, err := newRtnl()
		if e := unix.Setns(own, unix.CLONE_NEWNET); e != nil {
			if r != nil {
				r.close()
			}
			ch <- result{err: fmt.Errorf("return to the runtime's network namespace: %w", e)}
			return // still locked: the thread ends with this goroutine
		}
		runtime.UnlockOSThread()
		ch <- result{r, err}
	}()
	res := <-ch
	return res.r, res.err
}

func newRtnl() (*rtnl, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("open a route netlink socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("bind the route netlink socket: %w", err)
	}
	return &rtnl{fd: fd}, nil
}

func (r *rtnl) close() { unix.Close(r.fd) }

// request sends one message and collects the payloads of the reply: every
// part of a dump (NLM_F_DUMP in flags), or the answer and acknowledgement
// of anything else.
func (r *rtnl) request(typ uint16, flags uint16, body []byte) ([][]byte, error) {
	r.seq++
	dump := flags&unix.NLM_F_DUMP == unix.NLM_F_DUMP
	if !dump {
		flags |= unix.NLM_F_ACK
	}
	msg := make([]byte, unix.SizeofNlMsghdr, unix.SizeofNlMsghdr+len(body))
	hdr := (*unix.NlMsghdr)(unsafe.Pointer(&msg[0]))
	*hdr = unix.NlMsghdr{Len: uint32(unix.SizeofNlMsghdr + len(body)), Type: typ, Flags: unix.NLM_F_REQUEST | flags, Seq: r.seq}
	msg = append(msg, body...)
	if err := unix.Sendto(r.fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, fmt.Errorf("netlink send: %w", err)
	}
	var out [][]byte
	buf := make([]byte, 1<<16)
	for {
		n, _, err := unix.Recvfrom(r.fd, buf, 0)
		if err != nil {
			return nil, fmt.Errorf("netlink receive: %w", err)
		}
		for b := buf[:n]; len(b) >= unix.SizeofNlMsghdr; {
			h := *(*unix.NlMsghdr)(unsafe.Pointer(&b[0]))
			if h.Len < unix.SizeofNlMsghdr || int(h.Len) > len(b) {
				return nil, errors.New("netlink reply: malformed message")
			}
			data := b[unix.SizeofNlMsghdr:h.Len]
			next := (int(h.Len) + unix.NLMSG_ALIGNTO - 1) &^ (unix.NLMSG_ALIGNTO - 1)
			b = b[min(next, len(b)):]
			if h.Seq != r.seq {
				continue
			}
			switch h.Type {
			case unix.NLMSG_DONE:
				return out, nil
			case unix.NLMSG_ERROR:
				if len(data) < 4 {
					return nil, errors.New("netlink reply: short error message")
				}
				if e := int32(binary.NativeEndian.Uint32(data[:4])); e != 0 {
					return nil, unix.Errno(-e)
				}
				return out, nil
			}
			out = append(out, append([]byte(nil), data...))
		}
	}
}

// link looks a device up by name, or by index when name is "", and returns
// its index and name.
func (r *rtnl) link(name string, index int32) (int32, string, error) {
	body := ifinfo(index, 0, 0)
	if name != "" {
		body = appendAttr(body, unix.IFLA_IFNAME, append([]byte(name), 0))
	}
	replies, err := r.request(unix.RTM_GETLINK, 0, body)
	if err != nil {
		return 0, "", err
	}
	for _, m := range replies {
		if len(m) < unix.SizeofIfInfomsg {
			continue
		}
		info := (*unix.IfInfomsg)(unsafe.Pointer(&m[0]))
		got := name
		for typ, val := range attrs(m[unix.SizeofIfInfomsg:]) {
			if typ == unix.IFLA_IFNAME {
				got = strings.TrimRight(string(val), "\x00")
			}
		}
		return info.Index, got, nil
	}
	return 0, "", unix.ENODEV
}

// permanentAddrs returns, ready to be sent again with RTM_NEWADDR, the
// addresses of device index that the runtime-spec asks to keep: permanent
// (not from autoconfiguration or DHCP) and of global scope.
func (r *rtnl) permanentAddrs(index int32) ([][]byte, error) {
	replies, err := r.request(unix.RTM_GETADDR, unix.NLM_F_DUMP, make([]byte, unix.SizeofIfAddrmsg))
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, m := range replies {
		if len(m) < unix.SizeofIfAddrmsg {
			continue
		}
		a := *(*unix.IfAddrmsg)(unsafe.Pointer(&m[0]))
		if int32(a.Index) != index || a.Scope != unix.RT_SCOPE_UNIVERSE {
			continue
		}
		flags := uint32(a.Flags)
		keep := make([]byte, unix.SizeofIfAddrmsg)
		copy(keep, m[:unix.SizeofIfAddrmsg])
		for typ, val := range attrs(m[unix.SizeofIfAddrmsg:]) {
			switch typ {
			case unix.IFA_FLAGS:
				if len(val) >= 4 {
					flags = binary.NativeEndian.Uint32(val)
				}
				keep = appendAttr(keep, typ, val)
			case unix.IFA_ADDRESS, unix.IFA_LOCAL, unix.IFA_BROADCAST:
				keep = appendAttr(keep, typ, val)
			}
		}
		if flags&unix.IFA_F_PERMANENT != 0 {
			out = append(out, keep)
		}
	}
	return out, nil
}

// ifinfo is an ifinfomsg for device index, changing the flags in change to
// their value in flags.
func ifinfo(index int32, flags, change uint32) []byte {
	b := make([]byte, unix.SizeofIfInfomsg)
	*(*unix.IfInfomsg)(unsafe.Pointer(&b[0])) = unix.IfInfomsg{Family: unix.AF_UNSPEC, Index: index, Flags: flags, Change: change}
	return b
}

// appendAttr appends a route attribute, padded to the netlink alignment.
func appendAttr(b []byte, typ uint16, val []byte) []byte {
	n := unix.SizeofRtAttr + len(val)
	b = binary.NativeEndian.AppendUint16(b, uint16(n))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, val...)
	for ; n%unix.NLMSG_ALIGNTO != 0; n++ {
		b = append(b, 0)
	}
	return b
}

// attrs iterates over route attributes; a malformed one ends the walk.
func attrs(b []byte) func(yield func(uint16, []byte) bool) {
	return func(yield func(uint16, []byte) bool) {
		for len(b) >= unix.SizeofRtAttr {
			n := int(binary.NativeEndian.Uint16(b[0:2]))
			typ := binary.NativeEndian.Uint16(b[2:4])
			if n < unix.SizeofRtAttr || n > len(b) {
				return
			}
			if !yield(typ, b[unix.SizeofRtAttr:n]) {
				return
			}
			n = (n + unix.NLMSG_ALIGNTO - 1) &^ (unix.NLMSG_ALIGNTO - 1)
			if n > len(b) {
				return
			}
			b = b[n:]
		}
	}
}
