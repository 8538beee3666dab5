// The daily report's e-mail as an RFC 5322 message (pure): multipart/alternative of a
// text/plain part and a multipart/related part holding the HTML and its charts (PNG, inline,
// referred to by Content-ID), all base64 except the headers. UTF-8 throughout; a subject
// that is not ASCII is encoded as RFC 2047 words.
#pragma once

#include "krxbatch/core/date.hpp"

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace krxbatch::ops {

// Base64 (RFC 4648) of `bytes`, in lines of 76 characters joined by CRLF when `wrap`.
std::string base64(std::string_view bytes, bool wrap = false);

struct MailImage {
  std::string content_id; // "kospi" (referred to as cid:kospi)
  std::string filename;   // "kospi.png"
  std::string png;
};

struct MailMessage {
  std::string from;
  std::vector<std::string> to;
  std::string subject;
  std::string text;
  std::string html;
  std::vector<MailImage> images;
  core::KstTime date;
  std::string message_id_domain; // after the @ of Message-ID (the sender's domain)
};

// The whole message, CRLF line ends, ready for SMTP DATA (lines are at most 78 characters;
// no line is a lone ".").
std::string mail_text(const MailMessage& message);

} // namespace krxbatch::ops
