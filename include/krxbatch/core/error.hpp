// Errors and exit codes.
//
// Two channels, as in ccache: routine, expected failures (a KRX call that timed out, a day that
// failed validation) travel as values (`core::Result`, see result.hpp); everything that must
// stop the command travels as a `core::Error` exception carrying the process exit code. Errors
// are caught in exactly one place (cli::run), which prints `krxbatch: error: <message>` and
// exits with the code. Messages name the thing that is wrong and what to do about it, and never
// contain secrets.
#pragma once

#include <stdexcept>
#include <string>

namespace krxbatch::core {

// Process exit codes (DESIGN §6; documented in README "Exit codes").
enum class ExitCode : int {
  ok = 0,      // done, or nothing to do
  failed = 1,  // the job ran and something failed (a day, a stock, the key)
  usage = 2,   // bad arguments or configuration; nothing was changed
  locked = 75, // another instance holds the job's lock (EX_TEMPFAIL); nothing was changed
};

// An error that ends the current command with `code`. Thread-safe to throw anywhere.
class Error : public std::runtime_error {
public:
  Error(ExitCode code, const std::string& message) : std::runtime_error(message), m_code(code) {}
  ExitCode code() const noexcept { return m_code; }

private:
  ExitCode m_code;
};

// Bad command-line arguments or configuration (exit 2).
inline Error usage_error(const std::string& message) {
  return Error(ExitCode::usage, message);
}

// The job could not do its work (exit 1).
inline Error failure(const std::string& message) {
  return Error(ExitCode::failed, message);
}

} // namespace krxbatch::core
