// KRX's base price (기준가) and the re-bases it reveals: the rule behind price_adjustments
// (docs/ADJUSTMENTS.md).
//
// KRX measures a row's change (CMPPREVDD_PRC) against the base price, so
// base = close − change. On an ordinary day the base is the previous session's close. When it
// is not, KRX re-based the price for a corporate action (split, consolidation, bonus issue,
// stock dividend, rights offering) and factor = base ÷ previous close is the ratio it applied.
// A row without a change (KRX sent "-") reveals nothing. An issue without a row on the previous
// session (its first row: a listing, a relisting, a code used again) has nothing to compare
// with: its base is an offering or reference price, not a re-based close.
//
// Pure: no I/O; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace krxbatch::market {

// What the rule reads of one issue's row on one session.
struct CloseRow {
  std::string ticker;
  std::int64_t close = 0;
  std::optional<std::int64_t> change; // CMPPREVDD_PRC; nullopt when KRX sent "-"
  std::int64_t listed_shares = 0;
};

// One re-base: the close on the previous session against its base on the ex-date.
struct Rebase {
  std::string ticker;
  std::int64_t prev_close = 0;
  std::int64_t base_price = 0;
  std::int64_t prev_listed_shares = 0; // on the previous session
  std::int64_t listed_shares = 0;      // on the ex-date

  // base_price / prev_close: the factor that makes earlier prices comparable with later ones.
  double factor() const;
};

// KRX's base price of a row: close − change, or nullopt without a change.
std::optional<std::int64_t> base_price(const CloseRow& row);

// The re-base of `today`'s row against the same issue's row `previous` on the session before,
// or nullopt when the base equals the previous close, the change is absent, or the previous
// close is not a price (0). Precondition: same ticker.
std::optional<Rebase> rebase_of(const CloseRow& previous, const CloseRow& today);

// Every re-base of a session: each row of `today` against the row of its issue in `previous`
// (the previous session's rows). Issues absent from `previous` give none. Both spans sorted by
// ticker, tickers distinct. The result is in ticker order.
std::vector<Rebase> find_rebases(std::span<const CloseRow> previous,
                                 std::span<const CloseRow> today);

// A hint of what kind of corporate action a re-base was, from the listed shares: `split` when
// the shares grew by the inverse of the factor (within 1%), `consolidation` when they shrank by
// it, otherwise `rights/bonus/other` (a rights offering or bonus issue lists its new shares
// weeks after the ex-date, and a capital reduction has no fixed ratio).
enum class RebaseKind { split, consolidation, other };
RebaseKind kind_of(const Rebase& rebase);
std::string_view to_string(RebaseKind kind); // "split", "consolidation", "rights/bonus/other"

} // namespace krxbatch::market
