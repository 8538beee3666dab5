#include "fake_krx/universe.hpp"

#include "fake_krx/random.hpp"
#include "fake_krx/ticks.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <set>
#include <string_view>

namespace krxbatch::fake_krx {
namespace {

using market::Market;

// Keys of new listings start here, so they never meet the slots of initial issues.
constexpr std::uint64_t k_new_listing_key = 1'000'000;
constexpr std::size_t k_max_new_listings = 9'999;
// The KRX code reform (letters allowed in the short code) took effect on this day.
const core::Date k_code_reform(2024, 1, 1);
constexpr double k_sessions_per_year = 248.0;

// What tells the three markets apart, roughly calibrated on the 2024-01-05 samples: KOSPI has
// ~70% of issues at or above 100 billion won, KOSDAQ ~50%, KONEX ~5%; the fake aims a little
// lower so that about 40% of all issues are "large" at the default and full sizes.
struct MarketParams {
  double cap_log10_mean;
  double cap_log10_sd;
  double price_log10_mean;
  double price_log10_sd;
  double beta_min;
  double beta_max;
  double vol_min;
  double vol_max;
  double turnover_median;
  // 14/953, 68/1703, 27/129 issues did not trade on 2024-01-05; spells of non-trading (see
  // MarketModel) about double the base rate.
  double no_trade_base;
  double preferred_share; // chance that an issue is a preferred share of the one before it
  double spac_share;
  double listings_per_year; // per initial issue
  double delistings_per_year;
};

MarketParams params_of(Market m) {
  switch (m) {
  case Market::kospi:
    return {.cap_log10_mean = 11.1,
            .cap_log10_sd = 0.8,
            .price_log10_mean = 4.0,
            .price_log10_sd = 0.55,
            .beta_min = 0.6,
            .beta_max = 1.4,
            .vol_min = 0.01,
            .vol_max = 0.024,
            .turnover_median = 0.003,
            .no_trade_base = 0.007,
            .preferred_share = 0.07,
            .spac_share = 0.0,
            .listings_per_year = 0.035,
            .delistings_per_year = 0.02};
  case Market::kosdaq:
    return {.cap_log10_mean = 10.85,
            .cap_log10_sd = 0.55,
            .price_log10_mean = 3.7,
            .price_log10_sd = 0.5,
            .beta_min = 0.7,
            .beta_max = 1.5,
            .vol_min = 0.015,
            .vol_max = 0.032,
            .turnover_median = 0.012,
            .no_trade_base = 0.019,
            .preferred_share = 0.005,
            .spac_share = 0.05,
            .listings_per_year = 0.07,
            .delistings_per_year = 0.035};
  case Market::konex:
    return {.cap_log10_mean = 10.2,
            .cap_log10_sd = 0.45,
            .price_log10_mean = 3.5,
            .price_log10_sd = 0.45,
            .beta_min = 0.3,
            .beta_max = 0.9,
            .vol_min = 0.018,
            .vol_max = 0.035,
            .turnover_median = 0.0008,
            .no_trade_base = 0.14,
            .preferred_share = 0.0,
            .spac_share = 0.0,
            .listings_per_year = 0.05,
            .delistings_per_year = 0.06};
  }
  return params_of(Market::kospi);
}

std::uint64_t market_number(Market m) {
  return static_cast<std::uint64_t>(m);
}

constexpr std::array<std::string_view, 66> k_syllables = {
    "한", "대", "동", "신", "세", "삼", "우", "성", "진", "영", "광", "태", "현", "일",
    "국", "화", "명", "보", "경", "수", "원", "인", "정", "중", "금", "창", "미", "선",
    "아", "오", "유", "이", "제", "지", "케", "코", "디", "엘", "티", "피", "에", "엔",
    "스", "나", "라", "하", "해", "연", "효", "풍", "백", "두", "청", "송", "평", "강",
    "남", "서", "상", "문", "용", "재", "조", "천", "호", "빛"};

constexpr std::array<std::string_view, 52> k_suffixes = {
    "전자",   "화학",       "제약",       "바이오",     "테크",     "산업",       "건설",
    "에너지", "홀딩스",     "소재",       "정밀",       "통신",     "물산",       "식품",
    "시스템", "반도체",     "디스플레이", "엔지니어링", "로직스",   "머티리얼즈", "메디칼",
    "솔루션", "게임즈",     "엔터",       "모터스",     "중공업",   "해운",       "증권",
    "금융",   "생명",       "화재",       "리츠",       "바이오텍", "텍",         "넷",
    "씨엔씨", "앤컴퍼니",   "테크놀로지", "전기",       "기계",     "제지",       "철강",
    "케미칼", "파마",       "헬스케어",   "로보틱스",   "네트웍스", "인터내셔널", "상사",
    "푸드",   "코퍼레이션", "이앤씨"};

constexpr std::string_view k_initials = "ABCDEFGHJKLMNPRSTW";

constexpr std::array<std::string_view, 16> k_brokers = {
    "교보", "대신밸런스", "미래에셋비전", "삼성",     "신한", "유안타", "하나", "한화플러스",
    "IBKS", "KB",         "DB금융",       "엔에이치", "유진", "키움",   "하이", "상상인"};

// Letters in the fifth position of new-style codes, disjoint per market so that codes never
// collide across markets (KRX never uses I, O or U).
constexpr std::array<std::string_view, 3> k_new_style_letters = {"ABCDEFG", "HJKLMNP", "QRSTVWX"};

struct WeightedSection {
  std::string_view name;
  double weight;
};

constexpr std::array<WeightedSection, 7> k_kosdaq_sections = {{
    {"우량기업부", 0.29},
    {"중견기업부", 0.32},
    {"벤처기업부", 0.21},
    {"기술성장기업부", 0.12},
    {"관리종목(소속부없음)", 0.03},
    {"투자주의환기종목(소속부없음)", 0.02},
    {"외국기업(소속부없음)", 0.01},
}};
constexpr std::string_view k_spac_section = "SPAC(소속부없음)";
constexpr std::string_view k_watch_section = "관리종목(소속부없음)";

// A short sequence of draws seeded by one hash (used where an item needs several numbers).
class Draws {
public:
  explicit Draws(std::uint64_t h) : m_h(h) {}
  std::uint64_t next() {
    m_h = mix64(m_h);
    return m_h;
  }
  double unit() { return unit_interval(next()); }
  double normal() { return standard_normal(next()); }
  std::size_t index(std::size_t n) { return static_cast<std::size_t>(below(next(), n)); }
  double between(double lo, double hi) { return lo + (hi - lo) * unit(); }

private:
  std::uint64_t m_h;
};

// A five-digit numeric code plus a final 0. `index` < 30000; the map index -> digits is a
// bijection per market (7919 is prime to 30000) onto a range of its own.
std::string numeric_code(std::uint64_t seed, Market m, std::uint64_t index) {
  const auto offset = below(hash_of(seed, Stream::code_offset, market_number(m)), 30'000);
  const auto digits = market_number(m) * 30'000 + (index * 7'919 + offset) % 30'000;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%05llu0", static_cast<unsigned long long>(digits));
  return buf;
}

// Four digits below 2000 (codes are issued in sequence), a letter, and 0 (`0126Z0`).
// `index` < 14000; index -> (digits, letter) is a bijection per market (7919 is prime to
// 14000 = 2000 × 7 letters).
std::string new_style_code(std::uint64_t seed, Market m, std::uint64_t index) {
  const auto offset = below(hash_of(seed, Stream::code_offset, market_number(m), 1), 14'000);
  const auto v = (index * 7'919 + offset) % 14'000;
  const auto letters = k_new_style_letters.at(static_cast<std::size_t>(market_number(m)));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04llu%c0", static_cast<unsigned long long>(v % 2'000),
                letters[static_cast<std::size_t>(v / 2'000)]);
  return buf;
}

std::string company_name(std::uint64_t h) {
  Draws d(h);
  std::string name;
  if (d.unit() < 0.12) {
    const std::size_t letters = 2 + d.index(2);
    for (std::size_t i = 0; i < letters; ++i) {
      name += k_initials[d.index(k_initials.size())];
    }
    name += k_suffixes.at(d.index(k_suffixes.size()));
    return name;
  }
  const std::size_t syllables = d.unit() < 0.3 ? 3 : 2;
  for (std::size_t i = 0; i < syllables; ++i) {
    name += k_syllables.at(d.index(k_syllables.size()));
  }
  if (d.unit() < 0.7) {
    name += k_suffixes.at(d.index(k_suffixes.size()));
  }
  return name;
}

std::string spac_name(std::uint64_t h) {
  Draws d(h);
  return std::string(k_brokers.at(d.index(k_brokers.size()))) + "스팩" +
         std::to_string(1 + d.index(30)) + "호";
}

// A name not used yet in this market: the candidates are drawn until one is free.
template <typename MakeName>
std::string unique_name(std::set<std::string>& used, std::uint64_t h, MakeName make) {
  for (std::uint64_t attempt = 0;; ++attempt) {
    auto name = make(mix64(h ^ attempt));
    if (attempt >= 50) {
      name += std::to_string(attempt); // practically never: the name space is large
    }
    if (used.insert(name).second) {
      return name;
    }
  }
}

std::string kosdaq_section(double u) {
  for (const auto& s : k_kosdaq_sections) {
    if (u < s.weight) {
      return std::string(s.name);
    }
    u -= s.weight;
  }
  return std::string(k_kosdaq_sections.front().name);
}

// Size, price and trading habits of a common share or a SPAC.
void size_common(Issue& issue, const MarketParams& p, Draws& d, double cap_shift) {
  if (issue.spac) {
    issue.base_price = round_to_tick(2'000.0 + 300.0 * d.unit());
    issue.shares = 4'000'000 + static_cast<std::int64_t>(d.index(10'000'000));
    issue.beta = 0.0;
    issue.volatility = 0.004;
    issue.turnover = 0.002 * std::exp(0.5 * d.normal());
    issue.no_trade = p.no_trade_base * 2.0;
    return;
  }
  const double cap = std::pow(10.0, p.cap_log10_mean + cap_shift + p.cap_log10_sd * d.normal());
  const double price = std::clamp(
      std::pow(10.0, p.price_log10_mean + p.price_log10_sd * d.normal()), 200.0, 1'200'000.0);
  issue.base_price = round_to_tick(price);
  issue.shares =
      std::max<std::int64_t>(200'000, std::llround(cap / static_cast<double>(issue.base_price)));
  issue.beta = d.between(p.beta_min, p.beta_max);
  issue.volatility = d.between(p.vol_min, p.vol_max);
  issue.turnover = p.turnover_median * std::exp(0.7 * d.normal());
  const double u = d.unit();
  issue.no_trade = p.no_trade_base * 3.0 * u * u;
  if (issue.section == k_watch_section) {
    issue.no_trade *= 4.0;
  }
  issue.no_trade = std::min(issue.no_trade, 0.6);
}

} // namespace

std::int64_t Issue::shares_on(std::size_t session) const {
  std::int64_t s = shares;
  for (const auto& a : actions) {
    if (a.shares_from <= session) {
      s = shares_after(s, a);
    }
  }
  return s;
}

const CorporateAction* Issue::action_on(std::size_t session) const {
  for (const auto& a : actions) {
    if (a.ex_session == session) {
      return &a;
    }
  }
  return nullptr;
}

bool Issue::halted_on(std::size_t session) const {
  return std::any_of(actions.begin(), actions.end(), [&](const CorporateAction& a) {
    return session >= a.halt_from && session < a.ex_session;
  });
}

std::vector<Issue> make_universe(std::uint64_t seed, Market market, std::size_t initial_count,
                                 const std::vector<core::Date>& sessions) {
  const auto p = params_of(market);
  const auto mnum = market_number(market);
  const std::size_t session_count = sessions.size();
  const double years = static_cast<double>(session_count) / k_sessions_per_year;
  std::set<std::string> names;
  std::vector<Issue> issues;
  issues.reserve(initial_count + initial_count / 4 + 1);

  const std::string plain_section = market == Market::kospi   ? "-"
                                    : market == Market::konex ? "일반기업부"
                                                              : "";
  const double delist_chance = 1.0 - std::pow(1.0 - p.delistings_per_year, years);

  for (std::size_t slot = 0; slot < initial_count; ++slot) {
    Issue issue;
    issue.market = market;
    issue.key = slot;
    issue.first = 0;
    issue.end = session_count;
    Draws kind(hash_of(seed, Stream::issue_kind, mnum, slot));
    const double preferred_draw = kind.unit();
    const double suffix_draw = kind.unit();
    const double spac_draw = kind.unit();

    // A preferred share follows the common share just before it.
    std::optional<char> preferred_suffix;
    if (market == Market::kospi && slot == 2) {
      issue.parent = 0;
      preferred_suffix = 'K';
    } else if (slot >= 4 && preferred_draw < p.preferred_share) {
      const auto& prev = issues[slot - 1];
      if (!prev.parent && !prev.spac && prev.key != 3) {
        issue.parent = slot - 1;
        preferred_suffix = suffix_draw < 0.2 ? 'K' : '5';
      }
    }
    issue.spac = !issue.parent && market == Market::kosdaq && slot >= 4 && spac_draw < p.spac_share;

    Draws size(hash_of(seed, Stream::issue_size, mnum, slot));
    if (issue.parent) {
      const auto& parent = issues[*issue.parent];
      issue.code = parent.code.substr(0, 5) + *preferred_suffix;
      const std::string_view tail = *preferred_suffix == 'K' ? "우(전환)" : "우";
      issue.name =
          unique_name(names, hash_of(seed, Stream::issue_name, mnum, slot), [&](std::uint64_t h) {
            return parent.name + (h % 4 == 0 ? "2" : "") + std::string(tail);
          });
      issue.section = parent.section;
      issue.base_price =
          round_to_tick(static_cast<double>(parent.base_price) * size.between(0.45, 0.85));
      issue.shares = std::max<std::int64_t>(
          100'000, std::llround(static_cast<double>(parent.shares) * size.between(0.02, 0.15)));
      issue.beta = parent.beta;
      issue.volatility = parent.volatility;
      issue.turnover = parent.turnover * 0.25;
      issue.no_trade = std::min(0.6, parent.no_trade * 2.0 + 0.01);
      issue.end = parent.end;
    } else {
      issue.code = slot == 3 ? new_style_code(seed, market, 0) : numeric_code(seed, market, slot);
      const auto name_hash = hash_of(seed, Stream::issue_name, mnum, slot);
      issue.name = issue.spac ? unique_name(names, name_hash, spac_name)
                              : unique_name(names, name_hash, company_name);
      issue.section =
          issue.spac ? std::string(k_spac_section)
          : market == Market::kosdaq
              ? kosdaq_section(unit_interval(hash_of(seed, Stream::issue_section, mnum, slot)))
              : plain_section;
      size_common(issue, p, size, 0.0);
      Draws delist(hash_of(seed, Stream::delisting, mnum, slot));
      const double delist_draw = delist.unit();
      if (slot == 1 && session_count > 30) {
        issue.end = 10 + delist.index(20);
      } else if (session_count > 1 && delist_draw < delist_chance) {
        issue.end = 1 + delist.index(session_count - 1);
      }
    }
    issues.push_back(std::move(issue));
  }

  if (initial_count == 0 || session_count < 2) {
    schedule_actions(seed, market, initial_count, session_count, issues);
    return issues;
  }
  const auto wanted =
      std::llround(static_cast<double>(initial_count) * p.listings_per_year * years);
  const std::size_t new_listings =
      std::min(k_max_new_listings, std::max<std::size_t>(session_count >= 30 ? 1 : 0,
                                                         static_cast<std::size_t>(wanted)));
  for (std::size_t j = 0; j < new_listings; ++j) {
    Issue issue;
    issue.market = market;
    issue.key = k_new_listing_key + j;
    Draws when(hash_of(seed, Stream::listing, mnum, issue.key));
    issue.first = j == 0 ? std::min(session_count - 1, 5 + when.index(20))
                         : 1 + when.index(session_count - 1);
    issue.end = session_count;
    const bool new_style = sessions[issue.first] >= k_code_reform && when.unit() < 0.5;
    issue.code =
        new_style ? new_style_code(seed, market, 1 + j) : numeric_code(seed, market, 20'000 + j);
    Draws kind(hash_of(seed, Stream::issue_kind, mnum, issue.key));
    issue.spac = market == Market::kosdaq && kind.unit() < p.spac_share * 2.0;
    const auto name_hash = hash_of(seed, Stream::issue_name, mnum, issue.key);
    issue.name = issue.spac ? unique_name(names, name_hash, spac_name)
                            : unique_name(names, name_hash, company_name);
    issue.section =
        issue.spac ? std::string(k_spac_section)
        : market == Market::kosdaq
            ? kosdaq_section(unit_interval(hash_of(seed, Stream::issue_section, mnum, issue.key)))
            : plain_section;
    Draws size(hash_of(seed, Stream::issue_size, mnum, issue.key));
    size_common(issue, p, size, -0.3); // newcomers are smaller than the established
    issues.push_back(std::move(issue));
  }
  schedule_actions(seed, market, initial_count, session_count, issues);
  return issues;
}

} // namespace krxbatch::fake_krx
