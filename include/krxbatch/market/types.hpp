// KRX daily market data as krxbatch sees it, independent of where it came from.
//
// One PriceRow is one issue on one session from `sto/{stk,ksq,knx}_bydd_trd`; one IndexRow is
// one index on one session from `idx/{kospi,kosdaq}_dd_trd`. Fields mirror the KRX Open API
// (krx-open-api.md §1.5, §1.7) faithfully: a value KRX sent as "-" is nullopt; a 0 stays 0
// (suspended issues have O/H/L = 0; the store decides how to keep them). Tickers are the
// 6-character short code kept as text (`005930`, `00104K`, `0126Z0`). Money and share counts
// are 64-bit. Plain data: copyable, no invariants beyond what validation checks.
#pragma once

#include "krxbatch/core/date.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace krxbatch::market {

enum class Market { kospi, kosdaq, konex };

std::string_view to_string(Market market); // "KOSPI", "KOSDAQ", "KONEX" (as in MKT_NM)
std::optional<Market> parse_market(std::string_view text);

struct PriceRow {
  core::Date trade_date;                     // BAS_DD
  std::string ticker;                        // ISU_CD (short code)
  std::string name;                          // ISU_NM
  std::optional<Market> market;              // MKT_NM
  std::optional<std::string> section;        // SECT_TP_NM; nullopt for "-"
  std::optional<std::int64_t> close;         // TDD_CLSPRC
  std::optional<std::int64_t> change;        // CMPPREVDD_PRC (signed)
  std::optional<double> change_rate;         // FLUC_RT, percent
  std::optional<std::int64_t> open;          // TDD_OPNPRC (0 when the issue did not trade)
  std::optional<std::int64_t> high;          // TDD_HGPRC
  std::optional<std::int64_t> low;           // TDD_LWPRC
  std::optional<std::int64_t> volume;        // ACC_TRDVOL
  std::optional<std::int64_t> value;         // ACC_TRDVAL (KRW)
  std::optional<std::int64_t> market_cap;    // MKTCAP (KRW)
  std::optional<std::int64_t> listed_shares; // LIST_SHRS
};

struct IndexRow {
  core::Date trade_date;                  // BAS_DD
  std::string index_class;                // IDX_CLSS, e.g. "KOSPI"
  std::string index_name;                 // IDX_NM, e.g. "코스피"
  std::optional<double> close;            // CLSPRC_IDX
  std::optional<double> change;           // CMPPREVDD_IDX
  std::optional<double> change_rate;      // FLUC_RT
  std::optional<double> open;             // OPNPRC_IDX
  std::optional<double> high;             // HGPRC_IDX
  std::optional<double> low;              // LWPRC_IDX
  std::optional<std::int64_t> volume;     // ACC_TRDVOL
  std::optional<std::int64_t> value;      // ACC_TRDVAL
  std::optional<std::int64_t> market_cap; // MKTCAP
};

// A number that orders tickers as their text does (tickers are 6 characters, and any text of
// at most 8 orders exactly): sorting a session's rows by it spares ~12 string comparisons a row.
constexpr std::uint64_t ticker_key(std::string_view ticker) {
  std::uint64_t key = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    key = (key << 8U) | (i < ticker.size() ? static_cast<unsigned char>(ticker[i]) : 0U);
  }
  return key;
}

// The composite indices the analysis measures stocks against (beta, market-adjusted momentum,
// relative strength): each market's own, as the Open API names it (IDX_CLSS, IDX_NM).
inline constexpr std::string_view k_kospi_composite_class = "KOSPI";
inline constexpr std::string_view k_kospi_composite_name = "코스피";
inline constexpr std::string_view k_kosdaq_composite_class = "KOSDAQ";
inline constexpr std::string_view k_kosdaq_composite_name = "코스닥";

struct Composite {
  std::string_view index_class;
  std::string_view index_name;
};

// The composite of `m`'s stocks; none for KONEX (the Open API publishes no KONEX index).
constexpr std::optional<Composite> composite_of(Market m) {
  switch (m) {
  case Market::kospi:
    return Composite{k_kospi_composite_class, k_kospi_composite_name};
  case Market::kosdaq:
    return Composite{k_kosdaq_composite_class, k_kosdaq_composite_name};
  case Market::konex:
    return std::nullopt;
  }
  return std::nullopt;
}

} // namespace krxbatch::market
