// The packed form of a staged session (src/store/staged_rows.hpp): every value daily_prices can
// hold comes back exactly, and a damaged value is refused with an error, never misread.
#include "krxbatch/core/error.hpp"
#include "krxbatch/util/scratch_file.hpp"

#include "store/staged_rows.hpp"

#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <vector>

using namespace krxbatch;
namespace staged = store::staged;

namespace {

constexpr auto k_min = std::numeric_limits<std::int64_t>::min();
constexpr auto k_max = std::numeric_limits<std::int64_t>::max();

// Edge values in every column: extremes of int64, 0, -1, the 7-bit varint boundaries, a
// negative zero and tiny/huge rates, empty and multi-byte texts, each optional present and not.
std::vector<market::PriceRow> edge_rows() {
  const std::vector<std::int64_t> ints = {
      0, 1, -1, 63, 64, -64, -65, 127, 128, 16383, 16384, k_max, k_min, 5'000'000'000'000'000};
  const std::vector<double> rates = {0.0, -0.0, 29.99, -30.0, 1e-300, 1e300, 0.1};
  std::vector<market::PriceRow> rows;
  for (std::size_t i = 0; i < ints.size() * 2; ++i) {
    const auto v = ints[i % ints.size()];
    const auto w = ints[(i * 5 + 3) % ints.size()];
    market::PriceRow r;
    const auto digits = std::to_string(100 + i);
    r.ticker = std::string(6 - digits.size(), '0') + digits;
    r.name = i % 3 == 0 ? "삼성전자우" : (i % 3 == 1 ? "A" : std::string(300, 'x'));
    r.close = v;
    r.volume = i % 2 == 0 ? w : 0;
    r.value = w;
    r.market_cap = v;
    r.listed_shares = w;
    if (i % 4 != 1) {
      r.open = w;
      r.high = v;
      r.low = i % 7 == 0 ? 0 : w;
    }
    if (i % 3 != 2) {
      r.change = w;
      r.change_rate = rates[i % rates.size()];
    }
    if (i % 5 == 0) {
      r.section = "";
    } else if (i % 5 != 1) {
      r.section = "중견기업부";
    }
    rows.push_back(r);
  }
  return rows;
}

std::vector<const market::PriceRow*> pointers(const std::vector<market::PriceRow>& rows) {
  std::vector<const market::PriceRow*> out;
  for (const auto& r : rows) {
    out.push_back(&r);
  }
  return out;
}

std::vector<staged::Row> decode(const std::string& packed) {
  staged::Reader reader(packed);
  std::vector<staged::Row> out;
  staged::Row row;
  while (reader.next(row)) {
    out.push_back(row);
  }
  return out;
}

// The rows of the value at [offset, offset + length) of `file`, through the stream reader.
std::vector<staged::Row> stream(const util::ScratchFile& file, std::uint64_t offset,
                                std::uint64_t length, std::size_t window) {
  staged::StreamReader reader(file, offset, length, window);
  std::vector<staged::Row> out;
  staged::Row row;
  while (reader.next(row)) {
    out.push_back(row);
  }
  return out;
}

bool same(const staged::Row& a, const staged::Row& b) {
  const auto bits = [](const std::optional<double>& v) {
    return v ? std::optional(std::bit_cast<std::uint64_t>(*v)) : std::nullopt;
  };
  return a.ticker == b.ticker && a.name == b.name && a.open == b.open && a.high == b.high &&
         a.low == b.low && a.close == b.close && a.volume == b.volume && a.value == b.value &&
         a.market_cap == b.market_cap && a.listed_shares == b.listed_shares &&
         a.change == b.change && bits(a.change_rate) == bits(b.change_rate) &&
         a.section == b.section;
}

} // namespace

TEST_SUITE("store.staged_rows") {
  TEST_CASE("read back from a scratch file a window at a time, a value gives the same rows as in "
            "memory, whatever the window, and every truncation is refused") {
    const auto rows = edge_rows();
    const auto packed = staged::encode(pointers(rows));
    const auto expected = decode(packed);
    util::ScratchFile file(std::filesystem::temp_directory_path());
    // Between other bytes, as the merge lays the staged values one after the other.
    file.append("before");
    const auto at = file.append(packed);
    file.append(packed);
    CHECK(file.size() == 6 + 2 * packed.size());
    // 64 bytes is less than one row with its 300-byte name: the window widens.
    for (const std::size_t window : {64U, 100U, 257U, 4096U, 1U << 20U}) {
      CAPTURE(window);
      const auto got = stream(file, at, packed.size(), window);
      REQUIRE(got.size() == expected.size());
      for (std::size_t i = 0; i < got.size(); ++i) {
        CAPTURE(i);
        CHECK(same(got[i], expected[i]));
      }
    }
    for (std::size_t n = 0; n < packed.size(); ++n) {
      CAPTURE(n);
      CHECK_THROWS_AS(stream(file, at, n, 64), core::Error);
    }
    // One byte more: the next value's first.
    CHECK_THROWS_AS(stream(file, at, packed.size() + 1, 64), core::Error);
    // Past the end of the file.
    CHECK_THROWS_AS(stream(file, file.size() - 10, 20, 64), core::Error);
  }

  TEST_CASE("every value comes back exactly, with open/high/low of a row without trades NULL") {
    const auto rows = edge_rows();
    const auto packed = staged::encode(pointers(rows));
    CHECK(staged::Reader(packed).size() == rows.size());
    const auto got = decode(packed);
    REQUIRE(got.size() == rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      CAPTURE(i);
      const auto& r = rows[i];
      const auto& g = got[i];
      CHECK(g.ticker == r.ticker);
      CHECK(g.name == r.name);
      CHECK(g.open == staged::stored_price(r.open, r));
      CHECK(g.high == staged::stored_price(r.high, r));
      CHECK(g.low == staged::stored_price(r.low, r));
      CHECK(g.close == *r.close);
      CHECK(g.volume == *r.volume);
      CHECK(g.value == *r.value);
      CHECK(g.market_cap == *r.market_cap);
      CHECK(g.listed_shares == *r.listed_shares);
      CHECK(g.change == r.change);
      REQUIRE(g.change_rate.has_value() == r.change_rate.has_value());
      if (r.change_rate) {
        // Bit for bit: -0.0 stays negative.
        CHECK(std::signbit(*g.change_rate) == std::signbit(*r.change_rate));
        CHECK(*g.change_rate == *r.change_rate);
      }
      CHECK(g.section == r.section);
    }
  }

  TEST_CASE("a row that did not trade keeps a zero close but not a zero open") {
    market::PriceRow r;
    r.ticker = "005930";
    r.name = "x";
    r.close = 0;
    r.volume = 0;
    r.value = 0;
    r.market_cap = 0;
    r.listed_shares = 10;
    r.open = 0;
    r.high = 0;
    r.low = 0;
    const std::vector<const market::PriceRow*> one = {&r};
    const auto got = decode(staged::encode(one));
    REQUIRE(got.size() == 1);
    CHECK_FALSE(got[0].open.has_value());
    CHECK_FALSE(got[0].high.has_value());
    CHECK_FALSE(got[0].low.has_value());
    CHECK(got[0].close == 0);
  }

  TEST_CASE("an empty session packs and reads as no rows") {
    const auto packed = staged::encode({});
    CHECK(staged::Reader(packed).size() == 0);
    CHECK(decode(packed).empty());
  }

  TEST_CASE("a row without a column daily_prices requires is refused, naming the row") {
    auto rows = edge_rows();
    rows[3].listed_shares.reset();
    try {
      (void)staged::encode(pointers(rows));
      FAIL("encoded a row without listed shares");
    } catch (const core::Error& e) {
      CHECK(std::string(e.what()).find(rows[3].ticker) != std::string::npos);
      CHECK(std::string(e.what()).find("listed_shares") != std::string::npos);
    }
  }

  TEST_CASE("every truncation and a trailing byte are refused as damaged") {
    const auto rows = edge_rows();
    const auto packed = staged::encode(pointers(rows));
    for (std::size_t n = 0; n < packed.size(); ++n) {
      CAPTURE(n);
      CHECK_THROWS_AS(decode(packed.substr(0, n)), core::Error);
    }
    CHECK_THROWS_AS(decode(packed + '\0'), core::Error);
    auto other_version = packed;
    other_version[0] = 2;
    CHECK_THROWS_AS(decode(other_version), core::Error);
    // A number that never ends.
    CHECK_THROWS_AS(decode(std::string(1, '\1') + std::string(11, '\xff')), core::Error);
    // A row count the value cannot hold (here 2^62) is refused before anything adds it up.
    CHECK_THROWS_AS(staged::Reader(std::string("\1\x80\x80\x80\x80\x80\x80\x80\x80\x40", 10) +
                                   packed.substr(2)),
                    core::Error);
  }
}
