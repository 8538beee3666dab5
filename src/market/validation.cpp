#include "krxbatch/market/validation.hpp"

#include <cstdint>
#include <cstdlib>
#include <set>
#include <unordered_set>

namespace krxbatch::market {
namespace {

std::string show_date(const core::Date& date) {
  return date.is_special() ? std::string("absent") : core::to_iso(date);
}

std::string show(const std::optional<std::int64_t>& value) {
  return value ? std::to_string(*value) : std::string("absent");
}

class Findings {
public:
  void error(std::string rule, std::string ticker, std::string message) {
    m_report.findings.push_back(
        {Severity::error, std::move(rule), std::move(ticker), std::move(message)});
  }
  void warn(std::string rule, std::string ticker, std::string message) {
    m_report.findings.push_back(
        {Severity::warn, std::move(rule), std::move(ticker), std::move(message)});
  }
  ValidationReport take() { return std::move(m_report); }

private:
  ValidationReport m_report;
};

// The mandatory numeric fields of a stock row: absent or negative is an error.
void check_mandatory(Findings& out, const PriceRow& row) {
  const struct {
    const char* field;
    const std::optional<std::int64_t>& value;
  } numbers[] = {
      {"close (TDD_CLSPRC)", row.close},
      {"volume (ACC_TRDVOL)", row.volume},
      {"value (ACC_TRDVAL)", row.value},
      {"market cap (MKTCAP)", row.market_cap},
      {"listed shares (LIST_SHRS)", row.listed_shares},
  };
  for (const auto& n : numbers) {
    if (!n.value) {
      out.error("mandatory", row.ticker, row.ticker + ": " + n.field + " is absent");
    } else if (*n.value < 0) {
      out.error("mandatory", row.ticker,
                row.ticker + ": " + n.field + " is negative (" + std::to_string(*n.value) + ")");
    }
  }
  if (row.name.empty()) {
    out.error("mandatory", row.ticker, row.ticker + ": the name (ISU_NM) is absent");
  }
}

// OHLC on a traded row (volume > 0): present, low > 0, low <= open, close <= high.
void check_ohlc(Findings& out, const PriceRow& row) {
  if (!row.volume || *row.volume <= 0 || !row.close) {
    return;
  }
  if (!row.open || !row.high || !row.low) {
    out.warn("ohlc_absent", row.ticker,
             row.ticker + ": traded (volume " + std::to_string(*row.volume) +
                 ") but open/high/low are " + show(row.open) + "/" + show(row.high) + "/" +
                 show(row.low));
    return;
  }
  const auto o = *row.open;
  const auto h = *row.high;
  const auto l = *row.low;
  const auto c = *row.close;
  const bool consistent = l > 0 && l <= o && l <= c && o <= h && c <= h;
  if (!consistent) {
    out.warn("ohlc", row.ticker,
             row.ticker + ": inconsistent OHLC on a traded row: open " + std::to_string(o) +
                 ", high " + std::to_string(h) + ", low " + std::to_string(l) + ", close " +
                 std::to_string(c) + " (volume " + std::to_string(*row.volume) + ")");
  }
}

void check_market_cap(Findings& out, const PriceRow& row) {
  if (!row.close || !row.listed_shares || !row.market_cap) {
    return; // reported as mandatory fields
  }
  std::int64_t expected = 0;
  const bool overflow = __builtin_mul_overflow(*row.close, *row.listed_shares, &expected);
  if (overflow || expected != *row.market_cap) {
    out.warn(
        "market_cap", row.ticker,
        row.ticker + ": market cap " + std::to_string(*row.market_cap) + " != close " +
            std::to_string(*row.close) + " x listed shares " + std::to_string(*row.listed_shares) +
            (overflow ? std::string(" (overflows 64 bits)") : " = " + std::to_string(expected)));
  }
}

void check_row_count(Findings& out, std::string_view what, std::size_t count,
                     std::optional<std::size_t> reference) {
  if (count > k_max_rows_per_answer) {
    out.error("row_count", "",
              std::string(what) + ": " + std::to_string(count) + " rows, more than the " +
                  std::to_string(k_max_rows_per_answer) +
                  " any KRX market has (not this market's answer; the day will be retried)");
    return;
  }
  if (!reference || *reference == 0 || count == 0) {
    return;
  }
  const auto prev = *reference;
  const std::string numbers = std::string(what) + ": " + std::to_string(count) +
                              " rows, the recent sessions had " + std::to_string(prev) +
                              " (median)";
  if (count * 2 < prev) {
    out.error("row_count", "",
              numbers + " (less than half: a partial answer; the day will be retried)");
  } else if (count * 10 > prev * 11 || count * 10 < prev * 9) {
    out.warn("row_count", "", numbers + " (moved more than 10%)");
  }
}

} // namespace

bool is_ticker(std::string_view ticker) {
  if (ticker.size() != 6) {
    return false;
  }
  for (const char c : ticker) {
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'))) {
      return false;
    }
  }
  return true;
}

bool ValidationReport::has_errors() const {
  for (const auto& f : findings) {
    if (f.severity == Severity::error) {
      return true;
    }
  }
  return false;
}

std::string ValidationReport::first_error() const {
  for (const auto& f : findings) {
    if (f.severity == Severity::error) {
      return f.message;
    }
  }
  return {};
}

ValidationReport validate_stocks(const core::Date& requested, Market market,
                                 std::span<const PriceRow> rows,
                                 std::optional<std::size_t> reference_row_count) {
  Findings out;
  std::unordered_set<std::string_view> seen;
  seen.reserve(rows.size());
  const std::string expected_market(to_string(market));
  for (const auto& row : rows) {
    if (row.trade_date != requested) {
      out.error("bas_dd", row.ticker,
                row.ticker + ": BAS_DD is " + show_date(row.trade_date) + ", but " +
                    core::to_iso(requested) + " was requested");
    }
    if (!is_ticker(row.ticker)) {
      out.error("ticker", row.ticker,
                "ticker '" + row.ticker + "' (" + (row.name.empty() ? "no name" : row.name) +
                    ") is not 6 characters of 0-9A-Z");
    } else if (!seen.insert(row.ticker).second) {
      out.error("duplicate", row.ticker, row.ticker + ": listed twice in the answer");
    }
    if (row.market && *row.market != market) {
      out.error("market", row.ticker,
                row.ticker + ": MKT_NM is " + std::string(to_string(*row.market)) + " in the " +
                    expected_market + " answer");
    }
    check_mandatory(out, row);
    check_ohlc(out, row);
    check_market_cap(out, row);
    if (!row.change) {
      out.warn("change_absent", row.ticker,
               row.ticker + ": the change (CMPPREVDD_PRC) is absent, so its base price is "
                            "unknown: a corporate action on this session cannot be detected");
    }
  }
  check_row_count(out, expected_market, rows.size(), reference_row_count);
  return out.take();
}

ValidationReport validate_indices(const core::Date& requested, std::span<const IndexRow> rows) {
  Findings out;
  std::set<std::pair<std::string_view, std::string_view>> seen;
  for (const auto& row : rows) {
    const std::string id = row.index_class + " / " + row.index_name;
    if (row.trade_date != requested) {
      out.error("bas_dd", row.index_name,
                id + ": BAS_DD is " + show_date(row.trade_date) + ", but " +
                    core::to_iso(requested) + " was requested");
    }
    if (row.index_class.empty() || row.index_name.empty()) {
      out.error("mandatory", row.index_name,
                "an index row without " +
                    std::string(row.index_class.empty() ? "IDX_CLSS" : "IDX_NM") + " (" + id + ")");
    } else if (!seen.emplace(row.index_class, row.index_name).second) {
      out.error("duplicate", row.index_name, id + ": listed twice in the answer");
    }
  }
  return out.take();
}

} // namespace krxbatch::market
