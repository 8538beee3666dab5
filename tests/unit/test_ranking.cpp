// Percentile ranks, pillars and the composite on sessions small enough to check by hand.
#include "krxbatch/analysis/ranking.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

using namespace krxbatch;
using analysis::Direction;
using analysis::Factor;
using analysis::Pillar;
using doctest::Approx;
using V = std::vector<double>;

namespace {

constexpr double k_nan = std::numeric_limits<double>::quiet_NaN();

V ranks(const V& values, Direction d) {
  V out(values.size());
  analysis::percentile_ranks(values, d, out);
  return out;
}

// Every ranked factor of a pillar set to `v` (the others NaN).
analysis::RankInput stock_with(double v, bool eligible = true) {
  analysis::RankInput in;
  in.eligible = eligible;
  for (std::size_t f = 0; f < analysis::k_factor_count; ++f) {
    const auto& info = analysis::k_factors[f];
    if (!info.pillar) {
      in.factors[f] = k_nan;
    } else {
      // Oriented so that a larger v is better for every factor.
      in.factors[f] = info.direction == Direction::higher_is_better ? v : -v;
    }
  }
  return in;
}

} // namespace

TEST_SUITE("analysis.ranking") {
  TEST_CASE("percentiles run from 0 for the worst to 100 for the best, ties sharing the mean") {
    // Positions 0, 1.5, 1.5, 3 of 0..3.
    const auto p = ranks({10, 20, 20, 40}, Direction::higher_is_better);
    CHECK(p == V{0.0, 50.0, 50.0, 100.0});
  }

  TEST_CASE("a lower-is-better factor gives the smallest value 100") {
    const auto p = ranks({10, 20, 20, 40}, Direction::lower_is_better);
    CHECK(p == V{100.0, 50.0, 50.0, 0.0});
  }

  TEST_CASE("missing values are not ranked and do not count in the denominator") {
    const auto p = ranks({k_nan, 5, 1, k_nan}, Direction::higher_is_better);
    CHECK(std::isnan(p[0]));
    CHECK(p[1] == 100.0);
    CHECK(p[2] == 0.0);
    CHECK(std::isnan(p[3]));
  }

  TEST_CASE("a lone value and a set of equal values sit in the middle") {
    CHECK(ranks({7}, Direction::higher_is_better) == V{50.0});
    CHECK(ranks({3, 3, 3}, Direction::lower_is_better) == V{50.0, 50.0, 50.0});
    CHECK(ranks({}, Direction::higher_is_better).empty());
  }

  TEST_CASE("only eligible stocks are ranked, and only they fill the denominators") {
    // The ineligible stock has the best values of all; it must neither get a score nor push
    // the eligible ones down.
    std::vector<analysis::RankInput> in = {stock_with(1), stock_with(2), stock_with(1000, false),
                                           stock_with(3)};
    const auto out = analysis::rank_session(in);
    CHECK(out[0].score == 0.0);
    CHECK(out[1].score == 50.0);
    CHECK(std::isnan(out[2].score));
    CHECK(std::isnan(out[2].composite_raw));
    for (const double p : out[2].pillars) {
      CHECK(std::isnan(p));
    }
    CHECK(out[3].score == 100.0);
    for (const double p : out[3].pillars) {
      CHECK(p == 100.0);
    }
  }

  TEST_CASE("a pillar is the mean of its factor percentiles, re-ranked") {
    // Three stocks; trend factors disagree: stock A best on close_vs_sma120 only, B best on
    // the other four. Trend means: A (100+0·4)/5 = 20, B (50+100·4)/5 = 90, C (0+50·4)/5 = 40.
    std::vector<analysis::RankInput> in = {stock_with(0), stock_with(0), stock_with(0)};
    const auto set = [&in](std::size_t s, Factor f, double v) {
      in[s].factors[analysis::index_of(f)] = v;
    };
    for (const auto f : {Factor::close_vs_sma60, Factor::sma20_vs_sma60, Factor::adx_signed,
                         Factor::macd_hist_rel}) {
      set(0, f, 1);
      set(1, f, 3);
      set(2, f, 2);
    }
    set(0, Factor::close_vs_sma120, 3);
    set(1, Factor::close_vs_sma120, 2);
    set(2, Factor::close_vs_sma120, 1);
    const auto out = analysis::rank_session(in);
    const auto trend = analysis::index_of(Pillar::trend);
    CHECK(out[0].pillars[trend] == 0.0);   // 20: lowest mean
    CHECK(out[1].pillars[trend] == 100.0); // 90
    CHECK(out[2].pillars[trend] == 50.0);  // 40
  }

  TEST_CASE("the raw composite is the weighted mean of pillar scores and the score re-ranks it") {
    std::vector<analysis::RankInput> in = {stock_with(1), stock_with(2), stock_with(3)};
    // Make stock 0 best on momentum only.
    for (const auto f : {Factor::mom_12_7, Factor::mom_idio_12_1, Factor::near_high_252}) {
      in[0].factors[analysis::index_of(f)] = 10;
    }
    const auto out = analysis::rank_session(in);
    for (const auto& s : out) {
      double expected = 0;
      for (std::size_t p = 0; p < analysis::k_pillar_count; ++p) {
        expected += analysis::k_pillar_weights[p] * s.pillars[p];
      }
      CHECK(s.composite_raw == Approx(expected));
    }
    // Stock 0: momentum 100 (weight .3), the rest 0 → 30; stock 1: 50·.7 + 0 → 35;
    // stock 2: 100·.7 + 50·.3 → 85.
    CHECK(out[0].composite_raw == Approx(30.0));
    CHECK(out[1].composite_raw == Approx(35.0));
    CHECK(out[2].composite_raw == Approx(85.0));
    CHECK(out[0].score == 0.0);
    CHECK(out[1].score == 50.0);
    CHECK(out[2].score == 100.0);
  }

  TEST_CASE("a stock missing a pillar is scored on the others with the weights renormalised") {
    std::vector<analysis::RankInput> in = {stock_with(1), stock_with(2), stock_with(3)};
    for (const auto f : {Factor::mom_12_7, Factor::mom_idio_12_1, Factor::near_high_252}) {
      in[2].factors[analysis::index_of(f)] = k_nan; // partial history: no 252-bar factors
    }
    const auto out = analysis::rank_session(in);
    const auto momentum = analysis::index_of(Pillar::momentum);
    CHECK(std::isnan(out[2].pillars[momentum]));
    CHECK(out[1].pillars[momentum] == 100.0); // ranked among the two that have it
    // All of stock 2's other pillars are 100: so is its renormalised mean.
    CHECK(out[2].composite_raw == Approx(100.0));
    CHECK(out[2].score == 100.0);
  }

  TEST_CASE("the scores do not depend on the order of the stocks") {
    std::vector<analysis::RankInput> in;
    for (int i = 0; i < 9; ++i) {
      auto s = stock_with(static_cast<double>((i * 7) % 5)); // ties included
      s.factors[analysis::index_of(Factor::reversal_5)] = static_cast<double>((i * 3) % 4);
      in.push_back(s);
    }
    const auto forward = analysis::rank_session(in);
    std::vector<std::size_t> order = {4, 8, 0, 2, 6, 1, 3, 7, 5};
    std::vector<analysis::RankInput> shuffled;
    for (const auto i : order) {
      shuffled.push_back(in[i]);
    }
    const auto out = analysis::rank_session(shuffled);
    for (std::size_t k = 0; k < order.size(); ++k) {
      CHECK(out[k].score == forward[order[k]].score);
      CHECK(out[k].composite_raw == forward[order[k]].composite_raw);
      CHECK(out[k].pillars == forward[order[k]].pillars);
    }
  }

  TEST_CASE("diagnostic factors never move a score") {
    std::vector<analysis::RankInput> in = {stock_with(1), stock_with(2)};
    const auto before = analysis::rank_session(in);
    in[0].factors[analysis::index_of(Factor::mom_12_1)] = 1e9;
    in[0].factors[analysis::index_of(Factor::beta_120)] = -5;
    in[1].factors[analysis::index_of(Factor::rel_strength_120)] = -1e9;
    const auto after = analysis::rank_session(in);
    CHECK(after[0].score == before[0].score);
    CHECK(after[1].score == before[1].score);
  }

  TEST_CASE("the pillar weights follow the blueprint and sum to one") {
    CHECK(analysis::k_pillar_weights[analysis::index_of(Pillar::momentum)] == 0.30);
    CHECK(analysis::k_pillar_weights[analysis::index_of(Pillar::trend)] == 0.25);
    CHECK(analysis::k_pillar_weights[analysis::index_of(Pillar::risk)] == 0.25);
    double sum = 0;
    for (const double w : analysis::k_pillar_weights) {
      sum += w;
    }
    CHECK(sum == Approx(1.0));
  }
}
