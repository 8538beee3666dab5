// Running a helper program (gnuplot for the daily report's charts) as a child process: no
// shell, the program looked up in PATH, its input written to its stdin, its stdout and stderr
// collected, a time limit. The child's environment is the process's own.
//
// A routine failure (the program is not installed, it exits non-zero, it runs past the time
// limit and is killed, its output exceeds the limit) is a Result failure with a one-line
// message naming the program; nothing throws. Thread-compatible; uses SIGPIPE-safe writes.
#pragma once

#include "krxbatch/core/result.hpp"

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace krxbatch::util {

struct ChildOutput {
  std::string out;
  std::string err;
};

enum class ChildFailure {
  not_found, // the program is not in PATH (or cannot be started)
  failed,    // it exited non-zero or was killed by a signal
  timed_out, // it ran past the time limit (and was killed)
  too_much,  // its output passed max_output bytes (and it was killed)
};

struct ChildLimits {
  std::chrono::milliseconds timeout{30'000};
  std::size_t max_output = std::size_t{64} << 20;
};

// Runs argv[0] (searched in PATH) with `argv`, writing `input` to its stdin and then closing
// it. Precondition: argv is not empty.
core::Result<ChildOutput, ChildFailure>
run_child(const std::vector<std::string>& argv, const std::string& input, ChildLimits limits = {});

} // namespace krxbatch::util
