#include "krxbatch/ops/report_charts.hpp"

#include "krxbatch/util/child_process.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace krxbatch::ops {

std::string composite_chart_script(const store::CompositeDay& c) {
  std::string s = "set terminal pngcairo size 720,240 font 'sans,9' background rgb 'white'\n"
                  "set output\n"
                  "set xdata time\nset timefmt '%Y-%m-%d'\nset format x '%m-%d'\n"
                  "set grid ytics lc rgb '#dddddd'\nunset key\nset border 3\nset tics nomirror\n"
                  "set lmargin 10\nset autoscale xfix\n";
  // The index's class is ASCII ("KOSPI"); the title names the span of the data.
  s += "set title '" + c.index_class + " close, " + std::to_string(c.series.size()) +
       " sessions to " +
       (c.series.empty() ? std::string() : core::to_iso(c.series.back().session)) + "'\n";
  s += "$closes << EOD\n";
  for (const auto& p : c.series) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s %.2f\n", core::to_iso(p.session).c_str(), p.close);
    s += buf;
  }
  s += "EOD\n";
  s += "plot $closes using 1:2 with lines lw 2 lc rgb '#1f5fa8', "
       "$closes using 1:2 every ::(|$closes|-1) with points pt 7 ps 0.8 lc rgb '#c62828'\n";
  return s;
}

std::vector<ReportChart> report_charts(const DailyReport& report) {
  std::vector<ReportChart> out;
  for (const auto& c : report.composites) {
    if (c.series.size() < 2) {
      continue;
    }
    const auto result = util::run_child({"gnuplot"}, composite_chart_script(c));
    if (!result) {
      spdlog::warn("report: no {} chart: {}{}", c.index_class, result.failure().message,
                   result.failure().kind == util::ChildFailure::not_found
                       ? "; install gnuplot (Debian: apt-get install gnuplot-nox)"
                       : "");
      if (result.failure().kind == util::ChildFailure::not_found) {
        break;
      }
      continue;
    }
    std::string id = c.index_class;
    std::transform(id.begin(), id.end(), id.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    out.push_back({id,
                   c.index_class + " close, last " + std::to_string(c.series.size()) + " sessions",
                   result.value().out});
  }
  return out;
}

} // namespace krxbatch::ops
