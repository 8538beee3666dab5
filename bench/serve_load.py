#!/usr/bin/python3
"""Benchmark (not a test) of `krxbatch serve` under load while the jobs run (#20).

`clients` concurrent connections for `seconds` s (wrk) against /api/v1/scores on the database
that daily_update and then hourly_analysis update meanwhile, as cron runs them: the answers
must all be 2xx, and each job's wall time is compared with its time without the load. The
comparison is paired: each pair runs the two jobs once alone and once under the load, on fresh
copies of the same full-market database, each daily_update against its own cold fake KRX (as
bench/ingest_bench.py does), alternating which of the two goes first, so that both sides of a
pair meet the same machine.

  base:     manual_setup --days SESSIONS (the whole market) to 2024-06-17, hourly_analysis
  measured: daily_update (fetches 2024-06-18), then hourly_analysis (scores 2024-06-18)

Run through bench/serve-load, which installs wrk when missing and builds in Release first.
Write the load average next to the figures: on a shared 2-core machine they mean little.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from ingest_bench import ROOT, Fake, binaries, copy_db, job_env, loadavg, machine, measure

T1 = "2024-06-18T08:30:00+09:00"  # 2024-06-17 is the latest published session
T2 = "2024-06-19T08:30:00+09:00"  # 2024-06-18 is published
JOBS = ("daily_update", "hourly_analysis")


def run_checked(cmd, env, log):
    m = measure(cmd, env=env, stderr_path=log)
    if m["exit"] != 0:
        raise SystemExit(f"{' '.join(cmd[3:])} exited {m['exit']}: see {log}\n" +
                         log.read_text(errors="replace")[-2000:])
    return m


class Bench:
    def __init__(self, args):
        self.args = args
        self.build = Path(args.build).resolve()
        self.krxbatch, self.fake_exe = binaries(self.build, "bench/serve-load")
        self.work = Path(tempfile.mkdtemp(prefix="krxbatch-serve-load-", dir=args.workdir))
        self.base = self.work / "base" / "krx.db"
        self.base.parent.mkdir()
        self.run_dir = self.work / "run"
        self.run_dir.mkdir()
        self.db = self.run_dir / "krx.db"

    def fake(self, start):
        return Fake(self.fake_exe, T2, self.args.kospi, self.args.kosdaq, start)

    def calendar_back(self, day, n):
        """The session n sessions before `day` (a session)."""
        out = subprocess.run([str(self.krxbatch), "--holidays", str(ROOT / "holidays"),
                              "calendar", "list", "--from", "2020-01-01", "--to", day],
                             capture_output=True, text=True, check=True).stdout.split()
        return out[-1 - n]

    def make_base(self):
        a = self.args
        self.start = self.calendar_back("2024-06-17", a.sessions - 1)
        fake = self.fake(self.start)
        env = job_env(fake.base)
        log = self.work / "base.log"
        t0 = time.perf_counter()
        run_checked([str(self.krxbatch), "--db", str(self.base), "--now", T1, "manual_setup",
                     "--yes", "--days", str(a.sessions), "--min-market-cap", "0"], env, log)
        fake.stop()
        run_checked([str(self.krxbatch), "--db", str(self.base), "--now", T1, "hourly_analysis"],
                    env, log)
        print(f"base: {a.sessions} sessions of {a.kospi} + {a.kosdaq} issues to 2024-06-17, "
              f"scored ({time.perf_counter() - t0:.0f} s)")

    def jobs(self, tag):
        """daily_update then hourly_analysis on a fresh copy of the base: their measurements."""
        fake = self.fake(self.start)
        env = job_env(fake.base)
        out = {}
        try:
            for job in JOBS:
                out[job] = run_checked([str(self.krxbatch), "--db", str(self.db), "--now", T2, job],
                                       env, self.work / f"{tag}-{job}.log")
        finally:
            fake.stop()
        return out

    def alone(self, i):
        copy_db(self.base, self.db)
        return self.jobs(f"alone{i}")

    def loaded(self, i):
        a = self.args
        copy_db(self.base, self.db)
        env = job_env("http://127.0.0.1:9")  # serve never calls KRX
        env["KRXBATCH_SERVE_RATE_LIMIT"] = "1000000"
        env["KRXBATCH_LOG_DIR"] = str(self.work / f"serve{i}-logs")
        serve_cmd = [str(self.krxbatch), "--db", str(self.db), "--now", T2, "serve", "--listen",
                     "127.0.0.1:0", "--threads", str(a.threads)]
        if a.serve_nice is not None:
            serve_cmd += ["--nice", str(a.serve_nice)]
        wrk_cmd = ["wrk", "-t", str(a.wrk_threads), "-c", str(a.clients), "-d", f"{a.seconds}s",
                   "--timeout", "10s", "--latency"]
        if a.wrk_nice:
            wrk_cmd = ["nice", "-n", str(a.wrk_nice)] + wrk_cmd
        server = subprocess.Popen(serve_cmd, env=env, stdout=subprocess.PIPE,
                                  stderr=open(self.work / f"serve{i}.err", "wb"), text=True)
        try:
            line = server.stdout.readline()
            m = re.search(r"listening on (http://\S+)", line)
            if not m:
                raise SystemExit(f"serve did not start: {line!r}")
            url = m.group(1) + "/api/v1/scores"
            wrk_out = self.work / f"wrk{i}.txt"
            with open(wrk_out, "w") as f:
                wrk = subprocess.Popen(wrk_cmd + [url], stdout=f, stderr=subprocess.STDOUT)
            time.sleep(a.warmup)  # the load is on before the jobs start (not a synchronisation)
            t0 = time.perf_counter()
            jobs = self.jobs(f"loaded{i}")
            jobs_done = time.perf_counter() - t0 + a.warmup
            wrk.wait()
            text = wrk_out.read_text()
        finally:
            server.terminate()
            server.wait()
        return jobs, parse_wrk(text), jobs_done, text

    def run(self):
        a = self.args
        self.make_base()
        pairs = []
        for i in range(a.pairs):
            load_before = " ".join(loadavg())
            if i % 2 == 0:
                alone = self.alone(i)
                loaded, wrk, done, text = self.loaded(i)
            else:
                loaded, wrk, done, text = self.loaded(i)
                alone = self.alone(i)
            pairs.append((alone, loaded, wrk))
            order = "alone first" if i % 2 == 0 else "loaded first"
            print(f"\npair {i + 1} ({order}, load average before {load_before}):")
            for job in JOBS:
                print(f"  {job:16} alone {alone[job]['wall']:6.2f} s wall "
                      f"{alone[job]['cpu']:6.2f} s CPU | under load {loaded[job]['wall']:6.2f} s "
                      f"wall {loaded[job]['cpu']:6.2f} s CPU | ratio "
                      f"{loaded[job]['wall'] / alone[job]['wall']:.2f}")
            print(f"  wrk: {wrk['requests']} requests in {wrk['seconds']:.1f} s "
                  f"({wrk['rps']:.0f}/s), latency p50 {wrk['p50']} p99 {wrk['p99']}, "
                  f"non-2xx {wrk['non2xx']}, socket errors {wrk['socket_errors'] or 'none'}; "
                  f"jobs done {done:.1f} s into the load")
            if a.verbose:
                print(text)
        print(f"\nsummary over {a.pairs} pairs ({a.clients} clients, {a.seconds} s each):")
        for job in JOBS:
            ratios = [l[job]["wall"] / s[job]["wall"] for s, l, _ in pairs]
            cpu = [l[job]["cpu"] / s[job]["cpu"] for s, l, _ in pairs]
            alone_w = [s[job]["wall"] for s, _, _ in pairs]
            load_w = [l[job]["wall"] for _, l, _ in pairs]
            print(f"  {job:16} alone median {statistics.median(alone_w):.2f} s, under load "
                  f"median {statistics.median(load_w):.2f} s; wall ratio median "
                  f"{statistics.median(ratios):.2f} (min {min(ratios):.2f}, max {max(ratios):.2f}),"
                  f" CPU ratio median {statistics.median(cpu):.2f}")
        errors = sum(w["non2xx"] for _, _, w in pairs)
        sockets = [w["socket_errors"] for _, _, w in pairs if w["socket_errors"]]
        rps = [w["rps"] for _, _, w in pairs]
        print(f"  serve: {statistics.median(rps):.0f} requests/s median; non-2xx answers "
              f"{errors}; socket errors {sockets or 'none'}")
        print(f"load average at the end: {' '.join(loadavg())}")


def parse_wrk(text):
    def num(pattern, default="0"):
        m = re.search(pattern, text)
        return m.group(1) if m else default
    requests = int(num(r"(\d+) requests in"))
    seconds_text = num(r"requests in ([\d.]+\w+),", "0s")
    value, unit = re.match(r"([\d.]+)(\w+)", seconds_text).groups()
    seconds = float(value) * {"s": 1, "ms": 1e-3, "m": 60}.get(unit, 1)
    sockets = re.search(r"Socket errors: (.*)", text)
    return {"requests": requests, "seconds": seconds, "rps": float(num(r"Requests/sec:\s+([\d.]+)")),
            "p50": num(r"50%\s+(\S+)", "?"), "p99": num(r"99%\s+(\S+)", "?"),
            "non2xx": int(num(r"Non-2xx or 3xx responses: (\d+)")),
            "socket_errors": sockets.group(1) if sockets else ""}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--build", default="build-bench")
    p.add_argument("--pairs", type=int, default=3)
    p.add_argument("--clients", type=int, default=200)
    p.add_argument("--seconds", type=int, default=30)
    p.add_argument("--warmup", type=float, default=2.0,
                   help="seconds of load before the jobs start")
    p.add_argument("--threads", type=int, default=8, help="serve --threads")
    p.add_argument("--wrk-threads", type=int, default=2)
    p.add_argument("--serve-nice", type=int, default=None,
                   help="serve --nice N (default: serve's own, 19; the jobs run at the "
                        "bench's priority)")
    p.add_argument("--wrk-nice", type=int, default=0,
                   help="run wrk (the clients) under nice -n N")
    p.add_argument("--sessions", type=int, default=300)
    p.add_argument("--kospi", type=int, default=950)
    p.add_argument("--kosdaq", type=int, default=1750)
    p.add_argument("--workdir", default=None)
    p.add_argument("--keep", action="store_true")
    p.add_argument("--verbose", action="store_true", help="print wrk's whole output")
    args = p.parse_args()
    m = machine()
    print(f"machine: {m['nproc']} cores, {m['cpu']}, kernel {m['kernel']}, "
          f"load average {' '.join(m['load_start'])}")
    bench = Bench(args)
    try:
        bench.run()
    finally:
        if args.keep:
            print(f"work folder kept: {bench.work}")
        else:
            shutil.rmtree(bench.work, ignore_errors=True)


if __name__ == "__main__":
    main()
