#!/usr/bin/env python3
"""Turn the raw measurements of bench/bench.sh (in its temp dir T) into the
markdown report: python3 bench/report.py T > RESULTS.md"""

import glob
import json
import os
import statistics
import sys

RTS = ["ocirun", "runc", "crun"]
WALL_RATIO_MAX = 1.0  # ocirun/crun, wall time
CPU_RATIO_MAX = 1.2  # ocirun/crun, user+sys
HOLDER_MAX_KIB = 3 * 1024
FLAT_MAX = 1.2  # mean of the last 10 / first 10 create+start


def load_env(path):
    env = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("=")
            env[k] = v
    return env


def load_metrics(path):
    m = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) == 3:
                    m[(parts[0], parts[1])] = parts[2]
    return m


def load_hf(t):
    """{bench: {rt: {"median": s, "cpu": s, "n": runs} or None if it failed}}"""
    out = {}
    for d in sorted(glob.glob(os.path.join(t, "json", "*"))):
        name = os.path.basename(d)
        per = {}
        rts = {os.path.basename(p).split(".")[0] for p in glob.glob(os.path.join(d, "*"))}
        for rt in rts:
            if os.path.exists(os.path.join(d, rt + ".failed")):
                per[rt] = None
                continue
            times, cpu_weighted, n = [], 0.0, 0
            for p in sorted(glob.glob(os.path.join(d, rt + ".*.json"))):
                with open(p) as f:
                    r = json.load(f)["results"][0]
                times += r["times"]
                k = len(r["times"])
                cpu_weighted += (r["user"] + r["system"]) * k
                n += k
            if n:
                per[rt] = {"median": statistics.median(times), "cpu": cpu_weighted / n, "n": n}
        out[name] = per
    return out


def ms(v):
    return "—" if v is None else f"{v * 1000:.2f}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt_ratio(r):
    return "—" if r is None else f"{r:.2f}"


def verdict(ok):
    if ok is None:
        return "n/a"
    return "met" if ok else "**not met**"


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def main():
    t = sys.argv[1]
    env = load_env(os.path.join(t, "machine.env"))
    m = load_metrics(os.path.join(t, "metrics.tsv"))
    hf = load_hf(t)
    n = env.get("N", "100")
    targets = []  # (target, value, ok)
    L = []
    p = L.append

    p("# ocirun benchmark: ocirun vs runc vs crun")
    p("")
    p(f"- date: {env.get('date')}")
    p(f"- machine: {env.get('nproc')} CPUs ({env.get('cpu')}), {env.get('mem')} RAM, kernel {env.get('kernel')}")
    p(f"- cgroups: {env.get('cgroups')}")
    for rt in RTS:
        p(f"- {rt}: {env.get('version_' + rt)}")
    p(f"- {env.get('hyperfine')}; {env.get('runs')} runs per cell, pooled; `-N` (no shell)")
    joined = {rt: m.get(("cgroup_joined", rt)) for rt in RTS}
    p("- container placed in its cgroup (`linux.cgroupsPath` = `ocirun-bench/<id>`): "
      + ", ".join(f"{rt} {joined[rt] or '?'}" for rt in RTS))
    if any(v == "no" for v in joined.values()):
        p("  - **a runtime that does not place the container in a cgroup skips the cgroup"
          " cost the others pay; its timings are not comparable on that point**")
    p("")
    p("All runtimes run in one private mount namespace with `/sys/fs/cgroup/unified`"
      " unmounted, on one busybox bundle and config (`/bin/true`, or `sleep` for"
      " the long-lived containers). Wall time is the median; CPU is the mean"
      " user+sys of the command and the children it waits for (hyperfine), so a"
      " container process that outlives `create` is not in it.")
    p("")

    p("## Time per command (ms)")
    p("")
    p("| benchmark | ocirun | runc | crun | ocirun/runc | ocirun/crun | CPU ocirun | CPU runc | CPU crun | CPU ocirun/crun |")
    p("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    rows = [
        ("run", "`run` /bin/true (create, start, wait, delete)"),
        ("run-idle", "`run`, 50 ms idle before each (no target)"),
        ("create", "`create`"),
        ("start", "`start`, until /bin/true exited"),
        ("delete", "`delete` of a stopped container"),
        ("exec", "`exec` /bin/true into a running container"),
        ("exec-seccomp", "`exec` /bin/true, default seccomp profile (no target)"),
        ("state-1", "`state`, 1 container exists"),
        ("list-1", "`list`, 1 container"),
        (f"state-{n}", f"`state`, {n} containers"),
        (f"list-{n}", f"`list`, {n} containers"),
    ]
    for key, label in rows:
        per = hf.get(key, {})
        med = {rt: (per.get(rt) or {}).get("median") for rt in RTS}
        cpu = {rt: (per.get(rt) or {}).get("cpu") for rt in RTS}
        rw_runc = ratio(med["ocirun"], med["runc"])
        rw_crun = ratio(med["ocirun"], med["crun"])
        rc_crun = ratio(cpu["ocirun"], cpu["crun"])
        p(f"| {label} | {ms(med['ocirun'])} | {ms(med['runc'])} | {ms(med['crun'])} | "
          f"{fmt_ratio(rw_runc)} | {fmt_ratio(rw_crun)} | {ms(cpu['ocirun'])} | "
          f"{ms(cpu['runc'])} | {ms(cpu['crun'])} | {fmt_ratio(rc_crun)} |")
        if key not in ("list-1", "run-idle", "exec-seccomp"):
            targets.append((f"{key}: wall ocirun/crun ≤ {WALL_RATIO_MAX}", fmt_ratio(rw_crun),
                            None if rw_crun is None else rw_crun <= WALL_RATIO_MAX))
            targets.append((f"{key}: CPU ocirun/crun ≤ {CPU_RATIO_MAX}", fmt_ratio(rc_crun),
                            None if rc_crun is None else rc_crun <= CPU_RATIO_MAX))
    p("")
    p("The start benchmark runs `start` through a small static C wrapper that waits"
      " for the container process to exit (pidfd); its own cost is the"
      " `startwait` floor below. Failed cells show —.")
    p("")

    p("## Floor on this machine (ms)")
    p("")
    p("| floor | median | CPU |")
    p("|---|--:|--:|")
    for key, label in [("floor-unshare", "`unshare --fork --pid --mount --uts --ipc --net /bin/true`"),
                       ("floor-go", "static Go hello world"),
                       ("floor-startwait", "`startwait - /bin/true` (start wrapper)")]:
        r = hf.get(key, {}).get("floor")
        p(f"| {label} | {ms(r and r['median'])} | {ms(r and r['cpu'])} |")
    p("")

    p("## Memory")
    p("")
    p("Peak RSS (KiB, `/usr/bin/time -f %M`, median of 3; it covers the command and the"
      " children it waits for, e.g. the init `run` reaps).")
    p("")
    p("| command | ocirun | runc | crun | ocirun ≤ runc |")
    p("|---|--:|--:|--:|---|")
    all_ok = True
    any_val = False
    for cmd in ["run", "create", "start", "delete", "exec", "state", "list", "kill", "delete-f"]:
        v = {rt: num(m.get(("rss_" + cmd, rt))) for rt in RTS}
        ok = None if v["ocirun"] is None or v["runc"] is None else v["ocirun"] <= v["runc"]
        if ok is not None:
            any_val = True
            all_ok = all_ok and ok
        label = "delete -f (running)" if cmd == "delete-f" else cmd
        p(f"| {label} | " + " | ".join("—" if v[rt] is None else f"{v[rt]:.0f}" for rt in RTS)
          + f" | {verdict(ok)} |")
        if ok is False:
            targets.append((f"peak RSS of `ocirun {label}` ≤ runc's",
                            f"{v['ocirun']:.0f} vs {v['runc']:.0f} KiB", False))
    if all_ok and any_val:
        targets.append(("peak RSS of every ocirun command ≤ runc's", "all", True))
    p("")
    p("While a container is `created`, the process holding it (the pid the runtime reports):")
    p("")
    p("| | ocirun | runc | crun |")
    p("|---|--:|--:|--:|")
    p("| process | " + " | ".join(f"`{m.get(('holder_cmd', rt), '?')}`" for rt in RTS) + " |")
    p("| RSS (KiB) | " + " | ".join(m.get(("holder_rss", rt), "—") for rt in RTS) + " |")
    p("| PSS (KiB) | " + " | ".join(m.get(("holder_pss", rt), "—") for rt in RTS) + " |")
    p("| other processes while created (orphans + others in its pid ns) | "
      + " | ".join(m.get(("holder_extra", rt), "—") for rt in RTS) + " |")
    p(f"| `sleep` processes seen for {n} running containers (sanity) | "
      + " | ".join(m.get(("running_sleeps", rt), "—") for rt in RTS) + " |")
    p(f"| runtime processes left alive for {n} running containers | "
      + " | ".join(m.get(("left_procs", rt), "—") for rt in RTS) + " |")
    p("")
    hr = num(m.get(("holder_rss", "ocirun")))
    targets.append(("ocirun process holding a created container ≤ 3 MiB RSS",
                    "—" if hr is None else f"{hr:.0f} KiB", None if hr is None else hr <= HOLDER_MAX_KIB))
    lp = num(m.get(("left_procs", "ocirun")))
    targets.append(("no ocirun process left per running container",
                    "—" if lp is None else f"{lp:.0f} for {n}", None if lp is None else lp == 0))

    p(f"## {n} containers: create+start, then kill+delete")
    p("")
    p("| | ocirun | runc | crun | ocirun/runc | ocirun/crun |")
    p("|---|--:|--:|--:|--:|--:|")
    for mode, label in [("seq", "sequential"), ("par2", "2 workers")]:
        def row(title, key, scale=1.0, unit="s", fmt="{:.2f}"):
            v = {rt: num(m.get((f"many_{mode}_{key}", rt))) for rt in RTS}
            cells = ["—" if v[rt] is None else fmt.format(v[rt] * scale) for rt in RTS]
            p(f"| {label}: {title} ({unit}) | " + " | ".join(cells) + " | "
              + fmt_ratio(ratio(v["ocirun"], v["runc"])) + " | " + fmt_ratio(ratio(v["ocirun"], v["crun"])) + " |")
            return v
        row(f"create+start {n}, total", "up_total")
        f10 = row("create+start, first 10, per container", "first10", 1000, "ms")
        l10 = row("create+start, last 10, per container", "last10", 1000, "ms")
        fq = row("create+start, 25th percentile of the first quarter", "firstq_p25", 1000, "ms")
        lq = row("create+start, 25th percentile of the last quarter", "lastq_p25", 1000, "ms")
        row(f"kill+delete {n}, total", "down_total")
        growth = {rt: ratio(l10[rt], f10[rt]) for rt in RTS}
        p(f"| {label}: last 10 / first 10 | " + " | ".join(fmt_ratio(growth[rt]) for rt in RTS) + " | | |")
        growth_q = {rt: ratio(lq[rt], fq[rt]) for rt in RTS}
        p(f"| {label}: last quarter / first quarter (25th percentiles) | "
          + " | ".join(fmt_ratio(growth_q[rt]) for rt in RTS) + " | | |")
        fails = {rt: m.get((f"many_{mode}_fail", rt), "—") for rt in RTS}
        p(f"| {label}: failed create+start | " + " | ".join(fails[rt] for rt in RTS) + " | | |")
        g = growth["ocirun"]
        targets.append((f"per-container cost flat, {label} (last 10 / first 10 ≤ {FLAT_MAX})",
                        fmt_ratio(g), None if g is None else g <= FLAT_MAX))
    p("")

    p("## Targets (ocirun)")
    p("")
    p("| target | value | |")
    p("|---|--:|---|")
    for name, value, ok in targets:
        p(f"| {name} | {value} | {verdict(ok)} |")
    met = sum(1 for _, _, ok in targets if ok)
    p("")
    p(f"{met} of {len(targets)} targets met.")
    print("\n".join(L))


if __name__ == "__main__":
    main()
