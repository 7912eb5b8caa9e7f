// The RNN trainer and its command line (docs/rnn.md §7–8): the KKT identity
// between RnnTrainingProblem's adjoint multipliers and the independent BPTT
// gradient, a teacher–student run, the CLI output contract and error paths.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include <sys/wait.h>

#include <unistd.h>

#include <doctest/doctest.h>

#include <functional>

#include "cli_test_helpers.h"
#include <fmt/core.h>

#include "almkit/core/kkt.h"
#include "almkit/problems/rnn/rnn_model.h"
#include "almkit/problems/rnn/rnn_problem.h"
#include "almkit/study/rnn_checkpoint.h"
#include "almkit/study/rnn_trainer.h"

using namespace almkit;
using namespace almkit::rnn;

namespace {

namespace fs = std::filesystem;

fs::path temp_dir(const std::string& name) { return almkit::testing::fresh_temp_dir("almkit_test_rnn_train", name); }

// dir/s.csv: 30 rows of u = sin(0.3 t), target = cos(0.3 t).
fs::path sine_csv(const fs::path& dir) {
  std::string csv = "u,target\n";
  for (int t = 0; t < 30; ++t) csv += fmt::format("{},{}\n", std::sin(0.3 * t), std::cos(0.3 * t));
  const fs::path data = dir / "s.csv";
  std::ofstream(data) << csv;
  return data;
}

// `almkit train` on `data` (target column "target") with `flags`, writing to
// dir/out; requires exit 0 and returns its summary.json.
nlohmann::json train_summary(const fs::path& data, const fs::path& dir, const std::string& flags) {
  const fs::path out = dir / "out";
  const almkit::testing::CliRun r = almkit::testing::run_cli(
      fmt::format("train --data \"{}\" --target target --hidden 2 --no-plots --quiet {} --out \"{}\"", data.string(),
                  flags, out.string()));
  INFO(r.output);
  REQUIRE(r.code == 0);
  return nlohmann::json::parse(almkit::testing::slurp(out / "summary.json"));
}
using almkit::testing::CliRun;
using almkit::testing::run_cli;
using almkit::testing::slurp;

int count_lines(const std::string& s) {
  int n = 0;
  for (char ch : s) n += ch == '\n';
  return n;
}

// Teacher ReLU RNN (docs/rnn.md §6): weights N(0, 0.05²), inputs U(−1, 1), y + noise.
struct TeacherData {
  RnnDataset data;
  double noise_variance = 0.0;
};

TeacherData teacher_student_data(int T, int d, int m_teacher, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> U(-1.0, 1.0);
  RnnWeights teacher = initialize_weights(m_teacher, d, 1, InitScheme::kGaussian, 0.05, seed + 1);
  RnnSeries s;
  s.X = Matrix::NullaryExpr(d, T, [&](Eigen::Index, Eigen::Index) { return U(rng); });
  s.Y = Matrix::Zero(1, T);
  s.omega = Vector::Ones(T);
  const Matrix clean = predict_series(teacher, s);
  // Targets standardized so the target variance is 1 (the teacher's output is
  // O(1e-3)); the noise is 1 % of the signal variance.
  const double mean = clean.mean();
  const double sd = std::sqrt((clean.array() - mean).square().mean());
  std::normal_distribution<double> noise(0.0, 0.1);
  TeacherData out;
  out.noise_variance = 0.01;
  s.Y = ((clean.array() - mean) / sd).matrix();
  for (int t = 0; t < T; ++t) s.Y(0, t) += noise(rng);
  const int n_train = T * 4 / 5;
  out.data.train.X = s.X.leftCols(n_train);
  out.data.train.Y = s.Y.leftCols(n_train);
  out.data.train.omega = Vector::Ones(n_train);
  out.data.test.X = s.X.rightCols(T - n_train);
  out.data.test.Y = s.Y.rightCols(T - n_train);
  out.data.test.omega = Vector::Ones(T - n_train);
  out.data.scaling.inputs = ColumnScaling::identity(d);
  out.data.scaling.targets = ColumnScaling::identity(1);
  out.data.input_columns = {"x1", "x2"};
  out.data.target_columns = {"y"};
  return out;
}

}  // namespace

TEST_CASE("rnn train: KKT rows with the problem's adjoint multipliers equal the BPTT gradient of F") {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> U(-1.0, 1.0);
  RnnSeries data;
  const int d = 3, p = 2, m = 5, T = 23;
  data.X = Matrix::NullaryExpr(d, T, [&](Eigen::Index, Eigen::Index) { return U(rng); });
  data.Y = Matrix::NullaryExpr(p, T, [&](Eigen::Index, Eigen::Index) { return U(rng); });
  data.omega = Vector::Ones(T);
  data.omega(4) = 0.0;
  data.sequence_starts = {0, 8, 15};
  RnnRegularization reg;
  reg.lambda1 = 0.011;
  reg.lambda2 = 0.012;
  reg.lambda3 = 0.013;
  reg.lambda4 = 0.014;
  reg.lambda5 = 0.015;
  reg.lambda6 = 0.016;
  RnnWeights w = initialize_weights(m, d, p, InitScheme::kGaussian, 0.6, 9);
  w.b = Vector::LinSpaced(m, -0.3, 0.4);
  w.c = Vector::LinSpaced(p, 0.2, -0.1);
  RnnTrainingProblem problem(data, m, reg);
  const Vector x = problem.make_point(w);  // forward-pass point: feasible
  CHECK(infeasibility(problem, x) < 1e-14);
  const Vector lambda = problem.bptt_multipliers(x);
  const Vector lg = lagrangian_gradient(problem, x, lambda, Vector(0), Vector::Zero(problem.num_variables()));
  // Rows of H and U vanish; rows of W, V, b, A, c are ∇F (rnn_model.cpp, independent code).
  CHECK(lg.tail(2 * m * T).lpNorm<Eigen::Infinity>() < 1e-13);
  RnnWeights g;
  reduced_objective(w, data, reg, {}, &g);
  const Vector grad = flatten(g);
  REQUIRE(grad.size() == problem.num_weights());
  CHECK((lg.head(problem.num_weights()) - grad).lpNorm<Eigen::Infinity>() < 1e-13);
  // And my adjoints are the problem's.
  Matrix xi1, xi2;
  bptt_multipliers(w, data, reg, &xi1, &xi2);
  const auto mv = problem.multiplier_view(lambda);
  CHECK((mv.Xi1 - xi1).lpNorm<Eigen::Infinity>() < 1e-13);
  CHECK((mv.Xi2 - xi2).lpNorm<Eigen::Infinity>() < 1e-13);
}

TEST_CASE("rnn train: teacher-student run reaches < 10 % of the target variance") {
  const TeacherData td = teacher_student_data(400, 2, 6, 77);
  TrainOptions o = TrainOptions::defaults();
  o.policy = TrainPolicy::kRollout;  // the ALM-BCD fit (the default policy's teacher runs: test_rnn_shooting.cpp)
  o.hidden = 12;
  o.init = InitScheme::kGaussian;
  o.init_std = 0.1;
  o.seed = 3;
  // λ = 1e-3: small next to the unit target variance; with λ ≤ 1e-5 the
  // unregularized W drifts to spectral radius > 1 and the forward pass of the
  // (only approximately feasible) iterate can blow up.
  o.regularization = RnnRegularization{1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1e-8};
  o.alm.max_outer_iterations = 25;
  const TrainResult r = train(td.data, o);
  const double var = (td.data.train.Y.array() - td.data.train.Y.mean()).square().mean();
  MESSAGE(fmt::format("teacher-student: train MSE {:.4g} (target variance {:.4g}, noise floor {:.4g}), test MSE {:.4g}, "
                      "{} outer, {} sweeps, {:.3f} s",
                      r.final_metrics.train_mse, var, td.noise_variance, r.final_metrics.test_mse,
                      r.summary.outer_iterations, r.total_sweeps, r.wall_seconds));
  CHECK(r.final_metrics.train_mse < 0.1 * var);
  CHECK(r.history.size() == static_cast<size_t>(r.summary.outer_iterations + 1));
  CHECK(r.history.front().iteration == 0);
  CHECK(r.kkt_bptt.infeasibility < 1e-12);
  CHECK_FALSE(r.certificate.empty());
}

namespace {

// SP500, m = 10, LeCun seed 1, `outer` iterations of the rollout policy: the state
// at the first iteration (≥ 20) where `in_use` holds is sent through the
// checkpoint's JSON; the resumed run must end where the uninterrupted one does,
// and a resume without the policy's memory must not.
void check_resume_bit_for_bit(const std::function<bool(const RolloutMemory&)>& in_use, int outer = 1000) {
  DataSpec spec;
  spec.path = std::string(ALMKIT_TEST_DATA_DIR) + "/clean_SP500.csv";
  spec.targets = {"RV_SP500"};
  const RnnDataset ds = load_dataset(spec);
  TrainOptions o = TrainOptions::defaults();
  o.policy = TrainPolicy::kRollout;
  o.hidden = 10;
  o.init = InitScheme::kLecun;
  o.seed = 1;
  o.rollout.tol_gradient = 0.0;
  o.rollout.tol_clarke = -1.0;
  o.alm.max_outer_iterations = outer;
  o.alm.time_limit_seconds = 1e9;
  nlohmann::json checkpoint;
  TrainHooks hooks;
  hooks.on_state = [&](const TrainState& st) {
    if (checkpoint.is_null() && st.iteration >= 20 && in_use(st.rollout.memory))
      checkpoint = train_checkpoint_to_json(st, o.to_json(), "running", o.seed);
  };
  const TrainResult full = train(ds, o, hooks);
  REQUIRE_FALSE(checkpoint.is_null());
  const int k = checkpoint["iteration"].get<int>();
  MESSAGE(fmt::format("checkpoint at iteration {} of {}: {} held kinks, {} Anderson columns, polish back-off {}", k,
                      full.summary.outer_iterations, checkpoint["rollout"]["memory"]["kinks_held"].size(),
                      checkpoint["rollout"]["memory"]["anderson_dtheta"].size(),
                      checkpoint["rollout"]["memory"]["newton_backoff"].get<int>()));
  REQUIRE(k < full.summary.outer_iterations);
  const TrainResume resume = train_resume_from_json(nlohmann::json::parse(checkpoint.dump()), 10, ds.train.d(), 1);
  TrainHooks again;
  again.resume = &resume;
  const TrainResult resumed = train(ds, o, again);
  CHECK(flatten(resumed.weights) == flatten(full.weights));
  REQUIRE(resumed.history.size() == full.history.size());
  for (size_t i = 0; i < full.history.size(); ++i) {
    CAPTURE(i);
    CHECK(resumed.history[i].objective == full.history[i].objective);
    CHECK(resumed.history[i].accepted == full.history[i].accepted);
  }
  TrainResume forgetful = resume;
  forgetful.rollout.memory = RolloutMemory{};
  again.resume = &forgetful;
  CHECK(flatten(train(ds, o, again).weights) != flatten(full.weights));
}

}  // namespace

TEST_CASE("rollout-long: a checkpoint holding Anderson columns and held kinks resumes bit for bit" * doctest::test_suite("long")) {
  // docs/rnn_bcd.md §8: the default step holds kinks within a few hundred outer iterations.
  check_resume_bit_for_bit(
      [](const RolloutMemory& mem) { return !mem.kinks_held.empty() && !mem.anderson_dtheta.empty(); });
}

TEST_CASE("rollout-long: a checkpoint between two Gauss-Newton polishes resumes bit for bit" * doctest::test_suite("long")) {
  // docs/rnn_bcd.md §8, "Manifold Gauss-Newton polish": the back-off and the F of
  // the last check decide when the next polish runs; both are in the checkpoint.
  check_resume_bit_for_bit([](const RolloutMemory& mem) { return mem.newton_skip > 0; }, 4000);
}

TEST_CASE("rnn train: CLI writes the output contract — predict reproduces the test predictions bit for bit") {
  const fs::path dir = temp_dir("cli");
  // A small multivariate series with an index column; 40 rows, 30 train.
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> U(-1.0, 1.0);
  std::string csv = ",u,v,target\n", tail = ",u,v,target\n";
  double s = 0.0;
  for (int t = 0; t < 40; ++t) {
    const double u = U(rng), v = U(rng);
    s = 0.5 * s + 0.8 * u - 0.3 * v;
    const std::string row = fmt::format("{},{:.17g},{:.17g},{:.17g}\n", t, u, v, 10.0 + 3.0 * s);
    csv += row;
    if (t >= 30) tail += row;
  }
  const fs::path data = dir / "series.csv", test_only = dir / "test_only.csv";
  std::ofstream(data) << csv;
  std::ofstream(test_only) << tail;
  const fs::path out = dir / "out";
  // --test-restart: the test pass from h_0 = 0, which `predict` on the test rows alone
  // reproduces (the default continued pass is checked against an independent
  // forward pass in "the test MSE continues from the training state by default").
  const CliRun r = run_cli(fmt::format("train --data \"{}\" --target target --scaling standardize --train-fraction 0.75 "
                                       "--hidden 4 --outer 2 --policy rollout --bcd.max_sweeps 20 --test-restart --no-plots --out \"{}\"",
                                       data.string(), out.string()));
  INFO(r.output);
  REQUIRE(r.code == 0);
  for (const char* f : {"summary.json", "history.csv", "model.json", "predictions.csv"}) CHECK(fs::exists(out / f));
  const std::string history = slurp(out / "history.csv");
  CHECK(history.rfind("iteration,seconds,train_mse,test_mse,violation_c1,violation_c2,gamma,sweeps,objective,grad_inf,rollout_gap,accepted\n", 0) == 0);
  CHECK(count_lines(history) == 4);  // header + rows 0, 1, 2
  const std::string summary = slurp(out / "summary.json");
  for (const char* key : {"\"train_mse\"", "\"test_mse\"", "\"wall_seconds\"", "\"outer_iterations\"", "\"sweeps\"",
                          "\"status\"", "\"kkt\"", "\"stationarity\"", "\"infeasibility\"", "\"options\""})
    CHECK(summary.find(key) != std::string::npos);
  const std::string preds = slurp(out / "predictions.csv");
  CHECK(preds.rfind("t,target,prediction\n30,", 0) == 0);
  CHECK(count_lines(preds) == 11);

  // The saved model on the test rows alone (restart from h_0 = 0, as the
  // trainer's test pass with --test-restart) gives the same text, digit for digit.
  const fs::path pred2 = dir / "pred2.csv";
  const CliRun p = run_cli(fmt::format("predict \"{}\" \"{}\" --out \"{}\"", (out / "model.json").string(),
                                       test_only.string(), pred2.string()));
  INFO(p.output);
  REQUIRE(p.code == 0);
  const std::string again = slurp(pred2);
  // Row labels differ (0.. in the new file); compare the value columns.
  auto values = [](const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) out.push_back(line.substr(line.find(',')));
    return out;
  };
  CHECK(values(preds) == values(again));
}

TEST_CASE("rnn train: the test MSE continues from the training state by default (docs/rnn.md §9)") {
  const fs::path dir = temp_dir("test_mode");
  const fs::path data = sine_csv(dir);  // 30 rows; --train-fraction 0.8: 24 train, 6 test
  // Test MSE of model.json's weights by an independent loop over the 30 rows
  // (scaling none): h_t = max(W h_{t-1} + V x_t + b, 0), ŷ_t = A h_t + c; the
  // state runs through the training rows (continued) or is zeroed at row 24 (restart).
  auto test_mse = [&](bool continued) {
    const RnnModel model = load_model((dir / "out" / "model.json").string());
    const RnnWeights& w = model.weights;
    Vector h = Vector::Zero(w.m());
    double sum = 0.0;
    for (int t = 0; t < 30; ++t) {
      if (t == 24 && !continued) h.setZero();
      Vector x(1);
      x << std::sin(0.3 * t);
      h = (w.W * h + w.V * x + w.b).cwiseMax(0.0);
      const double e = (w.A * h + w.c)(0) - std::cos(0.3 * t);
      if (t >= 24) sum += e * e;
    }
    return sum / 6;
  };
  // irnn (W = I): the state carries over the series, so the two modes differ.
  const std::string flags = "--scaling none --train-fraction 0.8 --init irnn --outer 3 --bcd.max_sweeps 20 ";
  struct Case {
    std::string flags, mode;
  };
  const Case cases[] = {{"", "continued"},
                        {"--test-continue", "continued"},
                        {"--test-restart", "restart_h0"},
                        {"--preset reference", "restart_h0"},
                        {"--preset reference --test-continue", "continued"},
                        {"--preset plain", "continued"}};
  std::vector<Vector> thetas;  // of "" and --test-restart
  for (const auto& c : cases) {
    INFO(c.flags);
    const nlohmann::json s = train_summary(data, dir, flags + c.flags);
    CHECK(s.at("test_mse_mode") == c.mode);
    const bool continued = c.mode == "continued";
    CHECK(s.at("options").at("test_continues_from_train") == continued);
    CHECK(load_model((dir / "out" / "model.json").string()).test_continues_from_train == continued);
    const double expected = test_mse(continued), other = test_mse(!continued);
    CHECK(s.at("test_mse").get<double>() == doctest::Approx(expected).epsilon(1e-10));
    // The two modes differ on these weights, so the check above can tell them apart.
    CHECK(std::abs(expected - other) > 1e-8 * std::abs(expected));
    if (c.flags.empty() || c.flags == "--test-restart")
      thetas.push_back(flatten(load_model((dir / "out" / "model.json").string()).weights));
  }
  // The test mode changes only how the test part is scored, no training step.
  REQUIRE(thetas.size() == 2);
  CHECK(thetas[0] == thetas[1]);
}

TEST_CASE("rnn train: several target columns (p = 2) through train and predict") {
  const fs::path dir = temp_dir("multi");
  std::mt19937_64 rng(12);
  std::uniform_real_distribution<double> U(-1.0, 1.0);
  std::string csv = "u,a,b\n";
  double s = 0.0;
  for (int t = 0; t < 30; ++t) {
    const double u = U(rng);
    s = 0.5 * s + u;
    csv += fmt::format("{:.17g},{:.17g},{:.17g}\n", u, s, 5.0 - s);
  }
  const fs::path data = dir / "two.csv", out = dir / "out";
  std::ofstream(data) << csv;
  const CliRun r = run_cli(fmt::format("train --data \"{}\" --target b,a --inputs u --scaling standardize --train-fraction 0.8 "
                                       "--hidden 3 --outer 2 --bcd.max_sweeps 10 --no-plots --out \"{}\"",
                                       data.string(), out.string()));
  INFO(r.output);
  REQUIRE(r.code == 0);
  const std::string preds = slurp(out / "predictions.csv");
  CHECK(preds.rfind("t,target_1,target_2,prediction_1,prediction_2\n24,", 0) == 0);
  CHECK(count_lines(preds) == 7);
  // target_1 is b, target_2 is a (the order given), in original units: b = 5 − a.
  std::istringstream in(preds);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    double t = 0, y1 = 0, y2 = 0;
    REQUIRE(std::sscanf(line.c_str(), "%lf,%lf,%lf", &t, &y1, &y2) == 3);
    CHECK(y1 == doctest::Approx(5.0 - y2));
  }
  std::string model = slurp(out / "model.json");
  model.erase(std::remove_if(model.begin(), model.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); }),
              model.end());
  CHECK(model.find("\"target_columns\":[\"b\",\"a\"]") != std::string::npos);
  const CliRun p = run_cli(fmt::format("predict \"{}\" \"{}\"", (out / "model.json").string(), data.string()));
  INFO(p.output);
  REQUIRE(p.code == 0);
  CHECK(p.output.find("t,target_1,target_2,prediction_1,prediction_2") != std::string::npos);
}

TEST_CASE("rnn train: CLI error paths exit with code 2 and a one-line message") {
  const fs::path dir = temp_dir("errors");
  const fs::path bad = dir / "bad.csv";
  std::ofstream(bad) << "a,b,y\n1,2,3\n4,oops,6\n7,8,9\n";
  // A valid model whose input column the data file lacks.
  RnnModel model;
  model.weights = initialize_weights(3, 1, 1, InitScheme::kGaussian, 0.1, 1);
  model.input_columns = {"zz"};
  model.target_columns = {"y"};
  model.scaling.inputs = ColumnScaling::identity(1);
  model.scaling.targets = ColumnScaling::identity(1);
  const fs::path model_path = dir / "model.json";
  save_model(model, model_path.string());
  struct Case {
    std::string args;
    std::string expect;
  };
  const Case cases[] = {
      {"train --hidden abc --no-plots", "hidden"},
      {"train --scaling fancy --no-plots", "scaling"},
      {"train --policy nope --no-plots", "policy"},
      {"train --test-continue --test-restart --no-plots", "--test-restart"},
      {"train --alm.ref_eta1 2 --no-plots", "ref_eta1"},
      {"train --bcd.change_measure sideways --no-plots", "change_measure"},
      {fmt::format("train --data \"{}\" --no-plots", (dir / "missing.csv").string()), "missing.csv"},
      {"train --target NO_SUCH_COLUMN --no-plots", "NO_SUCH_COLUMN"},
      {fmt::format("train --data \"{}\" --target y --no-plots", bad.string()), "bad.csv:3: column 'b'"},
      {fmt::format("predict \"{}\" \"{}\"", (dir / "none.json").string(), bad.string()), "none.json"},
      {fmt::format("predict \"{}\" \"{}\"", model_path.string(), bad.string()), "bad.csv:1: column 'zz'"},
      {fmt::format("predict \"{}\" \"{}\"", model_path.string(), (dir / "nodata.csv").string()), "nodata.csv"},
  };
  for (const auto& c : cases) {
    const CliRun r = run_cli(c.args + fmt::format(" --out \"{}\"", (dir / "out").string()));
    INFO(c.args, "\n", r.output);
    CHECK(r.code == 2);
    CHECK(r.output.rfind("almkit: error:", 0) == 0);
    CHECK(r.output.find(c.expect) != std::string::npos);
    // One line of error (CLI11 parse errors add the "Run with --help" hint).
    const int lines = count_lines(r.output);
    CHECK((lines == 1 || (lines == 2 && r.output.find("Run with --help") != std::string::npos)));
  }
}

TEST_CASE("rnn train: one outer policy field — --policy, else --alm.policy where the generic driver runs") {
  const fs::path dir = temp_dir("policy");
  const fs::path data = sine_csv(dir);
  auto policy_of = [&](const std::string& flags) {
    const nlohmann::json s = train_summary(data, dir, "--outer 1 --bcd.max_sweeps 2 --lbfgs.max_iterations 5 " + flags);
    // The driver's alm.policy in the options follows the outer policy (TrainOptions::driver_alm).
    if (s["policy"] != "rollout" && s["policy"] != "time-parallel") CHECK(s["options"]["alm"]["policy"] == s["policy"]);
    CHECK(s["kkt"].contains("sign_violation"));
    return s["policy"].get<std::string>();
  };
  CHECK(policy_of("") == "time-parallel");
  CHECK(policy_of("--inner bcd") == "rollout");  // BCD by name without --policy: the rollout policy
  CHECK(policy_of("--preset plain") == "rollout");
  CHECK(policy_of("--policy safeguarded") == "safeguarded");
  CHECK(policy_of("--inner lbfgs") == "reference");
  CHECK(policy_of("--inner lbfgs --alm.policy safeguarded") == "safeguarded");
  CHECK(policy_of("--preset reference --alm.policy safeguarded") == "safeguarded");
  CHECK(policy_of("--alm.policy safeguarded") == "time-parallel");  // the generic driver does not run: the default stays
  // An option of the rollout policy without it is refused by name, not ignored.
  const CliRun unused = run_cli(fmt::format("train --data \"{}\" --target target --rollout.anderson 2 --quiet --out \"{}\"",
                                            data.string(), (dir / "unused").string()));
  CHECK(unused.code == 2);
  CHECK(unused.output.find("rollout.anderson: policy time-parallel (the default) does not use") != std::string::npos);
}

TEST_CASE("rnn train: --preset plain sets the rollout step and keeps flags given by name") {
  const fs::path dir = temp_dir("preset_plain");
  const fs::path data = sine_csv(dir);
  auto rollout_of = [&](const std::string& flags) {
    const nlohmann::json s = train_summary(data, dir, "--outer 3 " + flags);
    CHECK(s["policy"] == "rollout");
    return s["options"]["rollout"];
  };
  const nlohmann::json d = rollout_of("--policy rollout");
  CHECK(d["kink_manifold"] == 64);
  CHECK(d["anderson"] == 5);
  CHECK(d["w_proximal"] == 10.0);
  const nlohmann::json k = rollout_of("--preset plain");
  CHECK(k["kink_manifold"] == 0);
  CHECK(k["anderson"] == 0);
  CHECK(k["w_proximal"] == 0.0);
  CHECK(k["gamma0"] == d["gamma0"]);  // the rest stays at the defaults
  const nlohmann::json g = rollout_of("--preset plain --rollout.anderson 2");
  CHECK(g["anderson"] == 2);
  CHECK(g["kink_manifold"] == 0);
  const CliRun bad = run_cli(fmt::format("train --data \"{}\" --target target --preset kkt --quiet", data.string()));
  CHECK(bad.code == 2);
  CHECK(bad.output.find("known: reference, plain") != std::string::npos);
}
