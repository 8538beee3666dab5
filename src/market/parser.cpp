#include "krxbatch/market/parser.hpp"

#include "krxbatch/market/flat_scanner.hpp"

#include "row_fields.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <charconv>
#include <cstdint>

namespace krxbatch::market {
namespace {

using json = nlohmann::json;
using Failure = core::Failure<BodyProblem>;
using detail::FieldLookup;
using detail::IndexTraits;
using detail::PriceTraits;
using detail::utf8_length;

// ---------------------------------------------------------------------------------------------
// The SAX handler: `{"OutBlock_1":[{row}, ...], ...}` straight into rows
// ---------------------------------------------------------------------------------------------

template <typename Traits>
class RowsHandler {
public:
  using Row = typename Traits::Row;

  explicit RowsHandler(std::vector<Row>& rows) : m_rows(rows) {}

  // --- nlohmann SAX interface (returning false stops the parse) ---
  bool null() { return scalar(std::string_view(), "null"); }
  bool boolean(bool value) { return scalar(value ? "true" : "false", "a boolean"); }
  bool number_integer(json::number_integer_t value) { return number(value); }
  bool number_unsigned(json::number_unsigned_t value) { return number(value); }
  bool number_float(json::number_float_t /*value*/, const json::string_t& text) {
    return scalar(text, nullptr);
  }
  bool string(json::string_t& value) { return scalar(value, nullptr); }
  bool binary(json::binary_t& /*value*/) { return scalar({}, "binary"); }
  bool start_object(std::size_t /*size*/);
  bool end_object();
  bool start_array(std::size_t /*size*/);
  bool end_array();
  bool key(json::string_t& key);
  bool parse_error(std::size_t position, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& error) {
    m_syntax_position = position;
    m_syntax_message = error.what();
    return false;
  }

  // --- outcome ---
  // Set when a callback stopped the parse (shape or value errors).
  std::optional<Failure> m_failure;
  // Set by parse_error(): the byte position and nlohmann's message.
  std::optional<std::size_t> m_syntax_position;
  std::string m_syntax_message;
  bool m_seen_out_block = false;
  std::optional<std::string> m_resp_code;
  std::optional<std::string> m_resp_msg;

private:
  enum class Level { document, top, out_block, row, done };
  enum class TopKey { other, out_block, resp_code, resp_msg };

  template <typename Int>
  bool number(Int value) {
    std::array<char, 24> buf{};
    const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value);
    (void)ec; // 24 characters always fit a 64-bit integer
    return scalar(std::string_view(buf.data(), static_cast<std::size_t>(end - buf.data())),
                  nullptr);
  }

  // A scalar value; `non_text` names its JSON type when it cannot stand for a string
  // (a boolean) or is null, else nullptr.
  bool scalar(std::string_view text, const char* non_text);
  // The start of an object or array where a value is expected.
  bool nested_value(const char* what);
  bool fail(BodyProblem problem, std::string message) {
    m_failure = Failure{problem, std::move(message)};
    return false;
  }
  bool fail_shape(const std::string& what) { return fail(BodyProblem::no_out_block, what); }
  // Remembers the current field's first bad value; `shown` is how to show it ("'abc'").
  void note_bad_value(const std::string& shown);
  bool finish_row();

  std::vector<Row>& m_rows;
  Level m_level = Level::document;
  TopKey m_top_key = TopKey::other;
  int m_skip_depth = 0; // > 0 while inside a nested value that is ignored
  int m_field = -1;     // index in k_fields of the current row key, -1 for an unknown key
  FieldLookup<Traits> m_lookup;
  std::size_t m_element = 0; // 1-based index of the current element of OutBlock_1
  // The first bad value of the current row, reported when the row ends (its ticker may come
  // after the bad value).
  std::string_view m_bad_field;
  std::string m_bad_message;
};

template <typename Traits>
void RowsHandler<Traits>::note_bad_value(const std::string& shown) {
  if (!m_bad_field.empty()) {
    return;
  }
  const auto& field = Traits::k_fields[static_cast<std::size_t>(m_field)];
  m_bad_field = field.key;
  m_bad_message = std::string(field.key) + " is " + shown + ", not " + std::string(field.expected);
}

template <typename Traits>
bool RowsHandler<Traits>::scalar(std::string_view text, const char* non_text) {
  if (m_skip_depth > 0) {
    return true;
  }
  switch (m_level) {
  case Level::document:
    return fail_shape("the body is a single JSON value, not an object with OutBlock_1");
  case Level::top:
    if (m_top_key == TopKey::out_block) {
      return fail_shape(std::string("OutBlock_1 is ") +
                        (non_text != nullptr ? non_text : "a scalar") + ", not an array of rows");
    }
    if (m_top_key == TopKey::resp_code) {
      m_resp_code = excerpt(text, 40);
    } else if (m_top_key == TopKey::resp_msg) {
      m_resp_msg = excerpt(text, 120);
    }
    return true;
  case Level::out_block:
    return fail_shape("element " + std::to_string(m_element + 1) +
                      " of OutBlock_1 is not a row object");
  case Level::row:
    if (m_field < 0) {
      return true;
    }
    if (non_text != nullptr && text.data() != nullptr) { // a boolean
      note_bad_value(non_text);
      return true;
    }
    if (!Traits::k_fields[static_cast<std::size_t>(m_field)].assign(m_rows.back(), text)) {
      note_bad_value("'" + excerpt(text, 40) + "'");
    }
    return true;
  case Level::done:
    break;
  }
  return true;
}

template <typename Traits>
bool RowsHandler<Traits>::nested_value(const char* what) {
  switch (m_level) {
  case Level::top:
    if (m_top_key == TopKey::out_block) {
      return fail_shape(std::string("OutBlock_1 is ") + what + ", not an array of rows");
    }
    break;
  case Level::row:
    if (m_field >= 0) {
      note_bad_value(what);
    }
    break;
  default:
    break;
  }
  m_skip_depth = 1;
  return true;
}

template <typename Traits>
bool RowsHandler<Traits>::start_object(std::size_t /*size*/) {
  if (m_skip_depth > 0) {
    ++m_skip_depth;
    return true;
  }
  switch (m_level) {
  case Level::document:
    m_level = Level::top;
    return true;
  case Level::out_block:
    ++m_element;
    m_rows.emplace_back();
    m_bad_field = {};
    m_field = -1;
    m_lookup.start_row();
    m_level = Level::row;
    return true;
  default:
    return nested_value("an object");
  }
}

template <typename Traits>
bool RowsHandler<Traits>::end_object() {
  if (m_skip_depth > 0) {
    --m_skip_depth;
    return true;
  }
  if (m_level == Level::row) {
    m_level = Level::out_block;
    return finish_row();
  }
  m_level = Level::done;
  return true;
}

template <typename Traits>
bool RowsHandler<Traits>::start_array(std::size_t /*size*/) {
  if (m_skip_depth > 0) {
    ++m_skip_depth;
    return true;
  }
  switch (m_level) {
  case Level::document:
    return fail_shape("the body is a JSON array, not an object with OutBlock_1");
  case Level::top:
    if (m_top_key == TopKey::out_block) {
      m_seen_out_block = true;
      m_level = Level::out_block;
      return true;
    }
    return nested_value("an array");
  case Level::out_block:
    return fail_shape("element " + std::to_string(m_element + 1) +
                      " of OutBlock_1 is an array, not a row object");
  default:
    return nested_value("an array");
  }
}

template <typename Traits>
bool RowsHandler<Traits>::end_array() {
  if (m_skip_depth > 0) {
    --m_skip_depth;
    return true;
  }
  if (m_level == Level::out_block) {
    m_level = Level::top;
  }
  return true;
}

template <typename Traits>
bool RowsHandler<Traits>::key(json::string_t& key) {
  if (m_skip_depth > 0) {
    return true;
  }
  if (m_level == Level::row) {
    m_field = m_lookup.find(key);
  } else if (m_level == Level::top) {
    if (key == "OutBlock_1") {
      m_top_key = TopKey::out_block;
    } else if (key == "respCode") {
      m_top_key = TopKey::resp_code;
    } else if (key == "respMsg") {
      m_top_key = TopKey::resp_msg;
    } else {
      m_top_key = TopKey::other;
    }
  }
  return true;
}

template <typename Traits>
bool RowsHandler<Traits>::finish_row() {
  if (m_bad_field.empty()) {
    return true;
  }
  const auto& id = Traits::identity(m_rows.back());
  std::string where = "row " + std::to_string(m_element);
  if (!id.empty()) {
    where += " (" + std::string(Traits::k_identity) + " '" + excerpt(id, 40) + "')";
  }
  return fail(BodyProblem::bad_value, where + ": " + m_bad_message);
}

// ---------------------------------------------------------------------------------------------
// Whole bodies
// ---------------------------------------------------------------------------------------------

std::string_view skip_leading_space(std::string_view body) {
  if (body.substr(0, 3) == "\xEF\xBB\xBF") { // UTF-8 byte-order mark
    body.remove_prefix(3);
  }
  while (!body.empty() && (body.front() == ' ' || body.front() == '\t' || body.front() == '\n' ||
                           body.front() == '\r')) {
    body.remove_prefix(1);
  }
  return body;
}

char lower_ascii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::size_t find_ascii_nocase(std::string_view text, std::string_view needle,
                              std::size_t from = 0) {
  if (needle.size() > text.size()) {
    return std::string_view::npos;
  }
  for (std::size_t i = from; i + needle.size() <= text.size(); ++i) {
    std::size_t k = 0;
    while (k < needle.size() && lower_ascii(text[i + k]) == needle[k]) {
      ++k;
    }
    if (k == needle.size()) {
      return i;
    }
  }
  return std::string_view::npos;
}

// Describes an HTML body by its <title> when it has one, else by its first bytes.
std::string describe_html(std::string_view body) {
  const auto head = body.substr(0, 4096);
  const auto open = find_ascii_nocase(head, "<title");
  if (open != std::string_view::npos) {
    const auto gt = head.find('>', open);
    const auto close = find_ascii_nocase(head, "</title", open);
    if (gt != std::string_view::npos && close != std::string_view::npos && gt < close) {
      const auto title = excerpt(head.substr(gt + 1, close - gt - 1), 80);
      if (!title.empty()) {
        return "an HTML page instead of JSON (title '" + title + "')";
      }
    }
  }
  return "an HTML page instead of JSON: '" + excerpt(body) + "'";
}

std::string tail_excerpt(std::string_view body, std::size_t max_bytes) {
  if (body.size() <= max_bytes) {
    return excerpt(body, max_bytes);
  }
  auto start = body.size() - max_bytes;
  while (start < body.size() && (static_cast<unsigned char>(body[start]) & 0xC0U) == 0x80U) {
    ++start; // do not start inside a UTF-8 character
  }
  return "..." + excerpt(body.substr(start), max_bytes);
}

Failure syntax_failure(std::string_view body, std::size_t position, std::string_view what) {
  // nlohmann counts the end of input as one character: a position past the last byte means
  // the parser ran out of input while a value was still open.
  if (position > body.size()) {
    return {BodyProblem::truncated, "JSON that ends early (truncated after " +
                                        std::to_string(body.size()) + " bytes, ending '" +
                                        tail_excerpt(body, 60) + "')"};
  }
  // "[json.exception.parse_error.101] parse error at line 1, column 9: syntax error ..."
  constexpr std::string_view k_prefix = "parse error at ";
  const auto at = what.find(k_prefix);
  const auto reason = at == std::string_view::npos ? what : what.substr(at + k_prefix.size());
  return {BodyProblem::invalid_json, "invalid JSON (" + excerpt(reason, 160) +
                                         "); the body starts with '" + excerpt(body, 60) + "'"};
}

template <typename Traits>
ParseResult<std::vector<typename Traits::Row>> parse_rows(std::string_view body) {
  const auto content = skip_leading_space(body);
  if (content.empty()) {
    return Failure{BodyProblem::empty, "an empty body (" + std::to_string(body.size()) +
                                           " bytes of whitespace or nothing)"};
  }
  if (content.front() == '<') {
    return Failure{BodyProblem::html, describe_html(content)};
  }

  std::vector<typename Traits::Row> rows;
  rows.reserve(body.size() / 400); // a row is 330-450 bytes on the wire
  RowsHandler<Traits> handler(rows);
  if (!json::sax_parse(body.begin(), body.end(), &handler)) {
    if (handler.m_failure) {
      return std::move(*handler.m_failure);
    }
    return syntax_failure(body, handler.m_syntax_position.value_or(0), handler.m_syntax_message);
  }
  if (!handler.m_seen_out_block) {
    if (handler.m_resp_code || handler.m_resp_msg) {
      return Failure{BodyProblem::error_object, "a KRX error answer instead of rows: respCode '" +
                                                    handler.m_resp_code.value_or("") +
                                                    "', respMsg '" +
                                                    handler.m_resp_msg.value_or("") + "'"};
    }
    return Failure{BodyProblem::no_out_block, "JSON without OutBlock_1: '" + excerpt(body) + "'"};
  }
  return rows;
}

} // namespace

std::string_view to_string(BodyProblem problem) {
  switch (problem) {
  case BodyProblem::empty:
    return "empty";
  case BodyProblem::html:
    return "html";
  case BodyProblem::truncated:
    return "truncated";
  case BodyProblem::invalid_json:
    return "invalid_json";
  case BodyProblem::no_out_block:
    return "no_out_block";
  case BodyProblem::error_object:
    return "error_object";
  case BodyProblem::bad_value:
    return "bad_value";
  }
  return "?";
}

ParseResult<std::vector<PriceRow>> parse_price_rows(std::string_view body) {
  // The flat scanner reads KRX's usual answers several times faster than the SAX parser and
  // gives the same rows; anything else (and every failure) goes through the SAX parser.
  if (auto rows = scan_flat_price_rows(body)) {
    return std::move(*rows);
  }
  return parse_rows<PriceTraits>(body);
}

ParseResult<std::vector<IndexRow>> parse_index_rows(std::string_view body) {
  if (auto rows = scan_flat_index_rows(body)) {
    return std::move(*rows);
  }
  return parse_rows<IndexTraits>(body);
}

ParseResult<std::vector<PriceRow>> parse_price_rows_sax(std::string_view body) {
  return parse_rows<PriceTraits>(body);
}

ParseResult<std::vector<IndexRow>> parse_index_rows_sax(std::string_view body) {
  return parse_rows<IndexTraits>(body);
}

std::optional<ApiError> parse_api_error(std::string_view body) {
  const auto content = skip_leading_space(body);
  if (content.empty() || content.front() != '{') {
    return std::nullopt;
  }
  std::vector<IndexRow> ignored;
  RowsHandler<IndexTraits> handler(ignored);
  // A failure after respCode/respMsg were read (a bad row, a cut body) still names the error.
  (void)json::sax_parse(body.begin(), body.end(), &handler);
  if (!handler.m_resp_code && !handler.m_resp_msg) {
    return std::nullopt;
  }
  return ApiError{handler.m_resp_code.value_or(""), handler.m_resp_msg.value_or("")};
}

std::string excerpt(std::string_view text, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes) + 3);
  bool space_pending = false;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c <= 0x20 || c == 0x7F) {
      space_pending = !out.empty();
      ++i;
      continue;
    }
    const std::size_t len = utf8_length(text, i);
    const std::size_t emitted = (space_pending ? 1 : 0) + (len == 0 ? 1 : len);
    if (out.size() + emitted > max_bytes) {
      out += "...";
      return out;
    }
    if (space_pending) {
      out += ' ';
      space_pending = false;
    }
    if (len == 0) {
      out += '?';
      ++i;
    } else {
      out.append(text.substr(i, len));
      i += len;
    }
  }
  return out;
}

} // namespace krxbatch::market
