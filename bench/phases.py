#!/usr/bin/env python3
"""Phase breakdown of `ocirun run` from kernel tracepoints (bench/profile.sh).

    python3 bench/phases.py PERF_DATA RUNTIME_PATH

PERF_DATA was recorded with the tracepoints listed in profile.sh around a
loop of `RUNTIME run`; each run starts at the exec of RUNTIME_PATH. Only a
few dozen events fire per run, so the timings are close to untraced ones
(strace and perf trace slow a run down 2-10x). The phases are the gaps
between consecutive landmarks; a landmark missing from a run (runc and crun
order their work differently) drops that run from the phases that need it.
"""

import collections
import re
import statistics
import subprocess
import sys

EVENT = re.compile(r"^\s*(.+?)\s+(\d+)\s+([\d.]+):\s+(\S+):\s*(.*)$")


def runs(data, exe):
    out = subprocess.run(["perf", "script", "-i", data, "-F", "comm,tid,time,event,trace"],
                         capture_output=True, text=True, check=True).stdout
    cur = None
    for line in out.splitlines():
        m = EVENT.match(line)
        if not m:
            continue
        comm, tid, t, ev, tr = m.groups()
        e = (float(t) * 1000, comm.strip(), int(tid), ev, tr)
        if ev == "sched:sched_process_exec" and tr.startswith("filename=" + exe + " "):
            if cur:
                yield cur
            cur = [e]
        elif cur:
            cur.append(e)
    if cur:
        yield cur


def landmarks(r):
    """Times of the landmarks of one run, or None where absent."""
    start, main = r[0][0], r[0][2]

    def first(pred, after=float("-inf")):
        return next((e[0] for e in r if e[0] >= after and pred(e)), None)

    lm = {"start": start}
    lm["bind"] = first(lambda e: e[3] == "syscalls:sys_enter_bind")
    lm["init exec"] = first(lambda e: e[3] == "sched:sched_process_exec" and e[2] != main
                            and "/bin/true" not in e[4])
    lm["cgroup mkdir"] = first(lambda e: e[3] == "cgroup:cgroup_mkdir")
    lm["cgroup attach"] = first(lambda e: e[3] == "cgroup:cgroup_attach_task")
    lm["unshare done"] = first(lambda e: e[3] == "syscalls:sys_exit_unshare")
    lm["first mount"] = first(lambda e: e[3] == "syscalls:sys_enter_mount")
    lm["pivot_root"] = first(lambda e: e[3] == "syscalls:sys_enter_pivot_root")
    lm["sethostname"] = first(lambda e: e[3] == "syscalls:sys_enter_sethostname")
    lm["start connect"] = first(lambda e: e[3] == "syscalls:sys_enter_connect",
                                lm["sethostname"] or start)
    lm["exec /bin/true"] = first(lambda e: e[3] == "sched:sched_process_exec" and "/bin/true" in e[4])
    lm["/bin/true exit"] = first(lambda e: e[3] == "sched:sched_process_exit" and e[1] == "true")
    lm["runtime exit"] = first(lambda e: e[3] == "sched:sched_process_exit" and e[2] == main)
    return lm


PHASES = [
    ("start", "bind", "runtime start, CLI, config load and conversion, state dir"),
    ("bind", "init exec", "seal the binary, fork+exec the init"),
    ("init exec", "cgroup mkdir", "parent: cgroup paths (mountinfo)"),
    ("cgroup mkdir", "cgroup attach", "cgroup mkdirs + first cgroup.procs write (RCU grace period)"),
    ("cgroup attach", "unshare done", "cgroup limits, bootstrap message, unshare()"),
    ("unshare done", "first mount", "fork stage 1, Go runtime start, config sent and decoded"),
    ("first mount", "pivot_root", "mounts of config.json, devices"),
    ("pivot_root", "sethostname", "masked and read-only paths, hostname"),
    ("sethostname", "start connect", "ready, state.json written, start connects"),
    ("start connect", "exec /bin/true", "finalize: capabilities, rlimits, seccomp, exec"),
    ("exec /bin/true", "/bin/true exit", "the container process itself"),
    ("/bin/true exit", "runtime exit", "reap, delete (cgroups, state dir), exit"),
    ("start", "runtime exit", "TOTAL"),
]


def main():
    data, exe = sys.argv[1], sys.argv[2]
    per = collections.defaultdict(list)
    n = 0
    for r in runs(data, exe):
        n += 1
        lm = landmarks(r)
        for a, b, _ in PHASES:
            if lm.get(a) is not None and lm.get(b) is not None and lm[b] >= lm[a]:
                per[(a, b)].append(lm[b] - lm[a])
    print(f"{exe}: {n} runs (median ms, min, runs with both landmarks)")
    for a, b, what in PHASES:
        v = per.get((a, b))
        if v:
            print(f"  {statistics.median(v):7.2f} {min(v):7.2f} {len(v):4d}  {a} -> {b}: {what}")
        else:
            print(f"  {'—':>7} {'':7} {0:4d}  {a} -> {b}: {what}")


if __name__ == "__main__":
    main()
