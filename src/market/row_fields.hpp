// Internal to market/: the fields of the KRX rows and how each value is read, shared by the
// general (SAX) parser and the flat scanner so that both build rows with the very same code.
// Pure and thread-safe. Never include this outside src/market/.
#pragma once

#include "krxbatch/market/types.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace krxbatch::market::detail {

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

enum class Value { present, absent, bad };

inline std::string_view trim_spaces(std::string_view text) {
  while (!text.empty() && text.front() == ' ') {
    text.remove_prefix(1);
  }
  while (!text.empty() && text.back() == ' ') {
    text.remove_suffix(1);
  }
  return text;
}

inline bool is_absent(std::string_view text) {
  return text.empty() || text == "-";
}

// Copies `text` without its thousands separators into `buf` (a leading '+' dropped, since
// from_chars rejects it). Returns the digits, or an empty view when they do not fit, so that
// the caller rejects them.
template <std::size_t N>
std::string_view strip_number(std::string_view text, std::array<char, N>& buf) {
  if (!text.empty() && text.front() == '+') {
    text.remove_prefix(1);
  }
  std::size_t n = 0;
  for (const char c : text) {
    if (c == ',') {
      continue;
    }
    if (n == buf.size()) {
      return {};
    }
    buf[n++] = c;
  }
  return {buf.data(), n};
}

inline Value parse_int(std::string_view text, std::int64_t& out) {
  text = trim_spaces(text);
  if (is_absent(text)) {
    return Value::absent;
  }
  // Accumulates negatively so that INT64_MIN is reachable; commas are skipped anywhere.
  const bool negative = text.front() == '-';
  if (negative || text.front() == '+') {
    text.remove_prefix(1);
  }
  std::int64_t value = 0;
  bool any_digit = false;
  for (const char c : text) {
    if (c == ',') {
      continue;
    }
    if (c < '0' || c > '9') {
      return Value::bad;
    }
    if (__builtin_mul_overflow(value, 10, &value) ||
        __builtin_sub_overflow(value, static_cast<std::int64_t>(c - '0'), &value)) {
      return Value::bad;
    }
    any_digit = true;
  }
  if (!any_digit || (!negative && value == INT64_MIN)) {
    return Value::bad;
  }
  out = negative ? value : -value;
  return Value::present;
}

inline Value parse_double(std::string_view text, double& out) {
  text = trim_spaces(text);
  if (is_absent(text)) {
    return Value::absent;
  }
  std::array<char, 64> buf{};
  const auto digits = strip_number(text, buf);
  const char* end = digits.data() + digits.size();
  const auto [ptr, ec] = std::from_chars(digits.data(), end, out, std::chars_format::general);
  return (digits.empty() || ec != std::errc() || ptr != end || !std::isfinite(out))
             ? Value::bad
             : Value::present;
}

// One field of a row: its key on the wire, how to store its text, and what it must look like
// (for messages). `assign` returns false when the text is not a valid value.
template <typename Row>
struct FieldSpec {
  std::string_view key;
  bool (*assign)(Row& row, std::string_view text);
  std::string_view expected;
};

template <typename Row, std::optional<std::int64_t> Row::*Member>
bool set_int(Row& row, std::string_view text) {
  std::int64_t v = 0;
  const auto status = parse_int(text, v);
  if (status == Value::present) {
    row.*Member = v;
  } else {
    (row.*Member).reset();
  }
  return status != Value::bad;
}

template <typename Row, std::optional<double> Row::*Member>
bool set_double(Row& row, std::string_view text) {
  double v = 0;
  const auto status = parse_double(text, v);
  if (status == Value::present) {
    row.*Member = v;
  } else {
    (row.*Member).reset();
  }
  return status != Value::bad;
}

template <typename Row, std::string Row::*Member>
bool set_text(Row& row, std::string_view text) {
  (row.*Member).assign(text);
  return true;
}

template <typename Row>
bool set_trade_date(Row& row, std::string_view text) {
  text = trim_spaces(text);
  if (is_absent(text)) {
    row.trade_date = core::Date();
    return true;
  }
  const auto date = core::parse_basdd(text);
  if (!date) {
    return false;
  }
  row.trade_date = *date;
  return true;
}

inline bool set_market(PriceRow& row, std::string_view text) {
  text = trim_spaces(text);
  if (is_absent(text)) {
    row.market.reset();
    return true;
  }
  row.market = parse_market(text);
  return row.market.has_value();
}

inline bool set_section(PriceRow& row, std::string_view text) {
  if (is_absent(trim_spaces(text))) {
    row.section.reset();
  } else {
    row.section.emplace(text);
  }
  return true;
}

inline constexpr std::string_view k_integer = "an integer";
inline constexpr std::string_view k_number = "a number";
inline constexpr std::string_view k_text = "text";

// Fields in the spec's table order.
struct PriceTraits {
  using Row = PriceRow;
  static constexpr std::string_view k_identity = "ISU_CD";
  static constexpr std::array<FieldSpec<PriceRow>, 15> k_fields = {{
      {"BAS_DD", &set_trade_date<PriceRow>, "a YYYYMMDD date"},
      {"ISU_CD", &set_text<PriceRow, &PriceRow::ticker>, k_text},
      {"ISU_NM", &set_text<PriceRow, &PriceRow::name>, k_text},
      {"MKT_NM", &set_market, "KOSPI, KOSDAQ or KONEX"},
      {"SECT_TP_NM", &set_section, k_text},
      {"TDD_CLSPRC", &set_int<PriceRow, &PriceRow::close>, k_integer},
      {"CMPPREVDD_PRC", &set_int<PriceRow, &PriceRow::change>, k_integer},
      {"FLUC_RT", &set_double<PriceRow, &PriceRow::change_rate>, k_number},
      {"TDD_OPNPRC", &set_int<PriceRow, &PriceRow::open>, k_integer},
      {"TDD_HGPRC", &set_int<PriceRow, &PriceRow::high>, k_integer},
      {"TDD_LWPRC", &set_int<PriceRow, &PriceRow::low>, k_integer},
      {"ACC_TRDVOL", &set_int<PriceRow, &PriceRow::volume>, k_integer},
      {"ACC_TRDVAL", &set_int<PriceRow, &PriceRow::value>, k_integer},
      {"MKTCAP", &set_int<PriceRow, &PriceRow::market_cap>, k_integer},
      {"LIST_SHRS", &set_int<PriceRow, &PriceRow::listed_shares>, k_integer},
  }};
  static const std::string& identity(const PriceRow& row) { return row.ticker; }
};

struct IndexTraits {
  using Row = IndexRow;
  static constexpr std::string_view k_identity = "IDX_NM";
  static constexpr std::array<FieldSpec<IndexRow>, 12> k_fields = {{
      {"BAS_DD", &set_trade_date<IndexRow>, "a YYYYMMDD date"},
      {"IDX_CLSS", &set_text<IndexRow, &IndexRow::index_class>, k_text},
      {"IDX_NM", &set_text<IndexRow, &IndexRow::index_name>, k_text},
      {"CLSPRC_IDX", &set_double<IndexRow, &IndexRow::close>, k_number},
      {"CMPPREVDD_IDX", &set_double<IndexRow, &IndexRow::change>, k_number},
      {"FLUC_RT", &set_double<IndexRow, &IndexRow::change_rate>, k_number},
      {"OPNPRC_IDX", &set_double<IndexRow, &IndexRow::open>, k_number},
      {"HGPRC_IDX", &set_double<IndexRow, &IndexRow::high>, k_number},
      {"LWPRC_IDX", &set_double<IndexRow, &IndexRow::low>, k_number},
      {"ACC_TRDVOL", &set_int<IndexRow, &IndexRow::volume>, k_integer},
      {"ACC_TRDVAL", &set_int<IndexRow, &IndexRow::value>, k_integer},
      {"MKTCAP", &set_int<IndexRow, &IndexRow::market_cap>, k_integer},
  }};
  static const std::string& identity(const IndexRow& row) { return row.index_name; }
};

// Finds a row key's index in Traits::k_fields (-1 for an unknown key). Servers send every
// row's keys in one order, so the field the previous row had at this position is tried first,
// then the table is scanned. Call start_row() at the beginning of each row.
template <typename Traits>
class FieldLookup {
public:
  void start_row() { m_key_in_row = 0; }

  int find(std::string_view key) {
    const auto& fields = Traits::k_fields;
    const std::size_t slot = m_key_in_row++;
    if (slot < m_order.size()) {
      const int guess = m_order[slot];
      if (guess >= 0 && fields[static_cast<std::size_t>(guess)].key == key) {
        return guess;
      }
    }
    int found = -1;
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (fields[i].key == key) {
        found = static_cast<int>(i);
        break;
      }
    }
    if (slot < m_order.size()) {
      m_order[slot] = found;
    }
    return found;
  }

private:
  std::array<int, 32> m_order{}; // the field index of each key position in the previous row
  std::size_t m_key_in_row = 0;
};

// Decodes the UTF-8 sequence at `i`; returns its length, or 0 when it is not valid UTF-8.
inline std::size_t utf8_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = byte(i);
  std::size_t len = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (c < 0x80) {
    return 1;
  }
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    lo = c == 0xE0 ? 0xA0 : 0x80; // no overlong forms
    hi = c == 0xED ? 0x9F : 0xBF; // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    lo = c == 0xF0 ? 0x90 : 0x80;
    hi = c == 0xF4 ? 0x8F : 0xBF;
  } else {
    return 0;
  }
  if (i + len > text.size() || byte(i + 1) < lo || byte(i + 1) > hi) {
    return 0;
  }
  for (std::size_t k = 2; k < len; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) {
      return 0;
    }
  }
  return len;
}

} // namespace krxbatch::market::detail
