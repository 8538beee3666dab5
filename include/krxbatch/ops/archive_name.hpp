// Names of backup and snapshot files, and which old ones a retention policy deletes.
//
// A backup is `krxbatch-YYYYMMDD-HHMMSS.db` (or `.db.gz` when gzipped), a snapshot
// `krxbatch-snapshot-YYYYMMDD.db`, both stamped with the KST time they were taken. Only files
// whose whole name matches one of these patterns are ours: retention never touches anything
// else in the directory (the safety copies restore keeps, `krxbatch-pre-restore-*.db`, are
// deliberately outside both patterns). Pure; thread-safe.
#pragma once

#include "krxbatch/core/date.hpp"

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace krxbatch::ops {

enum class ArchiveKind { backup, snapshot };

struct ArchiveName {
  ArchiveKind kind = ArchiveKind::backup;
  core::KstTime taken_at; // a snapshot's is midnight of its date
  bool gzip = false;
};

std::string backup_file_name(const core::KstTime& taken_at, bool gzip);
std::string snapshot_file_name(const core::Date& date);
// The name of the safety copy restore keeps of the database it replaces.
std::string pre_restore_file_name(const core::KstTime& taken_at);

// The parts of a file name (no directory) of our patterns; nullopt for any other name,
// including a date or time that does not exist.
std::optional<ArchiveName> parse_archive_name(std::string_view file_name);

// The names among `file_names` to delete under a retention of `retention_days`: those of
// `kind` dated more than `retention_days` days before `today` (by the date in the name), but
// never the newest file of `kind`, so a stopped backup job never ends with nothing kept.
// Names of other kinds or patterns are never returned. Order: oldest first.
// Precondition: retention_days >= 0.
std::vector<std::string> expired_archives(std::span<const std::string> file_names, ArchiveKind kind,
                                          const core::Date& today, int retention_days);

} // namespace krxbatch::ops
