// The KRX Open API wire format (krx-open-api.md §1.4-1.9): response bodies, byte for byte.
//
// Data bodies are compact JSON `{"OutBlock_1":[{...},...]}` with every value a string, keys in
// the spec table's order, numbers without separators, signed changes, FLUC_RT and index levels
// with two decimals, and "-" for KOSPI's SECT_TP_NM and for the price fields of the price-less
// index rows. Names are raw UTF-8.
//
// Pure and thread-safe.
#pragma once

#include "fake_krx/api.hpp"
#include "fake_krx/market_model.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace krxbatch::fake_krx {

inline constexpr std::string_view k_json_content_type = "application/json; charset=UTF-8";
inline constexpr std::string_view k_html_content_type = "text/html; charset=UTF-8";
// Apache's own error pages declare Latin-1.
inline constexpr std::string_view k_apache_content_type = "text/html; charset=iso-8859-1";

inline constexpr std::string_view k_empty_body = R"({"OutBlock_1":[]})";
// 47 bytes: a missing or unknown AUTH_KEY.
inline constexpr std::string_view k_unauthorized_key_body =
    R"({"respMsg":"Unauthorized Key","respCode":"401"})";
// 52 bytes: a valid key whose use of this API is not approved.
inline constexpr std::string_view k_unapproved_body =
    R"({"respMsg":"Unauthorized API Call","respCode":"401"})";
inline constexpr std::string_view k_not_found_body =
    R"({"respMsg":"API referenced by the path does not exist."})";
// The fake's choice for 429 over the daily quota (KRX has never been seen to send one).
inline constexpr std::string_view k_too_many_requests_body =
    R"({"respMsg":"Too Many Requests","respCode":"429"})";

// The body of `api` on `session` (an index into model.sessions()): all listed issues, or the
// index rows; `{"OutBlock_1":[]}` when the market has no data that day (KONEX before 2013-07).
std::string render_body(const MarketModel& model, Api api, std::size_t session);

// A two-decimal rendering of hundredths (-894 -> "-8.94", 5 -> "0.05").
std::string format_hundredths(std::int64_t hundredths);
// The percentage change of `change` over `base`, rounded half away from zero to hundredths of
// a percent. Precondition: base > 0.
std::int64_t rate_hundredths(std::int64_t change, std::int64_t base);

// Apache's 403 page for the host root, and its 404 page for paths outside /svc/apis/.
std::string apache_forbidden_page();
std::string apache_not_found_page(std::string_view path);
// An HTML error page for a status (the default body of the `status` fault).
std::string apache_error_page(int status);
// KRX's "서비스 제공 불가능" notice, served with 200 by the `html` fault.
std::string krx_unavailable_page();

} // namespace krxbatch::fake_krx
