#include "krxbatch/util/safe_path.hpp"

#include "krxbatch/core/error.hpp"
#include "krxbatch/util/durable_file.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace krxbatch::util {
namespace fs = std::filesystem;

namespace {

constexpr std::array<std::string_view, 3> k_sqlite_companions = {"-journal", "-wal", "-shm"};

fs::path without_trailing_separator(fs::path p) {
  while (!p.has_filename() && p.has_parent_path() && p != p.root_path()) {
    p = p.parent_path();
  }
  return p;
}

std::string refusal(std::string_view what, const fs::path& path, const std::string& problem) {
  return std::string(what) + ": " + path.string() + " " + problem + "; choose another path for " +
         std::string(what) + " (nothing was changed)";
}

// The directory of `path` ("." for a bare name).
fs::path directory_of(const fs::path& path) {
  const auto dir = path.parent_path();
  return dir.empty() ? fs::path(".") : dir;
}

// When root creates an entry in a directory another user owns, the entry is given to that
// user, so that the service user's jobs can still open it (as SQLite does with its -wal).
void adopt_directory_owner(int fd, const fs::path& dir) {
  if (::geteuid() != 0) {
    return;
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0 && st.st_uid != 0) {
    [[maybe_unused]] const int rc = ::fchown(fd, st.st_uid, st.st_gid);
  }
}

// Takes the hold (flock) on a fresh entry at `path` opened as `fd`, and checks that the name
// still refers to it: a cleaner may have taken the name for a leftover in the instant between
// its creation and the hold. False when it did (the entry is gone; create another).
bool hold_fresh_entry(int fd, const fs::path& path) {
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno != EINTR) {
      return false;
    }
  }
  struct stat by_fd {};
  struct stat by_name {};
  return ::fstat(fd, &by_fd) == 0 && ::lstat(path.c_str(), &by_name) == 0 &&
         by_fd.st_dev == by_name.st_dev && by_fd.st_ino == by_name.st_ino;
}

std::string temp_template(const fs::path& dir, std::string_view tag) {
  return (dir / (std::string(k_temp_prefix) + std::string(tag) + "-XXXXXX")).string();
}

[[noreturn]] void cannot_create_temp(const fs::path& dir, int err) {
  throw core::failure(dir.string() + ": cannot create a temporary file (" + std::strerror(err) +
                      "); check that the directory exists, is writable and has free space");
}

// Whether some process holds the temporary entry `path` (its flock).
bool is_held(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return false; // gone, or a link planted with our prefix: nobody holds it
  }
  const bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return held;
}

std::string g_crash_point; // set once at start-up, before any thread

} // namespace

fs::path resolve_path(const fs::path& path) {
  std::error_code ec;
  auto absolute = fs::absolute(path, ec);
  if (ec) {
    absolute = path;
  }
  auto resolved = fs::weakly_canonical(absolute, ec);
  if (ec) {
    resolved = absolute.lexically_normal();
  }
  return without_trailing_separator(resolved);
}

bool is_within(const fs::path& path, const fs::path& dir) {
  auto p = path.begin();
  for (auto d = dir.begin(); d != dir.end(); ++d, ++p) {
    if (d->empty() && std::next(d) == dir.end()) {
      break; // a trailing separator
    }
    if (p == path.end() || *p != *d) {
      return false;
    }
  }
  return true;
}

PathPolicy::PathPolicy(const fs::path& db_path) : m_db(resolve_path(db_path)) {}

void PathPolicy::protect_directory(const fs::path& dir, std::string label,
                                   std::vector<std::string> owners) {
  m_protected.push_back({resolve_path(dir), std::move(label), std::move(owners), true});
}

bool PathPolicy::Protected::owned_by(std::string_view writer) const {
  return !writer.empty() && std::find(owners.begin(), owners.end(), writer) != owners.end();
}

std::string PathPolicy::Protected::written_by() const {
  if (owners.empty()) {
    return ", which krxbatch never writes";
  }
  std::string out = ", which only ";
  for (std::size_t i = 0; i < owners.size(); ++i) {
    out += (i == 0                   ? ""
            : i + 1 == owners.size() ? " and "
                                     : ", ") +
           ("`krxbatch " + owners[i] + "`");
  }
  return out + (owners.size() == 1 ? " writes" : " write");
}

void PathPolicy::protect_file(const fs::path& file, std::string label) {
  m_protected.push_back({resolve_path(file), std::move(label), {}, false});
}

std::string PathPolicy::database_problem(const fs::path& resolved) const {
  if (resolved == m_db) {
    return "is the database";
  }
  if (resolved.parent_path() == m_db.parent_path() &&
      resolved.filename().string().starts_with(m_db.filename().string())) {
    return "is a companion file of the database " + m_db.string() +
           " (its WAL, shared memory, journal or a job lock)";
  }
  struct stat target {};
  struct stat db {};
  if (::stat(resolved.c_str(), &target) == 0 && ::stat(m_db.c_str(), &db) == 0 &&
      target.st_dev == db.st_dev && target.st_ino == db.st_ino) {
    return "is another name (a hard link) of the database " + m_db.string();
  }
  return {};
}

std::string PathPolicy::protected_problem(const fs::path& resolved, std::string_view writer) const {
  for (const auto& p : m_protected) {
    if (!p.directory && resolved == p.path) {
      return "is " + p.label;
    }
    if (p.directory && is_within(resolved, p.path) && !p.owned_by(writer)) {
      return (resolved == p.path ? "is " : "is inside ") + p.label + " " + p.path.string() +
             p.written_by();
    }
  }
  return {};
}

void PathPolicy::check_file(const fs::path& path, std::string_view what,
                            std::string_view writer) const {
  const auto resolved = resolve_path(path);
  std::error_code ec;
  auto problem = database_problem(resolved);
  if (problem.empty() && fs::is_directory(resolved, ec)) {
    problem = "is a directory";
  }
  if (problem.empty()) {
    problem = protected_problem(resolved, writer);
  }
  if (!problem.empty()) {
    throw core::usage_error(refusal(what, path, problem));
  }
}

void PathPolicy::check_directory(const fs::path& dir, std::string_view what,
                                 std::string_view writer) const {
  const auto resolved = resolve_path(dir);
  std::error_code ec;
  auto problem = database_problem(resolved);
  if (problem.empty() && fs::exists(resolved, ec) && !fs::is_directory(resolved, ec)) {
    problem = "is not a directory";
  }
  if (problem.empty()) {
    problem = protected_problem(resolved, writer);
  }
  if (!problem.empty()) {
    throw core::usage_error(refusal(what, dir, problem));
  }
}

void PathPolicy::check_replaceable_directory(const fs::path& dir, std::string_view what) const {
  const auto resolved = resolve_path(dir);
  if (const auto problem = database_problem(resolved); !problem.empty()) {
    throw core::usage_error(refusal(what, dir, problem));
  }
  if (is_within(m_db, resolved)) {
    throw core::usage_error(refusal(what, dir,
                                    "holds the database " + m_db.string() +
                                        "; krxbatch never replaces or deletes it, nor its "
                                        "directory or an ancestor of it"));
  }
  for (const auto& p : m_protected) {
    if (is_within(p.path, resolved)) {
      throw core::usage_error(refusal(
          what, dir, (resolved == p.path ? "is " : "holds ") + p.label + " " + p.path.string()));
    }
    if (p.directory && is_within(resolved, p.path)) {
      throw core::usage_error(refusal(what, dir, "is inside " + p.label + " " + p.path.string()));
    }
  }
}

void PathPolicy::check_delete(const fs::path& file, std::string_view writer) const {
  // The link itself is deleted, never what it points to: resolve its directory only.
  const auto resolved = resolve_path(directory_of(file)) / file.filename();
  auto problem = database_problem(resolved);
  if (problem.empty()) {
    problem = protected_problem(resolved, writer);
  }
  if (!problem.empty()) {
    throw core::usage_error(std::string(writer) + ": refusing to delete " + file.string() +
                            ", which " + problem + " (nothing was deleted)");
  }
}

UniqueFd::~UniqueFd() {
  if (m_fd >= 0) {
    ::close(m_fd);
  }
}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
    m_fd = std::exchange(other.m_fd, -1);
  }
  return *this;
}

UniqueFd open_own_file(const fs::path& path, int flags, mode_t mode, std::string_view what) {
  const auto refuse = [&](const std::string& problem, const std::string& todo) {
    return core::usage_error(std::string(what) + ": " + path.string() + " " + problem +
                             "; krxbatch writes only into its own regular files: " + todo +
                             " (nothing was changed)");
  };
  constexpr int k_base = O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
  bool created = true;
  int fd = ::open(path.c_str(), flags | k_base | O_CREAT | O_EXCL, mode);
  if (fd < 0 && errno == EEXIST) {
    created = false;
    fd = ::open(path.c_str(), flags | k_base);
  }
  if (fd < 0) {
    const int err = errno;
    if (err == ELOOP) {
      throw refuse("is a symbolic link", "remove the link");
    }
    if (err == ENXIO) {
      throw refuse("is a FIFO or a socket", "remove it");
    }
    throw core::failure(std::string(what) + ": cannot open " + path.string() + " (" +
                        std::strerror(err) +
                        "); check that its directory exists and is writable by this user");
  }
  UniqueFd out(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    throw core::failure(std::string(what) + ": cannot read " + path.string() + " (" +
                        std::strerror(errno) + ")");
  }
  if (!S_ISREG(st.st_mode)) {
    throw refuse("is not a regular file", "remove it");
  }
  if (st.st_nlink != 1) {
    throw refuse("has " + std::to_string(st.st_nlink) + " hard links",
                 "remove this name (the other names keep the data)");
  }
  if (!created && st.st_uid != ::geteuid()) {
    struct stat dir {};
    const bool service_file = ::geteuid() == 0 && ::stat(directory_of(path).c_str(), &dir) == 0 &&
                              dir.st_uid == st.st_uid;
    if (!service_file) {
      throw refuse("belongs to uid " + std::to_string(st.st_uid) + ", not to this user (uid " +
                       std::to_string(::geteuid()) + ")",
                   "run krxbatch as its owner or remove it");
    }
  }
  if (created) {
    adopt_directory_owner(fd, directory_of(path));
  }
  const int fl = ::fcntl(fd, F_GETFL);
  if (fl >= 0) {
    ::fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  }
  return out;
}

TempFile::TempFile(const fs::path& dir, std::string_view tag, std::string_view suffix) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::string name = temp_template(dir, tag) + std::string(suffix);
    const int fd = ::mkostemps(name.data(), static_cast<int>(suffix.size()), O_CLOEXEC);
    if (fd < 0) {
      cannot_create_temp(dir, errno);
    }
    UniqueFd lock(fd);
    if (hold_fresh_entry(fd, name)) {
      adopt_directory_owner(fd, dir);
      m_path = name;
      m_lock = std::move(lock);
      return;
    }
  }
  cannot_create_temp(dir, EEXIST);
}

TempFile::~TempFile() {
  remove();
}

TempFile::TempFile(TempFile&& other) noexcept
    : m_path(std::exchange(other.m_path, {})), m_lock(std::move(other.m_lock)) {}

TempFile& TempFile::operator=(TempFile&& other) noexcept {
  if (this != &other) {
    remove();
    m_path = std::exchange(other.m_path, {});
    m_lock = std::move(other.m_lock);
  }
  return *this;
}

void TempFile::commit(const fs::path& target, bool durable) {
  if (durable) {
    rename_durably(m_path, target);
  } else if (::rename(m_path.c_str(), target.c_str()) != 0) {
    throw core::failure("cannot rename " + m_path.string() + " to " + target.string() + " (" +
                        std::strerror(errno) + ")");
  }
  m_path.clear();
  m_lock = UniqueFd();
}

void TempFile::remove() {
  if (!m_path.empty()) {
    std::error_code ec;
    fs::remove(m_path, ec);
    m_path.clear();
  }
  m_lock = UniqueFd();
}

TempDir::TempDir(const fs::path& dir, std::string_view tag) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::string name = temp_template(dir, tag);
    if (::mkdtemp(name.data()) == nullptr) {
      cannot_create_temp(dir, errno);
    }
    UniqueFd lock(::open(name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (lock && hold_fresh_entry(lock.get(), name)) {
      adopt_directory_owner(lock.get(), dir);
      m_path = name;
      m_lock = std::move(lock);
      return;
    }
  }
  cannot_create_temp(dir, EEXIST);
}

TempDir::~TempDir() {
  if (!m_path.empty()) {
    std::error_code ec;
    fs::remove_all(m_path, ec);
  }
}

void TempDir::release() {
  m_path.clear();
  m_lock = UniqueFd();
}

std::vector<fs::path> find_leftovers(const fs::path& dir, std::string_view tag) {
  const std::string prefix = std::string(k_temp_prefix) + std::string(tag);
  std::vector<fs::path> out;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    return out;
  }
  for (const auto& entry : it) {
    const auto name = entry.path().filename().string();
    if (!name.starts_with(prefix)) {
      continue;
    }
    // A companion SQLite left beside a temporary database lives and dies with it.
    auto owner = entry.path();
    for (const auto suffix : k_sqlite_companions) {
      if (name.ends_with(suffix) &&
          fs::exists(fs::symlink_status(dir / name.substr(0, name.size() - suffix.size())))) {
        owner = dir / name.substr(0, name.size() - suffix.size());
        break;
      }
    }
    if (!is_held(owner)) {
      out.push_back(entry.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<fs::path> remove_leftovers(const fs::path& dir, std::string_view tag) {
  std::vector<fs::path> removed;
  for (const auto& p : find_leftovers(dir, tag)) {
    std::error_code ec;
    const bool directory = fs::is_directory(fs::symlink_status(p, ec));
    if (directory) {
      fs::remove_all(p, ec);
    } else {
      fs::remove(p, ec);
    }
    if (ec) {
      spdlog::warn("{}: cannot remove this leftover of an interrupted run ({}); remove it by hand",
                   p.string(), ec.message());
      continue;
    }
    spdlog::info("removed {}, left by an interrupted run", p.string());
    removed.push_back(p);
  }
  return removed;
}

void set_crash_point(std::string name) {
  g_crash_point = std::move(name);
}

void crash_point(std::string_view name) {
  if (!g_crash_point.empty() && g_crash_point == name) {
    ::kill(::getpid(), SIGKILL);
  }
}

} // namespace krxbatch::util
