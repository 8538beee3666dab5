// Where a command's log lines go: the cron-quiet rule.
//
// cron mails whatever a command writes to stderr when MAILTO is set, and operators set it to
// hear about errors. So without a terminal on stderr, a run that succeeds prints nothing there:
// stderr gets WARN and above only, while the run's log file (<log_dir>/<job>.log) keeps every
// INFO line, the summary included. On a terminal, stderr shows INFO and above too. An explicit
// --log-level sets both, terminal or not. Pure.
#pragma once

#include "krxbatch/util/log.hpp"

#include <optional>

namespace krxbatch::app {

struct LogLevels {
  util::LogLevel files;        // the logger's level: what reaches the log files
  util::LogLevel stderr_level; // what of that also reaches stderr
};

// `requested`: --log-level when given.
LogLevels log_levels(std::optional<util::LogLevel> requested, bool stderr_is_terminal);

} // namespace krxbatch::app
