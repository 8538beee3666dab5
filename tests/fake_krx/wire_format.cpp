#include "fake_krx/wire_format.hpp"

#include "krxbatch/core/date.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace krxbatch::fake_krx {
namespace {

void append_int(std::string& out, std::int64_t value) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, end);
}

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (const char c : text) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    default:
      if (static_cast<unsigned char>(c) < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
        out += buf;
      } else {
        out += c;
      }
    }
  }
  out += '"';
}

// `"KEY":"value"` with a leading comma unless it is the row's first field.
class RowWriter {
public:
  explicit RowWriter(std::string& out) : m_out(out) { m_out += '{'; }
  ~RowWriter() { m_out += '}'; }
  RowWriter(const RowWriter&) = delete;
  RowWriter& operator=(const RowWriter&) = delete;
  RowWriter(RowWriter&&) = delete;
  RowWriter& operator=(RowWriter&&) = delete;

  void text(std::string_view key, std::string_view value) {
    start(key);
    append_json_string(m_out, value);
  }
  void integer(std::string_view key, std::int64_t value) {
    start(key);
    m_out += '"';
    append_int(m_out, value);
    m_out += '"';
  }
  void hundredths(std::string_view key, std::int64_t value) {
    start(key);
    m_out += '"';
    m_out += format_hundredths(value);
    m_out += '"';
  }

private:
  void start(std::string_view key) {
    if (!m_first) {
      m_out += ',';
    }
    m_first = false;
    m_out += '"';
    m_out += key;
    m_out += "\":";
  }
  std::string& m_out;
  bool m_first = true;
};

std::string_view market_name(market::Market m) {
  switch (m) {
  case market::Market::kospi:
    return "KOSPI";
  case market::Market::kosdaq:
    return "KOSDAQ";
  case market::Market::konex:
    return "KONEX";
  }
  return "";
}

void render_stocks(std::string& out, const MarketModel& model, market::Market market,
                   std::size_t session, const std::string& bas_dd) {
  const auto& issues = model.issues(market);
  bool first = true;
  for (const auto i : model.listing_order(market)) {
    const auto& issue = issues[i];
    if (!issue.listed_on(session)) {
      continue;
    }
    const Bar b = model.bar(issue, session);
    if (!first) {
      out += ',';
    }
    first = false;
    const std::int64_t change = b.close - b.base;
    const auto shares = issue.shares_on(session);
    RowWriter row(out);
    row.text("BAS_DD", bas_dd);
    row.text("ISU_CD", issue.code);
    row.text("ISU_NM", issue.name);
    row.text("MKT_NM", market_name(market));
    row.text("SECT_TP_NM", issue.section);
    row.integer("TDD_CLSPRC", b.close);
    row.integer("CMPPREVDD_PRC", change);
    row.hundredths("FLUC_RT", rate_hundredths(change, b.base));
    row.integer("TDD_OPNPRC", b.open);
    row.integer("TDD_HGPRC", b.high);
    row.integer("TDD_LWPRC", b.low);
    row.integer("ACC_TRDVOL", b.volume);
    row.integer("ACC_TRDVAL", b.value);
    row.integer("MKTCAP", b.close * shares);
    row.integer("LIST_SHRS", shares);
  }
}

std::int64_t to_hundredths(double level) {
  return std::llround(level * 100.0);
}

void render_indices(std::string& out, const MarketModel& model, market::Market market,
                    std::size_t session, const std::string& bas_dd) {
  bool first = true;
  for (const auto& r : model.index_bars(market, session)) {
    if (!first) {
      out += ',';
    }
    first = false;
    RowWriter row(out);
    row.text("BAS_DD", bas_dd);
    row.text("IDX_CLSS", r.index_class);
    row.text("IDX_NM", r.name);
    if (r.priced) {
      const auto close = to_hundredths(r.close);
      const auto previous = to_hundredths(r.previous_close);
      row.hundredths("CLSPRC_IDX", close);
      row.hundredths("CMPPREVDD_IDX", close - previous);
      row.hundredths("FLUC_RT", previous > 0 ? rate_hundredths(close - previous, previous) : 0);
      row.hundredths("OPNPRC_IDX", to_hundredths(r.open));
      row.hundredths("HGPRC_IDX", to_hundredths(r.high));
      row.hundredths("LWPRC_IDX", to_hundredths(r.low));
    } else {
      for (const auto* key :
           {"CLSPRC_IDX", "CMPPREVDD_IDX", "FLUC_RT", "OPNPRC_IDX", "HGPRC_IDX", "LWPRC_IDX"}) {
        row.text(key, "-");
      }
    }
    row.integer("ACC_TRDVOL", r.volume);
    row.integer("ACC_TRDVAL", r.value);
    row.integer("MKTCAP", r.market_cap);
  }
}

} // namespace

std::string format_hundredths(std::int64_t hundredths) {
  std::string out;
  if (hundredths < 0) {
    out += '-';
  }
  const std::int64_t magnitude = std::abs(hundredths);
  append_int(out, magnitude / 100);
  out += '.';
  const auto cents = magnitude % 100;
  out += static_cast<char>('0' + cents / 10);
  out += static_cast<char>('0' + cents % 10);
  return out;
}

std::int64_t rate_hundredths(std::int64_t change, std::int64_t base) {
  const std::int64_t magnitude = (std::abs(change) * 20'000 + base) / (2 * base);
  return change < 0 ? -magnitude : magnitude;
}

std::string render_body(const MarketModel& model, Api api, std::size_t session) {
  const auto market = market_of(api);
  if (!model.has_data(market, session)) {
    return std::string(k_empty_body);
  }
  const std::string bas_dd = core::to_basdd(model.sessions().at(session));
  std::string out;
  out.reserve(is_index(api) ? 4'096 : 64 + 340 * model.issues(market).size());
  out += R"({"OutBlock_1":[)";
  if (is_index(api)) {
    render_indices(out, model, market, session, bas_dd);
  } else {
    render_stocks(out, model, market, session, bas_dd);
  }
  out += "]}";
  return out;
}

std::string apache_forbidden_page() {
  return "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n"
         "<html><head>\n"
         "<title>403 Forbidden</title>\n"
         "</head><body>\n"
         "<h1>Forbidden</h1>\n"
         "<p>You don't have permission to access this resource.</p>\n"
         "</body></html>\n";
}

std::string apache_not_found_page(std::string_view path) {
  std::string escaped;
  for (const char c : path) {
    switch (c) {
    case '<':
      escaped += "&lt;";
      break;
    case '>':
      escaped += "&gt;";
      break;
    case '&':
      escaped += "&amp;";
      break;
    default:
      escaped += c;
    }
  }
  return "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n"
         "<html><head>\n"
         "<title>404 Not Found</title>\n"
         "</head><body>\n"
         "<h1>Not Found</h1>\n"
         "<p>The requested URL " +
         escaped +
         " was not found on this server.</p>\n"
         "</body></html>\n";
}

std::string apache_error_page(int status) {
  const std::string code = std::to_string(status);
  return "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n"
         "<html><head>\n"
         "<title>" +
         code +
         " Error</title>\n"
         "</head><body>\n"
         "<h1>Error " +
         code +
         "</h1>\n"
         "<p>The server encountered an error and was unable to complete your request.</p>\n"
         "</body></html>\n";
}

std::string krx_unavailable_page() {
  // Shaped after the notice quoted in FinanceDataReader #216 (krx-open-api.md §2.7).
  return "<!DOCTYPE html>\n"
         "<html lang=\"ko\">\n"
         "<head>\n"
         "<meta charset=\"UTF-8\">\n"
         "<title>에러페이지 - 한국거래소</title>\n"
         "</head>\n"
         "<body>\n"
         "<div class=\"error-wrap\">\n"
         "<p class=\"tit\"><span>서비스 제공 불가능</span></p>\n"
         "<p>일시적 접근 불안정으로 인하여 서비스가 원활하지 않습니다.</p>\n"
         "<p>잠시 후 다시 이용해 주시기 바랍니다.</p>\n"
         "</div>\n"
         "</body>\n"
         "</html>\n";
}

} // namespace krxbatch::fake_krx
