#include "krxbatch/ops/notifier.hpp"

#include "krxbatch/util/log.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace krxbatch::ops {
namespace {

constexpr std::size_t k_max_ping_body = 10'000; // Healthchecks keeps the first 10 KB

// `url` with every "{job}" replaced by the job's name.
std::string for_job(const std::string& url, std::string_view job) {
  constexpr std::string_view k_placeholder = "{job}";
  std::string out;
  std::size_t pos = 0;
  for (auto at = url.find(k_placeholder); at != std::string::npos;
       at = url.find(k_placeholder, pos)) {
    out.append(url, pos, at - pos).append(job);
    pos = at + k_placeholder.size();
  }
  return out.append(url, pos);
}

} // namespace

Notifier::Notifier(fetch::NotifyClient& client, NotifyTargets targets)
    : m_client(client), m_targets(std::move(targets)) {}

bool Notifier::deliver(std::string_view job, std::string_view what,
                       const fetch::NotifyRequest& request) {
  try {
    const auto result = m_client.send(request);
    if (!result) {
      spdlog::warn("{}: {} to {} failed: {}; the job's outcome is unchanged", job, what,
                   fetch::url_host(request.url), util::redact(result.failure().message));
      return false;
    }
    const auto status = result.value().status;
    if (status < 200 || status >= 300) {
      spdlog::warn("{}: {} to {} was answered HTTP {}; the job's outcome is unchanged", job, what,
                   fetch::url_host(request.url), status);
      return false;
    }
    spdlog::debug("{}: {} sent to {}", job, what, fetch::url_host(request.url));
    return true;
  } catch (const std::exception& e) {
    spdlog::warn("{}: {} to {} failed: {}; the job's outcome is unchanged", job, what,
                 fetch::url_host(request.url), util::redact(e.what()));
    return false;
  }
}

void Notifier::ping_start(std::string_view job) {
  if (m_targets.ping_start_url.empty()) {
    return;
  }
  deliver(job, "the start ping", {"GET", for_job(m_targets.ping_start_url, job), {}, {}});
}

void Notifier::ping_end(std::string_view job, bool success, const std::string& summary) {
  const auto& url = success ? m_targets.ping_success_url : m_targets.ping_fail_url;
  if (url.empty()) {
    return;
  }
  auto body = util::redact(summary);
  if (body.size() > k_max_ping_body) {
    body.resize(k_max_ping_body);
  }
  deliver(job, success ? "the success ping" : "the fail ping",
          {"POST", for_job(url, job), "text/plain; charset=utf-8", std::move(body)});
}

bool Notifier::post_text(std::string_view job, const std::string& text) {
  if (m_targets.webhook_url.empty() || m_webhook_dead) {
    return false;
  }
  const fetch::NotifyRequest request{"POST", m_targets.webhook_url, "application/json",
                                     webhook_body(util::redact(text))};
  const auto result = deliver(job, "the webhook message", request);
  if (!result) {
    m_webhook_dead = true;
  }
  return result;
}

int Notifier::post_alerts(std::string_view job, const std::vector<store::Alert>& alerts) {
  int delivered = 0;
  const auto n = static_cast<int>(alerts.size());
  for (int i = 0; i < n; ++i) {
    auto text = alert_text(alerts[static_cast<std::size_t>(i)], m_targets.origin);
    if (i == k_max_webhook_messages - 1 && n > k_max_webhook_messages) {
      text += "\n... and " + std::to_string(n - i - 1) +
              " more alert(s): run `krxbatch alerts` on the host";
      delivered += post_text(job, text) ? 1 : 0;
      break;
    }
    delivered += post_text(job, text) ? 1 : 0;
    if (m_webhook_dead) {
      spdlog::warn("{}: {} more webhook message(s) not sent", job, n - i - 1);
      break;
    }
  }
  return delivered;
}

std::string alert_text(const store::Alert& alert, std::string_view origin) {
  std::string text = "[" + std::string(store::to_string(alert.severity)) + "] ";
  if (!alert.job.empty()) {
    text += alert.job + " ";
  }
  text += alert.rule + ": " + alert.message + " (alert #" + std::to_string(alert.id) +
          "; `krxbatch alerts --ack " + std::to_string(alert.id) + "` when handled)";
  if (!origin.empty()) {
    text += " - " + std::string(origin);
  }
  return text;
}

std::string webhook_body(std::string_view text) {
  // Invalid UTF-8 (a truncated name from a log) is replaced rather than failing the dump.
  return nlohmann::json{{"text", std::string(text)}}.dump(-1, ' ', false,
                                                          nlohmann::json::error_handler_t::replace);
}

} // namespace krxbatch::ops
