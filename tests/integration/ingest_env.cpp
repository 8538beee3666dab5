#include "ingest_env.hpp"

#include <nlohmann/json.hpp>

#include <set>
#include <stdexcept>
#include <unistd.h>

namespace krxbatch::test {

IngestEnv::IngestEnv(std::string now, std::vector<std::string> fake_args) : m_now(std::move(now)) {
  std::string templ = (std::filesystem::temp_directory_path() / "krxbatch-ingest-XXXXXX").string();
  if (::mkdtemp(templ.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  m_dir = templ;
  fake_args.insert(fake_args.begin(), {"--now", m_now});
  m_fake = std::make_unique<FakeKrx>(fake_args);
}

IngestEnv::~IngestEnv() {
  m_fake.reset();
  std::error_code ec;
  std::filesystem::remove_all(m_dir, ec);
}

void IngestEnv::set_now(const std::string& now) {
  m_now = now;
  m_fake->set_clock(now);
}

SpawnOptions IngestEnv::options(const std::string& db_path) const {
  SpawnOptions o;
  o.env = {{"KRXBATCH_DB", db_path.empty() ? db() : db_path},
           {"KRXBATCH_NOW", m_now},
           {"KRXBATCH_HOLIDAYS", (source_dir() / "holidays").string()},
           {"KRX_API_BASE_URL", m_fake->base_url()},
           {"KRX_AUTH_KEY", std::string(k_secret_key)},
           {"KRXBATCH_RETRY_SCALE", "0.0001"}};
  return o;
}

ProcessResult IngestEnv::run(
    const std::vector<std::string>& args,
    const std::vector<std::pair<std::string, std::optional<std::string>>>& extra_env) const {
  auto o = options();
  for (const auto& e : extra_env) {
    std::erase_if(o.env, [&](const auto& existing) { return existing.first == e.first; });
    o.env.push_back(e);
  }
  std::vector<std::string> argv = {krxbatch_binary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return test::run(argv, o);
}

Child IngestEnv::spawn(const std::vector<std::string>& args, const std::string& db_path) const {
  std::vector<std::string> argv = {krxbatch_binary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return Child::spawn(argv, options(db_path));
}

std::string IngestEnv::digest(const std::string& db_path) const {
  auto o = options(db_path);
  const auto r =
      test::run({krxbatch_binary().string(), "--json", "--log-level", "warn", "digest"}, o);
  if (r.exit_code != 0) {
    throw std::runtime_error("digest failed: " + r.err);
  }
  return nlohmann::json::parse(r.out)["sha256"].get<std::string>();
}

SQLite::Database IngestEnv::open() const {
  return SQLite::Database(db(), SQLite::OPEN_READWRITE);
}

std::set<std::string> requested_days(FakeKrx& fake) {
  std::set<std::string> days;
  for (const auto& e : nlohmann::json::parse(fake.requests())) {
    days.insert(e.value("basDd", ""));
  }
  return days;
}

int request_count(FakeKrx& fake, std::string_view api, std::string_view bas_dd) {
  int n = 0;
  for (const auto& e : nlohmann::json::parse(fake.requests())) {
    n += e.value("api", "") == api && e.value("basDd", "") == bas_dd ? 1 : 0;
  }
  return n;
}

} // namespace krxbatch::test
