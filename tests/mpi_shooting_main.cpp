// Time-parallel training on MPI ranks (docs/parallel.md §8): a 3-sequence
// series trained by train_shooting for a fixed number of outer iterations,
// with both methods; rank 0 prints F, ‖∇F‖∞ and every weight with 17 digits.
// tests/mpi_shooting_test.sh runs it on 1, 2 and 3 ranks and requires equal
// output: the same bits for every number of ranks (and, with the doctest
// cases of tests/test_rnn_shooting.cpp, for threads).
#include <cstdio>
#include <random>

#include <fmt/format.h>

#include "almkit/study/rnn_shooting_train.h"
#include "mpi/mpi_communicator.h"

using namespace almkit;
using namespace almkit::rnn;

int main(int argc, char** argv) {
  mpi::Session session(&argc, &argv);
  Communicator& comm = session.world();
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  const int T = 300;
  RnnSeries data;
  data.X = Matrix::NullaryExpr(2, T, [&](Eigen::Index, Eigen::Index) { return u(rng); });
  data.Y = Matrix::NullaryExpr(1, T, [&](Eigen::Index, Eigen::Index) { return u(rng); });
  data.omega = Vector::Ones(T);
  for (int t = 4; t < T; t += 7) data.omega(t) = 0.0;
  data.sequence_starts = {0, 100, 230};
  const RnnWeights w0 = initialize_weights(4, 2, 1, InitScheme::kLecun, 0.0, 7);
  for (const char* method : {"rollout", "shooting"}) {
    ShootingOptions o;
    o.method = method;
    o.chunks = 5;
    o.min_chunk_steps = 1;
    o.max_outer_iterations = 4;
    const ShootingResult r = train_shooting(data, {}, w0, o, comm);
    if (comm.rank() != 0) continue;
    fmt::print("{}: F {:.17g} grad {:.17g} outer {}\n", method, r.objective, r.gradient_inf, r.outer_iterations);
    const Vector theta = flatten(r.weights);
    for (Eigen::Index i = 0; i < theta.size(); ++i) fmt::print("{:.17g}\n", theta[i]);
  }
  return 0;
}
