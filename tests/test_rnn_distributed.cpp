// The time-parallel ALM-BCD on ranks (docs/parallel.md §3): the rank layout,
// the rank-local slice's block updates, constraints, BPTT and KKT residual
// against RnnTrainingProblem (an independent implementation) on 1–3 ranks run
// as threads (core/communicator.h InProcessGroup), and the distributed
// trainer against rnn::train(). The same comparison over real MPI ranks is
// tests/mpi_train_test.sh (ctest mpi.*).
//
// Cases named "distributed-long: ..." train for 5 outer iterations of the
// reference preset several times; the sanitizer job leaves them to the
// release job (.ci/sanitize.sh).
#include <doctest/doctest.h>

#include <cmath>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "almkit/core/communicator.h"
#include "almkit/core/kkt.h"
#include "almkit/problems/rnn/rnn_data.h"
#include "almkit/problems/rnn/rnn_model.h"
#include "almkit/problems/rnn/rnn_problem.h"
#include "almkit/problems/rnn/rnn_slice.h"
#include "almkit/study/rnn_distributed.h"
#include "almkit/study/rnn_trainer.h"
#include "cli_test_helpers.h"
#include "rnn_test_helpers.h"

using namespace almkit;
using namespace almkit::rnn;
using namespace almkit::rnn::testing;

namespace {



// The slices of P ranks, each set from the global (x, λ) of P; after fn(slice)
// on every rank the local columns of H, U are written back into (H, U) and
// rank 0's weights into *w.
struct Gathered {
  RnnWeights w;
  Matrix H, U, L1, L2;
  std::vector<double> scalars;  // per fn: rank 0's
};
Gathered on_ranks(const RnnTrainingProblem& P, VectorCRef x, VectorCRef lambda, int ranks, RankSplit split,
                  const std::function<std::vector<double>(RnnSlice&, Matrix&, Matrix&)>& fn) {
  const auto v = P.view(x);
  const auto xi = P.multiplier_view(lambda);
  const auto ranges = rank_ranges(P.data(), ranks, split);
  Gathered g;
  g.H = g.U = g.L1 = g.L2 = Matrix::Zero(P.m(), P.T());
  std::mutex mu;
  InProcessGroup(ranks).run([&](Communicator& comm) {
    const auto [first, last] = ranges[static_cast<size_t>(comm.rank())];
    const int n = last - first;
    RnnSlice s(slice_series(P.data(), first, last), P.m(), P.regularization(), comm);
    s.w = P.weights(x);
    s.H = v.H.middleCols(first, n);
    s.U = v.U.middleCols(first, n);
    s.Xi1 = xi.Xi1.middleCols(first, n);
    s.Xi2 = xi.Xi2.middleCols(first, n);
    s.exchange_halo();
    Matrix L1 = Matrix::Zero(P.m(), n), L2 = L1;
    const std::vector<double> out = fn(s, L1, L2);
    std::lock_guard<std::mutex> lock(mu);
    g.H.middleCols(first, n) = s.H;
    g.U.middleCols(first, n) = s.U;
    g.L1.middleCols(first, n) = L1;
    g.L2.middleCols(first, n) = L2;
    if (comm.rank() == 0) g.w = s.w, g.scalars = out;
  });
  return g;
}

}  // namespace

TEST_CASE("distributed: rank ranges by time and by whole sequences") {
  const RnnSeries s = random_series(2, 1, 200, {0, 37, 64, 150}, false, 4);
  using R = std::vector<std::pair<int, int>>;
  CHECK(rank_ranges(s, 1, RankSplit::kTime) == R{{0, 200}});
  CHECK(rank_ranges(s, 3, RankSplit::kTime) == R{{0, 66}, {66, 133}, {133, 200}});
  // Nearest starts to 66.7 and 133.3 are 64 and 150.
  CHECK(rank_ranges(s, 3, RankSplit::kSequences) == R{{0, 64}, {64, 150}, {150, 200}});
  CHECK(rank_ranges(s, 4, RankSplit::kSequences) == R{{0, 37}, {37, 64}, {64, 150}, {150, 200}});
  // Fewer sequences than ranks: cut by time.
  CHECK(rank_ranges(s, 5, RankSplit::kSequences) == rank_ranges(s, 5, RankSplit::kTime));
  CHECK_THROWS_AS(rank_ranges(random_series(1, 1, 3, {0}, false, 1), 4, RankSplit::kTime), std::invalid_argument);
  const RnnSliceData mid = slice_series(s, 50, 100);
  CHECK(mid.linked_left);
  CHECK(mid.linked_right);
  CHECK(mid.series.sequence_starts == std::vector<int>{0, 14});
  const RnnSliceData at = slice_series(s, 64, 150);
  CHECK_FALSE(at.linked_left);
  CHECK_FALSE(at.linked_right);
}

TEST_CASE("distributed: slice block updates, c(x), KKT residual and BPTT on 1-3 ranks equal RnnTrainingProblem") {
  for (const bool gaps : {false, true}) {
    CAPTURE(gaps);
    const RnnSeries series = random_series(3, 2, 200, {0, 37, 64, 150}, gaps, 5);
    const int m = 6;
    const RnnTrainingProblem P(series, m, random_regularization(3));
    const Vector x0 = random_point(P, 11);
    const Vector lambda = random_vector(P.num_equalities(), 12, 0.1);
    // Three sweeps of the problem's sequential block minimizers (β = 2, σp = 1e-5).
    Vector x = x0;
    for (int k = 0; k < 3; ++k) {
      P.begin_sweep(x);
      for (int b = 0; b < P.num_blocks(); ++b) P.minimize_block(b, lambda, Vector(0), 2.0, 1e-5, x);
    }
    const auto v = P.view(x);
    Vector c(P.num_equalities());
    P.eval_c(x, c);
    const auto cv = P.multiplier_view(c);
    const double stat = kkt_residuals(P, x, lambda, Vector(0), Vector::Zero(P.num_variables())).stationarity;
    Vector xf = x;
    P.restore_feasibility(xf);
    const Vector bptt = P.bptt_multipliers(xf);
    const auto bv = P.multiplier_view(bptt);
    RnnWeights g_ref;
    const double F = P.eval_f(xf);
    for (int ranks = 1; ranks <= 3; ++ranks)
      for (const RankSplit split : {RankSplit::kTime, RankSplit::kSequences}) {
        CAPTURE(ranks);
        CAPTURE(to_string(split));
        const Gathered g = on_ranks(P, x0, lambda, ranks, split, [&](RnnSlice& s, Matrix& C1, Matrix& C2) {
          for (int k = 0; k < 3; ++k) s.sweep(2.0, 1e-5);
          s.constraints(C1, C2);
          std::vector<double> out{s.stationarity(s.Xi1, s.Xi2)};
          return out;
        });
        CHECK(rel_diff(flatten(g.w), flatten(P.weights(x))) <= 1e-12);
        CHECK(rel_diff(g.H, v.H) <= 1e-12);
        CHECK(rel_diff(g.U, v.U) <= 1e-12);
        CHECK(rel_diff(g.L1, cv.Xi1) <= 1e-12);  // C1
        CHECK(rel_diff(g.L2, cv.Xi2) <= 1e-12);  // C2
        CHECK(rel_diff(g.scalars[0], stat) <= 1e-12);
        // Forward pass (pipelined over linked ranks) and BPTT (backwards) at the final weights.
        const Gathered f = on_ranks(P, x, lambda, ranks, split, [&](RnnSlice& s, Matrix& L1, Matrix& L2) {
          s.forward_pass();
          s.bptt(L1, L2);
          std::vector<double> out{s.objective(), s.stationarity(L1, L2)};
          return out;
        });
        CHECK(rel_diff(f.H, P.view(xf).H) <= 1e-13);
        CHECK(rel_diff(f.L1, bv.Xi1) <= 1e-12);
        CHECK(rel_diff(f.L2, bv.Xi2) <= 1e-12);
        CHECK(rel_diff(f.scalars[0], F) <= 1e-13);
        const double grad_inf =
            kkt_residuals(P, xf, bptt, Vector(0), Vector::Zero(P.num_variables())).stationarity;
        CHECK(rel_diff(f.scalars[1], grad_inf) <= 1e-10);
      }
  }
}

TEST_CASE("distributed: the in-process group sums over a fixed tree, maximizes with NaN, and aborts on a failing rank") {
  InProcessGroup(3).run([](Communicator& comm) {
    double v[2] = {static_cast<double>(comm.rank() + 1), comm.rank() == 1 ? NAN : 0.0};
    double s[2] = {v[0], v[1]};
    comm.sum(s, 2);
    CHECK(s[0] == 6.0);
    CHECK(std::isnan(s[1]));
    comm.max(v, 2);
    CHECK(v[0] == 3.0);
    CHECK(std::isnan(v[1]));
    // The tree's association for P = 3: (x0 + x1) + x2, the same bits on every rank.
    const double xs[3] = {1.0, 1e-16, -1.0};
    CHECK(comm.sum(xs[comm.rank()]) == (1.0 + 1e-16) + -1.0);
    double b = comm.rank() == 2 ? 7.0 : 0.0;
    comm.broadcast(&b, 1, 2);
    CHECK(b == 7.0);
  });
  CHECK_THROWS_WITH_AS(InProcessGroup(2).run([](Communicator& comm) {
    if (comm.rank() == 1) throw std::runtime_error("rank 1 fails");
    comm.sum(1.0);  // would wait for rank 1 forever without the abort
  }),
                       "rank 1 fails", std::runtime_error);
}

TEST_CASE("distributed: options the distributed trainer cannot run are refused by name") {
  TrainOptions o = TrainOptions::defaults();
  o.policy = TrainPolicy::kRollout;  // with the kink manifold, Anderson, the proximal term: refused
  CHECK_THROWS_WITH_AS(check_distributed_options(o), doctest::Contains("option rollout."), std::invalid_argument);
  o.rollout = RolloutOptions::plain();  // what `almkit train --preset plain` runs under mpirun
  CHECK_NOTHROW(check_distributed_options(o));
  o.rollout.anderson = 2;
  CHECK_THROWS_WITH_AS(check_distributed_options(o), doctest::Contains("option rollout.anderson"), std::invalid_argument);
  o.rollout = RolloutOptions::plain();
  o.rollout.tol_clarke = 1e-5;
  CHECK_THROWS_WITH_AS(check_distributed_options(o), doctest::Contains("option rollout.tol_clarke"), std::invalid_argument);
  o.rollout = RolloutOptions::plain();
  o.rollout.damping = 1e-3;
  CHECK_THROWS_WITH_AS(check_distributed_options(o), doctest::Contains("option rollout.damping"), std::invalid_argument);
  o = TrainOptions::defaults();
  o.policy = TrainPolicy::kSafeguarded;
  CHECK_THROWS_WITH_AS(check_distributed_options(o), doctest::Contains("option policy"), std::invalid_argument);
  o = TrainOptions::reference_preset();
  CHECK_NOTHROW(check_distributed_options(o));
  o.inner = InnerKind::kLbfgs;
  CHECK_THROWS_WITH_AS(check_distributed_options(o), doctest::Contains("option inner"), std::invalid_argument);
  // Initial weights of another shape: refused on every rank, before any rank waits for another.
  RnnDataset data;
  data.train = uniform_series(2, 1, 30, {0}, 3, false);
  o = TrainOptions::reference_preset();
  o.initial_weights = initialize_weights(5, 2, 1, InitScheme::kGaussian, 1e-3, 0);  // m = 5, not 20
  CHECK_THROWS_WITH_AS(InProcessGroup(2).run([&](Communicator& comm) { train_distributed(data, o, comm); }),
                       doctest::Contains("initial weights do not match"), std::invalid_argument);
}

namespace {

struct RunResult {
  double train_mse, c1, c2;
  Vector weights;
  std::vector<TrainHistoryRow> history;
  AlmStatus status;
};
RunResult distributed(const RnnDataset& data, const TrainOptions& o, int ranks, RankSplit split) {
  RunResult out;
  std::mutex mu;
  InProcessGroup(ranks).run([&](Communicator& comm) {
    const TrainResult r = train_distributed(data, o, comm, split);
    std::lock_guard<std::mutex> lock(mu);
    if (comm.rank() == 0)
      out = RunResult{r.final_metrics.train_mse, r.history.back().violation_c1, r.history.back().violation_c2,
                      flatten(r.weights), r.history, r.summary.status};
  });
  return out;
}
RunResult serial(const RnnDataset& data, const TrainOptions& o) {
  const TrainResult r = train(data, o);
  return RunResult{r.final_metrics.train_mse, r.history.back().violation_c1, r.history.back().violation_c2,
                   flatten(r.weights), r.history, r.summary.status};
}
void check_close(const RunResult& a, const RunResult& ref, double tol) {
  CHECK(a.status == ref.status);
  REQUIRE(a.history.size() == ref.history.size());
  for (size_t k = 0; k < a.history.size(); ++k) {
    CAPTURE(k);
    CHECK(rel_diff(a.history[k].train_mse, ref.history[k].train_mse) <= tol);
    if (k == 0) {  // the start is feasible: its violations are rounding noise (different but tiny)
      CHECK(a.history[k].violation_c1 <= 1e-14);
      CHECK(a.history[k].violation_c2 <= 1e-14);
    } else {
      CHECK(rel_diff(a.history[k].violation_c1, ref.history[k].violation_c1) <= tol);
      CHECK(rel_diff(a.history[k].violation_c2, ref.history[k].violation_c2) <= tol);
    }
    CHECK(rel_diff(a.history[k].objective, ref.history[k].objective) <= tol);
    CHECK(rel_diff(a.history[k].grad_inf, ref.history[k].grad_inf) <= 1e3 * tol);
    CHECK(a.history[k].sweeps == ref.history[k].sweeps);
    CHECK(a.history[k].accepted == ref.history[k].accepted);
    CHECK(rel_diff(a.history[k].rollout_gap, ref.history[k].rollout_gap) <= (k == 0 ? 1.0 : 1e3 * tol));
  }
  CHECK(rel_diff(a.train_mse, ref.train_mse) <= tol);
  CHECK(rel_diff(a.weights, ref.weights) <= tol);
}

}  // namespace

TEST_CASE("distributed-long: SP500 with the reference preset for 5 outer iterations: 1-3 ranks equal rnn::train" * doctest::test_suite("long")) {
  DataSpec spec;
  spec.path = default_data_path();
  const RnnDataset data = load_dataset(spec);
  const TrainOptions opt = TrainOptions::reference_preset();
  const RunResult ref = serial(data, opt);
  for (int ranks = 1; ranks <= 3; ++ranks) {
    CAPTURE(ranks);
    const RunResult d = distributed(data, opt, ranks, RankSplit::kTime);
    check_close(d, ref, 1e-10);
    if (ranks == 2) CHECK(distributed(data, opt, ranks, RankSplit::kTime).weights == d.weights);  // same P, same bits
  }
}

TEST_CASE("distributed-long: three sequences with the reference policy and its stop test: rank cuts inside sequences and at their starts" * doctest::test_suite("long")) {
  RnnSeries s = uniform_series(2, 1, 120, {0, 40, 80}, 7, true);
  RnnDataset data;
  data.train = s;
  data.test = uniform_series(2, 1, 20, {0}, 8, false);
  TrainOptions opt = TrainOptions::reference_preset();
  opt.hidden = 8;
  opt.bcd.stop_test_enabled = true;  // the stop test's decision from summed changes
  opt.bcd.change_measure = BcdChangeMeasure::kRelative;
  // 5 outer iterations, as the SP500 case; the relative difference grows with
  // the iterations (4e-10 after 8 here): rounding, amplified by the ALM's path.
  const RunResult ref = serial(data, opt);
  check_close(distributed(data, opt, 3, RankSplit::kTime), ref, 1e-10);       // cuts 40, 80 = the starts
  check_close(distributed(data, opt, 2, RankSplit::kTime), ref, 1e-10);       // cut 60 inside a sequence
  check_close(distributed(data, opt, 3, RankSplit::kSequences), ref, 1e-10);  // one sequence per rank
}

TEST_CASE("distributed-long: the rollout policy's plain step (--preset plain) on 1-3 ranks equals rnn::train" * doctest::test_suite("long")) {
  DataSpec spec;
  spec.path = default_data_path();
  TrainOptions opt = TrainOptions::defaults();
  opt.policy = TrainPolicy::kRollout;
  opt.rollout = RolloutOptions::plain();
  opt.alm.max_outer_iterations = 12;  // accepted and rejected steps both occur
  const RnnDataset sp500 = load_dataset(spec);
  const RunResult ref = serial(sp500, opt);
  int rejected = 0;
  for (const auto& r : ref.history) rejected += r.accepted == 0;
  CHECK(rejected > 0);
  for (int ranks = 2; ranks <= 3; ++ranks) {
    CAPTURE(ranks);
    check_close(distributed(sp500, opt, ranks, RankSplit::kTime), ref, 1e-10);
  }
  RnnDataset three;
  three.train = uniform_series(2, 1, 120, {0, 40, 80}, 7, true);
  three.test = uniform_series(2, 1, 20, {0}, 8, false);
  opt.hidden = 8;
  opt.alm.max_outer_iterations = 5;
  const RunResult ref3 = serial(three, opt);
  check_close(distributed(three, opt, 2, RankSplit::kTime), ref3, 1e-10);       // a cut inside a sequence
  check_close(distributed(three, opt, 3, RankSplit::kSequences), ref3, 1e-10);  // one sequence per rank
}
