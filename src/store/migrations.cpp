#include "migrations.hpp"

#include <array>

namespace krxbatch::store {
namespace {

// Version 1: the schema of DESIGN §4. Dates are ISO 'YYYY-MM-DD' text; instants are ISO KST
// text ('2024-06-28T19:00:03+09:00'); money and share counts are 64-bit INTEGER.
constexpr std::string_view k_v1 = R"SQL(
CREATE TABLE job_status (
  job_name          TEXT PRIMARY KEY,
  last_success_date TEXT,   -- the mark: never passes a session that is not complete
  state             TEXT NOT NULL DEFAULT 'never_run'
                    CHECK (state IN ('never_run','running','succeeded','partial','failed','skipped')),
  last_run_id       INTEGER,
  last_started_at   TEXT,
  last_finished_at  TEXT,
  last_duration_ms  INTEGER,
  last_message      TEXT,
  updated_at        TEXT
);
INSERT INTO job_status (job_name) VALUES ('manual_setup'), ('daily_update'), ('hourly_analysis');

CREATE TABLE job_runs (
  run_id          INTEGER PRIMARY KEY,
  job_name        TEXT NOT NULL REFERENCES job_status (job_name),
  started_at      TEXT NOT NULL,
  finished_at     TEXT,
  outcome         TEXT NOT NULL
                  CHECK (outcome IN ('running','succeeded','partial','failed','skipped')),
  pid             INTEGER,
  args            TEXT,
  session_from    TEXT,
  session_to      TEXT,
  days_done       INTEGER NOT NULL DEFAULT 0,
  rows_written    INTEGER NOT NULL DEFAULT 0,
  items_done      INTEGER,
  items_remaining INTEGER,
  api_calls       INTEGER NOT NULL DEFAULT 0,
  duration_ms     INTEGER,
  message         TEXT
);
CREATE INDEX job_runs_by_job ON job_runs (job_name, run_id);

CREATE TABLE job_days (
  job_name    TEXT NOT NULL REFERENCES job_status (job_name),
  trade_date  TEXT NOT NULL,
  state       TEXT NOT NULL
              CHECK (state IN ('pending','running','succeeded','failed','waiting')),
  attempts    INTEGER NOT NULL DEFAULT 0,
  last_error  TEXT,
  rows_stored INTEGER,
  run_id      INTEGER,
  updated_at  TEXT NOT NULL,
  PRIMARY KEY (job_name, trade_date)
) WITHOUT ROWID;

CREATE TABLE daily_prices (
  ticker        TEXT NOT NULL CHECK (length(ticker) = 6),
  trade_date    TEXT NOT NULL,
  market        TEXT NOT NULL CHECK (market IN ('KOSPI','KOSDAQ','KONEX')),
  name          TEXT NOT NULL,
  open          INTEGER,  -- NULL when the issue did not trade (KRX sends 0)
  high          INTEGER,
  low           INTEGER,
  close         INTEGER NOT NULL,
  volume        INTEGER NOT NULL,
  value         INTEGER NOT NULL,
  market_cap    INTEGER NOT NULL,
  listed_shares INTEGER NOT NULL,
  change        INTEGER,  -- CMPPREVDD_PRC
  change_rate   REAL,     -- FLUC_RT, percent
  section       TEXT,     -- SECT_TP_NM; NULL where KRX sends '-'
  PRIMARY KEY (ticker, trade_date)
) WITHOUT ROWID;
CREATE INDEX daily_prices_by_date ON daily_prices (trade_date, market);

CREATE TABLE index_prices (
  index_class TEXT NOT NULL,  -- IDX_CLSS, e.g. 'KOSPI'
  index_name  TEXT NOT NULL,  -- IDX_NM, e.g. '코스피'
  trade_date  TEXT NOT NULL,
  open        REAL,
  high        REAL,
  low         REAL,
  close       REAL,
  change      REAL,
  change_rate REAL,
  volume      INTEGER,
  value       INTEGER,
  market_cap  INTEGER,
  PRIMARY KEY (index_class, index_name, trade_date)
) WITHOUT ROWID;

CREATE TABLE target_tickers (
  ticker             TEXT PRIMARY KEY CHECK (length(ticker) = 6),
  name               TEXT NOT NULL,
  market             TEXT NOT NULL,
  market_cap         INTEGER NOT NULL,  -- on universe_date
  universe_date      TEXT NOT NULL,     -- session the threshold was last applied on
  active             INTEGER NOT NULL DEFAULT 1,
  added_date         TEXT NOT NULL,
  deactivated_date   TEXT,
  last_analyzed_date TEXT,
  last_error         TEXT
) WITHOUT ROWID;

CREATE TABLE analysis_results (
  ticker           TEXT NOT NULL,
  as_of_date       TEXT NOT NULL,
  score            REAL,     -- 0-100 once the session is ranked; NULL before or if ineligible
  trend_score      REAL,
  momentum_score   REAL,
  short_term_score REAL,
  risk_score       REAL,
  liquidity_score  REAL,
  eligible         INTEGER NOT NULL DEFAULT 0,
  flags            TEXT,     -- comma-separated eligibility flags
  error            TEXT,     -- why the stock could not be analysed
  bars             INTEGER,
  computed_at      TEXT,
  ranked_at        TEXT,
  PRIMARY KEY (ticker, as_of_date)
) WITHOUT ROWID;
CREATE INDEX analysis_results_by_date ON analysis_results (as_of_date);

CREATE TABLE data_quality_issues (
  id          INTEGER PRIMARY KEY,
  trade_date  TEXT NOT NULL,
  market      TEXT,
  ticker      TEXT,
  severity    TEXT NOT NULL CHECK (severity IN ('WARN','ERROR')),
  rule        TEXT NOT NULL,
  message     TEXT NOT NULL,
  detected_at TEXT NOT NULL
);
CREATE INDEX data_quality_by_date ON data_quality_issues (trade_date);

CREATE TABLE alerts (
  id              INTEGER PRIMARY KEY,
  created_at      TEXT NOT NULL,
  severity        TEXT NOT NULL CHECK (severity IN ('INFO','WARN','CRITICAL')),
  job_name        TEXT,
  rule            TEXT NOT NULL,
  message         TEXT NOT NULL,
  acknowledged    INTEGER NOT NULL DEFAULT 0,
  acknowledged_at TEXT,
  dedupe_key      TEXT      -- at most one open alert per key
);
CREATE UNIQUE INDEX alerts_open_by_key ON alerts (dedupe_key)
  WHERE acknowledged = 0 AND dedupe_key IS NOT NULL;

CREATE TABLE api_calls (
  kst_date TEXT PRIMARY KEY,  -- KRX counts calls per key per KST day
  calls    INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT
) WITHOUT ROWID;
)SQL";

// Version 2: what hourly_analysis keeps per (ticker, session) besides the scores of version 1
// (docs/SCORING.md): the unranked composite, the close and the TA-Lib indicator values on the
// session (named as in `krxbatch indicators`; OBV's level is left out, its flow is a factor),
// and every raw factor as it was ranked (f_*). NULL where a value is undefined (too few bars,
// no index, ineligible because not on the session).
constexpr std::string_view k_v2 = R"SQL(
ALTER TABLE analysis_results ADD COLUMN composite_raw REAL;  -- weighted mean of the pillar scores
ALTER TABLE analysis_results ADD COLUMN close REAL;
ALTER TABLE analysis_results ADD COLUMN sma5 REAL;
ALTER TABLE analysis_results ADD COLUMN sma20 REAL;
ALTER TABLE analysis_results ADD COLUMN sma60 REAL;
ALTER TABLE analysis_results ADD COLUMN sma120 REAL;
ALTER TABLE analysis_results ADD COLUMN ema12 REAL;
ALTER TABLE analysis_results ADD COLUMN ema26 REAL;
ALTER TABLE analysis_results ADD COLUMN rsi14 REAL;
ALTER TABLE analysis_results ADD COLUMN macd REAL;
ALTER TABLE analysis_results ADD COLUMN macd_signal REAL;
ALTER TABLE analysis_results ADD COLUMN macd_hist REAL;
ALTER TABLE analysis_results ADD COLUMN bb_upper REAL;
ALTER TABLE analysis_results ADD COLUMN bb_middle REAL;
ALTER TABLE analysis_results ADD COLUMN bb_lower REAL;
ALTER TABLE analysis_results ADD COLUMN atr14 REAL;
ALTER TABLE analysis_results ADD COLUMN stoch_slowk REAL;
ALTER TABLE analysis_results ADD COLUMN stoch_slowd REAL;
ALTER TABLE analysis_results ADD COLUMN mfi14 REAL;
ALTER TABLE analysis_results ADD COLUMN adx14 REAL;
ALTER TABLE analysis_results ADD COLUMN cci20 REAL;
ALTER TABLE analysis_results ADD COLUMN willr14 REAL;
ALTER TABLE analysis_results ADD COLUMN roc10 REAL;
ALTER TABLE analysis_results ADD COLUMN plus_di14 REAL;
ALTER TABLE analysis_results ADD COLUMN minus_di14 REAL;
ALTER TABLE analysis_results ADD COLUMN natr14 REAL;
-- raw factors: trend pillar
ALTER TABLE analysis_results ADD COLUMN f_close_vs_sma120 REAL;
ALTER TABLE analysis_results ADD COLUMN f_close_vs_sma60 REAL;
ALTER TABLE analysis_results ADD COLUMN f_sma20_vs_sma60 REAL;
ALTER TABLE analysis_results ADD COLUMN f_adx_signed REAL;
ALTER TABLE analysis_results ADD COLUMN f_macd_hist_rel REAL;
-- raw factors: momentum pillar
ALTER TABLE analysis_results ADD COLUMN f_mom_12_7 REAL;
ALTER TABLE analysis_results ADD COLUMN f_mom_idio_12_1 REAL;
ALTER TABLE analysis_results ADD COLUMN f_near_high_252 REAL;
-- raw factors: short-term pillar
ALTER TABLE analysis_results ADD COLUMN f_reversal_5 REAL;
ALTER TABLE analysis_results ADD COLUMN f_rsi_distance REAL;
ALTER TABLE analysis_results ADD COLUMN f_obv_flow_20 REAL;
-- raw factors: risk pillar
ALTER TABLE analysis_results ADD COLUMN f_volatility_60 REAL;
ALTER TABLE analysis_results ADD COLUMN f_natr14 REAL;
ALTER TABLE analysis_results ADD COLUMN f_ulcer_120 REAL;
ALTER TABLE analysis_results ADD COLUMN f_max_drawdown_250 REAL;
ALTER TABLE analysis_results ADD COLUMN f_max_return_5 REAL;
-- raw factors: liquidity pillar
ALTER TABLE analysis_results ADD COLUMN f_avg_value_20 REAL;
ALTER TABLE analysis_results ADD COLUMN f_amihud_21 REAL;
-- raw factors: diagnostics, not ranked
ALTER TABLE analysis_results ADD COLUMN f_mom_12_1 REAL;
ALTER TABLE analysis_results ADD COLUMN f_beta_120 REAL;
ALTER TABLE analysis_results ADD COLUMN f_rel_strength_120 REAL;
ALTER TABLE analysis_results ADD COLUMN f_zero_volume_days_20 REAL;
)SQL";

// Version 3: the staging table of a multi-session ingestion run (docs/PERFORMANCE.md, "The
// staging table"). The same columns as daily_prices, clustered by session instead of by ticker:
// a session's transaction appends ~60 pages here instead of dirtying the newest page of every
// issue in daily_prices. Staged rows are merged into daily_prices by the ingestion run holding
// the ingest lock (every 500 sessions, at the end of the run, and first thing in the next run
// after a kill); daily_update's mark never passes a staged session.
constexpr std::string_view k_v3 = R"SQL(
CREATE TABLE daily_prices_staging (
  ticker        TEXT NOT NULL CHECK (length(ticker) = 6),
  trade_date    TEXT NOT NULL,
  market        TEXT NOT NULL CHECK (market IN ('KOSPI','KOSDAQ','KONEX')),
  name          TEXT NOT NULL,
  open          INTEGER,
  high          INTEGER,
  low           INTEGER,
  close         INTEGER NOT NULL,
  volume        INTEGER NOT NULL,
  value         INTEGER NOT NULL,
  market_cap    INTEGER NOT NULL,
  listed_shares INTEGER NOT NULL,
  change        INTEGER,
  change_rate   REAL,
  section       TEXT,
  PRIMARY KEY (trade_date, ticker)
) WITHOUT ROWID;
)SQL";

// Version 4: the staging table holds one packed value per session and market
// (src/store/staged_rows.hpp) instead of one record per row: a session's transaction writes one
// value instead of ~2,700 records, and the merge reads the sessions back in ticker order without
// a sort. Rows staged by version 3 (a run killed before its merge) move to daily_prices here:
// the next ingestion run moves daily_update's mark over them.
constexpr std::string_view k_v4 = R"SQL(
INSERT INTO daily_prices (ticker, trade_date, market, name, open, high, low, close, volume,
                          value, market_cap, listed_shares, change, change_rate, section)
SELECT ticker, trade_date, market, name, open, high, low, close, volume, value, market_cap,
       listed_shares, change, change_rate, section
FROM daily_prices_staging ORDER BY ticker, trade_date;
DROP TABLE daily_prices_staging;
CREATE TABLE daily_prices_staging (
  trade_date TEXT NOT NULL,
  market     TEXT NOT NULL CHECK (market IN ('KOSPI','KOSDAQ','KONEX')),
  row_count  INTEGER NOT NULL CHECK (row_count > 0),
  rows       BLOB NOT NULL,
  PRIMARY KEY (trade_date, market)
);
)SQL";

// Version 5: corporate actions (docs/ADJUSTMENTS.md). price_adjustments holds one row per
// re-base KRX made, detected from its base price (close - change) against the previous
// session's close; the view back-adjusts daily_prices with them: a row before an event is
// multiplied by the cum_factor of the issue's first event after it (the product of that
// factor and every later one), its volume divided by it; value and market cap are not part of
// it. (A correlated subquery rather than a join: with the join SQLite scans daily_prices through
// its date index, one random lookup per row, 6 s for a full market instead of 1.7 s.) The step
// after the SQL derives the events of the prices already stored.
constexpr std::string_view k_v5 = R"SQL(
CREATE TABLE price_adjustments (
  ticker             TEXT NOT NULL CHECK (length(ticker) = 6),
  ex_date            TEXT NOT NULL,     -- the session KRX re-based the price on
  prev_close         INTEGER NOT NULL,  -- the issue's close on the session before
  base_price         INTEGER NOT NULL,  -- KRX's base price on ex_date: close - change
  factor             REAL NOT NULL,     -- base_price / prev_close
  cum_factor         REAL NOT NULL,     -- factor x every later factor of the ticker
  prev_listed_shares INTEGER NOT NULL,  -- listed shares on the session before
  listed_shares      INTEGER NOT NULL,  -- listed shares on ex_date
  detected_at        TEXT NOT NULL,
  PRIMARY KEY (ticker, ex_date)
) WITHOUT ROWID;
CREATE INDEX price_adjustments_by_date ON price_adjustments (ex_date);

CREATE VIEW daily_prices_adjusted (ticker, trade_date, open, high, low, close, volume, factor) AS
SELECT ticker, trade_date, open * f, high * f, low * f, close * f, volume / f, f
FROM (SELECT p.ticker, p.trade_date, p.open, p.high, p.low, p.close, p.volume,
             ifnull((SELECT a.cum_factor FROM price_adjustments a
                     WHERE a.ticker = p.ticker AND a.ex_date > p.trade_date
                     ORDER BY a.ex_date LIMIT 1), 1.0) AS f
      FROM daily_prices p);
)SQL";

// Version 6: every session scored (docs/SCORING.md "Which sessions are scored"). One row per
// session hourly_analysis works on, in the manner of job_days: `pending` until every active
// target has a current analysis_results row for it, then `ranked` by the run that completed it.
// analysis_results.stale marks a row whose input rows changed since it was computed (a reload
// by daily_update --from/--to, a new or changed corporate action): it is recomputed, and its
// session ranked again, by the next run. The sessions already analysed are taken over as they
// are (a session whose rows are all ranked is `ranked`).
constexpr std::string_view k_v6 = R"SQL(
ALTER TABLE analysis_results ADD COLUMN stale INTEGER NOT NULL DEFAULT 0;
CREATE INDEX analysis_results_stale ON analysis_results (as_of_date) WHERE stale = 1;
CREATE TABLE analysis_sessions (
  session    TEXT PRIMARY KEY,
  state      TEXT NOT NULL CHECK (state IN ('pending','ranked')),
  targets    INTEGER,  -- active targets with a row when last ranked
  scored     INTEGER,  -- of which with a score
  failed     INTEGER,  -- of which with an error
  reason     TEXT,     -- why pending again after a ranking (a reload, a corporate action)
  ranked_at  TEXT,
  updated_at TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO analysis_sessions (session, state, targets, scored, failed, ranked_at, updated_at)
SELECT as_of_date, CASE WHEN count(ranked_at) = count(*) THEN 'ranked' ELSE 'pending' END,
       count(*), count(score), count(error), max(ranked_at),
       coalesce(max(ranked_at), max(computed_at), '')
FROM analysis_results GROUP BY as_of_date;
)SQL";

// Version 7: the operator's watchlist (`krxbatch watchlist`): the stocks whose score moves,
// corporate actions, halts, delistings and loss of eligibility raise the `watchlist` digest when a
// session is ranked, and which the daily report lists. A ticker is added only when daily_prices
// knows it; its row stays when the stock leaves the market (that is one of the things it reports).
constexpr std::string_view k_v7 = R"SQL(
CREATE TABLE watchlist (
  ticker   TEXT PRIMARY KEY CHECK (length(ticker) = 6),
  note     TEXT,
  added_at TEXT NOT NULL
) WITHOUT ROWID;
)SQL";

// Version 8: the export jobs of `krxbatch serve` (docs/API.md): the only table the server
// writes. A job is PENDING until the server's one export worker takes it, RUNNING while it
// writes (files_done of files_total), then SUCCEEDED (out_dir holds the export) or FAILED with
// the reason. A job RUNNING when the server stopped is taken again when it starts.
constexpr std::string_view k_v8 = R"SQL(
CREATE TABLE export_jobs (
  id          INTEGER PRIMARY KEY,
  state       TEXT NOT NULL CHECK (state IN ('PENDING','RUNNING','SUCCEEDED','FAILED')),
  from_date   TEXT NOT NULL,
  to_date     TEXT NOT NULL,
  tickers     TEXT,              -- comma-separated, sorted; NULL: every ticker
  adjusted    INTEGER NOT NULL,
  files_done  INTEGER NOT NULL DEFAULT 0,
  files_total INTEGER,
  reason      TEXT,              -- why it FAILED
  created_at  TEXT NOT NULL,
  started_at  TEXT,
  finished_at TEXT
);
CREATE INDEX export_jobs_by_state ON export_jobs (state, id);
)SQL";

// Version 9: index_prices by session. Every session written deletes its index rows first
// (`replace_day`), and the primary key starts with the index's class: without this index that
// delete read the whole table, a page more every ~35 sessions of history (at 2,450 sessions
// ~1,000 pages for each session a daily_update writes, and a backfill's cost per session grew
// with the sessions before it; docs/PERFORMANCE.md "The scale run").
constexpr std::string_view k_v9 = R"SQL(
CREATE INDEX index_prices_by_date ON index_prices (trade_date);
)SQL";

constexpr std::array<Migration, 9> k_migrations = {{
    {1, k_v1},
    {2, k_v2},
    {3, k_v3},
    {4, k_v4},
    {5, k_v5, derive_price_adjustments},
    {6, k_v6},
    {7, k_v7},
    {8, k_v8},
    {9, k_v9},
}};

} // namespace

std::span<const Migration> migrations() {
  return k_migrations;
}

} // namespace krxbatch::store
