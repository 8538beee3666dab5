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

--latency instead measures the backfill against a fake that waits --latency-ms before every
answer (real body sizes): per latency and per connection count (krx_connections), krxbatch's
manual_setup wall time against the time curl takes merely to download the same answers over
the same number of connections (curl --parallel), and against the Python reference with its
thread pool (--python-workers, 4).

--long-history instead backfills --long-sessions sessions (default 4,000: 2010-01-04 to
2026-04-02) of a --long-kospi + --long-kosdaq market with `manual_setup --from 2010-01-04`
against a fake whose daily quota, and krxbatch's krx_daily_limit, is --long-limit calls: one
simulated weekday after another (the fake's clock and krxbatch's --now moved to 08:30 KST),
the scheduled `daily_update` continues it until status says it is complete; then the same
history in one unlimited run (and one daily_update at the last morning) must have the same
`digest`. Prints per simulated day the calls, the sessions stored and left, status's estimated
end day, and the run's wall time and peak RSS.

--scale-run instead measures a history of --scale-run-sessions sizes (default 300 1200 2450) of
the full market: per size the backfill's cost per row and the file's size, then the wall time
and peak RSS of daily_update (1 session), hourly_analysis (one session), verify, backup,
snapshot, export of one year and status, each as a process on that database.
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
import urllib.parse
import urllib.request
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEY = "bench-key"
APIS = ["sto/stk_bydd_trd", "sto/ksq_bydd_trd", "idx/kospi_dd_trd", "idx/kosdaq_dd_trd"]


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

    def __init__(self, exe, now, kospi, kosdaq, start, latency_ms=0, quota=None):
        cmd = [str(exe), "--port", "0", "--now", now, "--kospi", str(kospi), "--kosdaq", str(kosdaq),
               "--konex", "0", "--start", start, "--holidays", str(ROOT / "holidays"),
               "--latency-ms", str(latency_ms)]
        if quota is not None:
            cmd += ["--quota", str(quota), "--quota-mode", "429"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening "):
            raise SystemExit(f"fake_krx did not start: {line!r}")
        self.base = "http://" + line.split()[1]

    def control(self, method, path):
        """A request to the fake's control API (/_fake/...): its JSON answer."""
        req = urllib.request.Request(self.base + path, method=method, data=b"" if method == "POST" else None)
        with urllib.request.urlopen(req) as r:
            return json.loads(r.read())

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


def check_exit(m, log, what):
    """Stops the benchmark when the measured process `what` failed, with the end of its log."""
    if m["exit"] != 0:
        sys.stderr.write(log.read_text(errors="replace")[-2000:])
        raise SystemExit(f"{what} exited {m['exit']} ({log})")


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
        return Fake(self.fake_exe, scale["fake_now"], scale["kospi"], scale["kosdaq"], scale["start"],
                    scale.get("latency_ms", 0), scale.get("quota"))

    def url_config(self, base, days):
        """A curl config that GETs every call of `days` (4 a session) into /dev/null."""
        config = self.work / "urls.cfg"
        with open(config, "w") as f:
            f.write(f'header = "AUTH_KEY: {KEY}"\nsilent\nfail\n')
            for d in days:
                for api in APIS:
                    f.write(f'url = "{base}/svc/apis/{api}?basDd={d.replace("-", "")}"\n'
                            'output = "/dev/null"\n')
        return config

    def floor(self, days, scale):
        """curl over one keep-alive connection: cold (fresh fake), then warm (same fake)."""
        out = {}
        for rep in range(self.args.reps):
            fake = self.fake(scale)
            config = self.url_config(fake.base, days)
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
            check_exit(m, log, f"{impl} {' '.join(job_args)}")
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


    def latency_run(self):
        """The backfill against a distant server: krxbatch, the download, Python with a pool."""
        a = self.args
        t0, latest = "2024-06-03T08:30:00+09:00", "2024-05-31"
        first = self.prev(latest, a.sessions - 1)
        days = self.sessions(first, latest)
        full = ["--min-market-cap", "0"]
        out = []
        for ms in a.latency_ms:
            scale = {"kospi": a.kospi, "kosdaq": a.kosdaq, "start": first, "fake_now": t0,
                     "latency_ms": ms}
            print(f"== latency {ms} ms: manual_setup of {len(days)} sessions "
                  f"({len(days) * len(APIS)} calls), the whole market; {a.reps} run(s) each")
            print(f"   {'connections':<13}{'krxbatch':>10}{'download':>10}{'ratio':>8}"
                  f"{'krxbatch CPU':>14}{'peak RSS':>10}")
            for n in a.connections:
                runs, floors = [], []
                for rep in range(a.reps):
                    db = self.work / f"latency-{ms}-{n}.db"
                    copy_db(None, db)
                    fake = self.fake(scale)
                    env = job_env(fake.base)
                    env["KRX_CONNECTIONS"] = str(n)
                    log = self.work / f"latency-{ms}-{n}-{rep}.log"
                    m = measure([str(self.krxbatch), "--db", str(db), "--now", t0, "manual_setup",
                                 "--yes", "--days", str(a.sessions), *full], env=env, stderr_path=log)
                    fake.stop()
                    check_exit(m, log, "manual_setup")
                    runs.append(m)
                    fake = self.fake(scale)
                    config = self.url_config(fake.base, days)
                    cmd = ["curl", "--config", str(config)]
                    if n > 1:
                        cmd[1:1] = ["--parallel", "--parallel-max", str(n)]
                    d = measure(cmd)
                    fake.stop()
                    if d["exit"] != 0:
                        raise SystemExit(f"curl failed ({d['exit']})")
                    floors.append(d)
                k, f = stats(runs, "wall"), stats(floors, "wall")
                c = stats(runs, "cpu")
                rss = max(x["rss_mb"] for x in runs)
                print(f"   {n:<13}{k[1]:>9.2f}s{f[1]:>9.2f}s{k[1] / f[1]:>8.2f}{c[1]:>13.2f}s"
                      f"{rss:>8.1f}MB")
                out.append({"latency_ms": ms, "connections": n, "krxbatch": runs, "download": floors})
            if a.python_reps > 0:
                py = []
                for rep in range(a.python_reps):
                    db = self.work / f"latency-{ms}-py.db"
                    copy_db(None, db)
                    fake = self.fake(scale)
                    log = self.work / f"latency-{ms}-py-{rep}.log"
                    m = measure(["/usr/bin/python3", str(ROOT / "bench" / "python" / "krx_ref.py"),
                                 "--db", str(db), "--now", t0, "manual_setup", "--days",
                                 str(a.sessions), "--workers", str(a.python_workers), *full],
                                env=job_env(fake.base), stderr_path=log)
                    fake.stop()
                    check_exit(m, log, "python")
                    py.append(m)
                p = stats(py, "wall")
                print(f"   python, {a.python_workers} workers: {p[1]:.2f}s wall, "
                      f"{stats(py, 'cpu')[1]:.2f}s CPU")
                for r in out:
                    if r["latency_ms"] == ms:
                        r["python"] = py
            print()
        self.results["latency"] = out

    def scale_run(self):
        """Backfill N sessions, then time every job and command on the result."""
        a = self.args
        t0, latest = "2024-06-03T08:30:00+09:00", "2024-05-31"
        t2 = "2024-06-04T08:30:00+09:00"  # 06-03 is published: daily_update has one session
        full = ["--min-market-cap", "0"]
        out = []
        print(f"{'sessions':>9}{'rows':>12}{'backfill':>10}{'us/row':>8}{'file MB':>9}  "
              "job: wall s / peak RSS MB")
        for n in a.scale_run_sessions:
            first = self.prev(latest, n - 1)
            scale = {"kospi": a.kospi, "kosdaq": a.kosdaq, "start": first, "fake_now": t2}
            db = self.work / f"scale-{n}.db"
            copy_db(None, db)
            fake = self.fake(scale)
            env = job_env(fake.base)
            env["KRX_DAILY_LIMIT"] = "1000000"
            env["KRXBATCH_ARCHIVE_DIR"] = "off"

            def run(args, now=t2):
                log = self.work / f"scale-{n}-{args[0]}.log"
                # Each job starts on a settled file, as a cron job does hours after the last
                # one: without this the kernel's writeback of the backfill's ~1 GB ran during
                # the next job and was counted in its time.
                os.sync()
                m = measure([str(self.krxbatch), "--db", str(db), "--now", now, *args], env=env,
                            stderr_path=log)
                check_exit(m, log, " ".join(args))
                return m

            rec = {"sessions": n, "jobs": {}}
            rec["backfill"] = run(["manual_setup", "--yes", "--days", str(n), *full], t0)
            prices, indices = rows_between(db, first, latest)
            rec["rows"] = prices + indices
            rec["file_bytes"] = db.stat().st_size
            year_from = self.prev(latest, 244)
            jobs = [("daily_update", ["daily_update"]),
                    ("hourly_analysis", ["hourly_analysis", "--from", "2024-06-03"]),
                    ("verify", ["verify"]),
                    ("backup", ["backup", "--dir", str(self.work / f"backups-{n}")]),
                    ("snapshot", ["snapshot", "--dir", str(self.work / f"snapshots-{n}")]),
                    ("export_year", ["export", "--from", year_from, "--to", latest, "--out",
                                     str(self.work / f"export-{n}")]),
                    ("status", ["status"])]
            for name, args in jobs:
                if a.scale_run_jobs is None or name in a.scale_run_jobs:
                    rec["jobs"][name] = run(args)
            fake.stop()
            b = rec["backfill"]
            line = (f"{n:>9}{rec['rows']:>12,}{b['wall']:>9.1f}s{b['wall'] / rec['rows'] * 1e6:>8.2f}"
                    f"{rec['file_bytes'] / 2**20:>9.1f}  backfill {b['rss_mb']:.0f} MB; ")
            line += "; ".join(f"{k} {v['wall']:.2f}/{v['rss_mb']:.0f}" for k, v in rec["jobs"].items())
            print(line, flush=True)
            out.append(rec)
            if a.keep:
                continue  # the databases stay in the work folder, to profile a job on them
            for suffix in ("", "-wal", "-shm"):
                Path(str(db) + suffix).unlink(missing_ok=True)
            shutil.rmtree(self.work / f"backups-{n}", ignore_errors=True)
            shutil.rmtree(self.work / f"snapshots-{n}", ignore_errors=True)
            shutil.rmtree(self.work / f"export-{n}", ignore_errors=True)
        self.results["scale_run"] = out

    def long_history_run(self):
        """A ten-year backfill across the daily limit, to the digest of an unlimited one."""
        a = self.args
        first = "2010-01-04"
        sessions = self.sessions(first, "2027-12-31")[:a.long_sessions]
        latest = sessions[-1]
        day0 = self.calendar("next", latest)[0]
        now0 = f"{day0}T08:30:00+09:00"
        full = ["--min-market-cap", "0"]
        setup = ["manual_setup", "--yes", "--days", "300", "--from", first, *full]
        scale = {"kospi": a.long_kospi, "kosdaq": a.long_kosdaq, "start": first, "fake_now": now0,
                 "quota": a.long_limit}
        print(f"== long history: {len(sessions)} sessions {first}..{latest} of "
              f"{a.long_kospi} KOSPI + {a.long_kosdaq} KOSDAQ issues, "
              f"manual_setup --days 300 --from {first} on {day0} 08:30 KST;\n"
              f"   fake quota and krx_daily_limit {a.long_limit} calls a KST day, then the "
              f"scheduled daily_update each weekday 08:30")
        print(f"   {'KST day':<12}{'job':<14}{'calls':>7}{'stored':>8}{'left':>7}{'ends (status)':>15}"
              f"{'wall':>9}{'CPU':>8}{'RSS':>8}")
        limited = self.work / "long-limited.db"
        copy_db(None, limited)
        fake = self.fake(scale)
        env = job_env(fake.base)
        env["KRX_DAILY_LIMIT"] = str(a.long_limit)
        env["KRXBATCH_ARCHIVE_DIR"] = "off"
        days, day, job = [], day0, setup
        while True:
            now = f"{day}T08:30:00+09:00"
            fake.control("POST", "/_fake/clock?now=" + urllib.parse.quote(now))
            log = self.work / f"long-{day}.log"
            m = measure([str(self.krxbatch), "--db", str(limited), "--now", now, *job], env=env,
                        stderr_path=log)
            check_exit(m, log, f"{job[0]} on {day}")
            st = json.loads(subprocess.run(
                [str(self.krxbatch), "--db", str(limited), "--now", now, "--json", "status"],
                env=env, capture_output=True, text=True, check=True).stdout)
            b = st["backfill"]
            rec = {"day": day, "job": job[0], "calls": st["krx_calls"]["used"],
                   "stored": b["stored"], "left": b["left"], "ends": b["ends"], **m}
            days.append(rec)
            print(f"   {day:<12}{job[0]:<14}{rec['calls']:>7}{rec['stored']:>8}{rec['left']:>7}"
                  f"{str(b['ends']):>15}{m['wall']:>8.1f}s{m['cpu']:>7.1f}s{m['rss_mb']:>6.0f}MB",
                  flush=True)
            if b["left"] == 0 or len(days) > 60:
                break
            day = next_weekday(day)
            job = ["daily_update"]
        quota_hits = sum(1 for r in json.loads(urllib.request.urlopen(
            fake.base + "/_fake/requests").read()) if r.get("fault") == "quota")
        fake.stop()
        verify = measure([str(self.krxbatch), "--db", str(limited), "--now",
                          f"{day}T08:30:00+09:00", "verify"], env=env)

        unlimited = self.work / "long-unlimited.db"
        copy_db(None, unlimited)
        scale = dict(scale, quota=None)
        fake = self.fake(scale)
        env = job_env(fake.base)
        env["KRX_DAILY_LIMIT"] = "1000000"
        env["KRXBATCH_ARCHIVE_DIR"] = "off"
        ref = [measure([str(self.krxbatch), "--db", str(unlimited), "--now", now0, *setup], env=env)]
        fake.control("POST", "/_fake/clock?now=" + urllib.parse.quote(f"{day}T08:30:00+09:00"))
        ref.append(measure([str(self.krxbatch), "--db", str(unlimited), "--now",
                            f"{day}T08:30:00+09:00", "daily_update"], env=env))
        fake.stop()
        if any(r["exit"] != 0 for r in ref):
            raise SystemExit(f"the unlimited run failed: {[r['exit'] for r in ref]}")

        def digest(db):
            return json.loads(subprocess.run(
                [str(self.krxbatch), "--db", str(db), "--json", "--log-level", "warn", "digest"],
                env=env, capture_output=True, text=True, check=True).stdout)["sha256"]

        d_limited, d_unlimited = digest(limited), digest(unlimited)
        with sqlite3.connect(limited) as c:
            rows = c.execute("SELECT count(*) FROM daily_prices").fetchone()[0]
            first_stored = c.execute("SELECT min(trade_date) FROM daily_prices").fetchone()[0]
        weekdays = len(days)
        print(f"   limited: {weekdays} KST weekdays ({days[0]['day']}..{day}), "
              f"{sum(r['wall'] for r in days):.0f} s of runs, {rows:,} price rows from "
              f"{first_stored}; calls past the fake's quota: {quota_hits}; verify exit "
              f"{verify['exit']}")
        print(f"   unlimited: manual_setup {ref[0]['wall']:.1f} s ({ref[0]['rss_mb']:.0f} MB), "
              f"daily_update {ref[1]['wall']:.1f} s")
        same = d_limited == d_unlimited
        print(f"   digest limited   {d_limited}\n   digest unlimited {d_unlimited}\n   "
              + ("SAME" if same else "DIFFERENT") + "\n")
        self.results["long_history"] = {
            "sessions": len(sessions), "limit": a.long_limit, "days": days, "rows": rows,
            "quota_hits": quota_hits, "verify_exit": verify["exit"], "unlimited": ref,
            "digest_limited": d_limited, "digest_unlimited": d_unlimited, "same": same}
        if not same or quota_hits or verify["exit"] != 0:
            raise SystemExit("long history: FAILED")

    def archive_run(self):
        """Paired manual_setup runs, archive on and off, alternating order; the archive's size."""
        a = self.args
        t0, latest = "2024-06-03T08:30:00+09:00", "2024-05-31"
        first = self.prev(latest, a.sessions - 1)
        scale = {"kospi": a.kospi, "kosdaq": a.kosdaq, "start": first, "fake_now": t0,
                 "latency_ms": a.archive_latency_ms}
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
                check_exit(m, log, f"manual_setup (archive {mode})")
                if mode == "on":
                    files = [f for f in archive.rglob("*.json.gz")]
                    m["archive_files"] = len(files)
                    m["archive_bytes"] = sum(f.stat().st_size for f in files)
                pair[mode] = m
            pairs.append(pair)
        self.results["archive"] = pairs
        print(f"== archive on / off: manual_setup of {a.sessions} sessions, {a.reps} pairs "
              f"(alternating order), the fake answering after {a.archive_latency_ms} ms")
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


def next_weekday(iso):
    """The next Monday-to-Friday day after `iso` (the days the schedule runs daily_update)."""
    d = date.fromisoformat(iso) + timedelta(days=1)
    while d.weekday() >= 5:
        d += timedelta(days=1)
    return d.isoformat()


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
    p.add_argument("--latency", action="store_true",
                   help="instead: the backfill against a fake with latency, per connection count")
    p.add_argument("--latency-ms", type=int, nargs="+", default=[50, 150])
    p.add_argument("--archive-latency-ms", type=int, default=0,
                   help="with --archive: the fake waits this long before every answer (about 22 "
                        "ms is what the real KRX answers in; 0: loopback)")
    p.add_argument("--connections", type=int, nargs="+", default=[1, 2, 4, 8])
    p.add_argument("--python-workers", type=int, default=4)
    p.add_argument("--scale-run", action="store_true",
                   help="instead: every job's time and peak memory at several history sizes")
    p.add_argument("--scale-run-sessions", type=int, nargs="+", default=[300, 1200, 2450])
    p.add_argument("--scale-run-jobs", nargs="*", default=None,
                   help="only these jobs after each backfill (daily_update hourly_analysis verify "
                        "backup snapshot export_year status; none: the backfill alone)")
    p.add_argument("--long-history", action="store_true",
                   help="instead: a 4,000-session backfill from 2010 across a low daily limit")
    p.add_argument("--long-sessions", type=int, default=4000)
    p.add_argument("--long-kospi", type=int, default=100)
    p.add_argument("--long-kosdaq", type=int, default=200)
    p.add_argument("--long-limit", type=int, default=2000, help="calls a KST day")
    p.add_argument("--json", help="write every measurement here")
    p.add_argument("--workdir", default=None, help="where the databases go (default: $TMPDIR)")
    p.add_argument("--keep", action="store_true",
                   help="keep the work folder (and --scale-run's databases in it)")
    args = p.parse_args()

    bench = Bench(args)
    m = bench.results["machine"]
    print(f"machine: {m['nproc']} cores, {m['cpu']}, kernel {m['kernel']}, "
          f"load average {' '.join(m['load_start'])}")
    if not args.long_history:
        print(f"fake KRX: {args.kospi} KOSPI + {args.kosdaq} KOSDAQ issues on its first session; "
              f"a fresh (cold) server for every measured process\n")
    try:
        if args.scaling:
            bench.scaling_run()
        elif args.archive:
            bench.archive_run()
        elif args.latency:
            bench.latency_run()
        elif args.scale_run:
            bench.scale_run()
        elif args.long_history:
            bench.long_history_run()
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
