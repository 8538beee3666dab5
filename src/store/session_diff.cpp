#include "krxbatch/store/session_diff.hpp"

#include "sqlite_access.hpp"
#include "staged_rows.hpp"

#include <map>
#include <sstream>

namespace krxbatch::store {
namespace {

template <typename T>
std::string show(const std::optional<T>& v) {
  if (!v) {
    return "NULL";
  }
  std::ostringstream out;
  out.precision(17);
  out << *v;
  return out.str();
}

template <typename T>
std::string show(const T& v) {
  return show(std::optional<T>(v));
}

// "close stored 71000, answer 71200" for each column that differs.
template <typename T>
void compare(std::vector<std::string>& out, std::string_view column, const T& stored,
             const T& answer) {
  if (!(stored == answer)) {
    out.push_back(std::string(column) + " stored " + show(stored) + ", answer " + show(answer));
  }
}

std::vector<std::string> row_differences(const staged::Row& s, const staged::Row& a) {
  std::vector<std::string> d;
  compare(d, "name", s.name, a.name);
  compare(d, "open", s.open, a.open);
  compare(d, "high", s.high, a.high);
  compare(d, "low", s.low, a.low);
  compare(d, "close", s.close, a.close);
  compare(d, "volume", s.volume, a.volume);
  compare(d, "value", s.value, a.value);
  compare(d, "market_cap", s.market_cap, a.market_cap);
  compare(d, "listed_shares", s.listed_shares, a.listed_shares);
  compare(d, "change", s.change, a.change);
  compare(d, "change_rate", s.change_rate, a.change_rate);
  compare(d, "section", s.section, a.section);
  return d;
}

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) {
    out += (out.empty() ? "" : ", ") + p;
  }
  return out;
}

// Lines for the keys of `stored` and `answer` (maps by key) that differ.
template <typename Row, typename Diff>
std::vector<std::string> diff_maps(const std::map<std::string, Row>& stored,
                                   const std::map<std::string, Row>& answer, Diff&& diff) {
  std::vector<std::string> out;
  auto s = stored.begin();
  auto a = answer.begin();
  while (s != stored.end() || a != answer.end()) {
    if (a == answer.end() || (s != stored.end() && s->first < a->first)) {
      out.push_back(s->first + ": stored, not in the answer");
      ++s;
    } else if (s == stored.end() || a->first < s->first) {
      out.push_back(a->first + ": in the answer, not stored");
      ++a;
    } else {
      if (const auto d = diff(s->second, a->second); !d.empty()) {
        out.push_back(s->first + ": " + joined(d));
      }
      ++s;
      ++a;
    }
  }
  return out;
}

} // namespace

std::vector<std::string> diff_session_prices(Database& db, const core::Date& day,
                                             market::Market market,
                                             std::span<const market::PriceRow> parsed) {
  const auto iso = core::to_iso(day);
  const std::string market_name(market::to_string(market));
  std::map<std::string, staged::Row> stored;
  guarded(db, "reading the prices of " + iso, [&] {
    auto& sql = db.impl().db;
    SQLite::Statement st(sql, "SELECT ticker, name, open, high, low, close, volume, value, "
                              "market_cap, listed_shares, change, change_rate, section FROM "
                              "daily_prices WHERE trade_date = ? AND market = ?");
    st.bind(1, iso);
    st.bind(2, market_name);
    while (st.executeStep()) {
      staged::Row r;
      r.ticker = st.getColumn(0).getString();
      r.name = st.getColumn(1).getString();
      r.open = opt_int(st.getColumn(2));
      r.high = opt_int(st.getColumn(3));
      r.low = opt_int(st.getColumn(4));
      r.close = st.getColumn(5).getInt64();
      r.volume = st.getColumn(6).getInt64();
      r.value = st.getColumn(7).getInt64();
      r.market_cap = st.getColumn(8).getInt64();
      r.listed_shares = st.getColumn(9).getInt64();
      r.change = opt_int(st.getColumn(10));
      r.change_rate = opt_real(st.getColumn(11));
      r.section = opt_text(st.getColumn(12));
      auto key = r.ticker;
      stored.insert_or_assign(std::move(key), std::move(r));
    }
    SQLite::Statement staged_st(
        sql, "SELECT rows FROM daily_prices_staging WHERE trade_date = ? AND market = ?");
    staged_st.bind(1, iso);
    staged_st.bind(2, market_name);
    while (staged_st.executeStep()) {
      const auto blob = staged_st.getColumn(0);
      const std::string packed(static_cast<const char*>(blob.getBlob()),
                               static_cast<std::size_t>(blob.getBytes()));
      staged::Reader reader(packed);
      staged::Row r;
      while (reader.next(r)) {
        stored.insert_or_assign(r.ticker, r);
      }
    }
  });

  std::map<std::string, staged::Row> answer;
  std::vector<std::string> unstorable;
  for (const auto& p : parsed) {
    staged::Row r;
    try {
      staged::to_stored(p, r);
    } catch (const core::Error& e) {
      unstorable.push_back(p.ticker + ": the answer's row cannot be stored (" + e.what() + ")");
      continue;
    }
    answer.insert_or_assign(p.ticker, std::move(r));
  }
  auto out = diff_maps(stored, answer, row_differences);
  out.insert(out.end(), unstorable.begin(), unstorable.end());
  return out;
}

std::vector<std::string> diff_session_indices(Database& db, const core::Date& day,
                                              const std::string& index_class,
                                              std::span<const market::IndexRow> parsed) {
  const auto iso = core::to_iso(day);
  const auto diff = [](const market::IndexRow& s, const market::IndexRow& a) {
    std::vector<std::string> d;
    compare(d, "open", s.open, a.open);
    compare(d, "high", s.high, a.high);
    compare(d, "low", s.low, a.low);
    compare(d, "close", s.close, a.close);
    compare(d, "change", s.change, a.change);
    compare(d, "change_rate", s.change_rate, a.change_rate);
    compare(d, "volume", s.volume, a.volume);
    compare(d, "value", s.value, a.value);
    compare(d, "market_cap", s.market_cap, a.market_cap);
    return d;
  };
  std::map<std::string, market::IndexRow> stored;
  guarded(db, "reading the index prices of " + iso, [&] {
    SQLite::Statement st(db.impl().db,
                         "SELECT index_name, open, high, low, close, change, change_rate, volume, "
                         "value, market_cap FROM index_prices WHERE trade_date = ? AND "
                         "index_class = ?");
    st.bind(1, iso);
    st.bind(2, index_class);
    while (st.executeStep()) {
      market::IndexRow r;
      r.trade_date = day;
      r.index_class = index_class;
      r.index_name = st.getColumn(0).getString();
      r.open = opt_real(st.getColumn(1));
      r.high = opt_real(st.getColumn(2));
      r.low = opt_real(st.getColumn(3));
      r.close = opt_real(st.getColumn(4));
      r.change = opt_real(st.getColumn(5));
      r.change_rate = opt_real(st.getColumn(6));
      r.volume = opt_int(st.getColumn(7));
      r.value = opt_int(st.getColumn(8));
      r.market_cap = opt_int(st.getColumn(9));
      stored.insert_or_assign(r.index_name, r);
    }
  });
  std::map<std::string, market::IndexRow> answer;
  for (const auto& r : parsed) {
    if (r.index_class == index_class) {
      answer.insert_or_assign(r.index_name, r);
    }
  }
  std::vector<std::string> out;
  for (auto& line : diff_maps(stored, answer, diff)) {
    out.push_back(index_class + " " + std::move(line));
  }
  return out;
}

} // namespace krxbatch::store
