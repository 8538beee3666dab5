// The daily report's charts: one PNG per composite (its closes over the last sessions), drawn
// by gnuplot (Debian's gnuplot-nox, `pngcairo` terminal) run as a child process with its
// script and data on stdin (util::run_child; no shell, no temporary file).
//
// Charts are an ornament of the report, not its content: when gnuplot is missing or fails,
// report_charts() returns what it could draw and logs one WARN line naming the cause and the
// package to install, and the report goes out without them.
#pragma once

#include "krxbatch/ops/daily_report.hpp"

#include <string>
#include <vector>

namespace krxbatch::ops {

// The gnuplot script (with its data inline) of one composite's chart (pure).
std::string composite_chart_script(const store::CompositeDay& composite);

// The charts of the report's composites that have at least two closes.
std::vector<ReportChart> report_charts(const DailyReport& report);

} // namespace krxbatch::ops
