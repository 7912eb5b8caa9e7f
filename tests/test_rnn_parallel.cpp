// Time-parallel ALM-BCD (docs/parallel.md): chunked block updates against the
// sequential sweep, independence of the thread count, chunk boundaries that
// cut through sequences and ones that coincide with sequence starts; the
// several-sequence CSV loader (--sequence-column); the CLI options.
//
// Cases named "parallel-long: ..." train for 5 outer iterations of the
// reference preset (1000 sweeps) several times; the sanitizer job leaves them
// to the release job (.ci/sanitize.sh).
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "almkit/problems/rnn/rnn_data.h"
#include "almkit/problems/rnn/rnn_model.h"
#include "almkit/problems/rnn/rnn_problem.h"
#include "almkit/study/rnn_trainer.h"
#include "cli_test_helpers.h"
#include "rnn_test_helpers.h"

using namespace almkit;
using namespace almkit::rnn;
using namespace almkit::rnn::testing;

namespace {


// K full sweeps (w, a, h, u) from one random point with the given parallel options.
Vector run_sweeps(const RnnSeries& s, int m, RnnParallelOptions po, int K) {
  RnnTrainingProblem P(s, m, random_regularization(3));
  P.set_parallel(po);
  Vector x = random_point(P, 11);
  const Vector lambda = random_vector(P.num_equalities(), 12, 0.1);
  const Vector mu(0);
  for (int k = 0; k < K; ++k) {
    P.begin_sweep(x);
    for (int b = 0; b < P.num_blocks(); ++b) P.minimize_block(b, lambda, mu, 2.0, 1e-5, x);
  }
  return x;
}


// A 4-sequence CSV (columns seq, x1, x2, y) of `len` rows each from a small
// teacher RNN: with train fraction 0.75, three sequences train and one tests.
std::string write_sequences_csv(const std::string& dir, int len) {
  std::mt19937_64 rng(9);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::string csv = "seq,x1,x2,y\n";
  for (int s = 0; s < 4; ++s) {
    double h1 = 0.0, h2 = 0.0;
    for (int t = 0; t < len; ++t) {
      const double x1 = u(rng), x2 = u(rng);
      const double n1 = std::max(0.0, 0.5 * h1 - 0.3 * h2 + x1), n2 = std::max(0.0, 0.2 * h1 + 0.4 * h2 + x2 - 0.1);
      h1 = n1, h2 = n2;
      csv += "s" + std::to_string(s) + "," + std::to_string(x1) + "," + std::to_string(x2) + "," +
             std::to_string(h1 - h2 + 0.01 * u(rng)) + "\n";
    }
  }
  const std::string path = dir + "/sequences.csv";
  std::ofstream(path) << csv;
  return path;
}

// Train MSE, violations and final weights of `opt` on `data`, with the given chunking and threads.
struct RunResult {
  double train_mse, c1, c2;
  Vector weights;
};
RunResult train_with(const RnnDataset& data, TrainOptions opt, int threads, int chunk) {
  opt.threads = threads;
  opt.chunk_columns = chunk;
  const TrainResult r = train(data, opt);
  return RunResult{r.final_metrics.train_mse, r.history.back().violation_c1, r.history.back().violation_c2,
                   flatten(r.weights)};
}

void check_close(const RunResult& a, const RunResult& ref, double tol) {
  CHECK(rel_diff(a.train_mse, ref.train_mse) <= tol);
  CHECK(rel_diff(a.c1, ref.c1) <= tol);
  CHECK(rel_diff(a.c2, ref.c2) <= tol);
  CHECK(rel_diff(a.weights, ref.weights) <= tol);
}

void check_equal(const RunResult& a, const RunResult& b) {
  CHECK(a.train_mse == b.train_mse);
  CHECK(a.c1 == b.c1);
  CHECK(a.c2 == b.c2);
  CHECK(a.weights == b.weights);
}

}  // namespace

TEST_CASE("parallel: chunk layout, one chunk is the sequential path bit for bit") {
  const RnnSeries s = random_series(2, 1, 100, {0, 40}, false, 4);
  RnnTrainingProblem P(s, 4);
  CHECK(P.num_chunks() == 1);
  P.set_parallel({2, 30});
  CHECK(P.num_chunks() == 4);  // 30, 30, 30, 10
  P.set_parallel({2, 100});
  CHECK(P.num_chunks() == 1);
  CHECK_THROWS_AS(P.set_parallel({0, 10}), std::invalid_argument);
  CHECK_THROWS_AS(P.set_parallel({1, -1}), std::invalid_argument);
  // T ≤ chunk_columns, any thread count: the sequential code path exactly.
  CHECK(run_sweeps(s, 4, {2, 100}, 3) == run_sweeps(s, 4, {1, 0}, 3));
}

TEST_CASE("parallel: chunked sweeps equal the sequential sweep to round-off and do not depend on the threads") {
  // Sequences start at 0, 37, 64 and 150; chunks of 32 columns start at 0, 32,
  // 64 (a sequence start), 96, … 192: boundaries inside sequences and at a start.
  for (const bool gaps : {false, true}) {  // ω ≡ 1 (H Hᵀ handed from w to a) and ω with zeros (4 h classes)
    CAPTURE(gaps);
    const RnnSeries s = random_series(3, 2, 200, {0, 37, 64, 150}, gaps, 5);
    const Vector seq = run_sweeps(s, 6, {1, 0}, 6);
    const Vector c1 = run_sweeps(s, 6, {1, 32}, 6);
    CHECK(rel_diff(c1, seq) <= 1e-12);
    CHECK(c1 == run_sweeps(s, 6, {2, 32}, 6));  // bit for bit: partial sums added in chunk order
    CHECK(c1 == run_sweeps(s, 6, {3, 32}, 6));
    // One column per chunk: every boundary is a halo exchange.
    const Vector one = run_sweeps(s, 6, {2, 1}, 6);
    CHECK(rel_diff(one, seq) <= 1e-12);
  }
}

namespace {

// Four 40-step sequences (three for training, one for testing) in a fresh
// folder of the test case, read with --sequence-column seq.
DataSpec four_sequences(const std::string& case_name) {
  const std::string dir = almkit::testing::fresh_temp_dir("almkit_parallel", case_name).string();
  DataSpec spec;
  spec.path = write_sequences_csv(dir, 40);
  spec.sequence_column = "seq";
  spec.train_fraction = 0.75;
  return spec;
}

}  // namespace

TEST_CASE("parallel: forward pass and BPTT by sequence groups equal one thread and rnn_types' forward_pass") {
  // Four sequences (starts 0, 37, 64, 150 of 200): t threads make t groups (cut at
  // the starts nearest to k·200/t); one sequence stays one group whatever the threads.
  const RnnSeries s = random_series(3, 2, 200, {0, 37, 64, 150}, true, 21);
  const int m = 5;
  RnnTrainingProblem P(s, m, random_regularization(4));
  const Vector x0 = random_point(P, 5);  // infeasible: restore_feasibility must overwrite H and U
  const auto v0 = P.view(x0);
  const RnnWeights w{v0.W, v0.V, v0.b, v0.A, v0.c};
  const RnnStates ref = forward_pass(w, s);  // the independent recursion of rnn_types
  Vector x1, lam1;
  for (int threads : {1, 2, 3, 4}) {
    CAPTURE(threads);
    P.set_parallel({threads, 0});
    CHECK(P.num_sequence_groups() == threads);
    Vector x = x0;
    P.restore_feasibility(x);
    CHECK(P.view(x).H == ref.H);
    CHECK(P.view(x).U == ref.U);
    // Kink selections at a few entries exercise the selection path as well.
    const Vector lam = P.bptt_multipliers(x, {3, 400, 997}, {0.25, 1.0, 0.5});
    if (threads == 1) {
      x1 = x;
      lam1 = lam;
    } else {
      CHECK(x == x1);
      CHECK(lam == lam1);
    }
  }
  // The BPTT multipliers make the state rows of ∇f + J_cᵀλ vanish (docs/rnn.md §3) with 3 groups too.
  P.set_parallel({3, 0});
  const Vector lam = P.bptt_multipliers(x1);
  Vector grad(P.num_variables()), jt(P.num_variables());
  P.eval_grad_f(x1, grad);
  P.eval_jac_c_t_prod(x1, lam, jt);
  const Vector state_rows = (grad + jt).tail(P.num_variables() - P.num_weights());
  CAPTURE(grad.lpNorm<Eigen::Infinity>());
  CAPTURE(jt.lpNorm<Eigen::Infinity>());
  CHECK(state_rows.lpNorm<Eigen::Infinity>() <= 1e-13 * std::max(1.0, jt.lpNorm<Eigen::Infinity>()));
  RnnTrainingProblem one(random_series(3, 2, 50, {0}, false, 22), m);
  one.set_parallel({4, 0});
  CHECK(one.num_sequence_groups() == 1);
}

TEST_CASE("parallel: several sequences from a CSV (--sequence-column)") {
  const DataSpec spec = four_sequences("seqcsv");
  const std::string dir = std::filesystem::path(spec.path).parent_path().string();
  const RnnDataset data = load_dataset(spec);
  CHECK(data.input_columns == std::vector<std::string>{"x1", "x2"});  // the sequence column is not an input
  CHECK(data.target_columns == std::vector<std::string>{"y"});
  CHECK(data.train.T() == 120);
  CHECK(data.train.sequence_starts == std::vector<int>{0, 40, 80});
  CHECK(data.test.T() == 40);
  CHECK(data.test.sequence_starts == std::vector<int>{0});

  auto fails_with = [&](const std::string& text, const std::string& column, const std::string& what) {
    const std::string path = dir + "/bad.csv";
    std::ofstream(path) << text;
    DataSpec b = spec;
    b.path = path;
    b.sequence_column = column;
    try {
      load_dataset(b);
      FAIL("no error for " << what);
    } catch (const std::invalid_argument& e) {
      CHECK(std::string(e.what()).find(what) != std::string::npos);
    }
  };
  const std::string ok = "seq,x,y\na,1,2\na,2,3\nb,3,4\nb,4,5\n";
  fails_with(ok, "nope", "unknown sequence column");
  fails_with("seq,x,y\na,1,2\na,2,3\nb,3,4\nb,4,5\na,5,6\na,6,7\n", "seq", "must be contiguous");
  fails_with("seq,x,y\na,1,2\na,2,3\nb,3,4\nc,4,5\nc,5,6\n", "seq", "has 1 row");
  fails_with("seq,x,y\na,1,2\na,2,3\na,3,4\n", "seq", "too few sequences");
}

TEST_CASE("parallel-long: SP500 with the reference preset for 5 outer iterations: chunked and threaded runs equal the sequential run" * doctest::test_suite("long")) {
  DataSpec spec;
  spec.path = default_data_path();
  const RnnDataset data = load_dataset(spec);
  const TrainOptions opt = TrainOptions::reference_preset();
  const RunResult seq = train_with(data, opt, 1, 0);
  const RunResult t1 = train_with(data, opt, 1, 50);  // 8 chunks of T = 393
  const RunResult t2 = train_with(data, opt, 2, 50);
  check_close(t1, seq, 1e-10);
  check_equal(t2, t1);
}

TEST_CASE("parallel-long: three training sequences for 5 outer iterations: chunks inside sequences and at their starts" * doctest::test_suite("long")) {
  const RnnDataset data = load_dataset(four_sequences("seqtrain"));
  TrainOptions opt = TrainOptions::reference_preset();
  opt.hidden = 8;
  const RunResult seq = train_with(data, opt, 1, 0);
  const RunResult cut = train_with(data, opt, 1, 16);  // boundaries 16, 32, 48, … cut through the sequences
  const RunResult at = train_with(data, opt, 1, 40);   // boundaries 40, 80 = the sequence starts
  check_close(cut, seq, 1e-10);
  check_close(at, seq, 1e-10);
  // Threads only schedule the chunks: bit for bit the 1-thread run (the
  // thread start per parallel loop dominates at this size, so one such run).
  check_equal(train_with(data, opt, 3, 16), cut);
}

TEST_CASE("parallel: almkit train --threads, --chunk-columns, --sequence-column on the command line") {
  using almkit::testing::run_cli;
  const std::string dir = almkit::testing::fresh_temp_dir("almkit_parallel", "cli").string();
  const auto zero = run_cli("train --threads 0 --out " + dir + "/a");
  CHECK(zero.code == 2);
  CHECK(zero.output.find("--threads") != std::string::npos);
  const auto unknown = run_cli("train --sequence-column nope --out " + dir + "/b");
  CHECK(unknown.code == 2);
  CHECK(unknown.output.find("nope") != std::string::npos);
  const std::string csv = write_sequences_csv(dir, 20);
  const auto ok = run_cli("train --data " + csv + " --sequence-column seq --train-fraction 0.75 --hidden 4 --outer 2 "
                          "--threads 2 --chunk-columns 16 --print-options --quiet --no-plots --out " + dir + "/c");
  CHECK(ok.code == 0);
  CHECK(ok.output.find("\"threads\": 2") != std::string::npos);
  CHECK(ok.output.find("\"chunk_columns\": 16") != std::string::npos);
  CHECK(ok.output.find("\"train_sequences\": 3") != std::string::npos);
  // --resume may change --threads (the result does not depend on it), not --chunk-columns.
  CHECK(run_cli("train --data " + csv + " --sequence-column seq --train-fraction 0.75 --hidden 4 --outer 2 --threads 2 "
                "--quiet --no-plots --out " + dir + "/d").code == 0);
  const auto again = run_cli("train --resume " + dir + "/d --threads 1 --quiet --no-plots");
  CHECK(again.code == 0);
  CHECK(almkit::testing::slurp(dir + "/d/summary.json").find("\"threads\": 1") != std::string::npos);
  const auto refused = run_cli("train --data " + csv + " --sequence-column seq --train-fraction 0.75 --hidden 4 --outer 2 "
                               "--chunk-columns 8 --resume " + dir + "/d --quiet --no-plots");
  CHECK(refused.code == 2);
  CHECK(refused.output.find("chunk_columns") != std::string::npos);
}
