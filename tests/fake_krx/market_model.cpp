#include "fake_krx/market_model.hpp"

#include "krxbatch/core/error.hpp"

#include "fake_krx/random.hpp"
#include "fake_krx/ticks.hpp"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace krxbatch::fake_krx {
namespace {

using market::Market;

const core::Date k_konex_opened(2013, 7, 1);

std::size_t market_slot(Market m) {
  return static_cast<std::size_t>(m);
}

std::uint64_t market_number(Market m) {
  return static_cast<std::uint64_t>(m);
}

// A derived hash for one purpose of an issue-session (see issue_day_hash).
std::uint64_t sub(std::uint64_t h, Stream stream) {
  return mix64(h ^ mix64(static_cast<std::uint64_t>(stream)));
}

// The index families. Members are ranks by market cap on the first session among the initial
// issues, as [from, to) in units of the real market's size (KOSPI 950, KOSDAQ 1750 issues),
// scaled to the fake's size; to = 0 means "to the end".
struct IndexSpec {
  const char* name;
  double base_level;
  bool all_issues;
  double rank_from;
  double rank_to;
};

constexpr IndexSpec k_kospi_indices[] = {
    {"코스피", 2236.40, true, 0, 0},           {"코스피 200", 296.16, false, 0, 200},
    {"코스피 100", 2195.11, false, 0, 100},    {"코스피 50", 1998.34, false, 0, 50},
    {"코스피 대형주", 2181.64, false, 0, 100}, {"코스피 중형주", 2569.44, false, 100, 300},
    {"코스피 소형주", 2101.11, false, 300, 0},
};
constexpr double k_kospi_real_size = 950.0;

constexpr IndexSpec k_kosdaq_indices[] = {
    {"코스닥", 679.29, true, 0, 0},
    {"코스닥 150", 1108.29, false, 0, 150},
    {"코스닥 대형주", 1622.73, false, 0, 100},
    {"코스닥 중형주", 598.17, false, 100, 400},
    {"코스닥 소형주", 2301.55, false, 400, 0},
};
constexpr double k_kosdaq_real_size = 1750.0;

std::size_t scaled_rank(double real_rank, double real_size, std::size_t n) {
  if (real_rank <= 0.0) {
    return 0;
  }
  const auto r =
      static_cast<std::size_t>(std::llround(static_cast<double>(n) * real_rank / real_size));
  return std::min(n, std::max<std::size_t>(1, r));
}

// Per session and index: the sums that make a chain-linked, cap-weighted index.
struct IndexSums {
  double previous = 0.0; // Σ base × shares over members with a previous close
  double open = 0.0;     // same members, at the open (the close if not traded)
  double high = 0.0;
  double low = 0.0;
  double close = 0.0;
  std::int64_t volume = 0;
  std::int64_t value = 0;
  std::int64_t market_cap = 0; // over every member listed that session
};

} // namespace

MarketModel::MarketModel(const calendar::Calendar& calendar, const MarketOptions& options)
    : m_options(options) {
  if (!calendar.covers(options.start)) {
    throw core::usage_error("--start " + core::to_iso(options.start) +
                            " is outside the KRX calendar (holiday files cover " +
                            std::to_string(calendar.first_year()) + "-" +
                            std::to_string(calendar.last_year()) + ")");
  }
  m_sessions = calendar.business_days(
      options.start, core::Date(static_cast<unsigned short>(calendar.last_year()), 12, 31));
  if (m_sessions.empty()) {
    throw core::usage_error("--start " + core::to_iso(options.start) +
                            ": no KRX session from that day to the end of the calendar");
  }
  m_day_keys.reserve(m_sessions.size());
  for (const auto& d : m_sessions) {
    m_day_keys.push_back(static_cast<long>(d.julian_day()));
  }
  const std::array<std::pair<Market, std::size_t>, 3> counts = {{{Market::kospi, options.kospi},
                                                                 {Market::kosdaq, options.kosdaq},
                                                                 {Market::konex, options.konex}}};
  for (const auto& [m, count] : counts) {
    auto& d = data(m);
    d.issues = make_universe(options.seed, m, count, m_sessions);
    build_paths(m);
    d.order.resize(d.issues.size());
    for (std::size_t i = 0; i < d.order.size(); ++i) {
      d.order[i] = i;
    }
    std::sort(d.order.begin(), d.order.end(), [&](std::size_t a, std::size_t b) {
      const auto& x = d.issues[a];
      const auto& y = d.issues[b];
      return x.name != y.name ? x.name < y.name : x.code < y.code;
    });
  }
  build_indices(Market::kospi);
  build_indices(Market::kosdaq);
}

MarketModel::MarketData& MarketModel::data(Market market) {
  return m_markets.at(market_slot(market));
}

const MarketModel::MarketData& MarketModel::data(Market market) const {
  return m_markets.at(market_slot(market));
}

std::optional<std::size_t> MarketModel::session_index(const core::Date& date) const {
  const auto it = std::lower_bound(m_sessions.begin(), m_sessions.end(), date);
  if (it == m_sessions.end() || *it != date) {
    return std::nullopt;
  }
  return static_cast<std::size_t>(it - m_sessions.begin());
}

bool MarketModel::has_data(Market market, std::size_t session) const {
  return market != Market::konex || m_sessions.at(session) >= k_konex_opened;
}

const std::vector<Issue>& MarketModel::issues(Market market) const {
  return data(market).issues;
}

const std::vector<std::size_t>& MarketModel::listing_order(Market market) const {
  return data(market).order;
}

namespace {

// The hash every random quantity of one issue on one session derives from.
std::uint64_t issue_day_hash(std::uint64_t seed, Market market, std::uint64_t key, long day) {
  return hash_of(seed, Stream::idiosyncratic, market_number(market), key,
                 static_cast<std::uint64_t>(day));
}

} // namespace

double MarketModel::market_factor(Market market, const core::Date& date) const {
  const auto day = static_cast<std::uint64_t>(date.julian_day());
  const auto z = [&](std::uint64_t which) {
    return standard_normal(hash_of(m_options.seed, Stream::market_factor, which, day));
  };
  switch (market) {
  case Market::kospi:
    return 0.0001 + 0.011 * z(0);
  case Market::kosdaq:
    return 0.0001 + 0.013 * (0.75 * z(0) + 0.66 * z(1));
  case Market::konex:
    return 0.008 * (0.5 * z(0) + 0.5 * z(1) + 0.7 * z(2));
  }
  return 0.0;
}

void MarketModel::build_paths(Market market) {
  auto& issues = data(market).issues;
  std::vector<double> factors(m_sessions.size());
  for (std::size_t k = 0; k < m_sessions.size(); ++k) {
    factors[k] = market_factor(market, m_sessions[k]);
  }
  const auto seed = m_options.seed;
  for (auto& issue : issues) {
    const std::size_t length = issue.end - issue.first;
    issue.closes.assign(length, 0);
    issue.traded.assign(length, 0);
    // A preferred share's noise is partly its common share's: recomputed from the same hash.
    // (A plain key and a flag, not an optional: GCC 12 warns that the optional may be read
    // uninitialised once the loop below is inlined.)
    const bool has_parent = issue.parent.has_value();
    const std::uint64_t parent_key = has_parent ? issues[*issue.parent].key : 0;
    std::int64_t previous = issue.base_price;
    bool previous_traded = true;
    for (std::size_t k = issue.first; k < issue.end; ++k) {
      const auto h = issue_day_hash(seed, market, issue.key, m_day_keys[k]);
      const auto* action = issue.action_on(k);
      const std::int64_t base = action ? rebased_price(previous, *action) : previous;
      const bool halted = issue.halted_on(k);
      // Non-trading comes in spells: after a day without trades, another is likelier.
      const bool trades = k == issue.first ||
                          !(halted || unit_interval(sub(h, Stream::no_trade)) < issue.no_trade ||
                            (!previous_traded && unit_interval(sub(h, Stream::konex_quote)) < 0.5));
      const auto lo = lower_limit(base);
      const auto hi = upper_limit(base);
      std::int64_t close = base;
      const auto prev = static_cast<double>(base);
      if (trades) {
        double ret = 0.0;
        if (issue.spac) {
          ret = issue.volatility * standard_normal(h) + 0.1 * std::log(2'050.0 / prev);
        } else {
          double noise = standard_normal(h);
          if (has_parent) {
            noise = 0.6 * noise +
                    0.8 * standard_normal(issue_day_hash(seed, market, parent_key, m_day_keys[k]));
          }
          ret = issue.beta * factors[k] + issue.volatility * noise;
          const auto jump = sub(h, Stream::jump);
          if (unit_interval(jump) < 0.002) {
            ret += ((jump & 1U) != 0U ? 1.0 : -1.0) * (0.08 + 0.22 * unit_interval(mix64(jump)));
          }
          // Keep prices in a plausible band over long periods.
          if (previous < 300) {
            ret += 0.02;
          } else if (previous > 2'000'000) {
            ret -= 0.02;
          }
        }
        close = std::clamp(round_to_tick(prev * std::exp(ret)), lo, hi);
      } else if (market == Market::konex && !halted &&
                 unit_interval(sub(h, Stream::konex_quote) ^ 1U) < 0.3) {
        // A KONEX quote can move without a trade: the row then has a non-zero change.
        close = std::clamp(
            round_to_tick(prev * std::exp(0.03 * standard_normal(sub(h, Stream::konex_quote)))), lo,
            hi);
      }
      issue.closes[k - issue.first] = static_cast<std::int32_t>(close);
      issue.traded[k - issue.first] = trades ? 1 : 0;
      previous = close;
      previous_traded = trades;
    }
  }
}

Bar MarketModel::bar(const Issue& issue, std::size_t session) const {
  const std::size_t offset = session - issue.first;
  Bar b;
  b.base = offset == 0 ? issue.base_price : issue.closes[offset - 1];
  if (const auto* action = issue.action_on(session)) {
    b.base = rebased_price(b.base, *action);
  }
  b.close = issue.closes[offset];
  b.traded = issue.traded[offset] != 0;
  if (!b.traded) {
    return b;
  }
  const auto h = issue_day_hash(m_options.seed, issue.market, issue.key, m_day_keys[session]);
  const auto prev = static_cast<double>(b.base);
  const auto close = static_cast<double>(b.close);
  const double move = std::log(close / prev);
  const auto lo = lower_limit(b.base);
  const auto hi = upper_limit(b.base);
  b.open =
      std::clamp(round_to_tick(prev * std::exp(0.3 * move +
                                               0.006 * standard_normal(sub(h, Stream::open_gap)))),
                 lo, hi);
  const auto range = sub(h, Stream::intraday_range);
  const double up = std::abs(0.012 * standard_normal(range));
  const double down = std::min(0.25, std::abs(0.012 * standard_normal(mix64(range))));
  b.high = std::min(hi, ceil_to_tick(static_cast<double>(std::max(b.open, b.close)) * (1.0 + up)));
  b.low =
      std::max(lo, floor_to_tick(static_cast<double>(std::min(b.open, b.close)) * (1.0 - down)));
  const auto shares = issue.shares_on(session);
  const double volume = static_cast<double>(shares) * issue.turnover *
                        std::exp(0.6 * standard_normal(sub(h, Stream::volume))) *
                        (1.0 + 10.0 * std::abs(move));
  b.volume = std::clamp<std::int64_t>(std::llround(volume), 1, shares);
  // The day's average price lies between the low and the high.
  const double average =
      static_cast<double>(b.low) +
      static_cast<double>(b.high - b.low) * unit_interval(sub(h, Stream::traded_value));
  b.value = std::llround(static_cast<double>(b.volume) * average);
  return b;
}

std::vector<ActionRecord> MarketModel::actions(const core::Date& from, const core::Date& to) const {
  std::vector<ActionRecord> out;
  for (const auto m : {Market::kospi, Market::kosdaq, Market::konex}) {
    for (const auto& issue : data(m).issues) {
      for (const auto& a : issue.actions) {
        const auto& ex = m_sessions.at(a.ex_session);
        if (ex < from || ex > to) {
          continue;
        }
        ActionRecord r;
        r.market = m;
        r.ticker = issue.code;
        r.name = issue.name;
        r.kind = a.kind;
        r.ex_date = ex;
        r.halt_from = m_sessions.at(a.halt_from);
        r.shares_from = m_sessions.at(std::min(a.shares_from, m_sessions.size() - 1));
        r.ratio = a.ratio;
        r.subscription = a.subscription;
        r.prev_close = issue.closes.at(a.ex_session - 1 - issue.first);
        r.base_price = rebased_price(r.prev_close, a);
        r.shares_before = issue.shares_on(a.ex_session - 1);
        r.shares_after = issue.shares_on(a.shares_from);
        out.push_back(std::move(r));
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const ActionRecord& a, const ActionRecord& b) {
    return std::tie(a.ex_date, a.market, a.ticker) < std::tie(b.ex_date, b.market, b.ticker);
  });
  return out;
}

void MarketModel::build_indices(Market market) {
  auto& d = data(market);
  const bool kospi = market == Market::kospi;
  const double real_size = kospi ? k_kospi_real_size : k_kosdaq_real_size;
  std::vector<IndexSpec> specs;
  if (kospi) {
    specs.assign(std::begin(k_kospi_indices), std::end(k_kospi_indices));
  } else {
    specs.assign(std::begin(k_kosdaq_indices), std::end(k_kosdaq_indices));
  }
  // Rank the initial issues by market cap on the first session.
  std::vector<std::size_t> ranked;
  for (std::size_t i = 0; i < d.issues.size(); ++i) {
    if (d.issues[i].first == 0) {
      ranked.push_back(i);
    }
  }
  const auto cap = [&](std::size_t i) { return d.issues[i].base_price * d.issues[i].shares; };
  std::stable_sort(ranked.begin(), ranked.end(),
                   [&](std::size_t a, std::size_t b) { return cap(a) > cap(b); });
  d.indices.clear();
  for (const auto& spec : specs) {
    IndexDef def;
    def.name = spec.name;
    def.base_level = spec.base_level;
    def.all_issues = spec.all_issues;
    if (!spec.all_issues) {
      const auto from = scaled_rank(spec.rank_from, real_size, ranked.size());
      const auto to =
          spec.rank_to <= 0.0 ? ranked.size() : scaled_rank(spec.rank_to, real_size, ranked.size());
      for (std::size_t r = from; r < std::max(from, to); ++r) {
        def.members.push_back(ranked[r]);
      }
      std::sort(def.members.begin(), def.members.end());
    }
    def.levels.resize(m_sessions.size());
    d.indices.push_back(std::move(def));
  }
  // Chain-link every index from its base level, one session at a time.
  std::vector<double> level(d.indices.size());
  for (std::size_t x = 0; x < d.indices.size(); ++x) {
    level[x] = d.indices[x].base_level;
  }
  for (std::size_t k = 0; k < m_sessions.size(); ++k) {
    for (std::size_t x = 0; x < d.indices.size(); ++x) {
      auto& def = d.indices[x];
      double previous = 0.0;
      double now = 0.0;
      const auto add = [&](const Issue& issue) {
        if (!issue.listed_on(k) || (k == issue.first && issue.first != 0)) {
          return; // not listed, or listed today: no previous close to compare with
        }
        const std::size_t offset = k - issue.first;
        auto before = offset == 0 ? issue.base_price : issue.closes[offset - 1];
        if (const auto* action = issue.action_on(k)) {
          before = rebased_price(before, *action);
        }
        const auto shares = static_cast<double>(issue.shares_on(k));
        previous += static_cast<double>(before) * shares;
        now += static_cast<double>(issue.closes[offset]) * shares;
      };
      if (def.all_issues) {
        for (const auto& issue : d.issues) {
          add(issue);
        }
      } else {
        for (const auto i : def.members) {
          add(d.issues[i]);
        }
      }
      if (previous > 0.0) {
        level[x] *= now / previous;
      }
      def.levels[k] = level[x];
    }
  }
}

std::vector<IndexBar> MarketModel::index_bars(Market market, std::size_t session) const {
  const auto& d = data(market);
  const std::string index_class = market == Market::kospi ? "KOSPI" : "KOSDAQ";
  std::vector<IndexSums> sums(d.indices.size());
  std::vector<std::vector<bool>> member(d.indices.size());
  for (std::size_t x = 0; x < d.indices.size(); ++x) {
    if (!d.indices[x].all_issues) {
      member[x].assign(d.issues.size(), false);
      for (const auto i : d.indices[x].members) {
        member[x][i] = true;
      }
    }
  }
  for (std::size_t i = 0; i < d.issues.size(); ++i) {
    const auto& issue = d.issues[i];
    if (!issue.listed_on(session)) {
      continue;
    }
    const Bar b = bar(issue, session);
    const bool has_previous = session != issue.first || issue.first == 0;
    const auto listed = issue.shares_on(session);
    const auto shares = static_cast<double>(listed);
    for (std::size_t x = 0; x < d.indices.size(); ++x) {
      if (!d.indices[x].all_issues && !member[x][i]) {
        continue;
      }
      auto& s = sums[x];
      s.volume += b.volume;
      s.value += b.value;
      s.market_cap += b.close * listed;
      if (has_previous) {
        s.previous += static_cast<double>(b.base) * shares;
        s.close += static_cast<double>(b.close) * shares;
        s.open += static_cast<double>(b.traded ? b.open : b.close) * shares;
        s.high += static_cast<double>(b.traded ? b.high : b.close) * shares;
        s.low += static_cast<double>(b.traded ? b.low : b.close) * shares;
      }
    }
  }
  std::vector<IndexBar> rows;
  // The price-less "including foreign shares" row comes first, as in the real file.
  IndexBar foreign;
  foreign.index_class = index_class;
  foreign.name = market == Market::kospi ? "코스피 (외국주포함)" : "코스닥 (외국주포함)";
  foreign.priced = false;
  foreign.volume = sums[0].volume + sums[0].volume / 200;
  foreign.value = sums[0].value + sums[0].value / 200;
  foreign.market_cap = sums[0].market_cap + sums[0].market_cap / 1000;
  rows.push_back(foreign);
  for (std::size_t x = 0; x < d.indices.size(); ++x) {
    const auto& def = d.indices[x];
    const auto& s = sums[x];
    IndexBar r;
    r.index_class = index_class;
    r.name = def.name;
    r.previous_close = session == 0 ? def.base_level : def.levels[session - 1];
    r.close = def.levels[session];
    const double scale = s.previous > 0.0 ? r.previous_close / s.previous : 0.0;
    r.open = s.previous > 0.0 ? s.open * scale : r.close;
    // Σ high × shares bounds the index's high from above (the members do not all peak at the
    // same moment): take part of the way there. Likewise for the low. So low <= open, close
    // <= high, which rounding must not undo.
    const double top = std::max(r.open, r.close);
    const double bottom = std::min(r.open, r.close);
    r.high = s.previous > 0.0 ? top + 0.35 * std::max(0.0, s.high * scale - top) : top;
    r.low = s.previous > 0.0 ? bottom - 0.35 * std::max(0.0, bottom - s.low * scale) : bottom;
    r.volume = s.volume;
    r.value = s.value;
    r.market_cap = s.market_cap;
    rows.push_back(std::move(r));
  }
  return rows;
}

} // namespace krxbatch::fake_krx
