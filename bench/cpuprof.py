#!/usr/bin/env python3
"""Inclusive/self CPU profile of one process name from a `perf record -g`.

    python3 bench/cpuprof.py PERF_DATA BINARY COMM [TOP]

The container init runs from a detached bind mount of the binary (see
sealedBinary in libcontainer/launch.go), so perf names its mapping "/" and
cannot symbolise it; frames of such mappings are resolved here with
`go tool nm` on BINARY (ocirun-init for the init: a static, non-PIE
executable, text at 0x400000).
The init's COMM is the fd number it was executed from ("13"), not "ocirun".
"""

import bisect
import collections
import os
import re
import shutil
import subprocess
import sys

FRAME = re.compile(r"\s+([0-9a-f]+)\s+(.*?)\s+\((.*)\)$")


def go_tool():
    for cand in (shutil.which("go"), "/usr/local/go/bin/go"):
        if cand and os.path.exists(cand):
            return cand
    sys.exit("cpuprof: no go tool to read the symbol table")


def symbols(binary):
    out = subprocess.run([go_tool(), "tool", "nm", "-n", binary],
                         capture_output=True, text=True, check=True).stdout
    addrs, names = [], []
    for line in out.splitlines():
        p = line.split()
        if len(p) >= 3 and p[-2] in ("T", "t"):
            addrs.append(int(p[0], 16))
            names.append(p[-1])
    return addrs, names


def main():
    data, binary, comm = sys.argv[1:4]
    top = int(sys.argv[4]) if len(sys.argv) > 4 else 50
    addrs, names = symbols(binary)

    def resolve(ip):
        a = int(ip, 16)
        if a < 0x400000:  # perf printed a mapping-relative address
            a += 0x400000
        i = bisect.bisect_right(addrs, a) - 1
        return names[i] if i >= 0 else hex(a)

    out = subprocess.run(["perf", "script", "-i", data, "--comm", comm, "-F", "ip,sym,dso"],
                         capture_output=True, text=True, check=True).stdout
    samples, cur = [], []
    for line in out.splitlines():
        if not line.strip():
            if cur:
                samples.append(cur)
            cur = []
            continue
        m = FRAME.match(line)
        if not m:
            continue
        ip, sym, dso = m.groups()
        if sym.startswith("[unknown]") or dso == "/":
            sym = resolve(ip)
        else:
            sym = re.sub(r"\+0x[0-9a-f]+$", "", sym)
        if dso.startswith("[kernel"):
            sym = "[k] " + sym
        cur.append(sym)
    if cur:
        samples.append(cur)
    incl, self_ = collections.Counter(), collections.Counter()
    for s in samples:
        self_[s[0]] += 1
        for f in set(s):
            incl[f] += 1
    n = len(samples) or 1
    print(f"{comm}: {len(samples)} samples; inclusive% self% function")
    for f, c in incl.most_common(top):
        if f.startswith(("[k] entry_SYSCALL", "[k] do_syscall_64")):
            continue
        print(f"{100 * c / n:6.2f} {100 * self_[f] / n:6.2f}  {f}")


if __name__ == "__main__":
    main()
