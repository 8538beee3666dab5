// The raw archive of KRX answers (DESIGN §3, docs/ARCHIVE.md): every answer the Open API sends
// with HTTP 200 is kept, gzipped, as `<dir>/YYYY/{api_id}_{YYYYMMDD}.json.gz` (YYYY the
// session's year), so that a session can be looked at, and derived again after a parser fix,
// without calling KRX: the tree is itself a replay directory (`--source replay:<dir>`), and
// `verify --reparse` compares it with the database.
//
// RawArchive writes through the path policy (util::PathPolicy, writer "archive"): each file is
// written under a temporary name `.krxbatch-tmp-archive-XXXXXX` in its year folder, owner-only,
// and renamed into place, replacing an older answer for the same session; an interrupted write
// leaves at most such a temporary file, which the next archiving run removes and `verify`
// reports. The files reach the disk at flush() (one syncfs for all of them): a machine that
// crashes before may leave some of that run's files empty, which replay and `verify --reparse`
// report as unreadable (fetch the session again to replace them). The body is kept as the source
// hands it over: OpenApiSource has already taken any echo of the key out of it.
//
// The writes run on a thread of their own, so that compressing (a few ms per answer) overlaps
// the parsing and storing of the answers before it; keep() only queues the body. A write that
// fails (a full disk, a permission) is a WARN line and is counted: the ingestion goes on, since
// the database matters more than its archive, and the job reports the failure
// (JobResult::archive_failed) for app::JobRunner's alert. A process killed with answers still
// queued loses those files only (at most the answers of the last session or two).
#pragma once

#include "krxbatch/core/date.hpp"
#include "krxbatch/fetch/market_source.hpp"
#include "krxbatch/util/safe_path.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace krxbatch::fetch {

// The writer name of the archive in the path policy.
inline constexpr std::string_view k_archive_writer = "archive";

// An answer's body, shared between the parser and the archive's thread instead of copied (a
// full-market answer is ~0.2-0.9 MB, and a copy per answer cost the parsing thread more than
// the copying: fresh pages it faulted in again).
using SharedBody = std::shared_ptr<const std::string>;

// What OpenApiSource hands every HTTP 200 answer to, before it parses it. Called from the
// source's thread; never throws.
class AnswerSink {
public:
  virtual ~AnswerSink() = default;
  virtual void keep(Endpoint endpoint, const core::Date& day, SharedBody body) = 0;
};

// "stk_bydd_trd_20240105": the name of one answer without its extension.
std::string answer_stem(Endpoint endpoint, const core::Date& day);
// Where the archive in `dir` keeps that answer: `<dir>/2024/stk_bydd_trd_20240105.json.gz`.
std::filesystem::path archive_path(const std::filesystem::path& dir, Endpoint endpoint,
                                   const core::Date& day);

// One answer file of an archive or a replay folder.
struct AnswerFile {
  Endpoint endpoint = Endpoint::kospi_stocks;
  core::Date day;
  std::filesystem::path path;
  std::uintmax_t bytes = 0; // the file's size on disk
};

// The answer files in `dir`: `<stem>.json` or `<stem>.json.gz`, directly in `dir` or in a year
// folder `dir/YYYY/`; sorted by day, then endpoint (for one answer in several forms, the one
// ReplaySource reads). Other names are ignored. Empty when `dir` cannot be read.
std::vector<AnswerFile> list_answers(const std::filesystem::path& dir);

// The body of an answer file, gunzipped when it is gzip. Throws core::Error (exit 1) naming the
// file when it cannot be read or its gzip data is damaged.
std::string read_answer(const std::filesystem::path& file);

// Totals of an archive, for `status` and `doctor`.
struct ArchiveUsage {
  std::int64_t files = 0;
  std::uintmax_t bytes = 0;
  std::int64_t sessions = 0; // distinct days
  std::optional<core::Date> first;
  std::optional<core::Date> last;
};
ArchiveUsage archive_usage(const std::filesystem::path& dir);

class RawArchive final : public AnswerSink {
public:
  // Archives into `dir` (created when absent, owner-only). `origin` names where it came from in
  // messages ("archive_dir (default)", "/etc/krxbatch.conf:7: archive_dir"). Throws core::Error
  // (exit 2) when the policy refuses `dir`, (exit 1) when it cannot be created.
  RawArchive(std::filesystem::path dir, const util::PathPolicy& policy, std::string origin);
  // Waits for the queued writes (flush()).
  ~RawArchive() override;
  RawArchive(const RawArchive&) = delete;
  RawArchive& operator=(const RawArchive&) = delete;

  // Queues `body` to be written as the answer of `endpoint` for `day`. Returns at once unless
  // k_queue_limit answers are already waiting.
  void keep(Endpoint endpoint, const core::Date& day, SharedBody body) override;
  // Waits until every answer kept so far is written (or has failed), then flushes them to disk.
  void flush();

  // After flush(): answers written, answers that could not be, and the first reason.
  std::int64_t written() const;
  std::int64_t failures() const;
  std::string first_failure() const;

  const std::filesystem::path& dir() const { return m_dir; }

  // libdeflate level of the files: the fastest, ~1.8x zlib's fastest with ~7 % smaller files;
  // level 6 makes files ~25 % smaller for 2.4x the CPU (docs/PERFORMANCE.md "The raw archive").
  static constexpr int k_gzip_level = 1;
  static constexpr std::size_t k_queue_limit = 16;

private:
  struct Impl;
  std::filesystem::path m_dir;
  std::unique_ptr<Impl> m_impl;
};

// The retention of `archive_days`: deletes the answers in `dir` of sessions dated more than
// `days` days before `today` (by the date in the name: with 30 on 2026-11-21, 2026-10-22 is kept
// and 2026-10-21 deleted), each through the policy (writer "archive"), and the leftovers of
// interrupted writes; returns what was deleted. One that cannot be deleted is a WARN line.
std::vector<std::filesystem::path> prune_archive(const std::filesystem::path& dir,
                                                 const util::PathPolicy& policy,
                                                 const core::Date& today, int days);

} // namespace krxbatch::fetch
