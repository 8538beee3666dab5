// The dashboard of `krxbatch serve`: two pages (`/`, `/stock/{ticker}`), their script and
// style sheet, built into the binary. The pages hold no data: the script reads the JSON API
// and draws with Chart.js, served from the same server (/assets/chart.js), never a CDN. No
// inline script or style, so the pages run under `Content-Security-Policy: default-src 'self'`.
#pragma once

#include <string_view>

namespace krxbatch::serve {

std::string_view dashboard_html();
std::string_view stock_html();
std::string_view dashboard_js();
std::string_view dashboard_css();

} // namespace krxbatch::serve
