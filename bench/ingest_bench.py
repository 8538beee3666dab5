#!/usr/bin/python3
"""krxbatch's full-market benchmark (DESIGN §8). Run it through scripts/bench, which builds first.

For each phase it starts a fresh fake KRX (tests/fake_krx) at full market scale, so that every
measured process meets the same cold server (each body rendered on its first request, as a real
server computes its answers), and times as real processes:

  manual_setup --yes --days N --min-market-cap 0   on an empty database (the universe: every issue)
  daily_update (10-session catch-up) on the database manual_setup left
  daily_update (1 session)           on the database the catch-up left
  hourly_analysis (whole universe)   on the database the last update left

with krxbatch and with the Python reference (bench/python/krx_ref.py), plus the download floor:
the same responses fetched by curl over one keep-alive connection, from a fresh (cold) fake and
again from the same, now warm, fake. Wall, CPU (user+sys) and peak RSS come from wait4() on
the child. Prints one table per phase and writes every measurement as JSON (--json).

--archive instead measures what the raw archive (docs/ARCHIVE.md) costs a backfill: pairs of
manual_setup runs, one with the archive on (the default) and one with KRXBATCH_ARCHIVE_DIR=off,
alternating which goes first, each against its own cold fake, and the archive's size.
"""

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEY = "bench-key"


# --------------------------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------------------------

def measure(cmd, env=None, stdout=subprocess.DEVNULL, stderr_path=None):
    """Runs cmd to completion: wall seconds, user+sys seconds, peak RSS in MB, exit status."""
    err = open(stderr_path, "wb") if stderr_path else subprocess.DEVNULL
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=stdout, stderr=err, stdin=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if stderr_path:
        err.close()
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "user": usage.ru_utime,
            "sys": usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024.0, "exit": proc.returncode}


class Fake:
    """A fake KRX server process; the listening line gives its port."""

    def __init__(self, exe, now, kospi, kosdaq, start):
        self.proc = subprocess.Popen(
            [str(exe), "--port", "0", "--now", now, "--kospi", str(kospi), "--kosdaq", str(kosdaq),
             "--konex", "0", "--start", start, "--holidays", str(ROOT / "holidays")],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening "):
            raise SystemExit(f"fake_krx did not start: {line!r}")
        self.base = "http://" + line.split()[1]

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def binaries(build, builder):
    """krxbatch and the fake KRX server in `build`; exits naming `builder` when one is missing."""
    exes = (build / "krxbatch", build / "tests" / "fake_krx" / "fake_krx")
    for exe in exes:
        if not exe.exists():
            raise SystemExit(f"{exe} not found: build first ({builder} does)")
    return exes


def job_env(base):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KRX", "KRXBATCH"))}
    env.update({"KRX_API_BASE_URL": base, "KRX_AUTH_KEY": KEY,
                "KRXBATCH_HOLIDAYS": str(ROOT / "holidays"), "TZ": "UTC"})
    return env


def copy_db(src, dst):
    for suffix in ("", "-wal", "-shm"):
        Path(str(dst) + suffix).unlink(missing_ok=True)
    if src is not None:
        shutil.copyfile(src, dst)


def rows_between(db, first, last):
    with sqlite3.connect(db) as c:
        prices = c.execute("SELECT count(*) FROM daily_prices WHERE trade_date BETWEEN ? AND ?",
                           (first, last)).fetchone()[0]
        indices = c.execute("SELECT count(*) FROM index_prices WHERE trade_date BETWEEN ? AND ?",
                            (first, last)).fetchone()[0]
    return prices, indices


def fingerprint(db, first, last):
    """Counts and sums of the stored prices: the two implementations must agree."""
    with sqlite3.connect(db) as c:
        return c.execute(
            "SELECT count(*), count(DISTINCT ticker), sum(close), sum(volume), sum(value), "
            "sum(market_cap), count(open) FROM daily_prices WHERE trade_date BETWEEN ? AND ?",
            (first, last)).fetchone()


# --------------------------------------------------------------------------------------------
# The benchmark
# --------------------------------------------------------------------------------------------

class Bench:
    def __init__(self, args):
        self.args = args
        self.build = Path(args.build).resolve()
        self.krxbatch, self.fake_exe = binaries(self.build, "scripts/bench")
        self.work = Path(tempfile.mkdtemp(prefix="krxbatch-bench-", dir=args.workdir))
        self.results = {"machine": machine(), "phases": []}

    def calendar(self, *args):
        out = subprocess.run([str(self.krxbatch), "--holidays", str(ROOT / "holidays"), "calendar",
                              *args], capture_output=True, text=True, check=True).stdout
        return out.split()

    def prev(self, day, n=1):
        for _ in range(n):
            day = self.calendar("prev", day)[0]
        return day

    def sessions(self, first, last):
        return self.calendar("list", "--from", first, "--to", last)

    def has_analysis(self):
        r = subprocess.run([str(self.krxbatch), "hourly_analysis", "--help"], capture_output=True)
        return r.returncode == 0

    def fake(self, scale):
        return Fake(self.fake_exe, scale["fake_now"], scale["kospi"], scale["kosdaq"], scale["start"])

    def floor(self, days, scale):
        """curl over one keep-alive connection: cold (fresh fake), then warm (same fake)."""
        apis = ["sto/stk_bydd_trd", "sto/ksq_bydd_trd", "idx/kospi_dd_trd", "idx/kosdaq_dd_trd"]
        out = {}
        for rep in range(self.args.reps):
            fake = self.fake(scale)
            config = self.work / "urls.cfg"
            with open(config, "w") as f:
                f.write(f'header = "AUTH_KEY: {KEY}"\nsilent\nfail\n')
                for d in days:
                    for api in apis:
                        f.write(f'url = "{fake.base}/svc/apis/{api}?basDd={d.replace("-", "")}"\n'
                                'output = "/dev/null"\n')
            for kind in ("cold", "warm"):
                m = measure(["curl", "--config", str(config)])
                if m["exit"] != 0:
                    raise SystemExit(f"curl failed ({m['exit']})")
                out.setdefault(kind, []).append(m)
            fake.stop()
        return out

    def run_job(self, impl, job_args, now, before, after, scale, log_name):
        """Runs one job `reps` times on copies of `before`; keeps the last database as `after`."""
        runs = []
        reps = self.args.reps if impl == "krxbatch" else self.args.python_reps
        for rep in range(reps):
            copy_db(before, after)
            fake = self.fake(scale)
            if impl == "krxbatch":
                cmd = [str(self.krxbatch), "--db", str(after), "--now", now, *job_args]
            else:
                cmd = ["/usr/bin/python3", str(ROOT / "bench" / "python" / "krx_ref.py"),
                       "--db", str(after), "--now", now, *job_args]
            log = self.work / f"{log_name}-{impl}-{rep}.log"
            m = measure(cmd, env=job_env(fake.base), stderr_path=log)
            fake.stop()
            if m["exit"] != 0:
                sys.stderr.write(log.read_text(errors="replace")[-2000:])
                raise SystemExit(f"{impl} {' '.join(job_args)} exited {m['exit']} (log {log})")
            m["summary"] = last_summary(log)
            runs.append(m)
        return runs

    def phase(self, name, job_args, py_args, now, first, last, before, scale, floor=True,
              python=True):
        load_before = loadavg()
        cpp_db = self.work / f"{name}-cpp.db"
        py_db = self.work / f"{name}-py.db"
        record = {"phase": name, "first": first, "last": last, "now": now, "scale": scale,
                  "load_before": load_before}
        record["krxbatch"] = self.run_job("krxbatch", job_args, now, before[0], cpp_db, scale, name)
        if python and self.args.python_reps > 0:
            record["python"] = self.run_job("python", py_args, now, before[1], py_db, scale, name)
        if floor:
            record["floor"] = self.floor(self.sessions(first, last), scale)
        if job_args[0] != "hourly_analysis":
            prices, indices = rows_between(cpp_db, first, last)
            record["rows"] = prices + indices
            record["price_rows"] = prices
            record["sessions"] = len(self.sessions(first, last))
            if "python" in record:
                a, b = fingerprint(cpp_db, first, last), fingerprint(py_db, first, last)
                record["same_data"] = a == b
                if a != b:
                    print(f"WARNING {name}: stored prices differ: krxbatch {a}, python {b}")
        else:
            with sqlite3.connect(cpp_db) as c:
                record["targets"] = c.execute(
                    "SELECT count(*) FROM analysis_results WHERE as_of_date = ?", (last,)).fetchone()[0]
            record["rows"] = record["targets"] * 300  # bars analysed
        record["load_after"] = loadavg()
        self.results["phases"].append(record)
        print_phase(record)
        return cpp_db, py_db

    def main_run(self):
        a = self.args
        # Monday 2024-06-03 08:30 KST: Friday 05-31 is the latest published session.
        t0, latest = "2024-06-03T08:30:00+09:00", "2024-05-31"
        window_first = self.prev(latest, a.sessions - 1)
        catch_up = self.sessions("2024-06-03", "2024-06-17")  # 10 sessions (06-06 is closed)
        t1 = "2024-06-18T08:30:00+09:00"
        t2 = "2024-06-19T08:30:00+09:00"  # 06-18 is published
        scale = {"kospi": a.kospi, "kosdaq": a.kosdaq, "start": window_first, "fake_now": t2}
        before = (None, None)
        full = ["--min-market-cap", "0"]  # the whole market is the analysis universe
        before = self.phase("manual_setup",
                            ["manual_setup", "--yes", "--days", str(a.sessions), *full],
                            ["manual_setup", "--days", str(a.sessions), *full], t0, window_first, latest,
                            before, scale)
        before = self.phase("daily_update_10", ["daily_update"], ["daily_update"], t1,
                            catch_up[0], catch_up[-1], before, scale)
        before = self.phase("daily_update_1", ["daily_update"], ["daily_update"], t2,
                            "2024-06-18", "2024-06-18", before, scale)
        if self.has_analysis():
            self.phase("hourly_analysis", ["hourly_analysis"], ["hourly_analysis"], t2,
                       "2024-06-18", "2024-06-18", before, scale, floor=False)
        else:
            note = ("hourly_analysis: skipped, this krxbatch has no hourly_analysis command yet "
                    "(it lands on main with the analysis branch)")
            print(note + "\n")
            self.results["notes"] = [note]

    def scaling_run(self):
        a = self.args
        t0, latest = "2024-06-03T08:30:00+09:00", "2024-05-31"
        points = [(n, a.kospi, a.kosdaq) for n in a.scale_sessions]
        total = a.kospi + a.kosdaq
        points += [(a.sessions, round(a.kospi * k / total), k - round(a.kospi * k / total))
                   for k in a.scale_issues if k != total]
        for sessions, kospi, kosdaq in points:
            first = self.prev(latest, sessions - 1)
            scale = {"kospi": kospi, "kosdaq": kosdaq, "start": first, "fake_now": t0}
            self.phase(f"scale_{sessions}x{kospi + kosdaq}",
                       ["manual_setup", "--yes", "--days", str(sessions)],
                       ["manual_setup", "--days", str(sessions)], t0, first, latest, (None, None),
                       scale, python=a.scale_python)


    def archive_run(self):
        """Paired manual_setup runs, archive on and off, alternating order; the archive's size."""
        a = self.args
        t0, latest = "2024-06-03T08:30:00+09:00", "2024-05-31"
        first = self.prev(latest, a.sessions - 1)
        scale = {"kospi": a.kospi, "kosdaq": a.kosdaq, "start": first, "fake_now": t0}
        archive = self.work / "archive"
        pairs = []
        for rep in range(a.reps):
            pair = {}
            for mode in (("on", "off") if rep % 2 == 0 else ("off", "on")):
                db = self.work / f"archive-{mode}.db"
                copy_db(None, db)
                shutil.rmtree(archive, ignore_errors=True)
                fake = self.fake(scale)
                env = job_env(fake.base)
                env["KRXBATCH_ARCHIVE_DIR"] = str(archive) if mode == "on" else "off"
                log = self.work / f"archive-{mode}-{rep}.log"
                m = measure([str(self.krxbatch), "--db", str(db), "--now", t0, "manual_setup",
                             "--yes", "--days", str(a.sessions), "--min-market-cap", "0"],
                            env=env, stderr_path=log)
                fake.stop()
                if m["exit"] != 0:
                    sys.stderr.write(log.read_text(errors="replace")[-2000:])
                    raise SystemExit(f"manual_setup (archive {mode}) exited {m['exit']} ({log})")
                if mode == "on":
                    files = [f for f in archive.rglob("*.json.gz")]
                    m["archive_files"] = len(files)
                    m["archive_bytes"] = sum(f.stat().st_size for f in files)
                pair[mode] = m
            pairs.append(pair)
        self.results["archive"] = pairs
        print(f"== archive on / off: manual_setup of {a.sessions} sessions, {a.reps} pairs "
              f"(alternating order)")
        print(f"   {'pair':<6}{'wall on':>9}{'wall off':>10}{'ratio':>8}{'CPU on':>9}{'CPU off':>9}"
              f"{'ratio':>8}{'RSS on':>9}{'RSS off':>9}")
        for i, p in enumerate(pairs):
            on, off = p["on"], p["off"]
            print(f"   {i + 1:<6}{on['wall']:>8.2f}s{off['wall']:>9.2f}s{on['wall'] / off['wall']:>8.3f}"
                  f"{on['cpu']:>8.2f}s{off['cpu']:>8.2f}s{on['cpu'] / off['cpu']:>8.3f}"
                  f"{on['rss_mb']:>7.1f}MB{off['rss_mb']:>7.1f}MB")
        wall = statistics.median(p["on"]["wall"] / p["off"]["wall"] for p in pairs)
        cpu = statistics.median(p["on"]["cpu"] / p["off"]["cpu"] for p in pairs)
        best = min(p["on"]["wall"] for p in pairs) / min(p["off"]["wall"] for p in pairs)
        on = pairs[-1]["on"]
        print(f"   median ratio on/off: wall {wall:.3f}, CPU {cpu:.3f}; best walls {best:.3f}")
        print(f"   archive: {on['archive_files']} files, {on['archive_bytes'] / 2**20:.1f} MiB "
              f"for {a.sessions} sessions ({on['archive_bytes'] / a.sessions / 1024:.0f} KiB a "
              f"session)\n")


def last_summary(log):
    lines = [l for l in log.read_text(errors="replace").splitlines() if l.strip()]
    return lines[-1][-300:] if lines else ""


def loadavg():
    return Path("/proc/loadavg").read_text().split()[:3]


def machine():
    model = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                  if l.startswith("model name")), "?")
    return {"nproc": os.cpu_count(), "cpu": model, "load_start": loadavg(),
            "kernel": os.uname().release}


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------

def stats(runs, key):
    values = [r[key] for r in runs]
    return min(values), statistics.median(values), max(values)


def print_phase(r):
    rows = r["rows"]
    unit = "bars" if r["phase"] == "hourly_analysis" else "rows"
    head = f"== {r['phase']}: {r['first']}..{r['last']}"
    if "sessions" in r:
        head += f", {r['sessions']} sessions, {r['price_rows']:,} price rows ({r['price_rows'] / r['sessions']:,.0f} a session)"
    if "targets" in r:
        head += f", {r['targets']:,} targets x 300 bars"
    print(head)
    print(f"   load average before {' '.join(r['load_before'])}, after {' '.join(r['load_after'])}")
    print(f"   {'':<22}{'wall min':>9}{'median':>9}{'CPU min':>9}{'median':>9}{'peak RSS':>10}"
          f"{unit + '/s':>12}{'vs krxbatch':>13}")
    cpp_wall = stats(r["krxbatch"], "wall")
    lines = [("krxbatch", r["krxbatch"])]
    if "python" in r:
        lines.append(("python reference", r["python"]))
    if "floor" in r:
        lines.append(("download floor, cold", r["floor"]["cold"]))
        lines.append(("download floor, warm", r["floor"]["warm"]))
    for label, runs in lines:
        w, c = stats(runs, "wall"), stats(runs, "cpu")
        rss = max(x["rss_mb"] for x in runs)
        ratio = "" if label == "krxbatch" else f"{cpp_wall[0] / w[0]:.2f}x"
        print(f"   {label:<22}{w[0]:>8.2f}s{w[1]:>8.2f}s{c[0]:>8.2f}s{c[1]:>8.2f}s{rss:>8.1f}MB"
              f"{rows / w[0]:>12,.0f}{ratio:>13}")
    if "python" in r:
        py = stats(r["python"], "wall")
        print(f"   python / krxbatch: {py[0] / cpp_wall[0]:.1f}x (min walls), "
              f"{py[1] / cpp_wall[1]:.1f}x (medians)" +
              ("" if r.get("same_data", True) else "   STORED DATA DIFFER"))
    if "floor" in r:
        cold = stats(r["floor"]["cold"], "wall")
        print(f"   krxbatch / download floor (cold): {cpp_wall[0] / cold[0]:.2f}x (min walls), "
              f"{cpp_wall[1] / cold[1]:.2f}x (medians)")
    print(f"   krxbatch: {r['krxbatch'][-1]['summary']}")
    print()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--build", default=str(ROOT / "build-bench"))
    p.add_argument("--reps", type=int, default=3, help="runs of each krxbatch job and floor")
    p.add_argument("--python-reps", type=int, default=1, help="runs of each Python job (0: none)")
    p.add_argument("--sessions", type=int, default=300)
    p.add_argument("--kospi", type=int, default=950)
    p.add_argument("--kosdaq", type=int, default=1750)
    p.add_argument("--scaling", action="store_true",
                   help="instead: manual_setup at several sizes (sessions and issues)")
    p.add_argument("--scale-sessions", type=int, nargs="+", default=[100, 300, 1000])
    p.add_argument("--scale-issues", type=int, nargs="+", default=[500, 1350, 2700])
    p.add_argument("--scale-python", action="store_true", help="also the Python reference")
    p.add_argument("--archive", action="store_true",
                   help="instead: manual_setup with the raw archive on and off, paired")
    p.add_argument("--json", help="write every measurement here")
    p.add_argument("--workdir", default=None, help="where the databases go (default: $TMPDIR)")
    p.add_argument("--keep", action="store_true", help="keep the work folder")
    args = p.parse_args()

    bench = Bench(args)
    m = bench.results["machine"]
    print(f"machine: {m['nproc']} cores, {m['cpu']}, kernel {m['kernel']}, "
          f"load average {' '.join(m['load_start'])}")
    print(f"fake KRX: {args.kospi} KOSPI + {args.kosdaq} KOSDAQ issues on its first session; "
          f"a fresh (cold) server for every measured process\n")
    try:
        if args.scaling:
            bench.scaling_run()
        elif args.archive:
            bench.archive_run()
        else:
            bench.main_run()
    finally:
        bench.results["machine"]["load_end"] = loadavg()
        if args.json:
            Path(args.json).write_text(json.dumps(bench.results, indent=1))
        if args.keep:
            print(f"work folder kept: {bench.work}")
        else:
            shutil.rmtree(bench.work, ignore_errors=True)
    print(f"load average at the end: {' '.join(loadavg())}")


if __name__ == "__main__":
    main()
