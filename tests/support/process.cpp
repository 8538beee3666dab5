#include "process.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <grp.h>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ; // NOLINT(readability-redundant-declaration)

namespace krxbatch::test {
namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::filesystem::path make_temp_dir() {
  std::string templ = (std::filesystem::temp_directory_path() / "krxbatch-proc-XXXXXX").string();
  if (::mkdtemp(templ.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  return templ;
}

std::vector<std::string> child_environment(const SpawnOptions& options) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    if (entry.starts_with("KRX_") || entry.starts_with("KRXBATCH_")) {
      continue;
    }
    const auto name = entry.substr(0, entry.find('='));
    bool overridden = false;
    for (const auto& [key, value] : options.env) {
      overridden = overridden || key == name;
    }
    if (!overridden) {
      env.push_back(entry);
    }
  }
  for (const auto& [key, value] : options.env) {
    if (value) {
      env.push_back(key + "=" + *value);
    }
  }
  return env;
}

} // namespace

Child Child::spawn(const std::vector<std::string>& argv, const SpawnOptions& options) {
  Child child;
  child.m_dir = make_temp_dir();
  const auto out_path = child.m_dir / "out";
  const auto err_path = child.m_dir / "err";
  const auto in_path = child.m_dir / "in";
  {
    std::ofstream in(in_path, std::ios::binary);
    in << options.stdin_data.value_or("");
  }
  int pipe_fds[2] = {-1, -1};
  if (options.stdout_pipe && ::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  // Everything the child needs is prepared before fork (no allocation after it).
  const auto env = child_environment(options);
  std::vector<char*> envp;
  for (const auto& e : env) {
    envp.push_back(const_cast<char*>(e.c_str()));
  }
  envp.push_back(nullptr);
  std::vector<char*> args;
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  const std::string cwd = options.cwd.string();
  const std::string in_file = options.stdin_data ? in_path.string() : std::string("/dev/null");
  const std::string out_file = out_path.string();
  const std::string err_file = err_path.string();

  const pid_t pid = ::fork();
  if (pid < 0) {
    throw std::runtime_error("fork failed");
  }
  if (pid == 0) {
    const int in_fd = ::open(in_file.c_str(), O_RDONLY);
    const int out_fd = options.stdout_pipe
                           ? pipe_fds[1]
                           : ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err_fd = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in_fd < 0 || out_fd < 0 || err_fd < 0 || ::dup2(in_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 ||
        ::dup2(err_fd, 2) < 0) {
      ::_exit(127);
    }
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) {
      ::_exit(127);
    }
    if (options.run_as && (::setgroups(0, nullptr) != 0 || ::setgid(options.run_as->second) != 0 ||
                           ::setuid(options.run_as->first) != 0)) {
      ::_exit(127);
    }
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  child.m_pid = pid;
  if (options.stdout_pipe) {
    ::close(pipe_fds[1]);
    child.m_pipe_fd = pipe_fds[0];
  }
  return child;
}

Child::~Child() {
  if (m_pid > 0 && !m_reaped) {
    ::kill(m_pid, SIGKILL);
    int status = 0;
    ::waitpid(m_pid, &status, 0);
  }
  if (m_pipe_fd >= 0) {
    ::close(m_pipe_fd);
  }
  if (!m_dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(m_dir, ec);
  }
}

Child::Child(Child&& other) noexcept
    : m_pid(std::exchange(other.m_pid, -1)), m_reaped(other.m_reaped),
      m_pipe_fd(std::exchange(other.m_pipe_fd, -1)), m_pipe_buffer(std::move(other.m_pipe_buffer)),
      m_dir(std::exchange(other.m_dir, {})) {}

void Child::kill(int sig) {
  if (m_pid > 0 && !m_reaped) {
    ::kill(m_pid, sig);
  }
}

ProcessResult Child::wait() {
  ProcessResult r;
  if (!m_reaped) {
    int status = 0;
    while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
    }
    m_reaped = true;
    if (WIFEXITED(status)) {
      r.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
      r.signal = WTERMSIG(status);
    }
  }
  r.out = read_file(m_dir / "out");
  if (m_pipe_fd >= 0) {
    // Drain what is left on the pipe.
    char buf[4096];
    ssize_t n = 0;
    r.out = m_pipe_buffer;
    while ((n = ::read(m_pipe_fd, buf, sizeof buf)) > 0) {
      r.out.append(buf, static_cast<std::size_t>(n));
    }
  }
  r.err = read_file(m_dir / "err");
  return r;
}

std::optional<std::string> Child::read_line() {
  while (true) {
    const auto nl = m_pipe_buffer.find('\n');
    if (nl != std::string::npos) {
      auto line = m_pipe_buffer.substr(0, nl);
      m_pipe_buffer.erase(0, nl + 1);
      return line;
    }
    char buf[512];
    const ssize_t n = ::read(m_pipe_fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return std::nullopt;
    }
    m_pipe_buffer.append(buf, static_cast<std::size_t>(n));
  }
}

std::string Child::err_so_far() const {
  return read_file(m_dir / "err");
}

ProcessResult run(const std::vector<std::string>& argv, const SpawnOptions& options) {
  auto child = Child::spawn(argv, options);
  return child.wait();
}

std::filesystem::path krxbatch_binary() {
  return KRXBATCH_BINARY;
}
std::filesystem::path source_dir() {
  return KRXBATCH_SOURCE_DIR;
}

KrxbatchCopy copy_krxbatch_into(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  constexpr auto k_everyone_reads = fs::perms::owner_all | fs::perms::group_read |
                                    fs::perms::group_exec | fs::perms::others_read |
                                    fs::perms::others_exec;
  KrxbatchCopy copy{dir / "bin" / "krxbatch", dir / "holidays"};
  fs::create_directories(copy.binary.parent_path());
  fs::copy_file(krxbatch_binary(), copy.binary, fs::copy_options::overwrite_existing);
  fs::copy(source_dir() / "holidays", copy.holidays,
           fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  for (const auto& p : {copy.binary.parent_path(), copy.binary, copy.holidays}) {
    fs::permissions(p, k_everyone_reads);
  }
  for (const auto& e : fs::directory_iterator(copy.holidays)) {
    fs::permissions(e.path(), k_everyone_reads);
  }
  return copy;
}

} // namespace krxbatch::test
