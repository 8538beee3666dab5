#include "staged_rows.hpp"

#include "krxbatch/core/error.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace krxbatch::store::staged {

namespace {

constexpr unsigned char k_version = 1;
// Two text lengths, the presence byte and five numbers of one byte each.
constexpr std::size_t k_min_row_bytes = 8;

// Bits of a row's presence byte: which optional columns follow.
constexpr unsigned k_open = 1U << 0U;
constexpr unsigned k_high = 1U << 1U;
constexpr unsigned k_low = 1U << 2U;
constexpr unsigned k_change = 1U << 3U;
constexpr unsigned k_change_rate = 1U << 4U;
constexpr unsigned k_section = 1U << 5U;

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80U) {
    out.push_back(static_cast<char>((v & 0x7FU) | 0x80U));
    v >>= 7U;
  }
  out.push_back(static_cast<char>(v));
}

void put_int(std::string& out, std::int64_t v) {
  // Zigzag: small negative changes stay one or two bytes.
  const auto u = static_cast<std::uint64_t>(v);
  put_varint(out, (u << 1U) ^ (v < 0 ? ~std::uint64_t{0} : std::uint64_t{0}));
}

void put_text(std::string& out, std::string_view s) {
  put_varint(out, s.size());
  out.append(s);
}

} // namespace

core::Error damaged(std::string_view what) {
  return core::failure("a staged session in daily_prices_staging is damaged (" + std::string(what) +
                       "); run `krxbatch verify`, then restore the latest backup with "
                       "`krxbatch restore FILE` (nothing was changed)");
}

namespace {

std::uint64_t get_varint(std::string_view& in) {
  std::uint64_t v = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    if (in.empty()) {
      throw damaged("a number runs past the end");
    }
    const auto byte = static_cast<unsigned char>(in.front());
    in.remove_prefix(1);
    v |= static_cast<std::uint64_t>(byte & 0x7FU) << shift;
    if ((byte & 0x80U) == 0) {
      return v;
    }
  }
  throw damaged("a number is longer than 64 bits");
}

std::int64_t get_int(std::string_view& in) {
  const auto u = get_varint(in);
  return static_cast<std::int64_t>((u >> 1U) ^ (~(u & 1U) + 1U));
}

void get_text(std::string_view& in, std::string& out) {
  const auto n = get_varint(in);
  if (n > in.size()) {
    throw damaged("a text runs past the end");
  }
  out.assign(in.data(), static_cast<std::size_t>(n));
  in.remove_prefix(static_cast<std::size_t>(n));
}

std::int64_t required(const std::optional<std::int64_t>& v, const market::PriceRow& row,
                      std::string_view column) {
  if (!v) {
    throw core::failure("row " + row.ticker + " has no " + std::string(column) +
                        ", which daily_prices requires; the day was not stored (report this: "
                        "validation should have rejected the row)");
  }
  return *v;
}

} // namespace

std::optional<std::int64_t> stored_price(const std::optional<std::int64_t>& v,
                                         const market::PriceRow& row) {
  if (v && *v == 0 && row.volume.value_or(0) == 0) {
    return std::nullopt;
  }
  return v;
}

void to_stored(const market::PriceRow& in, Row& out) {
  out.ticker.assign(in.ticker);
  out.name.assign(in.name);
  out.open = stored_price(in.open, in);
  out.high = stored_price(in.high, in);
  out.low = stored_price(in.low, in);
  out.close = required(in.close, in, "close");
  out.volume = required(in.volume, in, "volume");
  out.value = required(in.value, in, "value");
  out.market_cap = required(in.market_cap, in, "market_cap");
  out.listed_shares = required(in.listed_shares, in, "listed_shares");
  out.change = in.change;
  out.change_rate = in.change_rate;
  if (in.section) {
    if (!out.section) {
      out.section.emplace();
    }
    out.section->assign(*in.section);
  } else {
    out.section.reset();
  }
}

std::string encode(std::span<const market::PriceRow* const> rows) {
  std::string out;
  out.reserve(8 + rows.size() * 64);
  out.push_back(static_cast<char>(k_version));
  put_varint(out, rows.size());
  Row r;
  for (const auto* in : rows) {
    to_stored(*in, r);
    put_text(out, r.ticker);
    put_text(out, r.name);
    unsigned present = 0;
    present |= r.open ? k_open : 0U;
    present |= r.high ? k_high : 0U;
    present |= r.low ? k_low : 0U;
    present |= r.change ? k_change : 0U;
    present |= r.change_rate ? k_change_rate : 0U;
    present |= r.section ? k_section : 0U;
    out.push_back(static_cast<char>(present));
    for (const auto v : {r.close, r.volume, r.value, r.market_cap, r.listed_shares}) {
      put_int(out, v);
    }
    for (const auto* v : {&r.open, &r.high, &r.low, &r.change}) {
      if (*v) {
        put_int(out, **v);
      }
    }
    if (r.change_rate) {
      const auto bits = std::bit_cast<std::uint64_t>(*r.change_rate);
      for (unsigned i = 0; i < 8; ++i) {
        out.push_back(static_cast<char>((bits >> (8U * i)) & 0xFFU));
      }
    }
    if (r.section) {
      put_text(out, *r.section);
    }
  }
  return out;
}

namespace {

// The header of a packed value: the version byte and the row count, checked against the
// `bytes` the value holds in all. Returns the count.
std::size_t decode_header(std::string_view& in, std::uint64_t bytes) {
  if (in.empty() || static_cast<unsigned char>(in.front()) != k_version) {
    throw damaged("unknown format version");
  }
  in.remove_prefix(1);
  const auto count = get_varint(in);
  // A row takes at least k_min_row_bytes: a count the value cannot hold is damage, not a
  // reason to trust it (callers add counts up).
  if (count > bytes / k_min_row_bytes) {
    throw damaged("it counts more rows than it can hold");
  }
  return static_cast<std::size_t>(count);
}

// Decodes one row from the front of `in`. A row cut short throws (decoding a prefix of the
// bytes never yields a different row): the stream reader's cue to read more.
void decode_row(std::string_view& in, Row& out) {
  get_text(in, out.ticker);
  get_text(in, out.name);
  if (in.empty()) {
    throw damaged("a row ends early");
  }
  const unsigned present = static_cast<unsigned char>(in.front());
  in.remove_prefix(1);
  out.close = get_int(in);
  out.volume = get_int(in);
  out.value = get_int(in);
  out.market_cap = get_int(in);
  out.listed_shares = get_int(in);
  const auto optional_int = [&](unsigned bit) {
    return (present & bit) != 0 ? std::optional(get_int(in)) : std::nullopt;
  };
  out.open = optional_int(k_open);
  out.high = optional_int(k_high);
  out.low = optional_int(k_low);
  out.change = optional_int(k_change);
  if ((present & k_change_rate) != 0) {
    if (in.size() < 8) {
      throw damaged("a row ends early");
    }
    std::uint64_t bits = 0;
    for (unsigned i = 0; i < 8; ++i) {
      bits |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[i])) << (8U * i);
    }
    in.remove_prefix(8);
    out.change_rate = std::bit_cast<double>(bits);
  } else {
    out.change_rate.reset();
  }
  if ((present & k_section) != 0) {
    if (!out.section) {
      out.section.emplace();
    }
    get_text(in, *out.section);
  } else {
    out.section.reset();
  }
}

} // namespace

Reader::Reader(std::string_view blob) : m_rest(blob) {
  m_size = decode_header(m_rest, m_rest.size());
}

bool Reader::next(Row& out) {
  if (m_read == m_size) {
    if (!m_rest.empty()) {
      throw damaged("bytes after the last row");
    }
    return false;
  }
  decode_row(m_rest, out);
  ++m_read;
  return true;
}

StreamReader::StreamReader(const util::ScratchFile& file, std::uint64_t offset,
                           std::uint64_t length, std::size_t window)
    : m_file(&file), m_next(offset), m_left(length),
      m_buffer(std::max<std::size_t>(window, 64), '\0') {
  fill();
  m_size = decode_header(m_rest, length);
}

void StreamReader::fill() {
  const auto keep = m_rest.size();
  if (keep != 0 && m_rest.data() != m_buffer.data()) {
    std::memmove(m_buffer.data(), m_rest.data(), keep);
  }
  const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(m_left, m_buffer.size() - keep));
  m_file->read(m_next, {m_buffer.data() + keep, n});
  m_next += n;
  m_left -= n;
  m_rest = std::string_view(m_buffer.data(), keep + n);
}

bool StreamReader::next(Row& out) {
  if (m_read == m_size) {
    if (!m_rest.empty() || m_left != 0) {
      throw damaged("bytes after the last row");
    }
    return false;
  }
  if (m_left != 0 && m_rest.size() < m_buffer.size() / 2) {
    fill();
  }
  for (;;) {
    auto rest = m_rest;
    try {
      decode_row(rest, out);
      m_rest = rest;
      ++m_read;
      return true;
    } catch (const core::Error&) {
      if (m_left == 0) {
        throw; // every byte of the value is in the window: the damage is real
      }
      // A row longer than half the window: widen it and read on.
      const auto at = static_cast<std::size_t>(m_rest.data() - m_buffer.data());
      const auto size = m_rest.size();
      m_buffer.resize(m_buffer.size() * 2);
      m_rest = std::string_view(m_buffer.data() + at, size);
      fill();
    }
  }
}

} // namespace krxbatch::store::staged
