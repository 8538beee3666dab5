// The command line: `krxbatch [global options] <command> [options]`.
//
// run() parses the arguments, runs the command and returns the process exit code
// (core::ExitCode). It is the one place that catches core::Error and prints
// `krxbatch: error: <message>` on stderr.
#pragma once

namespace krxbatch::cli {

int run(int argc, const char* const* argv);

} // namespace krxbatch::cli
