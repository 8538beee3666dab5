#include "krxbatch/ops/archive_name.hpp"

#include <algorithm>
#include <cstdio>

namespace krxbatch::ops {
namespace {

constexpr std::string_view k_prefix = "krxbatch-";
constexpr std::string_view k_snapshot_prefix = "krxbatch-snapshot-";

std::string yyyymmdd(const core::Date& d) {
  return core::to_basdd(d);
}

std::string hhmmss(const core::KstTime& t) {
  const auto tod = t.time_of_day();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%02d%02d%02d", static_cast<int>(tod.hours()),
                static_cast<int>(tod.minutes()), static_cast<int>(tod.seconds()));
  return buf;
}

bool all_digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<boost::posix_time::time_duration> parse_hhmmss(std::string_view s) {
  if (s.size() != 6 || !all_digits(s)) {
    return std::nullopt;
  }
  const auto two = [&](std::size_t i) { return (s[i] - '0') * 10 + (s[i + 1] - '0'); };
  const int h = two(0);
  const int m = two(2);
  const int sec = two(4);
  if (h > 23 || m > 59 || sec > 59) {
    return std::nullopt;
  }
  return boost::posix_time::hours(h) + boost::posix_time::minutes(m) +
         boost::posix_time::seconds(sec);
}

} // namespace

std::string backup_file_name(const core::KstTime& taken_at, bool gzip) {
  return std::string(k_prefix) + yyyymmdd(taken_at.date()) + "-" + hhmmss(taken_at) +
         (gzip ? ".db.gz" : ".db");
}

std::string snapshot_file_name(const core::Date& date) {
  return std::string(k_snapshot_prefix) + yyyymmdd(date) + ".db";
}

std::string pre_restore_file_name(const core::KstTime& taken_at) {
  return "krxbatch-pre-restore-" + yyyymmdd(taken_at.date()) + "-" + hhmmss(taken_at) + ".db";
}

std::optional<ArchiveName> parse_archive_name(std::string_view name) {
  if (name.starts_with(k_snapshot_prefix)) {
    const auto rest = name.substr(k_snapshot_prefix.size());
    if (rest.size() != 11 || !rest.ends_with(".db") || !all_digits(rest.substr(0, 8))) {
      return std::nullopt;
    }
    const auto date = core::parse_basdd(rest.substr(0, 8));
    if (!date) {
      return std::nullopt;
    }
    return ArchiveName{ArchiveKind::snapshot, core::KstTime(*date), false};
  }
  if (!name.starts_with(k_prefix)) {
    return std::nullopt;
  }
  auto rest = name.substr(k_prefix.size());
  bool gzip = false;
  if (rest.ends_with(".db.gz")) {
    gzip = true;
    rest.remove_suffix(6);
  } else if (rest.ends_with(".db")) {
    rest.remove_suffix(3);
  } else {
    return std::nullopt;
  }
  if (rest.size() != 15 || rest[8] != '-' || !all_digits(rest.substr(0, 8))) {
    return std::nullopt;
  }
  const auto date = core::parse_basdd(rest.substr(0, 8));
  const auto time = parse_hhmmss(rest.substr(9));
  if (!date || !time) {
    return std::nullopt;
  }
  return ArchiveName{ArchiveKind::backup, core::KstTime(*date, *time), gzip};
}

std::vector<std::string> expired_archives(std::span<const std::string> file_names, ArchiveKind kind,
                                          const core::Date& today, int retention_days) {
  struct Entry {
    core::KstTime taken_at;
    std::string name;
  };
  std::vector<Entry> ours;
  for (const auto& n : file_names) {
    if (const auto parsed = parse_archive_name(n); parsed && parsed->kind == kind) {
      ours.push_back({parsed->taken_at, n});
    }
  }
  std::sort(ours.begin(), ours.end(), [](const Entry& a, const Entry& b) {
    return a.taken_at != b.taken_at ? a.taken_at < b.taken_at : a.name < b.name;
  });
  std::vector<std::string> out;
  if (ours.empty()) {
    return out;
  }
  // A retention reaching before the first date Boost represents keeps everything.
  const core::Date earliest(1400, 1, 2);
  if (today <= earliest || retention_days >= (today - earliest).days()) {
    return out;
  }
  const auto cutoff = today - boost::gregorian::days(retention_days);
  ours.pop_back(); // the newest is always kept
  for (const auto& e : ours) {
    if (e.taken_at.date() < cutoff) {
      out.push_back(e.name);
    }
  }
  return out;
}

} // namespace krxbatch::ops
