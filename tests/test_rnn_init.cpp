// Starts suited to ReLU RNNs and their diagnosis (docs/rnn.md §5): the
// pytorch and irnn schemes draw from their documented distributions, seeded;
// diagnose_start flags a start that explodes at θ0; the reduced objective with
// a reused workspace (and the baselines' oracle that keeps one) gives the same
// bits as without; the CLI exposes --init pytorch|irnn, --irnn-scale and the
// start diagnostics.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>

#include <doctest/doctest.h>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "cli_test_helpers.h"

#include "rnn_test_helpers.h"
#include "almkit/problems/rnn/rnn_model.h"
#include "almkit/study/rnn_baselines.h"

using namespace almkit;
using namespace almkit::rnn;

namespace {

namespace fs = std::filesystem;

double mean(const Matrix& M) { return M.sum() / static_cast<double>(M.size()); }
double variance(const Matrix& M) {
  const double mu = mean(M);
  return (M.array() - mu).square().sum() / static_cast<double>(M.size() - 1);
}

// Tolerance of a sample variance: `z` standard errors, SE = σ² √((κ − 1)/n)
// for kurtosis κ (uniform 9/5, normal 3).
double variance_tolerance(double sigma2, double kurtosis, Eigen::Index n, double z = 6.0) {
  return z * sigma2 * std::sqrt((kurtosis - 1.0) / static_cast<double>(n));
}

RnnSeries random_series(int d, int p, int T, std::vector<int> starts, std::uint64_t seed) {
  return almkit::rnn::testing::uniform_series(d, p, T, std::move(starts), seed, /*with_gaps=*/true);
}

bool same(const RnnWeights& a, const RnnWeights& b) {
  return a.W == b.W && a.V == b.V && a.b == b.b && a.A == b.A && a.c == b.c;
}

}  // namespace

TEST_CASE("rnn init: pytorch draws every entry of W, V, b, A, c from U(-1/sqrt(m), 1/sqrt(m))") {
  const int m = 400, d = 30, p = 2;
  const RnnWeights w = initialize_weights(m, d, p, InitScheme::kPytorch, 0.0, 3);
  const double a = 1.0 / std::sqrt(static_cast<double>(m)), var = a * a / 3.0;  // variance of U(−a, a)
  for (const Matrix* M : {&w.W, &w.V, &w.A}) {
    CHECK(M->cwiseAbs().maxCoeff() <= a);
    CHECK(M->cwiseAbs().maxCoeff() > 0.95 * a);  // the whole range is used
    CHECK(std::abs(mean(*M)) < 6.0 * std::sqrt(var / static_cast<double>(M->size())));
    CHECK(std::abs(variance(*M) - var) < variance_tolerance(var, 1.8, M->size()));
  }
  CHECK(w.b.cwiseAbs().maxCoeff() <= a);
  CHECK(std::abs(variance(w.b) - var) < variance_tolerance(var, 1.8, m));
  CHECK(w.c.cwiseAbs().maxCoeff() <= a);
  CHECK_FALSE(w.b.isZero(0));
  CHECK_FALSE(w.c.isZero(0));
  // Seeded: same seed, same weights; another seed, other weights.
  CHECK(same(w, initialize_weights(m, d, p, InitScheme::kPytorch, 0.0, 3)));
  const RnnWeights other = initialize_weights(m, d, p, InitScheme::kPytorch, 0.0, 4);
  CHECK(other.W != w.W);
  CHECK(other.b != w.b);
  CHECK(other.c != w.c);
}

TEST_CASE("rnn init: irnn is W = s I exactly, b = c = 0, V ~ N(0, 1/d), A ~ N(0, 1/m)") {
  const int m = 1000, d = 40, p = 3;
  const RnnWeights w = initialize_weights(m, d, p, InitScheme::kIrnn, 123.0 /* std: unused */, 5, 0.7);
  CHECK(w.W == Matrix(0.7 * Matrix::Identity(m, m)));
  CHECK(w.b.isZero(0));
  CHECK(w.c.isZero(0));
  CHECK(w.b.size() == m);
  CHECK(w.c.size() == p);
  const double var_v = 1.0 / d, var_a = 1.0 / m;
  CHECK(std::abs(mean(w.V)) < 6.0 * std::sqrt(var_v / static_cast<double>(w.V.size())));
  CHECK(std::abs(variance(w.V) - var_v) < variance_tolerance(var_v, 3.0, w.V.size()));
  CHECK(std::abs(mean(w.A)) < 6.0 * std::sqrt(var_a / static_cast<double>(w.A.size())));
  CHECK(std::abs(variance(w.A) - var_a) < variance_tolerance(var_a, 3.0, w.A.size()));
  // The default scale is the identity; seeded draws of V and A.
  CHECK(initialize_weights(5, 2, 1, InitScheme::kIrnn, 0.0, 1).W == Matrix(Matrix::Identity(5, 5)));
  CHECK(kDefaultIrnnScale == 1.0);
  CHECK(same(w, initialize_weights(m, d, p, InitScheme::kIrnn, 0.0, 5, 0.7)));
  const RnnWeights other = initialize_weights(m, d, p, InitScheme::kIrnn, 0.0, 6, 0.7);
  CHECK(other.W == w.W);
  CHECK(other.V != w.V);
  CHECK(other.A != w.A);
  CHECK_THROWS_AS(initialize_weights(m, d, p, InitScheme::kIrnn, 0.0, 5, std::nan("")), std::invalid_argument);
}

TEST_CASE("rnn init: names of the schemes round-trip") {
  for (InitScheme s : {InitScheme::kGaussian, InitScheme::kHe, InitScheme::kGlorot, InitScheme::kLecun,
                       InitScheme::kPytorch, InitScheme::kIrnn}) {
    InitScheme back = InitScheme::kGaussian;
    REQUIRE(parse(to_string(s), &back));
    CHECK(back == s);
    CHECK(std::string(init_scheme_names()).find(to_string(s)) != std::string::npos);
  }
}

TEST_CASE("rnn init: diagnose_start reports rho(W), max |h_t| and the train MSE at theta0") {
  const RnnSeries train = random_series(2, 1, 200, {0}, 3);
  // A small start: contractive, finite, far below the threshold.
  const RnnWeights calm = initialize_weights(8, 2, 1, InitScheme::kGaussian, 1e-3, 1);
  const InitDiagnostics a = diagnose_start(calm, train, 1e20);
  CHECK_FALSE(a.explodes);
  CHECK(a.spectral_radius < 0.1);
  CHECK(a.divergence_value == 1e20);
  const RnnStates s = forward_pass(calm, train);
  CHECK(a.max_abs_state == s.H.cwiseAbs().maxCoeff());
  CHECK(a.train_mse == mean_squared_error(predict(calm, s.H), train));
  // The threshold is a parameter: the same start is flagged under a lower one.
  CHECK(diagnose_start(calm, train, 0.5 * a.train_mse).explodes);

  // W = 3 I with positive inputs: h_t grows like 3^t and the MSE overflows.
  RnnSeries pos = train;
  pos.X = pos.X.cwiseAbs().array() + 0.5;
  RnnWeights hot = initialize_weights(8, 2, 1, InitScheme::kIrnn, 0.0, 1, 3.0);
  hot.V = hot.V.cwiseAbs();
  hot.A.setOnes();
  const InitDiagnostics b = diagnose_start(hot, pos, 1e20);
  CHECK(b.explodes);
  CHECK(b.spectral_radius == doctest::Approx(3.0));
  CHECK(b.max_abs_state > 1e20);
  CHECK(!(b.train_mse <= 1e20));

  RnnWeights bad = calm;
  bad.V.resize(8, 3);  // d = 3 against the data's d = 2
  CHECK_THROWS_AS(diagnose_start(bad, train, 1e20), std::invalid_argument);
}

TEST_CASE("rnn model: a reused ReducedWorkspace gives the same bits as none") {
  RnnRegularization reg;
  reg.lambda6 = 1e-3;
  ReducedWorkspace ws;  // reused across sizes, windows and data sets on purpose
  for (int cfg = 0; cfg < 4; ++cfg) {
    const int m = 3 + 5 * cfg, d = 1 + cfg % 3, p = 1 + cfg % 2, T = 40 + 37 * cfg;
    const RnnSeries data = random_series(d, p, T, cfg % 2 ? std::vector<int>{0, T / 3, T / 2} : std::vector<int>{0}, cfg);
    RnnWeights w = initialize_weights(m, d, p, InitScheme::kPytorch, 0.0, 10 + cfg);
    const Vector h0 = Vector::LinSpaced(m, 0.1, 0.9);
    std::vector<ReducedWindow> windows(4);
    windows[1].t0 = T / 4;
    windows[1].t1 = T / 2 + 3;
    windows[1].h_initial = &h0;
    windows[1].normalization = 7.0;
    windows[1].weight_penalty_scale = 0.3;
    windows[2].t0 = 1;
    windows[2].t1 = 9;  // a short window after long ones: views into larger buffers
    windows[3].t0 = T - 5;
    windows[3].h_initial = &h0;
    for (const ReducedWindow& win : windows) {
      RnnWeights g1, g2;
      Vector gh1, gh2;
      const ReducedValue v1 = reduced_objective(w, data, reg, win, &g1, &gh1);
      const ReducedValue v2 = reduced_objective(w, data, reg, win, &g2, &gh2, &ws);
      CHECK(v1.value == v2.value);
      CHECK(v1.loss == v2.loss);
      CHECK(v1.h_last == ws.h_last);
      CHECK(v2.h_last.size() == 0);
      CHECK(same(g1, g2));
      CHECK(gh1 == gh2);
      // Outputs of the right size are overwritten in place, with the same bits.
      const double* before = g2.W.data();
      reduced_objective(w, data, reg, win, &g2, &gh2, &ws);
      CHECK(g2.W.data() == before);
      CHECK(same(g1, g2));
      // Value only.
      CHECK(reduced_objective(w, data, reg, win).value == reduced_objective(w, data, reg, win, nullptr, nullptr, &ws).value);
    }
  }
}

TEST_CASE("baselines: the RNN oracle with its kept workspace matches reduced_objective, also over SGD windows") {
  const int m = 5, d = 2, p = 1, T = 61, K = 4;
  const RnnSeries data = random_series(d, p, T, {0}, 21);
  const RnnRegularization reg;
  const baselines::Objective f = baselines::make_rnn_objective(data, reg, m, K);
  const baselines::Objective full = baselines::make_rnn_objective(data, reg, m, 1);
  Vector grad;
  for (int rep = 0; rep < 3; ++rep) {
    const RnnWeights w = initialize_weights(m, d, p, InitScheme::kPytorch, 0.0, 30 + rep);
    const Vector x = flatten(w);
    RnnWeights g;
    const ReducedValue v = reduced_objective(w, data, reg, {}, &g);
    CHECK(full.value_gradient(x, -1, &grad) == v.value);
    CHECK(grad == flatten(g));
    // Windows in order carry the state: each equals a direct call from the previous h_last.
    Vector h;
    for (int j = 0; j < K; ++j) {
      ReducedWindow win;
      win.t0 = T * j / K;
      win.t1 = T * (j + 1) / K;
      if (j > 0) win.h_initial = &h;
      const ReducedValue vj = reduced_objective(w, data, reg, win, &g);
      CHECK(f.value_gradient(x, j, &grad) == vj.value);
      CHECK(grad == flatten(g));
      h = vj.h_last;
    }
  }
}

TEST_CASE("rnn init: CLI --init pytorch|irnn, --irnn-scale, and the start diagnostics in summary.json") {
  const fs::path dir = almkit::testing::fresh_temp_dir("almkit_test_init", "cli");
  {
    std::mt19937_64 rng(2);
    std::uniform_real_distribution<double> U(-1.0, 1.0);
    std::ofstream out(dir / "s.csv");
    out << "u,y\n";
    for (int t = 0; t < 30; ++t) out << fmt::format("{:.17g},{:.17g}\n", U(rng), U(rng));
  }
  const std::string base = fmt::format("train --data \"{}\" --target y --hidden 3 --outer 1 --bcd.max_sweeps 5 --no-plots --quiet",
                                       (dir / "s.csv").string());
  const auto irnn = almkit::testing::run_cli(base + fmt::format(" --init irnn --irnn-scale 0.5 --print-options --out \"{}\"",
                                                                (dir / "irnn").string()));
  INFO(irnn.output);
  REQUIRE(irnn.code == 0);
  CHECK(irnn.output.find("\"irnn_scale\": 0.5") != std::string::npos);
  const auto summary = nlohmann::json::parse(almkit::testing::slurp(dir / "irnn" / "summary.json"));
  REQUIRE(summary.contains("start"));
  CHECK(summary["start"]["spectral_radius"].get<double>() == doctest::Approx(0.5));
  CHECK(summary["start"]["explodes"].get<bool>() == false);
  CHECK(summary["start"]["divergence_value"].get<double>() == 1e20);
  CHECK(summary["start"]["train_mse"].get<double>() > 0.0);
  CHECK(summary["options"]["irnn_scale"].get<double>() == 0.5);
  CHECK(irnn.output.find("warning: the start explodes") == std::string::npos);
  REQUIRE(almkit::testing::run_cli(base + fmt::format(" --init pytorch --out \"{}\"", (dir / "pt").string())).code == 0);
  // A start flagged under a tiny threshold: one warning line, recorded in summary.json.
  const auto low = almkit::testing::run_cli(base + fmt::format(" --divergence-value 1e-12 --out \"{}\"", (dir / "low").string()));
  REQUIRE(low.code == 0);
  CHECK(low.output.find("warning: the start explodes") != std::string::npos);
  CHECK(almkit::testing::slurp(dir / "low" / "summary.json").find("\"explodes\": true") != std::string::npos);
  // Bad values: one-line errors, exit code 2.
  CHECK(almkit::testing::run_cli(base + " --init orthogonal").code == 2);
  CHECK(almkit::testing::run_cli(base + " --init irnn --irnn-scale inf").code == 2);
  CHECK(almkit::testing::run_cli(base + " --divergence-value 0").code == 2);
  const auto cmp = almkit::testing::run_cli(fmt::format(
      "compare --data \"{}\" --target y --hidden 3 --methods gd --inits pytorch,irnn --irnn-scale 0.5 --budget-evals 3 "
      "--learning-rates 1e-2 --no-plots --quiet --out \"{}\"",
      (dir / "s.csv").string(), (dir / "cmp").string()));
  INFO(cmp.output);
  REQUIRE(cmp.code == 0);
  const std::string results = almkit::testing::slurp(dir / "cmp" / "results.csv");
  CHECK(results.rfind("method,init,seed,learning_rate,objective,train_mse,test_mse,seconds,time_to_target,kkt_stationarity,"
                      "kkt_clarke,status,start_explodes\n",
                      0) == 0);
  CHECK(results.find("gd,irnn,0,") != std::string::npos);
  CHECK(results.find(",false\n") != std::string::npos);
  CHECK(almkit::testing::slurp(dir / "cmp" / "results.json").find("\"start_explodes\": false") != std::string::npos);
  // Every start above a tiny threshold: marked in the per-init table and listed once.
  const auto hot = almkit::testing::run_cli(fmt::format(
      "compare --data \"{}\" --target y --hidden 3 --methods gd,adam --inits pytorch,irnn --budget-evals 3 "
      "--learning-rates 1e-2 --grad.divergence_value 1e-12 --no-plots --quiet --out \"{}\"",
      (dir / "s.csv").string(), (dir / "hot").string()));
  INFO(hot.output);
  REQUIRE(hot.code == 0);
  const std::string md = almkit::testing::slurp(dir / "hot" / "results.md");
  CHECK(md.find("(start explodes ×1)") != std::string::npos);
  CHECK(md.find("Starts that explode at θ0") != std::string::npos);
  CHECK(almkit::testing::slurp(dir / "hot" / "results.csv").find(",true\n") != std::string::npos);
  CHECK(almkit::testing::run_cli("compare --inits irnn --irnn-scale nan").code == 2);
}
