// Secrets (DESIGN §3): KRX_AUTH_KEY never appears — not even a part of it — in logs at any
// level (libcurl's trace included), in status, alerts, errors, the database or its WAL, also
// when KRX answers errors and when the server echoes the key back; and the files krxbatch
// creates that could hold it are owner-only.
#include "reliability.hpp"
#include "support/http_receiver.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <sys/stat.h>

using namespace krxbatch;
using namespace krxbatch::test;
using namespace krxbatch::test::rel;

namespace {

// Any 10-byte piece of the key is as good as a leak: an excerpt cut in the middle of an echoed
// key must not show its first half.
constexpr std::size_t k_fragment = 10;

std::string fragments_in(std::string_view text, std::string_view where) {
  const std::string_view key = k_secret_key;
  for (std::size_t i = 0; i + k_fragment <= key.size(); ++i) {
    const auto piece = key.substr(i, k_fragment);
    if (const auto pos = text.find(piece); pos != std::string_view::npos) {
      const auto from = pos > 60 ? pos - 60 : 0;
      return std::string(where) + ": '..." + std::string(text.substr(from, 120)) + "...'; ";
    }
  }
  return {};
}

// Where a piece of the key shows: the run's outputs and every file under `dir`.
std::string key_pieces(const ProcessResult& r, const std::filesystem::path& dir) {
  auto where = fragments_in(r.out, "stdout") + fragments_in(r.err, "stderr");
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir)) {
    if (f.is_regular_file()) {
      where += fragments_in(slurp(f.path()), f.path().string());
    }
  }
  return where;
}

std::string echo_rule(const std::string& api, const std::string& day, const std::string& fault,
                      const std::string& more) {
  return R"({"api":")" + api + R"(","date":")" + day + R"(","fault":")" + fault +
         R"(","times":-1)" + more + "}";
}

// A body that echoes the key after `pad` bytes of text, so that excerpts of 60, 80 and 200
// bytes cut through it.
std::string echoing(std::size_t pad) {
  return std::string(pad, 'x') + " AUTH_KEY=" + std::string(k_secret_key) + " was refused";
}

} // namespace

TEST_SUITE("reliability.secrets") {
  TEST_CASE("at --log-level trace, with KRX errors and a server echoing the key in bodies and "
            "headers, no piece of the key reaches a log, an error, status, alerts or the "
            "database") {
    IngestEnv env(k_monday_morning);
    REQUIRE(env.run({"manual_setup", "--yes", "--days", "5"}).exit_code == 0);
    env.set_now("2024-07-10T08:30:00+09:00");
    // One echo per session, each cut by a different excerpt length.
    const std::string json = R"(,"content_type":"application/json")";
    env.fake().add_faults(
        "[" +
        echo_rule("stk_bydd_trd", "2024-07-01", "status",
                  R"(,"status":500,"body":")" + echoing(55) + R"(")") +
        "," +
        echo_rule("stk_bydd_trd", "2024-07-02", "status",
                  R"(,"status":200,"body":"{\"respMsg\":\")" + echoing(95) +
                      R"(\",\"respCode\":\"500\"}")" + json) +
        "," +
        echo_rule("stk_bydd_trd", "2024-07-03", "status",
                  R"(,"status":200,"body":"{\"OutBlock_1\":[{\"BAS_DD\":\")" + echoing(15) +
                      R"(\"}]}")" + json) +
        "," +
        echo_rule("stk_bydd_trd", "2024-07-04", "status",
                  R"(,"status":200,"content_type":"text/html","body":"<html>)" + echoing(175) +
                      R"(</html>")") +
        "," +
        echo_rule("stk_bydd_trd", "2024-07-05", "status",
                  R"(,"status":503,"body":"busy","content_type":"text/plain; )" + echoing(25) +
                      R"(")") +
        "," +
        echo_rule(
            "stk_bydd_trd", "2024-07-08", "status",
            std::string(R"(,"status":200,"body":"{\"OutBlock_1\":[{\"BAS_DD\":\"20240708\",)") +
                R"(\"ISU_CD\":\"005930\",\"ISU_NM\":\")" + echoing(3) + R"(\"}]}")" + json) +
        "]");
    const auto run = env.run({"--log-level", "trace", "daily_update"});
    CHECK(run.exit_code == 1);
    // Each echo was served and failed its session, with the reason kept.
    {
      auto db = env.open();
      CHECK(db.execAndGet("SELECT count(*) FROM job_days WHERE state = 'failed' AND "
                          "trade_date BETWEEN '2024-07-01' AND '2024-07-08'")
                .getInt() == 6);
    }
    CHECK(run.err.find("curl:") != std::string::npos); // libcurl's trace was on
    CHECK(key_pieces(run, env.dir()) == "");

    for (const auto& args : std::vector<std::vector<std::string>>{
             {"status"}, {"--json", "status"}, {"verify"}, {"--json", "digest"}}) {
      const auto r = env.run(args);
      CAPTURE(args.back());
      CHECK(key_pieces(r, env.dir()) == "");
    }
  }

  TEST_CASE("a refused key, a key pasted into KRX_API_BASE_URL and a key with a line break: "
            "the errors never show it") {
    IngestEnv env(k_monday_morning, {"--auth-key", "the-right-key"});
    // The probe is refused: exit 1 and a CRITICAL alert, the key nowhere.
    auto r = env.run({"--log-level", "trace", "manual_setup", "--yes", "--days", "5"});
    CHECK(r.exit_code == 1);
    CHECK(key_pieces(r, env.dir()) == "");

    // An operator pastes the key into the base URL: whatever krxbatch logs or names in an
    // error about the URL (at trace level, with the 404s the fake answers) has it redacted.
    const auto url = env.fake().base_url() + "/" + std::string(k_secret_key);
    r = env.run({"--log-level", "trace", "manual_setup", "--yes", "--days", "5"},
                {{"KRX_API_BASE_URL", url}});
    CHECK(r.exit_code == 1);
    CHECK(key_pieces(r, env.dir()) == "");

    // A key with a trailing line break (pasted from a file): whatever fails, it is not shown.
    r = env.run({"--log-level", "trace", "manual_setup", "--yes", "--days", "5"},
                {{"KRX_AUTH_KEY", std::string(k_secret_key) + "\n"}});
    CHECK(r.exit_code != 0);
    CHECK(key_pieces(r, env.dir()) == "");
  }

  TEST_CASE("credentials embedded in the configured URLs (user:password@) are redacted like "
            "the key") {
    IngestEnv env(k_monday_morning);
    // The password is the sentinel: no piece of it may show anywhere. The fake ignores the
    // Basic authorization libcurl sends; the webhook and ping hosts do not listen.
    auto with_credentials = [](const std::string& url) {
      const auto scheme = url.find("://") + 3;
      return url.substr(0, scheme) + "krxuser:" + std::string(k_secret_key) + "@" +
             url.substr(scheme);
    };
    const auto nowhere = "http://127.0.0.1:" + std::to_string(unused_port());
    const std::vector<std::pair<std::string, std::optional<std::string>>> urls = {
        {"KRX_API_BASE_URL", with_credentials(env.fake().base_url())},
        {"KRX_AUTH_KEY", "an-ordinary-key-1234"},
        {"KRXBATCH_WEBHOOK_URL", with_credentials(nowhere + "/hook")},
        {"KRXBATCH_PING_FAIL_URL", with_credentials(nowhere + "/fail")}};
    env.fake().add_faults(R"({"api":"stk_bydd_trd","date":"2024-06-26","fault":"status",
                              "status":404,"times":-1})");
    const auto r = env.run({"--log-level", "trace", "manual_setup", "--yes", "--days", "5"}, urls);
    CHECK(r.exit_code == 1); // the 404 stops the run and names the URL to check
    CHECK(r.err.find("http://***@127.0.0.1:") != std::string::npos);
    CHECK(key_pieces(r, env.dir()) == "");
    for (const auto& args : std::vector<std::vector<std::string>>{{"status"}, {"alerts"}}) {
      CHECK(key_pieces(env.run(args, urls), env.dir()) == "");
    }
  }

  TEST_CASE("killed with -9 in the middle of a session, the next run's messages about the "
            "interrupted session do not show the key") {
    IngestEnv env(k_monday_morning);
    env.fake().add_faults(R"({"api":"ksq_bydd_trd","date":"2024-06-26","fault":"delay",
                              "ms":600000})");
    auto child = env.spawn({"--log-level", "trace", "manual_setup", "--yes", "--days", "5"});
    env.fake().wait_for_request("ksq_bydd_trd", "20240626");
    child.kill(SIGKILL);
    const auto killed = child.wait();
    CHECK(killed.signal == SIGKILL);
    CHECK(key_pieces(killed, env.dir()) == "");
    env.fake().clear_faults();
    env.fake().release_delays();
    const auto r = env.run({"--log-level", "trace", "manual_setup", "--yes", "--days", "5"});
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("curl:") != std::string::npos); // libcurl's trace was on
    CHECK(key_pieces(r, env.dir()) == "");
  }

  TEST_CASE("the job lock files are created owner-only, whatever the umask") {
    IngestEnv env(k_monday_morning);
    const auto old = ::umask(0);
    const auto r = env.run({"manual_setup", "--yes", "--days", "3"});
    ::umask(old);
    CHECK(r.exit_code == 0);
    struct stat st {};
    REQUIRE(::stat((env.db() + ".ingest.lock").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
  }
}
