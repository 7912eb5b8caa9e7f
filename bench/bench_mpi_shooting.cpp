// Time-parallel training on MPI ranks (docs/parallel.md §8): the same
// train_shooting as bench_shooting's threads, on the world communicator.
//
//   mpirun -np P bench_mpi_shooting [T] [m] [chunks] [seconds] [method]
//
// Rank 0 prints the wall time, the time at which F first reached (1 + 1e-4)
// times the F given as target (argument 6, optional), the final F with 17
// digits and a checksum of θ: equal lines for every P (and for the threads of
// bench_shooting) show the same bits.
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "almkit/study/rnn_shooting_train.h"
#include "mpi/mpi_communicator.h"
#include "synthetic_series.h"

using namespace almkit;
using namespace almkit::rnn;

int main(int argc, char** argv) {
  mpi::Session session(&argc, &argv);
  Communicator& comm = session.world();
  const int T = argc > 1 ? std::atoi(argv[1]) : 200000;
  const int m = argc > 2 ? std::atoi(argv[2]) : 32;
  ShootingOptions o;
  o.chunks = argc > 3 ? std::atoi(argv[3]) : 8;
  o.time_limit_seconds = argc > 4 ? std::atof(argv[4]) : 120.0;
  o.method = argc > 5 ? argv[5] : "rollout";
  const double target = argc > 6 ? std::atof(argv[6]) * (1 + 1e-4) : -INFINITY;
  const RnnSeries data = bench::synthetic_series(T, 1);
  const RnnWeights w0 = initialize_weights(m, 1, 1, InitScheme::kGaussian, 1e-3, 0);
  const auto t0 = std::chrono::steady_clock::now();
  double hit = NAN;
  const auto observe = [&](double F) {
    if (std::isnan(hit) && F <= target) hit = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  const ShootingResult r = train_shooting(data, {}, w0, o, comm, {}, observe);
  const Vector theta = flatten(r.weights);
  double checksum = 0.0;
  for (Eigen::Index i = 0; i < theta.size(); ++i) checksum += (i + 1) * theta[i];
  if (comm.rank() == 0)
    fmt::print("ranks {} method {} K {}: wall {:.2f} s, time to target {:.2f} s, F {:.17g}, checksum {:.17g}, "
               "|grad F| {:.2e}, {}{}, {} gradients\n",
               comm.size(), o.method, o.chunks, r.seconds, hit, r.objective, checksum, r.gradient_inf,
               to_string(r.alm.status), r.certified ? " certified" : "", r.alm.evaluations.gradient);
  return 0;
}
