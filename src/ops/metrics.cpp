#include "krxbatch/ops/metrics.hpp"

#include "krxbatch/core/error.hpp"
#include "krxbatch/util/durable_file.hpp"
#include "krxbatch/util/safe_path.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace krxbatch::ops {
namespace {

using nlohmann::ordered_json;

// The states job_status.state can take: krxbatch_last_run_outcome has one series per state.
constexpr std::array<std::string_view, 6> k_states = {"never_run", "running", "succeeded",
                                                      "partial",   "failed",  "skipped"};

// Formats a number as the exposition format wants it: integers without a fraction, other
// values in the shortest form that reads back as the same double ("0.174", not
// "0.17399999999999999").
std::string number(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) {
    return std::to_string(static_cast<long long>(v));
  }
  std::array<char, 64> buf{};
  const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  return ec == std::errc() ? std::string(buf.data(), end) : std::string("NaN");
}

class Writer {
public:
  // Starts a metric family; its samples follow with sample().
  void family(std::string_view name, std::string_view help) {
    m_name = name;
    m_out << "# HELP krxbatch_" << name << " " << help << "\n"
          << "# TYPE krxbatch_" << name << " gauge\n";
  }
  void sample(std::initializer_list<std::pair<std::string_view, std::string_view>> labels,
              double value) {
    m_out << "krxbatch_" << m_name;
    if (labels.size() != 0) {
      m_out << "{";
      bool first = true;
      for (const auto& [k, v] : labels) {
        m_out << (first ? "" : ",") << k << "=\"" << escape_label_value(v) << "\"";
        first = false;
      }
      m_out << "}";
    }
    m_out << " " << number(value) << "\n";
  }
  std::string text() const { return m_out.str(); }

private:
  std::string m_name;
  std::ostringstream m_out;
};

// The tag of the textfile's temporary files (util::TempFile).
constexpr std::string_view k_metrics_tag = "metrics";

core::Error io_error(const std::filesystem::path& path, std::string_view doing) {
  return core::failure(path.string() + ": cannot " + std::string(doing) + " (" +
                       std::strerror(errno) + "); check the directory exists and is writable");
}

} // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    switch (c) {
    case '\\':
      out += "\\\\";
      break;
    case '"':
      out += "\\\"";
      break;
    case '\n':
      out += "\\n";
      break;
    default:
      out += c;
    }
  }
  return out;
}

std::string render_metrics(const StatusReport& r) {
  Writer w;
  w.family("last_success_timestamp_seconds",
           "Unix time of the job's last success: the close of its mark session, else the end of "
           "its last succeeded run.");
  for (const auto& j : r.jobs) {
    if (j.last_success_unix) {
      w.sample({{"job", j.job}}, static_cast<double>(*j.last_success_unix));
    }
  }
  w.family("sessions_behind",
           "KRX sessions between the job's mark and the latest published session.");
  for (const auto& j : r.jobs) {
    if (j.sessions_behind) {
      w.sample({{"job", j.job}}, *j.sessions_behind);
    }
  }
  w.family("last_run_rows_written", "Rows the job's last run wrote.");
  for (const auto& j : r.jobs) {
    if (j.last_run) {
      w.sample({{"job", j.job}}, static_cast<double>(j.last_run->rows_written));
    }
  }
  w.family("last_run_duration_seconds", "Duration of the job's last finished run.");
  for (const auto& j : r.jobs) {
    if (j.last_run && j.last_run->duration_ms) {
      w.sample({{"job", j.job}}, static_cast<double>(*j.last_run->duration_ms) / 1000.0);
    }
  }
  w.family("items_remaining", "Work the job's last run left for later (sessions or stocks).");
  for (const auto& j : r.jobs) {
    if (j.last_run && j.last_run->items_remaining) {
      w.sample({{"job", j.job}}, static_cast<double>(*j.last_run->items_remaining));
    }
  }
  w.family("last_run_outcome", "1 for the job's current state (its last run's outcome), else 0.");
  for (const auto& j : r.jobs) {
    for (const auto s : k_states) {
      w.sample({{"job", j.job}, {"outcome", s}}, j.state == s ? 1 : 0);
    }
  }
  w.family("job_running", "1 while a run of the job holds its lock.");
  for (const auto& j : r.jobs) {
    if (j.running) {
      w.sample({{"job", j.job}}, *j.running ? 1 : 0);
    }
  }
  // Not `krxbatch_days`: Prometheus reads a `_days` suffix as a unit (promtool's lint).
  w.family("job_day_states", "Days of the job's state machine that are failed or waiting.");
  for (const auto& j : r.jobs) {
    int failed = 0;
    int waiting = 0;
    for (const auto& d : j.days) {
      (d.state == "failed" ? failed : waiting) += 1;
    }
    w.sample({{"job", j.job}, {"state", "failed"}}, failed);
    w.sample({{"job", j.job}, {"state", "waiting"}}, waiting);
  }
  w.family("analysis_targets", "Active targets of the session hourly_analysis works on.");
  w.sample({{"state", "done"}}, r.analysis.done);
  w.sample({{"state", "remaining"}}, r.analysis.remaining);
  w.family("analysis_failed",
           "Targets of that session analysed with an error (a subset of state=\"done\").");
  w.sample({}, r.analysis.failed);
  w.family("analysis_sessions_incomplete",
           "Sessions up to daily_update's mark that hourly_analysis has still to score.");
  w.sample({}, static_cast<double>(r.analysis.incomplete.size()));
  w.family("krx_calls_today", "KRX Open API calls counted today (KST).");
  w.sample({}, static_cast<double>(r.krx_calls_today));
  w.family("krx_daily_limit", "KRX Open API calls allowed per KST day.");
  w.sample({}, static_cast<double>(r.krx_daily_limit));
  w.family("open_alerts", "Open (unacknowledged) alerts by severity.");
  w.sample({{"severity", "CRITICAL"}}, r.open_alerts.critical);
  w.sample({{"severity", "WARN"}}, r.open_alerts.warn);
  w.sample({{"severity", "INFO"}}, r.open_alerts.info);
  w.family("data_quality_issues", "Data-quality issues stored for the latest sessions.");
  w.sample({}, r.quality_count);
  w.family("metrics_timestamp_seconds", "Unix time these figures were read.");
  w.sample({}, static_cast<double>(core::unix_seconds_from_kst(r.now)));
  return w.text();
}

std::string metrics_json_line(const StatusReport& r, const RunFigures& run) {
  ordered_json j{
      {"time", core::to_iso(r.now)},
      {"unix", core::unix_seconds_from_kst(r.now)},
      {"job", run.job},
      {"outcome", run.outcome},
      {"exit_code", run.exit_code},
      {"run_id", run.run_id ? ordered_json(*run.run_id) : ordered_json(nullptr)},
      {"duration_seconds", run.duration_seconds},
      {"rows_written", run.rows_written},
      {"items_done", run.items_done ? ordered_json(*run.items_done) : nullptr},
      {"items_remaining", run.items_remaining ? ordered_json(*run.items_remaining) : nullptr},
      {"alerts_raised", run.alerts_raised}};
  for (const auto& job : r.jobs) {
    if (job.job != run.job) {
      continue;
    }
    j["last_success_date"] =
        job.last_success_date ? ordered_json(core::to_iso(*job.last_success_date)) : nullptr;
    j["last_success_timestamp"] =
        job.last_success_unix ? ordered_json(*job.last_success_unix) : nullptr;
    j["sessions_behind"] = job.sessions_behind ? ordered_json(*job.sessions_behind) : nullptr;
  }
  j["krx_calls_today"] = r.krx_calls_today;
  j["krx_daily_limit"] = r.krx_daily_limit;
  j["open_alerts"] = ordered_json{{"critical", r.open_alerts.critical},
                                  {"warn", r.open_alerts.warn},
                                  {"info", r.open_alerts.info}};
  return j.dump();
}

void write_file_atomically(const std::filesystem::path& path, std::string_view text,
                           const util::PathPolicy& policy, std::string_view what) {
  policy.check_file(path, what, "metrics");
  const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  util::remove_leftovers(dir, k_metrics_tag);
  util::TempFile temp(dir, k_metrics_tag);
  util::write_all(temp.fd(), text, temp.path());
  // The collector runs as another user.
  if (::fchmod(temp.fd(), 0644) != 0) {
    throw io_error(temp.path(), "finish writing");
  }
  temp.commit(path);
}

void append_line(const std::filesystem::path& path, std::string_view line,
                 const util::PathPolicy& policy, std::string_view what) {
  policy.check_file(path, what, "metrics");
  auto fd = util::open_own_file(path, O_WRONLY | O_APPEND, 0644, what);
  std::string whole(line);
  whole += '\n';
  util::write_all(fd.get(), whole, path);
}

} // namespace krxbatch::ops
