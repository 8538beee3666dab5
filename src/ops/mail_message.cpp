#include "krxbatch/ops/mail_message.hpp"

#include "krxbatch/util/sha256.hpp"

#include <array>

namespace krxbatch::ops {
namespace {

constexpr std::string_view k_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

bool is_ascii(std::string_view s) {
  for (const char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80 || c == '\r' || c == '\n') {
      return false;
    }
  }
  return true;
}

// RFC 2047 encoded words of at most ~45 bytes each (whole UTF-8 sequences), so that each
// header line stays under 78 characters.
std::string encoded_header(std::string_view text) {
  if (is_ascii(text)) {
    return std::string(text);
  }
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = std::min(text.size(), pos + 45);
    while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0U) == 0x80U) {
      --end;
    }
    out += (out.empty() ? "" : "\r\n ") + std::string("=?UTF-8?B?") +
           base64(text.substr(pos, end - pos)) + "?=";
    pos = end;
  }
  return out;
}

// RFC 5322 date of a KST instant: "Mon, 01 Jul 2024 07:30:00 +0900".
std::string mail_date(const core::KstTime& t) {
  static constexpr std::array<const char*, 7> days = {"Sun", "Mon", "Tue", "Wed",
                                                      "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto d = t.date();
  const auto tod = t.time_of_day();
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0900",
                days[static_cast<std::size_t>(d.day_of_week().as_number())],
                static_cast<int>(d.day()), months[static_cast<std::size_t>(d.month() - 1)],
                static_cast<int>(d.year()), static_cast<int>(tod.hours()),
                static_cast<int>(tod.minutes()), static_cast<int>(tod.seconds()));
  return buf;
}

std::string part(std::string_view headers, std::string_view body) {
  return std::string(headers) + "Content-Transfer-Encoding: base64\r\n\r\n" + base64(body, true) +
         "\r\n";
}

} // namespace

std::string base64(std::string_view bytes, bool wrap) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4 + bytes.size() / 57 * 2 + 4);
  std::size_t line = 0;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const auto b0 = static_cast<unsigned char>(bytes[i]);
    const auto b1 = i + 1 < bytes.size() ? static_cast<unsigned char>(bytes[i + 1]) : 0U;
    const auto b2 = i + 2 < bytes.size() ? static_cast<unsigned char>(bytes[i + 2]) : 0U;
    const unsigned n = (static_cast<unsigned>(b0) << 16U) | (b1 << 8U) | b2;
    out += k_alphabet[(n >> 18U) & 63U];
    out += k_alphabet[(n >> 12U) & 63U];
    out += i + 1 < bytes.size() ? k_alphabet[(n >> 6U) & 63U] : '=';
    out += i + 2 < bytes.size() ? k_alphabet[n & 63U] : '=';
    line += 4;
    if (wrap && line >= 76 && i + 3 < bytes.size()) {
      out += "\r\n";
      line = 0;
    }
  }
  return out;
}

std::string mail_text(const MailMessage& m) {
  // Boundaries from a digest of the content: they cannot occur inside base64 text (they hold
  // '_' and '='), and the same message gets the same boundaries (tests compare).
  const auto tag = util::sha256_hex(m.subject + m.text).substr(0, 24);
  const std::string outer = "=_alt_" + tag;
  const std::string related = "=_rel_" + tag;
  std::string to;
  for (const auto& r : m.to) {
    to += (to.empty() ? "" : ",\r\n ") + r;
  }
  std::string out = "From: " + m.from + "\r\nTo: " + to +
                    "\r\nSubject: " + encoded_header(m.subject) + "\r\nDate: " + mail_date(m.date) +
                    "\r\nMessage-ID: <krxbatch." + tag + "@" + m.message_id_domain +
                    ">\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; "
                    "boundary=\"" +
                    outer + "\"\r\n\r\nThis is a MIME message.\r\n";
  out += "--" + outer + "\r\n";
  out += part("Content-Type: text/plain; charset=UTF-8\r\n", m.text);
  out += "--" + outer + "\r\nContent-Type: multipart/related; boundary=\"" + related + "\"\r\n\r\n";
  out += "--" + related + "\r\n";
  out += part("Content-Type: text/html; charset=UTF-8\r\n", m.html);
  for (const auto& img : m.images) {
    out += "--" + related + "\r\n";
    out += part("Content-Type: image/png; name=\"" + img.filename + "\"\r\nContent-ID: <" +
                    img.content_id + ">\r\nContent-Disposition: inline; filename=\"" +
                    img.filename + "\"\r\n",
                img.png);
  }
  out += "--" + related + "--\r\n";
  out += "--" + outer + "--\r\n";
  return out;
}

} // namespace krxbatch::ops
