// Sending one e-mail through an SMTP relay with libcurl (the daily report's mail).
//
// Transport security follows the URL: `smtps://host[:465]` is TLS from the first byte;
// `smtp://host[:587]` must upgrade with STARTTLS (a relay that does not offer it is refused);
// only a relay on a loopback address (127.0.0.0/8, ::1, localhost) may be spoken to in plain
// text over `smtp://`. Certificates and host names are always verified. The password goes to
// libcurl only: it is never logged and never part of a message; failure messages name the
// relay's host and port, not the URL.
//
// MailSender is the seam; CurlMailSender is used from one thread at a time.
#pragma once

#include "krxbatch/core/result.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace krxbatch::fetch {

struct MailEnvelope {
  std::string url;      // smtps://... or smtp://...
  std::string user;     // empty: no login
  std::string password; // secret
  std::string from;
  std::vector<std::string> to;
};

enum class MailFailure {
  refused_url, // plain smtp:// to a relay that is not on loopback, or not an SMTP URL
  transport,   // could not connect, TLS failed, the relay refused the sender, a recipient
               // or the message, or timed out
};

struct MailSent {
  std::string relay; // host:port, for the log line
};

class MailSender {
public:
  virtual ~MailSender() = default;
  // Sends `message` (a whole RFC 5322 message, CRLF line ends) to every recipient.
  virtual core::Result<MailSent, MailFailure> send(const MailEnvelope& envelope,
                                                   const std::string& message) = 0;
};

struct MailOptions {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds total_timeout{60'000};
};

class CurlMailSender final : public MailSender {
public:
  explicit CurlMailSender(MailOptions options = {});
  core::Result<MailSent, MailFailure> send(const MailEnvelope& envelope,
                                           const std::string& message) override;

private:
  MailOptions m_options;
};

// Whether `url`'s host is a loopback address or `localhost` (plain SMTP is allowed there).
bool is_loopback_url(const std::string& url);

} // namespace krxbatch::fetch
