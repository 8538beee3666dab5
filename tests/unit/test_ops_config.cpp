#include "krxbatch/core/error.hpp"
#include "krxbatch/ops/config.hpp"

#include "support.hpp"

#include <doctest/doctest.h>

#include <map>
#include <sys/stat.h>

using namespace krxbatch;

namespace {

ops::EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) {
      return std::nullopt;
    }
    return it->second;
  };
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const core::Error& e) {
    CHECK(e.code() == core::ExitCode::usage);
    return e.what();
  }
  FAIL("no error");
  return {};
}

} // namespace

TEST_SUITE("ops.config") {
  TEST_CASE("parses keys and values, skipping comments and blank lines, unquoting values") {
    const auto entries = ops::parse_config("# krxbatch\n\n  log_files = 7  \n"
                                           "webhook_url=\"https://hooks.example/T1/B2#x\"\n"
                                           "   # indented comment\nmetrics_log =\n",
                                           "k.conf");
    REQUIRE(entries.size() == 3);
    CHECK(entries[0].key == "log_files");
    CHECK(entries[0].value == "7");
    CHECK(entries[0].line == 3);
    CHECK(entries[1].value == "https://hooks.example/T1/B2#x");
    CHECK(entries[2].key == "metrics_log");
    CHECK(entries[2].value.empty());
  }

  TEST_CASE("a malformed line is an error naming file:line") {
    CHECK(error_of([] { ops::parse_config("log_files = 3\nlog_dir\n", "k.conf"); }) ==
          "k.conf:2: expected `key = value`");
    CHECK(error_of([] { ops::parse_config("= 3\n", "k.conf"); }) == "k.conf:1: no key before `=`");
    CHECK(error_of([] {
            ops::parse_config("\n\nlog_fils = 3\n", "k.conf");
          }).starts_with("k.conf:3: unknown key 'log_fils'; the keys are: krx_auth_key, "));
    CHECK(error_of([] { ops::parse_config("log_files = 3\nlog_files = 4\n", "k.conf"); }) ==
          "k.conf:2: 'log_files' is already set on line 1");
    CHECK(error_of([] {
            ops::parse_config("log_dir = \"/var/log\n", "k.conf");
          }).starts_with("k.conf:1: the value of 'log_dir' opens a double quote"));
  }

  TEST_CASE("a bad value names file:line and the key, never echoing a URL") {
    test::TempDir dir;
    const auto file = dir.write("k.conf", "log_files = 3\nlog_max_size = lots\n");
    CHECK(error_of([&] { ops::load_settings(file, dir / "x.db", env_of({})); }) ==
          file.string() + ":2: log_max_size: 'lots' is not a file size (bytes, or a whole "
                          "number with K, M or G, from 1K to 1024G)");
    const auto bad_url = dir.write("u.conf", "webhook_url = hooks/SECRET\n");
    const auto message = error_of([&] { ops::load_settings(bad_url, dir / "x.db", env_of({})); });
    CHECK(message == bad_url.string() + ":1: webhook_url: not an http:// or https:// URL");
  }

  TEST_CASE("each value remembers the line or variable that set it, for later messages") {
    test::TempDir dir;
    const auto file = dir.write("k.conf", "# x\nlog_dir = /srv/logs\nmetrics_log = /m.jsonl\n");
    const auto s = ops::load_settings(file, dir / "x.db",
                                      env_of({{"KRXBATCH_METRICS_LOG", "/elsewhere.jsonl"}}));
    CHECK(s.origin("log_dir") == file.string() + ":2: log_dir");
    CHECK(s.origin("metrics_log") == "KRXBATCH_METRICS_LOG");
    CHECK(s.origin("metrics_textfile") == "metrics_textfile (default)");
  }

  TEST_CASE("a value longer than the cap, or a huge file, is refused without echoing it") {
    test::TempDir dir;
    const std::string token(ops::k_max_config_value + 1, 'k');
    const auto file = dir.write("k.conf", "log_files = 2\nwebhook_url = https://h/" + token + "\n");
    const auto message = error_of([&] { ops::load_settings(file, dir / "x.db", env_of({})); });
    CHECK(message.starts_with(file.string() + ":2: webhook_url: the value is "));
    CHECK(message.find(token) == std::string::npos);
    CHECK(error_of([&] {
            ops::load_settings(std::nullopt, "k.db",
                               env_of({{"KRXBATCH_PING_START_URL", "https://h/" + token}}));
          }).starts_with("KRXBATCH_PING_START_URL: the value is "));
    const auto big = dir.write("big.conf", std::string(ops::k_max_config_file + 1, '#'));
    CHECK(error_of([&] {
            ops::load_settings(big, dir / "x.db", env_of({}));
          }).find("more than the 1048576 krxbatch reads") != std::string::npos);
  }

  TEST_CASE("log_max_size takes bytes or K, M, G (powers of 1024) from 1K to 1024G") {
    const auto size = [](const std::string& v) {
      return ops::load_settings(std::nullopt, "k.db", env_of({{"KRXBATCH_LOG_MAX_SIZE", v}}))
          .log_max_bytes;
    };
    CHECK(size("4096") == 4096);
    CHECK(size("2K") == 2048);
    CHECK(size("100M") == 100 * 1024 * 1024);
    CHECK(size("3g") == std::int64_t{3} << 30);
    CHECK(size("1024G") == std::int64_t{1} << 40);
    for (const auto* bad : {"0", "1000", "0K", "-1M", "1.5M", "10MB", "M", "1025G", "1T"}) {
      CAPTURE(bad);
      CHECK(error_of([&] {
              size(bad);
            }).starts_with("KRXBATCH_LOG_MAX_SIZE: '" + std::string(bad) + "' is not a file size"));
    }
  }

  TEST_CASE("a file holding the key must be accessible by its owner only") {
    CHECK_NOTHROW(ops::check_key_file_mode("k.conf", 0100600));
    CHECK_NOTHROW(ops::check_key_file_mode("k.conf", 0100400));
    for (const unsigned mode : {0100640U, 0100604U, 0100620U, 0100602U, 0100644U}) {
      CAPTURE(mode);
      CHECK(error_of([&] { ops::check_key_file_mode("k.conf", mode); }).find("chmod 600 k.conf") !=
            std::string::npos);
    }
    test::TempDir dir;
    const auto file = dir.write("k.conf", "krx_auth_key = abcdef123\n");
    ::chmod(file.c_str(), 0644);
    const auto message = error_of([&] { ops::load_settings(file, dir / "x.db", env_of({})); });
    CHECK(message.find("mode 0644") != std::string::npos);
    CHECK(message.find("abcdef123") == std::string::npos);
    ::chmod(file.c_str(), 0600);
    CHECK(ops::load_settings(file, dir / "x.db", env_of({})).krx_auth_key == "abcdef123");
    // Without the key, a world-readable file is fine.
    const auto open = dir.write("o.conf", "log_files = 2\n");
    ::chmod(open.c_str(), 0644);
    CHECK(ops::load_settings(open, dir / "x.db", env_of({})).log_files == 2);
  }

  TEST_CASE("the environment overrides the file key by key, defaults fill the rest") {
    test::TempDir dir;
    const auto file = dir.write("k.conf", "krx_daily_limit = 500\nlog_files = 4\n"
                                          "ping_start_url = http://h/start\n");
    const auto s = ops::load_settings(
        file, dir / "data" / "k.db",
        env_of({{"KRX_DAILY_LIMIT", "700"}, {"KRXBATCH_WEBHOOK_URL", "https://hook/x"}}));
    CHECK(s.krx_daily_limit == 700);
    CHECK(s.log_files == 4);
    CHECK(s.ping_start_url == "http://h/start");
    CHECK(s.webhook_url == "https://hook/x");
    CHECK(s.log_max_bytes == 100 * 1024 * 1024);
    CHECK(s.log_dir == dir / "data" / "logs");
    CHECK(s.config_file == file);
    CHECK(error_of([&] {
            ops::load_settings(std::nullopt, "k.db", env_of({{"KRXBATCH_LOG_FILES", "0"}}));
          }).starts_with("KRXBATCH_LOG_FILES: '0' is not a number of files"));
  }

  TEST_CASE("the config file is --config, else KRXBATCH_CONFIG, else krxbatch.conf by the db") {
    test::TempDir dir;
    const auto db = dir / "data" / "k.db";
    CHECK_FALSE(ops::find_config_file(std::nullopt, db, env_of({})));
    const auto beside = dir.write("data/krxbatch.conf", "");
    CHECK(ops::find_config_file(std::nullopt, db, env_of({})) == beside);
    const auto other = dir.write("other.conf", "");
    CHECK(ops::find_config_file(std::nullopt, db, env_of({{"KRXBATCH_CONFIG", other.string()}})) ==
          other);
    CHECK(ops::find_config_file(beside.string(), db,
                                env_of({{"KRXBATCH_CONFIG", other.string()}})) == beside);
    CHECK(error_of([&] {
            ops::find_config_file((dir / "none.conf").string(), db, env_of({}));
          }).starts_with("--config: "));
  }

  TEST_CASE("every key has its environment variable and a meaning for the docs") {
    for (const auto& k : ops::setting_keys()) {
      CAPTURE(k.name);
      CHECK(!k.env.empty());
      CHECK(!k.meaning.empty());
    }
    CHECK(ops::setting_keys().size() == 27);
  }

  TEST_CASE("krx_connections is 4 by default, from 1 to 16") {
    const test::TempDir dir;
    const auto db = dir / "k.db";
    CHECK(ops::load_settings(std::nullopt, db, env_of({})).krx_connections == 4);
    CHECK(
        ops::load_settings(std::nullopt, db, env_of({{"KRX_CONNECTIONS", "1"}})).krx_connections ==
        1);
    CHECK(error_of([&] {
            ops::load_settings(std::nullopt, db, env_of({{"KRX_CONNECTIONS", "17"}}));
          }) ==
          "KRX_CONNECTIONS: '17' is not a number of connections (a whole number from 1 to 16)");
  }

  TEST_CASE("archive_dir defaults to archive/ next to the database, `off` turns it off, and "
            "archive_days is a whole number of days") {
    const test::TempDir dir;
    const auto db = dir / "data" / "k.db";
    CHECK(ops::load_settings(std::nullopt, db, env_of({})).archive_dir == dir / "data" / "archive");
    CHECK(ops::load_settings(std::nullopt, db, env_of({})).archive_days == 0);
    CHECK(ops::load_settings(std::nullopt, db, env_of({{"KRXBATCH_ARCHIVE_DIR", "off"}}))
              .archive_dir.empty());
    const auto file = dir.write("k.conf", "archive_dir = /srv/raw\narchive_days = 400\n");
    const auto s = ops::load_settings(file, db, env_of({}));
    CHECK(s.archive_dir == "/srv/raw");
    CHECK(s.archive_days == 400);
    const auto bad = dir.write("b.conf", "archive_days = forever\n");
    CHECK(error_of([&] {
            ops::load_settings(bad, db, env_of({}));
          }).starts_with(bad.string() + ":1: archive_days: 'forever' is not a number of days"));
  }

  TEST_CASE("with check_mode off a key file others can read is loaded (doctor reports it)") {
    const test::TempDir dir;
    const auto file = dir.write("k.conf", "krx_auth_key = abc\n");
    std::filesystem::permissions(file, std::filesystem::perms(0644));
    CHECK_FALSE(error_of([&] { ops::load_settings(file, dir / "k.db", env_of({})); }).empty());
    CHECK(ops::load_settings(file, dir / "k.db", env_of({}), false).krx_auth_key == "abc");
  }
}
