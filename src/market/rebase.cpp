#include "krxbatch/market/rebase.hpp"

#include <cmath>

namespace krxbatch::market {
namespace {

// How far the listed shares may miss the inverse of the factor for a split or consolidation:
// KRX rounds the base to the tick, so the factor is the exact ratio only up to a tick.
constexpr double k_share_ratio_tolerance = 0.01;

} // namespace

double Rebase::factor() const {
  return static_cast<double>(base_price) / static_cast<double>(prev_close);
}

std::optional<std::int64_t> base_price(const CloseRow& row) {
  if (!row.change) {
    return std::nullopt;
  }
  return row.close - *row.change;
}

std::optional<Rebase> rebase_of(const CloseRow& previous, const CloseRow& today) {
  const auto base = base_price(today);
  if (!base || *base == previous.close || previous.close <= 0) {
    return std::nullopt;
  }
  return Rebase{today.ticker, previous.close, *base, previous.listed_shares, today.listed_shares};
}

std::vector<Rebase> find_rebases(std::span<const CloseRow> previous,
                                 std::span<const CloseRow> today) {
  std::vector<Rebase> out;
  auto p = previous.begin();
  for (const auto& row : today) {
    while (p != previous.end() && p->ticker < row.ticker) {
      ++p;
    }
    if (p == previous.end()) {
      break;
    }
    if (p->ticker == row.ticker) {
      if (auto r = rebase_of(*p, row)) {
        out.push_back(std::move(*r));
      }
    }
  }
  return out;
}

RebaseKind kind_of(const Rebase& r) {
  if (r.prev_listed_shares <= 0 || r.listed_shares <= 0 || r.base_price <= 0) {
    return RebaseKind::other;
  }
  // Shares × price is unchanged by a split or a consolidation.
  const double value_ratio =
      static_cast<double>(r.listed_shares) * r.factor() / static_cast<double>(r.prev_listed_shares);
  if (std::abs(value_ratio - 1.0) > k_share_ratio_tolerance) {
    return RebaseKind::other;
  }
  if (r.listed_shares > r.prev_listed_shares) {
    return RebaseKind::split;
  }
  if (r.listed_shares < r.prev_listed_shares) {
    return RebaseKind::consolidation;
  }
  return RebaseKind::other;
}

std::string_view to_string(RebaseKind kind) {
  switch (kind) {
  case RebaseKind::split:
    return "split";
  case RebaseKind::consolidation:
    return "consolidation";
  case RebaseKind::other:
    return "rights/bonus/other";
  }
  return "rights/bonus/other";
}

} // namespace krxbatch::market
