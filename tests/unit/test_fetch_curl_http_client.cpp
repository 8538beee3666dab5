#include "krxbatch/fetch/curl_http_client.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace krxbatch;

// The network half of CurlHttpClient is tested against fake_krx in tests/integration.
TEST_SUITE("fetch.curl_http_client") {
  TEST_CASE("follows redirects only on the same server, never to another host") {
    const std::string base = "https://data-dbg.krx.co.kr/svc/apis/sto/stk_bydd_trd?basDd=1";
    CHECK(fetch::is_same_server_redirect(base, "https://data-dbg.krx.co.kr/other"));
    CHECK(fetch::is_same_server_redirect(base, "https://DATA-DBG.krx.co.kr:443/x"));
    CHECK(fetch::is_same_server_redirect("http://data-dbg.krx.co.kr/a",
                                         "https://data-dbg.krx.co.kr/a"));
    CHECK(fetch::is_same_server_redirect("http://127.0.0.1:8080/a", "http://127.0.0.1:8080/b"));

    CHECK_FALSE(fetch::is_same_server_redirect(base, "https://evil.example/svc"));
    CHECK_FALSE(fetch::is_same_server_redirect(base, "https://data-dbg.krx.co.kr.evil.example/"));
    CHECK_FALSE(fetch::is_same_server_redirect(base, "https://data-dbg.krx.co.kr@evil.example/"));
    CHECK_FALSE(fetch::is_same_server_redirect(base, "https://data-dbg.krx.co.kr:8443/x"));
    CHECK_FALSE(fetch::is_same_server_redirect(base, "http://data-dbg.krx.co.kr/x")); // downgrade
    CHECK_FALSE(
        fetch::is_same_server_redirect("http://127.0.0.1:8080/a", "https://127.0.0.1:8443/a"));
    CHECK_FALSE(fetch::is_same_server_redirect(base, "not a url"));
    CHECK_FALSE(fetch::is_same_server_redirect(base, ""));
  }

  TEST_CASE("sends User-Agent krxbatch/<version>") {
    const auto ua = std::string(fetch::user_agent());
    CHECK(ua.rfind("krxbatch/", 0) == 0);
    CHECK(ua.size() > std::string("krxbatch/").size());
  }

  TEST_CASE("refuses URLs that are not http(s) without touching the network") {
    fetch::CurlHttpClient client;
    for (const char* url : {"ftp://127.0.0.1/x", "file:///etc/passwd", "gopher://x/", "::"}) {
      CAPTURE(url);
      const auto r = client.get(url, {});
      REQUIRE_FALSE(r.ok());
      CHECK(r.failure().kind == fetch::TransportError::bad_url);
      CHECK_FALSE(r.failure().message.empty());
    }
    CHECK(client.connections_opened() == 0);
  }
}
