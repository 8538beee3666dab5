#include "reliability.hpp"

#include "krxbatch/core/date.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <utility>

namespace krxbatch::test::rel {

bool sanitized_build() {
#if defined(__SANITIZE_ADDRESS__)
  return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  return true;
#else
  return false;
#endif
#else
  return false;
#endif
}

int knob(const char* name, int ci, int sanitized) {
  const std::string var = std::string("KRXBATCH_RELIABILITY_") + name;
  const char* text = std::getenv(var.c_str());
  if (text == nullptr || *text == '\0') {
    return sanitized_build() ? sanitized : ci;
  }
  char* end = nullptr;
  const long n = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || n <= 0 || n > 1'000'000) {
    throw std::runtime_error(var + ": '" + text + "' is not a positive integer");
  }
  return static_cast<int>(n);
}

std::uint64_t seed() {
  const char* text = std::getenv("KRXBATCH_RELIABILITY_SEED");
  if (text == nullptr || *text == '\0') {
    return 20240701;
  }
  return std::strtoull(text, nullptr, 10);
}

std::int64_t Rng::between(std::int64_t lo, std::int64_t hi) {
  return std::uniform_int_distribution<std::int64_t>(lo, hi)(m_engine);
}

bool Rng::chance(double p) {
  return std::bernoulli_distribution(p)(m_engine);
}

void report(const std::string& suite, nlohmann::json figures) {
  figures["suite"] = suite;
  figures["sanitized"] = sanitized_build();
  const auto line = figures.dump();
  MESSAGE("figures: " << line);
  if (const char* path = std::getenv("KRXBATCH_RELIABILITY_REPORT"); path != nullptr && *path) {
    std::ofstream out(path, std::ios::app);
    out << line << "\n";
  }
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::vector<std::string> sessions(const IngestEnv& env, const std::string& from,
                                  const std::string& to) {
  const auto r = env.run({"calendar", "list", "--from", from, "--to", to});
  if (r.exit_code != 0) {
    throw std::runtime_error("calendar list failed: " + r.err);
  }
  std::vector<std::string> days;
  for (std::size_t pos = 0; pos + 10 <= r.out.size(); pos += 11) {
    days.push_back(r.out.substr(pos, 10));
  }
  return days;
}

std::vector<std::string> last_sessions(const IngestEnv& env, const std::string& last, int n) {
  // 7 calendar days hold at least 3 sessions even around the longest KRX holiday blocks.
  const auto end = core::parse_iso_date(last);
  if (!end) {
    throw std::runtime_error("not a date: " + last);
  }
  const auto from = *end - boost::gregorian::days(n * 7 / 3 + 7);
  auto all = sessions(env, core::to_iso(from), last);
  if (static_cast<int>(all.size()) < n) {
    throw std::runtime_error("fewer than n sessions before " + last);
  }
  return {all.end() - n, all.end()};
}

std::string bas_dd(const std::string& iso) {
  return iso.substr(0, 4) + iso.substr(5, 2) + iso.substr(8, 2);
}

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void copy_database(const std::string& from, const std::string& to) {
  remove_database(to);
  std::filesystem::copy_file(from, to);
  if (std::filesystem::exists(from + "-wal")) {
    std::filesystem::copy_file(from + "-wal", to + "-wal");
  }
}

ProcessResult
run_on(const IngestEnv& env, const std::string& db, const std::vector<std::string>& args,
       const std::vector<std::pair<std::string, std::optional<std::string>>>& extra_env) {
  auto o = env.options(db);
  for (const auto& e : extra_env) {
    o.env.push_back(e);
  }
  std::vector<std::string> argv = {krxbatch_binary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return test::run(argv, o);
}

namespace {

bool has_schema(SQLite::Database& db) {
  return db.execAndGet("SELECT count(*) FROM sqlite_master WHERE name = 'job_days'").getInt() > 0;
}

std::set<std::string> column_set(SQLite::Database& db, const std::string& sql) {
  std::set<std::string> out;
  SQLite::Statement st(db, sql);
  while (st.executeStep()) {
    out.insert(st.getColumn(0).getString());
  }
  return out;
}

} // namespace

std::string check_invariants(const std::string& path, const std::vector<std::string>& window,
                             const std::vector<std::string>& markets) {
  if (!std::filesystem::exists(path)) {
    return {};
  }
  SQLite::Database db(path, SQLite::OPEN_READWRITE);
  db.setBusyTimeout(60000);
  std::string problems;
  const auto integrity = db.execAndGet("PRAGMA integrity_check").getString();
  if (integrity != "ok") {
    problems += "integrity_check: " + integrity + "; ";
  }
  if (!has_schema(db)) {
    return problems;
  }
  std::map<std::string, std::string> states;
  {
    SQLite::Statement st(db, "SELECT trade_date, state FROM job_days "
                             "WHERE job_name = 'daily_update'");
    while (st.executeStep()) {
      states[st.getColumn(0).getString()] = st.getColumn(1).getString();
    }
  }
  // A session's price rows are in daily_prices or, until a merge, in the staging table
  // (docs/PERFORMANCE.md): never in both, and the mark never passes a staged session.
  const bool staging =
      db.execAndGet("SELECT count(*) FROM sqlite_master WHERE name = 'daily_prices_staging'")
          .getInt() > 0;
  const auto merged_days = column_set(db, "SELECT DISTINCT trade_date FROM daily_prices");
  const auto staged_days =
      staging ? column_set(db, "SELECT DISTINCT trade_date FROM daily_prices_staging")
              : std::set<std::string>{};
  std::set<std::string> price_days = merged_days;
  for (const auto& d : staged_days) {
    if (merged_days.contains(d)) {
      problems += d + " is in both daily_prices and the staging table; ";
    }
    price_days.insert(d);
  }
  const auto index_days = column_set(db, "SELECT DISTINCT trade_date FROM index_prices");
  for (const std::set<std::string>* days : {&std::as_const(price_days), &index_days}) {
    for (const auto& d : *days) {
      const auto it = states.find(d);
      if (it == states.end() || it->second != "succeeded") {
        problems +=
            d + " has rows but is " + (it == states.end() ? "without state" : it->second) + "; ";
      }
    }
  }
  int running = 0;
  for (const auto& [d, s] : states) {
    running += s == "running" ? 1 : 0;
    if (s != "succeeded") {
      continue;
    }
    if (!index_days.contains(d)) {
      problems += d + " is succeeded without index rows; ";
    }
    SQLite::Statement st(db, staged_days.contains(d)
                                 ? "SELECT DISTINCT market FROM daily_prices_staging "
                                   "WHERE trade_date = ?"
                                 : "SELECT DISTINCT market FROM daily_prices WHERE trade_date = ?");
    st.bind(1, d);
    std::set<std::string> have;
    while (st.executeStep()) {
      have.insert(st.getColumn(0).getString());
    }
    for (const auto& m : markets) {
      if (!have.contains(m)) {
        problems += d + " is succeeded without " + m + " rows; ";
      }
    }
  }
  if (running > 1) {
    problems += std::to_string(running) + " sessions running; ";
  }
  const auto mark = db.execAndGet("SELECT last_success_date FROM job_status "
                                  "WHERE job_name = 'daily_update'");
  if (!mark.isNull()) {
    const auto m = mark.getString();
    if (!staged_days.empty() && *staged_days.begin() <= m) {
      problems += "the mark " + m + " passes the staged session " + *staged_days.begin() + "; ";
    }
    for (const auto& d : window) {
      if (d <= m && states[d] != "succeeded") {
        problems += "the mark " + m + " passes " + d + " (" +
                    (states[d].empty() ? std::string("no state") : states[d]) + "); ";
      }
    }
  }
  return problems;
}

IngestProgress ingest_progress(const std::string& path) {
  IngestProgress p;
  if (!std::filesystem::exists(path)) {
    return p;
  }
  SQLite::Database db(path, SQLite::OPEN_READWRITE);
  db.setBusyTimeout(60000);
  if (!has_schema(db)) {
    return p;
  }
  p.database = true;
  p.succeeded = db.execAndGet("SELECT count(*) FROM job_days WHERE state = 'succeeded'").getInt();
  p.running = db.execAndGet("SELECT count(*) FROM job_days WHERE state = 'running'").getInt();
  p.mark_set = !db.execAndGet("SELECT last_success_date FROM job_status "
                              "WHERE job_name = 'daily_update'")
                    .isNull();
  p.universe = db.execAndGet("SELECT count(*) FROM target_tickers").getInt() > 0;
  return p;
}

std::string phase(const IngestProgress& p, int sessions) {
  if (!p.database) {
    return "before-schema";
  }
  if (p.running > 0) {
    return "in-session";
  }
  if (p.succeeded == 0) {
    return "probe";
  }
  if (p.succeeded < sessions) {
    return "between-sessions";
  }
  return "after-backfill";
}

bool raw_sqlite_busy(const std::string& err) {
  const std::string raw = "database is locked";
  const std::string ours = "the database is locked by another program";
  int raw_count = 0;
  for (auto pos = err.find(raw); pos != std::string::npos; pos = err.find(raw, pos + 1)) {
    ++raw_count;
  }
  int ours_count = 0;
  for (auto pos = err.find(ours); pos != std::string::npos; pos = err.find(ours, pos + 1)) {
    ++ours_count;
  }
  return raw_count > ours_count;
}

void hold_nth_request(FakeKrx& fake, int n) {
  fake.clear_faults();
  fake.clear_requests();
  std::string rules = "[";
  if (n > 1) {
    rules += R"({"fault":"delay","ms":1,"times":)" + std::to_string(n - 1) + "},";
  }
  rules += R"({"fault":"delay","ms":600000,"times":1}])";
  fake.add_faults(rules);
}

bool wait_for_requests(FakeKrx& fake, int n, pid_t pid, std::chrono::seconds timeout) {
  // Polls for an observable condition; the pause between polls only keeps it from spinning.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (static_cast<int>(nlohmann::json::parse(fake.requests()).size()) >= n) {
      return true;
    }
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
        info.si_pid == pid) {
      // Exited: one last look, the request may have been logged just before.
      return static_cast<int>(nlohmann::json::parse(fake.requests()).size()) >= n;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  throw std::runtime_error("the fake saw fewer than " + std::to_string(n) +
                           " requests and the run did not exit");
}

std::vector<std::pair<std::string, std::string>> request_log(FakeKrx& fake) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& e : nlohmann::json::parse(fake.requests())) {
    out.emplace_back(e.value("api", ""), e.value("basDd", ""));
  }
  return out;
}

std::string find_secret(std::string_view secret, const ProcessResult& result,
                        const std::filesystem::path& dir) {
  std::string where;
  if (result.out.find(secret) != std::string::npos) {
    where += "stdout; ";
  }
  if (result.err.find(secret) != std::string::npos) {
    where += "stderr; ";
  }
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file() && slurp(it->path()).find(secret) != std::string::npos) {
      where += it->path().string() + "; ";
    }
  }
  return where;
}

} // namespace krxbatch::test::rel
