#include "krxbatch/util/child_process.hpp"

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace krxbatch::util {
namespace {

using Failure = core::Failure<ChildFailure>;

struct Pipe {
  int fd[2] = {-1, -1};
  ~Pipe() {
    for (const int f : fd) {
      if (f >= 0) {
        ::close(f);
      }
    }
  }
  void close_end(int i) {
    if (fd[i] >= 0) {
      ::close(fd[i]);
      fd[i] = -1;
    }
  }
};

bool make_pipe(Pipe& p) {
  return ::pipe2(p.fd, O_CLOEXEC) == 0;
}

// write(2) with SIGPIPE blocked in this thread: a child that exits before reading all its input
// gives EPIPE, and the signal it raised is taken off the pending set so that it is never
// delivered.
ssize_t write_no_sigpipe(int fd, const char* data, std::size_t size) {
  sigset_t pipe_set;
  sigset_t old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  const auto w = ::write(fd, data, size);
  const int saved = errno;
  if (w < 0 && saved == EPIPE) {
    const timespec zero{0, 0};
    while (::sigtimedwait(&pipe_set, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = saved;
  return w;
}

int wait_child(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

} // namespace

core::Result<ChildOutput, ChildFailure> run_child(const std::vector<std::string>& argv,
                                                  const std::string& input, ChildLimits limits) {
  const std::string& program = argv.front();
  Pipe in;
  Pipe out;
  Pipe err;
  if (!make_pipe(in) || !make_pipe(out) || !make_pipe(err)) {
    return Failure{ChildFailure::not_found,
                   program + ": cannot create pipes (" + std::strerror(errno) + ")"};
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.fd[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out.fd[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err.fd[1], 2);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, program.c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return Failure{ChildFailure::not_found,
                   program + ": cannot be started (" + std::strerror(rc) + ")"};
  }
  in.close_end(0);
  out.close_end(1);
  err.close_end(1);
  ::fcntl(in.fd[1], F_SETFL, O_NONBLOCK);
  std::size_t written = 0;
  if (input.empty()) {
    in.close_end(1);
  }
  ChildOutput result;
  const auto deadline = std::chrono::steady_clock::now() + limits.timeout;
  std::optional<ChildFailure> stop;
  std::array<char, 65536> buf{};
  while (out.fd[0] >= 0 || err.fd[0] >= 0) {
    std::array<pollfd, 3> fds{};
    nfds_t n = 0;
    const auto watch = [&](int fd, short events) {
      if (fd >= 0) {
        fds[n++] = pollfd{fd, events, 0};
      }
    };
    watch(out.fd[0], POLLIN);
    watch(err.fd[0], POLLIN);
    watch(in.fd[1], POLLOUT);
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      stop = ChildFailure::timed_out;
      break;
    }
    const int ready = ::poll(fds.data(), n, static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) {
      stop = ChildFailure::failed;
      break;
    }
    for (nfds_t i = 0; i < n && ready > 0; ++i) {
      if (fds[i].revents == 0) {
        continue;
      }
      if (fds[i].fd == in.fd[1]) {
        const auto wr = write_no_sigpipe(in.fd[1], input.data() + written, input.size() - written);
        if (wr > 0) {
          written += static_cast<std::size_t>(wr);
        }
        if (written == input.size() || (wr < 0 && errno != EAGAIN && errno != EINTR)) {
          in.close_end(1);
        }
        continue;
      }
      const bool is_out = fds[i].fd == out.fd[0];
      const auto r = ::read(fds[i].fd, buf.data(), buf.size());
      if (r > 0) {
        (is_out ? result.out : result.err).append(buf.data(), static_cast<std::size_t>(r));
        if (result.out.size() + result.err.size() > limits.max_output) {
          stop = ChildFailure::too_much;
        }
      } else if (r == 0 || errno != EINTR) {
        (is_out ? out : err).close_end(0);
      }
    }
    if (stop) {
      break;
    }
  }
  in.close_end(1);
  if (stop) {
    ::kill(pid, SIGKILL);
  }
  const int status = wait_child(pid);
  if (stop == ChildFailure::timed_out) {
    return Failure{*stop, program + ": still running after " +
                              std::to_string(limits.timeout.count()) + " ms; killed"};
  }
  if (stop == ChildFailure::too_much) {
    return Failure{*stop, program + ": wrote more than " + std::to_string(limits.max_output) +
                              " bytes; killed"};
  }
  if (stop || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string why = WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                                        : "signal " + std::to_string(WTERMSIG(status));
    auto first = result.err.substr(0, result.err.find('\n'));
    if (first.size() > 200) {
      first.resize(200);
    }
    // posix_spawnp reports a missing program as exit 127 from the child on glibc.
    const auto kind = WIFEXITED(status) && WEXITSTATUS(status) == 127 ? ChildFailure::not_found
                                                                      : ChildFailure::failed;
    return Failure{kind, program + " failed (" + why + ")" + (first.empty() ? "" : ": " + first)};
  }
  return result;
}

} // namespace krxbatch::util
