#include "krxbatch/core/error.hpp"
#include "krxbatch/ops/metrics.hpp"

#include "support.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <set>
#include <sstream>

using namespace krxbatch;
using core::Date;

namespace {

ops::StatusReport sample_report() {
  ops::StatusReport r;
  r.database = "k.db";
  r.now = test::kst(2024, 7, 4, 8, 30);
  r.latest_published_session = Date(2024, 7, 3);
  r.kst_today = Date(2024, 7, 4);
  ops::JobReport daily;
  daily.job = "daily_update";
  daily.last_success_date = Date(2024, 7, 3);
  daily.last_success_unix = 1719988200;
  daily.state = "partial";
  daily.sessions_behind = 0;
  daily.running = false;
  ops::LastRun last;
  last.outcome = "partial";
  last.duration_ms = 1250;
  last.rows_written = 300;
  last.items_remaining = 2;
  daily.last_run = last;
  daily.days.push_back({Date(2024, 7, 2), "failed", 2, "HTTP 500"});
  ops::JobReport weird;
  weird.job = "odd\"job\\\n";
  weird.state = "never_run";
  r.jobs = {daily, weird};
  r.analysis = {Date(2024, 7, 3), 10, 4, 6, false, 0, {}};
  r.open_alerts.warn = 1;
  r.krx_calls_today = 12;
  r.krx_daily_limit = 10000;
  return r;
}

} // namespace

TEST_SUITE("ops.metrics") {
  TEST_CASE("label values escape backslash, double quote and newline") {
    CHECK(ops::escape_label_value("plain") == "plain");
    CHECK(ops::escape_label_value("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
  }

  TEST_CASE("the textfile is valid exposition format: HELP and TYPE before each family") {
    const auto text = ops::render_metrics(sample_report());
    std::istringstream in(text);
    std::set<std::string> typed;
    int samples = 0;
    for (std::string line; std::getline(in, line);) {
      CAPTURE(line);
      if (line.starts_with("# HELP ")) {
        CHECK(line.substr(7).starts_with("krxbatch_"));
        continue;
      }
      if (line.starts_with("# TYPE ")) {
        const auto name = line.substr(7, line.find(' ', 7) - 7);
        CHECK(line.ends_with(" gauge"));
        CHECK(typed.insert(name).second); // each family once
        continue;
      }
      REQUIRE(line.starts_with("krxbatch_"));
      const auto name = line.substr(0, line.find_first_of("{ "));
      CHECK(typed.contains(name));
      const auto value = line.substr(line.rfind(' ') + 1);
      CHECK_NOTHROW((void)std::stod(value));
      ++samples;
    }
    CHECK(samples > 20);
    CHECK(text.ends_with("\n"));
  }

  TEST_CASE("the textfile has each job's figures and the outcome as a labelled gauge") {
    const auto text = ops::render_metrics(sample_report());
    for (const auto* line :
         {"krxbatch_last_success_timestamp_seconds{job=\"daily_update\"} 1719988200\n",
          "krxbatch_sessions_behind{job=\"daily_update\"} 0\n",
          "krxbatch_last_run_rows_written{job=\"daily_update\"} 300\n",
          "krxbatch_last_run_duration_seconds{job=\"daily_update\"} 1.25\n",
          "krxbatch_items_remaining{job=\"daily_update\"} 2\n",
          "krxbatch_last_run_outcome{job=\"daily_update\",outcome=\"partial\"} 1\n",
          "krxbatch_last_run_outcome{job=\"daily_update\",outcome=\"succeeded\"} 0\n",
          "krxbatch_job_day_states{job=\"daily_update\",state=\"failed\"} 1\n",
          "krxbatch_job_running{job=\"daily_update\"} 0\n",
          "krxbatch_analysis_targets{state=\"remaining\"} 6\n", "krxbatch_analysis_failed 0\n",
          "krxbatch_krx_calls_today 12\n", "krxbatch_open_alerts{severity=\"WARN\"} 1\n",
          "krxbatch_last_run_outcome{job=\"odd\\\"job\\\\\\n\",outcome=\"never_run\"} 1\n"}) {
      CAPTURE(line);
      CHECK(text.find(line) != std::string::npos);
    }
    // A job without a mark or a run has no such series.
    CHECK(text.find("krxbatch_sessions_behind{job=\"odd") == std::string::npos);
  }

  TEST_CASE("a duration prints in its shortest exact form, not with 17 digits") {
    auto report = sample_report();
    report.jobs[0].last_run->duration_ms = 174; // 0.174 is 0.17399999999999999 at precision 17
    const auto text = ops::render_metrics(report);
    CHECK(text.find("krxbatch_last_run_duration_seconds{job=\"daily_update\"} 0.174\n") !=
          std::string::npos);
    CHECK(text.find("krxbatch_days") == std::string::npos); // promtool: `_days` is a unit
  }

  TEST_CASE("the JSON line holds the run and the job's figures on one line") {
    ops::RunFigures run;
    run.job = "daily_update";
    run.outcome = "partial";
    run.exit_code = 0;
    run.duration_seconds = 1.5;
    run.rows_written = 300;
    run.items_remaining = 2;
    run.alerts_raised = 1;
    const auto line = ops::metrics_json_line(sample_report(), run);
    CHECK(line.find('\n') == std::string::npos);
    const auto j = nlohmann::json::parse(line);
    CHECK(j["job"] == "daily_update");
    CHECK(j["time"] == "2024-07-04T08:30:00+09:00");
    CHECK(j["outcome"] == "partial");
    CHECK(j["rows_written"] == 300);
    CHECK(j["items_remaining"] == 2);
    CHECK(j["items_done"].is_null());
    CHECK(j["sessions_behind"] == 0);
    CHECK(j["last_success_date"] == "2024-07-03");
    CHECK(j["krx_calls_today"] == 12);
    CHECK(j["open_alerts"]["warn"] == 1);
  }

  TEST_CASE("files are replaced whole and leave no temporary file behind") {
    test::TempDir dir;
    const auto path = dir / "krxbatch.prom";
    const util::PathPolicy policy(dir / "krxbatch.db");
    ops::write_file_atomically(path, "one\n", policy, "metrics_textfile");
    ops::write_file_atomically(path, "two\n", policy, "metrics_textfile");
    CHECK(test::read_file(path) == "two\n");
    int files = 0;
    for ([[maybe_unused]] const auto& f : std::filesystem::directory_iterator(dir.path())) {
      ++files;
    }
    CHECK(files == 1);
    CHECK_THROWS_AS(
        ops::write_file_atomically(dir / "missing" / "x.prom", "x", policy, "metrics_textfile"),
        core::Error);
    ops::append_line(dir / "m.jsonl", "{\"a\":1}", policy, "metrics_log");
    ops::append_line(dir / "m.jsonl", "{\"a\":2}", policy, "metrics_log");
    CHECK(test::read_file(dir / "m.jsonl") == "{\"a\":1}\n{\"a\":2}\n");
  }
}
