#include "krxbatch/market/flat_scanner.hpp"

#include "row_fields.hpp"

#include <array>
#include <cstddef>

namespace krxbatch::market {
namespace {

// What a byte inside a JSON string means to the scanner.
enum class ByteClass : unsigned char {
  plain,     // printable ASCII other than '"' and '\\'
  quote,     // the end of the string
  give_up,   // '\\' (an escape: the general parser decodes it) or a control character
  multibyte, // the lead byte of a UTF-8 sequence (validated) or a stray byte (invalid)
};

constexpr std::array<ByteClass, 256> make_byte_classes() {
  std::array<ByteClass, 256> classes{};
  for (std::size_t b = 0; b < classes.size(); ++b) {
    if (b < 0x20 || b == '\\') {
      classes[b] = ByteClass::give_up;
    } else if (b == '"') {
      classes[b] = ByteClass::quote;
    } else if (b >= 0x80) {
      classes[b] = ByteClass::multibyte;
    } else {
      classes[b] = ByteClass::plain;
    }
  }
  return classes;
}

constexpr std::array<ByteClass, 256> k_byte_classes = make_byte_classes();

template <typename Traits>
class FlatScanner {
public:
  using Row = typename Traits::Row;

  explicit FlatScanner(std::string_view body)
      : m_p(body.data()), m_end(body.data() + body.size()) {}

  // Every step returns false as soon as the body leaves the flat shape.
  bool scan(std::vector<Row>& rows) {
    std::string_view key;
    if (!punct('{') || !string_token(key) || key != "OutBlock_1" || !punct(':') || !punct('[')) {
      return false;
    }
    skip_space();
    if (m_p != m_end && *m_p == ']') {
      ++m_p;
    } else {
      for (;;) {
        if (!punct('{')) {
          return false;
        }
        rows.emplace_back();
        if (!scan_row(rows.back())) {
          return false;
        }
        skip_space();
        if (m_p == m_end) {
          return false;
        }
        const char c = *m_p++;
        if (c == ']') {
          break;
        }
        if (c != ',') {
          return false;
        }
      }
    }
    if (!punct('}')) {
      return false;
    }
    skip_space();
    return m_p == m_end;
  }

private:
  // After the row's '{': `"key":"value"` pairs up to its '}'.
  bool scan_row(Row& row) {
    skip_space();
    if (m_p != m_end && *m_p == '}') {
      ++m_p;
      return true;
    }
    m_lookup.start_row();
    for (;;) {
      std::string_view key;
      std::string_view value;
      if (!string_token(key) || !punct(':') || !string_token(value)) {
        return false;
      }
      const int field = m_lookup.find(key);
      if (field >= 0 && !Traits::k_fields[static_cast<std::size_t>(field)].assign(row, value)) {
        return false; // the general parser names the field, the row and the value
      }
      skip_space();
      if (m_p == m_end) {
        return false;
      }
      const char c = *m_p++;
      if (c == '}') {
        return true;
      }
      if (c != ',') {
        return false;
      }
    }
  }

  void skip_space() {
    while (m_p != m_end && (*m_p == ' ' || *m_p == '\n' || *m_p == '\r' || *m_p == '\t')) {
      ++m_p;
    }
  }

  bool punct(char c) {
    skip_space();
    if (m_p == m_end || *m_p != c) {
      return false;
    }
    ++m_p;
    return true;
  }

  // A string after optional whitespace, without its quotes; false unless it is a valid JSON
  // string that needs no decoding.
  bool string_token(std::string_view& out) {
    skip_space();
    if (m_p == m_end || *m_p != '"') {
      return false;
    }
    const char* const start = ++m_p;
    for (;;) {
      if (m_p == m_end) {
        return false;
      }
      switch (k_byte_classes[static_cast<unsigned char>(*m_p)]) {
      case ByteClass::plain:
        ++m_p;
        continue;
      case ByteClass::quote:
        out = std::string_view(start, static_cast<std::size_t>(m_p - start));
        ++m_p;
        return true;
      case ByteClass::give_up:
        return false;
      case ByteClass::multibyte: {
        const std::size_t n =
            detail::utf8_length(std::string_view(m_p, static_cast<std::size_t>(m_end - m_p)), 0);
        if (n == 0) {
          return false;
        }
        m_p += n;
        continue;
      }
      }
    }
  }

  const char* m_p;
  const char* const m_end;
  detail::FieldLookup<Traits> m_lookup; // the same lookup as the general parser's
};

template <typename Traits>
std::optional<std::vector<typename Traits::Row>> scan(std::string_view body) {
  std::vector<typename Traits::Row> rows;
  rows.reserve(body.size() / 320); // a compact row is 330-450 bytes on the wire
  FlatScanner<Traits> scanner(body);
  if (!scanner.scan(rows)) {
    return std::nullopt;
  }
  return rows;
}

} // namespace

std::optional<std::vector<PriceRow>> scan_flat_price_rows(std::string_view body) {
  return scan<detail::PriceTraits>(body);
}

std::optional<std::vector<IndexRow>> scan_flat_index_rows(std::string_view body) {
  return scan<detail::IndexTraits>(body);
}

} // namespace krxbatch::market
