#!/usr/bin/python3
"""The Python reference for krxbatch's benchmark (DESIGN §8): the three jobs written the way the
pykrx + pandas cron scripts that krxbatch replaces do them.

    krx_ref.py --db FILE --now ISO-INSTANT manual_setup [--days 300] [--workers 4]
    krx_ref.py --db FILE --now ISO-INSTANT daily_update
    krx_ref.py --db FILE --now ISO-INSTANT hourly_analysis

Environment: KRX_API_BASE_URL (e.g. the fake KRX on loopback), KRX_AUTH_KEY, and
KRXBATCH_HOLIDAYS (the holidays/ folder; default: ../../holidays next to this file).

The style is deliberately the usual one, competent but not tuned: urllib one market-day at a
time (one request per endpoint, a new connection each, a small retry loop), json.loads +
pandas DataFrames to clean and type the rows, sqlite3 executemany upserts into tables shaped
like krxbatch's (one transaction per session, the mark moved with it), and for the analysis
one query per ticker with pandas rolling/ewm indicators and a rank-based 0-100 score. See
docs/PERFORMANCE.md for what it does and does not do compared with krxbatch.

--workers N (the usual thread pool of such scripts against a distant server): a session's
calls are made together on a concurrent.futures pool of N threads, then parsed and stored as
above; the next session is asked for once this one is stored.
"""

import argparse
import concurrent.futures
import datetime as dt
import json
import os
import sqlite3
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd

KST = dt.timezone(dt.timedelta(hours=9))

STOCK_APIS = [("KOSPI", "sto/stk_bydd_trd"), ("KOSDAQ", "sto/ksq_bydd_trd")]
INDEX_APIS = ["idx/kospi_dd_trd", "idx/kosdaq_dd_trd"]

PRICE_NUMERIC = ["TDD_CLSPRC", "CMPPREVDD_PRC", "TDD_OPNPRC", "TDD_HGPRC", "TDD_LWPRC",
                 "ACC_TRDVOL", "ACC_TRDVAL", "MKTCAP", "LIST_SHRS"]
INDEX_NUMERIC = ["CLSPRC_IDX", "CMPPREVDD_IDX", "FLUC_RT", "OPNPRC_IDX", "HGPRC_IDX",
                 "LWPRC_IDX", "ACC_TRDVOL", "ACC_TRDVAL", "MKTCAP"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS job_status (
  job_name TEXT PRIMARY KEY, last_success_date TEXT, state TEXT, updated_at TEXT);
INSERT OR IGNORE INTO job_status (job_name) VALUES
  ('manual_setup'), ('daily_update'), ('hourly_analysis');
CREATE TABLE IF NOT EXISTS daily_prices (
  ticker TEXT NOT NULL, trade_date TEXT NOT NULL, market TEXT NOT NULL, name TEXT NOT NULL,
  open INTEGER, high INTEGER, low INTEGER, close INTEGER NOT NULL, volume INTEGER NOT NULL,
  value INTEGER NOT NULL, market_cap INTEGER NOT NULL, listed_shares INTEGER NOT NULL,
  change INTEGER, change_rate REAL, section TEXT,
  PRIMARY KEY (ticker, trade_date)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS daily_prices_by_date ON daily_prices (trade_date, market);
CREATE TABLE IF NOT EXISTS index_prices (
  index_class TEXT NOT NULL, index_name TEXT NOT NULL, trade_date TEXT NOT NULL,
  open REAL, high REAL, low REAL, close REAL, change REAL, change_rate REAL,
  volume INTEGER, value INTEGER, market_cap INTEGER,
  PRIMARY KEY (index_class, index_name, trade_date)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS target_tickers (
  ticker TEXT PRIMARY KEY, name TEXT NOT NULL, market TEXT NOT NULL,
  market_cap INTEGER NOT NULL, universe_date TEXT NOT NULL, active INTEGER NOT NULL DEFAULT 1,
  last_analyzed_date TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS analysis_results (
  ticker TEXT NOT NULL, as_of_date TEXT NOT NULL, score REAL, trend_score REAL,
  momentum_score REAL, short_term_score REAL, risk_score REAL, liquidity_score REAL,
  close REAL, sma5 REAL, sma20 REAL, sma60 REAL, sma120 REAL, ema12 REAL, ema26 REAL,
  rsi14 REAL, macd REAL, macd_signal REAL, macd_hist REAL, bb_upper REAL, bb_middle REAL,
  bb_lower REAL, atr14 REAL, stoch_slowk REAL, stoch_slowd REAL, obv REAL, mfi14 REAL,
  adx14 REAL, cci20 REAL, willr14 REAL, roc10 REAL, bars INTEGER, computed_at TEXT,
  PRIMARY KEY (ticker, as_of_date)) WITHOUT ROWID;
"""


# --------------------------------------------------------------------------------------------
# Calendar: weekdays that are not in holidays/YYYY.txt; the close is 15:30 KST.
# --------------------------------------------------------------------------------------------

def load_holidays(folder):
    days = set()
    for f in Path(folder).glob("[0-9][0-9][0-9][0-9].txt"):
        for line in f.read_text(encoding="utf-8").splitlines():
            text = line.split("#", 1)[0].strip()
            if text:
                days.add(dt.date.fromisoformat(text))
    return days


class Calendar:
    def __init__(self, holidays):
        self.holidays = holidays

    def is_session(self, d):
        return d.weekday() < 5 and d not in self.holidays

    def previous(self, d):
        d -= dt.timedelta(days=1)
        while not self.is_session(d):
            d -= dt.timedelta(days=1)
        return d

    def next(self, d):
        d += dt.timedelta(days=1)
        while not self.is_session(d):
            d += dt.timedelta(days=1)
        return d

    def last_closed(self, now):
        d = now.date()
        while not self.is_session(d):
            d -= dt.timedelta(days=1)
        if d == now.date() and now.time() < dt.time(15, 30):
            d = self.previous(d)
        return d

    def sessions_back(self, last, count):
        days = [last]
        while len(days) < count:
            days.append(self.previous(days[-1]))
        return days[::-1]


# --------------------------------------------------------------------------------------------
# The Open API: one GET per market-day
# --------------------------------------------------------------------------------------------

def fetch(base, key, api, day):
    url = f"{base}/svc/apis/{api}?basDd={day:%Y%m%d}"
    request = urllib.request.Request(url, headers={"AUTH_KEY": key})
    for attempt in range(4):
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read())["OutBlock_1"]
        except urllib.error.HTTPError as e:
            if e.code < 500 or attempt == 3:
                raise
        except (urllib.error.URLError, ConnectionError, json.JSONDecodeError):
            if attempt == 3:
                raise
        time.sleep(0.1 * 2 ** attempt)
    return []


def clean_numbers(df, columns):
    for c in columns:
        df[c] = pd.to_numeric(df[c].str.replace(",", "", regex=False).replace({"-": None, "": None}),
                              errors="coerce")
    return df


def stock_frame(rows, market, day):
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    df = clean_numbers(df, PRICE_NUMERIC)
    df["FLUC_RT"] = pd.to_numeric(df["FLUC_RT"].replace({"-": None, "": None}), errors="coerce")
    if (df["BAS_DD"] != f"{day:%Y%m%d}").any():
        raise ValueError(f"{market} {day}: BAS_DD is not the requested day")
    if not df["ISU_CD"].str.fullmatch(r"[0-9A-Z]{6}").all():
        raise ValueError(f"{market} {day}: a ticker is not 6 characters of 0-9A-Z")
    if df["ISU_CD"].duplicated().any():
        raise ValueError(f"{market} {day}: a ticker is listed twice")
    if df[["TDD_CLSPRC", "ACC_TRDVOL", "ACC_TRDVAL", "MKTCAP", "LIST_SHRS"]].isna().any().any():
        raise ValueError(f"{market} {day}: a mandatory value is missing")
    # KRX sends O/H/L = 0 for an issue that did not trade: that is no price.
    no_trade = df["ACC_TRDVOL"] == 0
    for c in ["TDD_OPNPRC", "TDD_HGPRC", "TDD_LWPRC"]:
        df.loc[no_trade & (df[c] == 0), c] = np.nan
    df["SECT_TP_NM"] = df["SECT_TP_NM"].replace({"-": None})
    df["trade_date"] = day.isoformat()
    df["market"] = market
    return df


def to_records(df, columns):
    # NaN -> None and numpy scalars -> Python ints/floats for sqlite3.
    out = df[columns].astype(object).where(df[columns].notna(), None)
    return list(out.itertuples(index=False, name=None))


UPSERT_PRICE = """
INSERT INTO daily_prices (ticker, trade_date, market, name, open, high, low, close, volume,
  value, market_cap, listed_shares, change, change_rate, section)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (ticker, trade_date) DO UPDATE SET market = excluded.market, name = excluded.name,
  open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close,
  volume = excluded.volume, value = excluded.value, market_cap = excluded.market_cap,
  listed_shares = excluded.listed_shares, change = excluded.change,
  change_rate = excluded.change_rate, section = excluded.section
"""
PRICE_COLUMNS = ["ISU_CD", "trade_date", "market", "ISU_NM", "TDD_OPNPRC", "TDD_HGPRC",
                 "TDD_LWPRC", "TDD_CLSPRC", "ACC_TRDVOL", "ACC_TRDVAL", "MKTCAP", "LIST_SHRS",
                 "CMPPREVDD_PRC", "FLUC_RT", "SECT_TP_NM"]

UPSERT_INDEX = """
INSERT INTO index_prices (index_class, index_name, trade_date, open, high, low, close, change,
  change_rate, volume, value, market_cap)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (index_class, index_name, trade_date) DO UPDATE SET open = excluded.open,
  high = excluded.high, low = excluded.low, close = excluded.close, change = excluded.change,
  change_rate = excluded.change_rate, volume = excluded.volume, value = excluded.value,
  market_cap = excluded.market_cap
"""
INDEX_COLUMNS = ["IDX_CLSS", "IDX_NM", "trade_date", "OPNPRC_IDX", "HGPRC_IDX", "LWPRC_IDX",
                 "CLSPRC_IDX", "CMPPREVDD_IDX", "FLUC_RT", "ACC_TRDVOL", "ACC_TRDVAL", "MKTCAP"]


class Ingest:
    def __init__(self, conn, cal, base, key, workers=1):
        self.conn, self.cal, self.base, self.key = conn, cal, base, key
        self.rows = 0
        self.calls = 0
        self.pool = concurrent.futures.ThreadPoolExecutor(workers) if workers > 1 else None
        self.ahead = {}

    def get(self, api, day):
        if (api, day) in self.ahead:
            return self.ahead.pop((api, day)).result()
        self.calls += 1
        return fetch(self.base, self.key, api, day)

    def ask_all(self, day, skip_kospi):
        """With a pool: the session's calls, all at once."""
        if self.pool is None:
            return
        for _, api in STOCK_APIS[1 if skip_kospi else 0:]:
            self.calls += 1
            self.ahead[(api, day)] = self.pool.submit(fetch, self.base, self.key, api, day)
        for api in INDEX_APIS:
            self.calls += 1
            self.ahead[(api, day)] = self.pool.submit(fetch, self.base, self.key, api, day)

    def day(self, day, first_rows=None):
        """Fetches, checks and stores one session; False when it is not published yet."""
        self.ask_all(day, first_rows is not None)
        frames = []
        for market, api in STOCK_APIS:
            rows = first_rows if (first_rows is not None and market == "KOSPI") else self.get(api, day)
            df = stock_frame(rows, market, day)
            if df.empty:
                return False
            previous = self.conn.execute(
                "SELECT count(*) FROM daily_prices WHERE trade_date = ? AND market = ?",
                (self.cal.previous(day).isoformat(), market)).fetchone()[0]
            if previous and len(df) * 2 < previous:
                raise ValueError(f"{market} {day}: {len(df)} rows, the previous session had {previous}")
            frames.append(df)
        indices = []
        for api in INDEX_APIS:
            df = pd.DataFrame(self.get(api, day))
            if df.empty:
                return False
            df = clean_numbers(df, [c for c in INDEX_NUMERIC if c != "FLUC_RT"])
            df["FLUC_RT"] = pd.to_numeric(df["FLUC_RT"].replace({"-": None}), errors="coerce")
            df["trade_date"] = day.isoformat()
            indices.append(df)
        prices = pd.concat(frames, ignore_index=True)
        index_frame = pd.concat(indices, ignore_index=True)
        with self.conn:
            self.conn.executemany(UPSERT_PRICE, to_records(prices, PRICE_COLUMNS))
            self.conn.executemany(UPSERT_INDEX, to_records(index_frame, INDEX_COLUMNS))
            self.conn.execute(
                "UPDATE job_status SET last_success_date = ?, state = 'running', updated_at = ? "
                "WHERE job_name = 'daily_update'", (day.isoformat(), dt.datetime.now(KST).isoformat()))
        self.rows += len(prices) + len(index_frame)
        return True


def open_db(path):
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.executescript(SCHEMA)
    return conn


def mark(conn, job):
    row = conn.execute("SELECT last_success_date FROM job_status WHERE job_name = ?", (job,)).fetchone()
    return dt.date.fromisoformat(row[0]) if row and row[0] else None


def set_job(conn, job, day, state):
    with conn:
        conn.execute("UPDATE job_status SET last_success_date = coalesce(?, last_success_date), "
                     "state = ?, updated_at = ? WHERE job_name = ?",
                     (day.isoformat() if day else None, state, dt.datetime.now(KST).isoformat(), job))


# --------------------------------------------------------------------------------------------
# The jobs
# --------------------------------------------------------------------------------------------

def manual_setup(conn, cal, now, base, key, days, min_cap=100_000_000_000, workers=1):
    ingest = Ingest(conn, cal, base, key, workers)
    latest = cal.last_closed(now)
    first_rows = None
    for _ in range(10):
        first_rows = ingest.get("sto/stk_bydd_trd", latest)
        if first_rows:
            break
        latest = cal.previous(latest)
    if not first_rows:
        raise SystemExit("no published session found")
    window = cal.sessions_back(latest, days)
    done = mark(conn, "daily_update")
    stored = 0
    for d in window:
        if done and d <= done:
            continue
        if not ingest.day(d, first_rows if d == latest else None):
            break
        stored += 1
    # The universe: issues at or above the threshold on the latest session.
    universe = pd.read_sql_query(
        "SELECT ticker, name, market, market_cap FROM daily_prices "
        "WHERE trade_date = ? AND market_cap >= ?", conn, params=(latest.isoformat(), min_cap))
    universe["universe_date"] = latest.isoformat()
    with conn:
        conn.execute("UPDATE target_tickers SET active = 0")
        conn.executemany(
            "INSERT INTO target_tickers (ticker, name, market, market_cap, universe_date, active) "
            "VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT (ticker) DO UPDATE SET name = excluded.name, "
            "market = excluded.market, market_cap = excluded.market_cap, "
            "universe_date = excluded.universe_date, active = 1",
            to_records(universe, ["ticker", "name", "market", "market_cap", "universe_date"]))
    set_job(conn, "daily_update", None, "succeeded")
    set_job(conn, "manual_setup", latest, "succeeded")
    return f"manual_setup: {stored} sessions, {ingest.rows} rows, {ingest.calls} calls, {len(universe)} targets"


def daily_update(conn, cal, now, base, key):
    ingest = Ingest(conn, cal, base, key)
    last = cal.last_closed(now)
    d = cal.next(mark(conn, "daily_update"))
    stored = 0
    while d <= last:
        if not ingest.day(d):
            break
        stored += 1
        d = cal.next(d)
    set_job(conn, "daily_update", None, "succeeded")
    return f"daily_update: {stored} sessions, {ingest.rows} rows, {ingest.calls} calls"


def indicators(df):
    c, h, l, v = df["close"], df["high"], df["low"], df["volume"]
    out = {}
    for n in (5, 20, 60, 120):
        out[f"sma{n}"] = c.rolling(n).mean()
    ema12 = c.ewm(span=12, adjust=False).mean()
    ema26 = c.ewm(span=26, adjust=False).mean()
    out["ema12"], out["ema26"] = ema12, ema26
    delta = c.diff()
    gain = delta.clip(lower=0).ewm(alpha=1 / 14, adjust=False).mean()
    loss = (-delta.clip(upper=0)).ewm(alpha=1 / 14, adjust=False).mean()
    out["rsi14"] = 100 - 100 / (1 + gain / loss)
    macd = ema12 - ema26
    signal = macd.ewm(span=9, adjust=False).mean()
    out["macd"], out["macd_signal"], out["macd_hist"] = macd, signal, macd - signal
    mid = c.rolling(20).mean()
    std = c.rolling(20).std(ddof=0)
    out["bb_upper"], out["bb_middle"], out["bb_lower"] = mid + 2 * std, mid, mid - 2 * std
    prev_close = c.shift(1)
    tr = pd.concat([h - l, (h - prev_close).abs(), (l - prev_close).abs()], axis=1).max(axis=1)
    atr = tr.ewm(alpha=1 / 14, adjust=False).mean()
    out["atr14"] = atr
    lowest, highest = l.rolling(14).min(), h.rolling(14).max()
    fast_k = 100 * (c - lowest) / (highest - lowest)
    slow_k = fast_k.rolling(3).mean()
    out["stoch_slowk"], out["stoch_slowd"] = slow_k, slow_k.rolling(3).mean()
    out["obv"] = (np.sign(delta) * v).fillna(0).cumsum()
    tp = (h + l + c) / 3
    flow = tp * v
    up = flow.where(tp > tp.shift(1), 0.0).rolling(14).sum()
    down = flow.where(tp < tp.shift(1), 0.0).rolling(14).sum()
    out["mfi14"] = 100 - 100 / (1 + up / down)
    up_move, down_move = h.diff(), -l.diff()
    plus_dm = up_move.where((up_move > down_move) & (up_move > 0), 0.0)
    minus_dm = down_move.where((down_move > up_move) & (down_move > 0), 0.0)
    plus_di = 100 * plus_dm.ewm(alpha=1 / 14, adjust=False).mean() / atr
    minus_di = 100 * minus_dm.ewm(alpha=1 / 14, adjust=False).mean() / atr
    dx = 100 * (plus_di - minus_di).abs() / (plus_di + minus_di)
    out["adx14"] = dx.ewm(alpha=1 / 14, adjust=False).mean()
    tp_mean = tp.rolling(20).mean()
    mad = tp.rolling(20).apply(lambda x: np.abs(x - x.mean()).mean(), raw=True)
    out["cci20"] = (tp - tp_mean) / (0.015 * mad)
    out["willr14"] = -100 * (highest - c) / (highest - lowest)
    out["roc10"] = c.pct_change(10) * 100
    return pd.DataFrame(out)


def hourly_analysis(conn, cal, now, window=300):
    session = mark(conn, "daily_update")
    targets = conn.execute(
        "SELECT ticker FROM target_tickers WHERE active = 1 AND "
        "(last_analyzed_date IS NULL OR last_analyzed_date < ?) ORDER BY market_cap DESC",
        (session.isoformat(),)).fetchall()
    bars_read = 0
    components = []
    for (ticker,) in targets:
        df = pd.read_sql_query(
            "SELECT trade_date, open, high, low, close, volume, value FROM daily_prices "
            "WHERE ticker = ? AND trade_date <= ? ORDER BY trade_date DESC LIMIT ?",
            conn, params=(ticker, session.isoformat(), window))
        df = df.iloc[::-1].reset_index(drop=True)
        bars_read += len(df)
        # Suspended days: no O/H/L; carry the close so the indicators stay defined.
        for col in ("open", "high", "low"):
            df[col] = df[col].fillna(df["close"])
        ind = indicators(df.astype({"volume": float, "value": float}))
        last = ind.iloc[-1]
        close = float(df["close"].iloc[-1])
        returns = df["close"].pct_change()
        part = {
            "ticker": ticker,
            "trend": (close > last["sma120"]) + (last["sma20"] > last["sma60"]) + (last["macd_hist"] > 0),
            "momentum": df["close"].iloc[-1] / df["close"].iloc[max(0, len(df) - 120)] - 1,
            "short_term": 50 - abs(last["rsi14"] - 50),
            "risk": -returns.tail(60).std(),
            "liquidity": df["value"].tail(20).mean(),
        }
        components.append(part)
        row = {k: (None if pd.isna(x) else float(x)) for k, x in last.items()}
        with conn:
            conn.execute(
                "INSERT OR REPLACE INTO analysis_results (ticker, as_of_date, close, " +
                ", ".join(row.keys()) + ", bars, computed_at) VALUES (?, ?, ?, " +
                ", ".join("?" * len(row)) + ", ?, ?)",
                (ticker, session.isoformat(), close, *row.values(), len(df),
                 dt.datetime.now(KST).isoformat()))
            conn.execute("UPDATE target_tickers SET last_analyzed_date = ? WHERE ticker = ?",
                         (session.isoformat(), ticker))
    if components:
        parts = pd.DataFrame(components).set_index("ticker")
        ranks = parts.rank(pct=True) * 100
        ranks["score"] = ranks.mean(axis=1)
        with conn:
            conn.executemany(
                "UPDATE analysis_results SET score = ?, trend_score = ?, momentum_score = ?, "
                "short_term_score = ?, risk_score = ?, liquidity_score = ? "
                "WHERE ticker = ? AND as_of_date = ?",
                [(r.score, r.trend, r.momentum, r.short_term, r.risk, r.liquidity, t,
                  session.isoformat()) for t, r in ranks.iterrows()])
    set_job(conn, "hourly_analysis", session, "succeeded")
    return f"hourly_analysis: {len(targets)} targets, {bars_read} bars"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--now", required=True, help="e.g. 2024-06-03T08:30:00+09:00")
    parser.add_argument("job", choices=["manual_setup", "daily_update", "hourly_analysis"])
    parser.add_argument("--days", type=int, default=300)
    parser.add_argument("--workers", type=int, default=1,
                        help="manual_setup: threads fetching a session's calls together")
    parser.add_argument("--min-market-cap", type=int, default=100_000_000_000,
                        help="manual_setup: the universe's market-cap threshold in KRW")
    args = parser.parse_args()

    now = dt.datetime.fromisoformat(args.now).astimezone(KST)
    holidays = os.environ.get("KRXBATCH_HOLIDAYS") or Path(__file__).resolve().parents[2] / "holidays"
    cal = Calendar(load_holidays(holidays))
    base = os.environ.get("KRX_API_BASE_URL", "https://data-dbg.krx.co.kr").rstrip("/")
    key = os.environ.get("KRX_AUTH_KEY", "")
    conn = open_db(args.db)
    if args.job == "manual_setup":
        summary = manual_setup(conn, cal, now, base, key, args.days, args.min_market_cap,
                               args.workers)
    elif args.job == "daily_update":
        summary = daily_update(conn, cal, now, base, key)
    else:
        summary = hourly_analysis(conn, cal, now)
    conn.close()
    print(summary, file=sys.stderr)


if __name__ == "__main__":
    main()
