// A temporary directory removed at the end of the scope (tests only).
#pragma once

#include "krxbatch/calendar/calendar.hpp"
#include "krxbatch/core/date.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>

namespace krxbatch::test {

class TempDir {
public:
  TempDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "krxbatch-test-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed");
    }
    m_path = templ;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return m_path; }
  std::filesystem::path operator/(std::string_view name) const { return m_path / name; }

  // Writes `content` to `name` inside the directory and returns the full path.
  std::filesystem::path write(std::string_view name, std::string_view content) const {
    const auto p = m_path / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary);
    out << content;
    return p;
  }

private:
  std::filesystem::path m_path;
};

// The folder of reference material outside the repository (`../shared` next to the source
// tree), or $KRXBATCH_SHARED_DIR when set (e.g. from a git worktree elsewhere). Tests that read
// it must report themselves as not run, with a MESSAGE, when what they need is absent.
inline std::filesystem::path shared_dir() {
  if (const char* env = std::getenv("KRXBATCH_SHARED_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  return KRXBATCH_SHARED_DIR;
}

// The whole content of a file; throws when it cannot be read.
inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read " + path.string());
  }
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The project's real KRX calendar (holidays/ of the source tree), loaded once.
inline const calendar::Calendar& real_calendar() {
  static const auto cal =
      calendar::Calendar::load(std::filesystem::path(KRXBATCH_SOURCE_DIR) / "holidays");
  return cal;
}

// A KST instant.
inline core::KstTime kst(int y, int m, int d, int hh, int mm = 0) {
  return {core::Date(static_cast<unsigned short>(y), static_cast<unsigned short>(m),
                     static_cast<unsigned short>(d)),
          boost::posix_time::hours(hh) + boost::posix_time::minutes(mm)};
}

} // namespace krxbatch::test

// Dates and times print as ISO text in failed checks.
namespace doctest {
template <>
struct StringMaker<boost::gregorian::date> {
  static String convert(const boost::gregorian::date& d) {
    return krxbatch::core::to_iso(d).c_str();
  }
};
template <>
struct StringMaker<boost::posix_time::ptime> {
  static String convert(const boost::posix_time::ptime& t) {
    return krxbatch::core::to_iso(t).c_str();
  }
};
} // namespace doctest
