// `krxbatch indicators`: TA-Lib-exact indicators for one series of bars, CSV in, CSV out.
#include "krxbatch/analysis/csv.hpp"
#include "krxbatch/analysis/indicators.hpp"
#include "krxbatch/core/error.hpp"

#include "context.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <cstdio>
#include <string>

namespace krxbatch::cli {
namespace {

// parse_command_args names the command in errors by what precedes " [".
constexpr const char* k_usage =
    "krxbatch indicators [--help] < bars.csv > indicators.csv\n\n"
    "Reads daily bars of one issue on stdin: a header `date,open,high,low,close,volume`, then\n"
    "one bar per line (ISO dates strictly increasing; non-negative integer or decimal\n"
    "numbers). Writes the bars as given followed by 22 indicators computed as TA-Lib does over\n"
    "the whole series: sma5,sma20,sma60,sma120,ema12,ema26,rsi14,macd,macd_signal,macd_hist,\n"
    "bb_upper,bb_middle,bb_lower,atr14,stoch_slowk,stoch_slowd,obv,mfi14,adx14,cci20,willr14,\n"
    "roc10. Cells before an indicator's lookback are empty; numbers print as %.17g.\n"
    "Suspended days given as O=H=L=0 (or empty) with volume 0 are computed as O=H=L=C, so\n"
    "`krxbatch prices TICKER --adjusted --csv | krxbatch indicators` works.\n"
    "Bad input exits with 2 and `line N: reason`, writing nothing to stdout.";

std::string read_all(std::FILE* in) {
  std::string text;
  std::array<char, 1 << 16> buffer{};
  std::size_t got = 0;
  while ((got = std::fread(buffer.data(), 1, buffer.size(), in)) > 0) {
    text.append(buffer.data(), got);
  }
  if (std::ferror(in) != 0) {
    throw core::failure("indicators: cannot read standard input");
  }
  return text;
}

} // namespace

int run_indicators(Context& /*context*/, const Args& args) {
  po::options_description opts; // only --help, which parse_command_args adds
  if (!parse_command_args(args, k_usage, opts)) {
    return 0;
  }
  const std::string text = read_all(stdin);
  auto parsed = analysis::parse_bars_csv(text);
  if (!parsed) {
    throw core::usage_error(parsed.failure().message +
                            "; see `krxbatch indicators --help` for the format");
  }
  auto& input = parsed.value();
  const auto suspended = analysis::normalise_suspended_days(input.bars);
  analysis::IndicatorSeries indicators;
  analysis::compute_indicators(input.bars.view(), indicators);

  // Nothing is written before the whole input has been read and checked, so bad input never
  // leaves a partial table on stdout; the table then goes out in chunks.
  constexpr std::size_t k_chunk = 1 << 20;
  std::string out;
  out.reserve(k_chunk + 4096);
  auto flush = [&out] {
    if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size()) {
      throw core::failure("indicators: cannot write standard output");
    }
    out.clear();
  };
  analysis::append_indicators_csv_header(out);
  for (std::size_t row = 0; row < input.lines.size(); ++row) {
    analysis::append_indicators_csv_row(out, input.lines[row], indicators, row);
    if (out.size() >= k_chunk) {
      flush();
    }
  }
  flush();
  if (std::fflush(stdout) != 0) {
    throw core::failure("indicators: cannot write standard output");
  }
  spdlog::debug("indicators: {} bars ({} suspended days normalised)", input.lines.size(),
                suspended);
  return 0;
}

} // namespace krxbatch::cli
