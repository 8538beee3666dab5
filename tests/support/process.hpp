// Running the real binaries from tests: spawn, capture output, kill, wait.
//
// Output is captured in temporary files (no pipe can fill up and block the child), except
// that a child may be given a stdout pipe to read lines from as they come (how a test learns
// the fake server's port without sleeping). The environment of a child is the test's own
// minus every KRX_* and KRXBATCH_* variable, plus what the test sets, so a developer's
// settings never leak into a test. Not thread-safe.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <sys/types.h>
#include <utility>
#include <vector>

namespace krxbatch::test {

struct ProcessResult {
  int exit_code = -1; // -1 when killed by a signal
  int signal = 0;     // the signal that ended it, or 0
  std::string out;
  std::string err;
};

struct SpawnOptions {
  // Variables to set; a nullopt value unsets the variable.
  std::vector<std::pair<std::string, std::optional<std::string>>> env;
  std::optional<std::string> stdin_data; // else stdin is /dev/null
  std::filesystem::path cwd;             // else the test's working directory
  bool stdout_pipe = false;              // read stdout with Child::read_line()
  // Run the child as this user and group (uid, gid); the test must be root. Used to make file
  // permissions bite in a test run as root, which ignores them.
  std::optional<std::pair<uid_t, gid_t>> run_as;
};

class Child {
public:
  static Child spawn(const std::vector<std::string>& argv, const SpawnOptions& options = {});
  ~Child();
  Child(Child&& other) noexcept;
  Child& operator=(Child&&) = delete;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return m_pid; }
  // Sends `sig` (SIGKILL by default) if the child is still running.
  void kill(int sig = 9);
  // Waits for the child to exit and returns its status and output.
  ProcessResult wait();
  // Blocks until a whole line arrives on the stdout pipe; nullopt at EOF.
  // Precondition: spawned with stdout_pipe.
  std::optional<std::string> read_line();
  // What the child has written to stderr so far.
  std::string err_so_far() const;

private:
  Child() = default;
  pid_t m_pid = -1;
  bool m_reaped = false;
  int m_pipe_fd = -1;
  std::string m_pipe_buffer;
  std::filesystem::path m_dir; // holds out/err/in files
};

// Spawns, waits and returns the result.
ProcessResult run(const std::vector<std::string>& argv, const SpawnOptions& options = {});

// The krxbatch binary under test, and the source tree (for holidays/ etc.).
std::filesystem::path krxbatch_binary();
std::filesystem::path source_dir();

// A copy of the krxbatch binary and of the holidays directory inside `dir`, readable (and the
// binary executable) by every user: what a test that runs krxbatch as another user
// (SpawnOptions::run_as) must use, since that user may not reach the build or the source tree
// (a clone inside root's 0700 home). `dir` and its parents must be traversable by that user.
struct KrxbatchCopy {
  std::filesystem::path binary;
  std::filesystem::path holidays;
};
KrxbatchCopy copy_krxbatch_into(const std::filesystem::path& dir);

} // namespace krxbatch::test
