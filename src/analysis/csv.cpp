#include "krxbatch/analysis/csv.hpp"

#include <array>
#include <cassert>
#include <charconv>
#include <cmath>
#include <string>

namespace krxbatch::analysis {
namespace {

using Failure = core::Failure<BarsCsvError>;

constexpr std::string_view k_utf8_bom = "\xEF\xBB\xBF";

constexpr std::array<std::string_view, 5> k_number_fields = {"open", "high", "low", "close",
                                                             "volume"};

Failure fail(std::size_t line_no, const std::string& reason) {
  return Failure{BarsCsvError::malformed, "line " + std::to_string(line_no) + ": " + reason};
}

// Strict decimal: digits with an optional fraction, no sign, exponent, inf or nan, so that
// what we echo is what we computed with.
bool parse_number(std::string_view field, double& out) {
  if (field.empty() || field.front() == '.' || field.back() == '.') {
    return false;
  }
  bool dot = false;
  for (const char c : field) {
    if (c == '.' && !dot) {
      dot = true;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), out);
  return ec == std::errc() && end == field.data() + field.size() && std::isfinite(out);
}

} // namespace

core::Result<BarsCsv, BarsCsvError> parse_bars_csv(std::string_view text) {
  BarsCsv result;
  std::size_t line_no = 0;
  std::size_t pos = 0;
  std::array<double, 5> numbers{};
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (line_no == 1) {
      // Spreadsheets save CSV with a UTF-8 byte-order mark; it is not part of the header.
      if (line.starts_with(k_utf8_bom)) {
        line.remove_prefix(k_utf8_bom.size());
      }
      if (line != k_bars_csv_header) {
        return fail(1, "the header must be '" + std::string(k_bars_csv_header) + "', not '" +
                           std::string(line) + "'");
      }
      continue;
    }
    if (line.empty()) {
      return fail(line_no, "empty line");
    }
    std::array<std::string_view, 6> fields;
    std::size_t count = 0;
    std::size_t start = 0;
    while (true) {
      const auto comma = line.find(',', start);
      if (count < fields.size()) {
        fields[count] =
            line.substr(start, comma == std::string_view::npos ? line.npos : comma - start);
      }
      ++count;
      if (comma == std::string_view::npos) {
        break;
      }
      start = comma + 1;
    }
    if (count != fields.size()) {
      return fail(line_no, "expected 6 fields, found " + std::to_string(count));
    }
    const auto date = core::parse_iso_date(fields[0]);
    if (!date) {
      return fail(line_no,
                  "date is not an ISO date (YYYY-MM-DD): '" + std::string(fields[0]) + "'");
    }
    if (!result.dates.empty() && *date <= result.dates.back()) {
      return fail(line_no, "date " + std::string(fields[0]) + " does not follow " +
                               core::to_iso(result.dates.back()) +
                               " (dates must be strictly increasing)");
    }
    // A day without trades may leave open, high and low empty (as `krxbatch prices --csv`
    // writes it): read as 0, which normalise_suspended_days() treats as a suspended day.
    const bool no_trade_prices = fields[1].empty() && fields[2].empty() && fields[3].empty();
    for (std::size_t i = 0; i < numbers.size(); ++i) {
      if (no_trade_prices && i < 3) {
        numbers[i] = 0.0;
      } else if (!parse_number(fields[i + 1], numbers[i])) {
        return fail(line_no, std::string(k_number_fields[i]) +
                                 " is not a non-negative decimal number: '" +
                                 std::string(fields[i + 1]) + "'" +
                                 (fields[i + 1].empty() && i < 3
                                      ? " (open, high and low may be empty only together)"
                                      : ""));
      }
    }
    if (no_trade_prices && numbers[4] != 0.0) {
      return fail(line_no, "open, high and low are empty but the volume is " +
                               std::string(fields[5]) +
                               " (they may be empty only on a day without trades)");
    }
    result.bars.push_back(numbers[0], numbers[1], numbers[2], numbers[3], numbers[4]);
    result.dates.push_back(*date);
    result.lines.push_back(line);
  }
  if (line_no == 0) {
    return fail(1, "no header: the input is empty");
  }
  return result;
}

void append_indicators_csv_header(std::string& out, std::size_t columns) {
  assert(columns <= k_indicator_count);
  out += k_bars_csv_header;
  for (std::size_t c = 0; c < columns; ++c) {
    out += ',';
    out += k_indicator_names[c];
  }
  out += '\n';
}

void append_indicators_csv_row(std::string& out, std::string_view line,
                               const IndicatorSeries& indicators, std::size_t row,
                               std::size_t columns) {
  assert(columns <= k_indicator_count && row < indicators.size());
  out += line;
  // %.17g is at most 24 characters ("-1.2345678901234567e-308").
  std::array<char, 32> buffer{};
  for (std::size_t c = 0; c < columns; ++c) {
    out += ',';
    const double v = indicators[static_cast<Indicator>(c)][row];
    if (!std::isnan(v)) {
      // to_chars with a precision is specified to print as printf does, without its locale
      // and format-string parsing.
      const auto res = std::to_chars(buffer.data(), buffer.data() + buffer.size(), v,
                                     std::chars_format::general, 17);
      out.append(buffer.data(), res.ptr);
    }
  }
  out += '\n';
}

void append_indicators_csv(std::string& out, const std::vector<std::string_view>& lines,
                           const IndicatorSeries& indicators, std::size_t columns) {
  assert(indicators.size() == lines.size());
  append_indicators_csv_header(out, columns);
  for (std::size_t r = 0; r < lines.size(); ++r) {
    append_indicators_csv_row(out, lines[r], indicators, r, columns);
  }
}

} // namespace krxbatch::analysis
