// Metrics for monitoring: a Prometheus textfile (node-exporter's textfile collector) and a
// JSON-lines log, both made from the same StatusReport as `krxbatch status`.
//
// Every series is prefixed `krxbatch_`, has `# HELP` and `# TYPE` lines and is a gauge; label
// values are escaped as the exposition format requires. The textfile is written to a hidden
// temporary file in the same directory and renamed over the old one, so the collector never
// reads half a file. Pure apart from the two file writers; thread-compatible.
#pragma once

#include "krxbatch/ops/status_report.hpp"
#include "krxbatch/util/safe_path.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace krxbatch::ops {

// A label value escaped for the exposition format: backslash, double quote and newline.
std::string escape_label_value(std::string_view value);

// The textfile for `report`.
std::string render_metrics(const StatusReport& report);

// What the job wrapper knows about the run that just ended.
struct RunFigures {
  std::string job;
  std::string outcome; // succeeded | partial | failed | skipped
  int exit_code = 0;
  double duration_seconds = 0;
  std::optional<std::int64_t> run_id;
  std::int64_t rows_written = 0;
  std::optional<std::int64_t> items_done;
  std::optional<std::int64_t> items_remaining;
  int alerts_raised = 0;
};

// One JSON object on one line (no newline at the end): the run and the job's figures.
std::string metrics_json_line(const StatusReport& report, const RunFigures& run);

// Writes `text` to `path` atomically (a util::TempFile in the same directory, fsync, rename)
// once `policy` allows it (writer "metrics"), removing the leftovers of an interrupted write
// first; the file is readable by everyone (0644), as the collector runs as another user.
// Throws core::Error naming `what` (where the path came from) and the path.
void write_file_atomically(const std::filesystem::path& path, std::string_view text,
                           const util::PathPolicy& policy, std::string_view what);

// Appends `line` and a newline to `path` in one write (O_APPEND), creating it, once `policy`
// allows it; the file is opened as util::open_own_file opens. Throws core::Error naming `what`
// and the path.
void append_line(const std::filesystem::path& path, std::string_view line,
                 const util::PathPolicy& policy, std::string_view what);

} // namespace krxbatch::ops
