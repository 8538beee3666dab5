#include "krxbatch/fetch/raw_archive.hpp"

#include "krxbatch/core/error.hpp"
#include "krxbatch/util/durable_file.hpp"
#include "krxbatch/util/gzip.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <iterator>
#include <mutex>
#include <set>
#include <sys/stat.h>
#include <thread>

namespace krxbatch::fetch {
namespace {

namespace fs = std::filesystem;

constexpr std::array k_endpoints = {Endpoint::kospi_stocks, Endpoint::kosdaq_stocks,
                                    Endpoint::konex_stocks, Endpoint::kospi_index,
                                    Endpoint::kosdaq_index};

// `name` as `{api_id}_{YYYYMMDD}.json[.gz]`: the endpoint, the day and whether it is gzipped.
std::optional<AnswerFile> parse_answer_name(const std::string& name) {
  std::string_view stem = name;
  if (stem.ends_with(".gz")) {
    stem.remove_suffix(3);
  }
  if (!stem.ends_with(".json")) {
    return std::nullopt;
  }
  stem.remove_suffix(5);
  if (stem.size() < 10 || stem[stem.size() - 9] != '_') {
    return std::nullopt;
  }
  const auto day = core::parse_basdd(stem.substr(stem.size() - 8));
  const auto id = stem.substr(0, stem.size() - 9);
  for (const auto e : k_endpoints) {
    if (day && api_id(e) == id) {
      return AnswerFile{e, *day, {}, 0};
    }
  }
  return std::nullopt;
}

bool is_year_folder(const std::string& name) {
  return name.size() == 4 &&
         std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Creates `dir` (owner-only) when absent.
void make_private_dir(const fs::path& dir) {
  std::error_code ec;
  if (fs::is_directory(dir, ec)) {
    return;
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && !fs::is_directory(dir, ec)) {
    throw core::failure(dir.string() + ": cannot create the archive folder (" +
                        std::error_code(errno, std::generic_category()).message() +
                        "); check the permissions of its parent or set archive_dir");
  }
}

} // namespace

std::string answer_stem(Endpoint endpoint, const core::Date& day) {
  return std::string(api_id(endpoint)) + "_" + core::to_basdd(day);
}

fs::path archive_path(const fs::path& dir, Endpoint endpoint, const core::Date& day) {
  return dir / std::to_string(static_cast<int>(day.year())) /
         (answer_stem(endpoint, day) + ".json.gz");
}

std::vector<AnswerFile> list_answers(const fs::path& dir) {
  std::vector<AnswerFile> out;
  const auto scan = [&out](const fs::path& folder, bool descend) {
    std::error_code ec;
    for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
      const auto name = it->path().filename().string();
      std::error_code type_ec;
      if (descend && is_year_folder(name) && it->is_directory(type_ec)) {
        continue; // year folders are scanned after the top level
      }
      if (auto f = parse_answer_name(name); f && it->is_regular_file(type_ec)) {
        f->path = it->path();
        f->bytes = it->file_size(type_ec);
        out.push_back(std::move(*f));
      }
    }
  };
  scan(dir, true);
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (is_year_folder(it->path().filename().string()) && it->is_directory(type_ec)) {
      scan(it->path(), false);
    }
  }
  // By day and endpoint; among the forms of one answer, the one ReplaySource reads first
  // (top level before a year folder, .json before .json.gz).
  const auto rank = [&dir](const AnswerFile& f) {
    return std::pair(f.path.parent_path() != dir, f.path.extension() == ".gz");
  };
  std::sort(out.begin(), out.end(), [&](const AnswerFile& a, const AnswerFile& b) {
    if (a.day != b.day) {
      return a.day < b.day;
    }
    if (a.endpoint != b.endpoint) {
      return a.endpoint < b.endpoint;
    }
    return rank(a) < rank(b);
  });
  return out;
}

std::string read_answer(const fs::path& file) {
  if (util::is_gzip_file(file)) {
    return util::read_gzip_file(file);
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw core::failure(file.string() + ": cannot read (" +
                        std::error_code(errno, std::generic_category()).message() + ")");
  }
  std::string body{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) {
    throw core::failure(file.string() + ": read error");
  }
  return body;
}

ArchiveUsage archive_usage(const fs::path& dir) {
  ArchiveUsage usage;
  std::set<core::Date> days;
  for (const auto& f : list_answers(dir)) {
    ++usage.files;
    usage.bytes += f.bytes;
    days.insert(f.day);
  }
  usage.sessions = static_cast<std::int64_t>(days.size());
  if (!days.empty()) {
    usage.first = *days.begin();
    usage.last = *days.rbegin();
  }
  return usage;
}

struct RawArchive::Impl {
  struct Answer {
    Endpoint endpoint;
    core::Date day;
    SharedBody body;
  };

  Impl(fs::path archive_dir, const util::PathPolicy& path_policy, std::string where)
      : dir(std::move(archive_dir)), policy(path_policy), origin(std::move(where)) {
    worker = std::thread([this] { work(); });
  }

  ~Impl() {
    {
      const std::lock_guard lock(mutex);
      stopping = true;
    }
    wake.notify_all();
    worker.join();
  }

  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  void push(Answer answer) {
    std::unique_lock lock(mutex);
    room.wait(lock, [this] { return queue.size() < k_queue_limit; });
    queue.push_back(std::move(answer));
    ++queued;
    lock.unlock();
    wake.notify_all();
  }

  void wait_done() {
    std::unique_lock lock(mutex);
    room.wait(lock, [this] { return done == queued; });
  }

  void work() {
    for (;;) {
      Answer a;
      {
        std::unique_lock lock(mutex);
        wake.wait(lock, [this] { return stopping || !queue.empty(); });
        if (queue.empty()) {
          return; // stopping, and everything queued is written
        }
        a = std::move(queue.front());
        queue.pop_front();
      }
      std::string error;
      try {
        write(a);
      } catch (const std::exception& e) {
        error = e.what();
      }
      {
        const std::lock_guard lock(mutex);
        ++done;
        if (error.empty()) {
          ++ok;
        } else {
          spdlog::warn("archive: {} for {} not kept: {}", api_id(a.endpoint), core::to_iso(a.day),
                       error);
          if (failed++ == 0) {
            first_failure =
                std::string(api_id(a.endpoint)) + " for " + core::to_iso(a.day) + ": " + error;
          }
        }
      }
      room.notify_all();
    }
  }

  // On the worker thread only.
  void write(const Answer& a) {
    const auto target = archive_path(dir, a.endpoint, a.day);
    const auto folder = target.parent_path();
    if (!prepared.contains(folder)) {
      make_private_dir(folder);
      // What an interrupted run of ours left there (the temporaries of this run are held).
      (void)util::remove_leftovers(folder, k_archive_writer);
      prepared.insert(folder);
    }
    policy.check_file(target, origin, k_archive_writer);
    const auto packed = util::gzip_bytes(*a.body, k_gzip_level);
    util::TempFile temp(folder, k_archive_writer, ".json.gz");
    util::write_all(temp.fd(), packed, temp.path());
    // Flushed once per flush() with the whole file system (syncfs), not once per file: an fsync
    // of each file and its folder blocked this thread ~8 ms an answer on a busy disk, and the
    // ingestion behind it once the queue was full (docs/PERFORMANCE.md "The raw archive").
    temp.commit(target, false);
  }

  fs::path dir;
  const util::PathPolicy& policy;
  std::string origin;
  std::set<fs::path> prepared; // year folders created and cleaned in this run (worker only)

  std::mutex mutex;
  std::condition_variable wake; // the worker: work queued, or stopping
  std::condition_variable room; // keep() and flush(): an answer is done
  std::deque<Answer> queue;
  std::int64_t queued = 0;
  std::int64_t done = 0;
  std::int64_t ok = 0;
  std::int64_t failed = 0;
  std::string first_failure;
  std::int64_t synced = 0; // `ok` at the last sync (caller's thread only)
  bool stopping = false;
  std::thread worker; // last: started once everything it uses exists
};

RawArchive::RawArchive(fs::path dir, const util::PathPolicy& policy, std::string origin)
    : m_dir(std::move(dir)) {
  policy.check_directory(m_dir, origin, k_archive_writer);
  make_private_dir(m_dir);
  m_impl = std::make_unique<Impl>(m_dir, policy, std::move(origin));
}

RawArchive::~RawArchive() {
  flush();
}

void RawArchive::keep(Endpoint endpoint, const core::Date& day, SharedBody body) {
  m_impl->push({endpoint, day, std::move(body)});
}

void RawArchive::flush() {
  m_impl->wait_done();
  std::int64_t written = 0;
  {
    const std::lock_guard lock(m_impl->mutex);
    written = m_impl->ok;
  }
  if (written == m_impl->synced) {
    return;
  }
  try {
    util::sync_file_system(m_dir);
    m_impl->synced = written;
  } catch (const core::Error& e) {
    spdlog::warn("archive: {}", e.what());
    const std::lock_guard lock(m_impl->mutex);
    if (m_impl->failed++ == 0) {
      m_impl->first_failure = e.what();
    }
  }
}

std::int64_t RawArchive::written() const {
  const std::lock_guard lock(m_impl->mutex);
  return m_impl->ok;
}

std::int64_t RawArchive::failures() const {
  const std::lock_guard lock(m_impl->mutex);
  return m_impl->failed;
}

std::string RawArchive::first_failure() const {
  const std::lock_guard lock(m_impl->mutex);
  return m_impl->first_failure;
}

std::vector<fs::path> prune_archive(const fs::path& dir, const util::PathPolicy& policy,
                                    const core::Date& today, int days) {
  std::vector<fs::path> deleted;
  const auto oldest_kept = today - boost::gregorian::days(days);
  for (const auto& f : list_answers(dir)) {
    if (f.day >= oldest_kept) {
      continue;
    }
    policy.check_delete(f.path, k_archive_writer);
    std::error_code ec;
    if (fs::remove(f.path, ec)) {
      deleted.push_back(f.path);
    } else if (ec) {
      spdlog::warn("archive: {} not deleted: {}", f.path.string(), ec.message());
    }
  }
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (is_year_folder(it->path().filename().string()) && it->is_directory(type_ec)) {
      for (auto& p : util::remove_leftovers(it->path(), k_archive_writer)) {
        deleted.push_back(std::move(p));
      }
    }
  }
  return deleted;
}

} // namespace krxbatch::fetch
