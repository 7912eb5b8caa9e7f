// Time-parallel training (docs/parallel.md §8): the generic ALM driver
// (core/alm.h) on a problem whose every evaluation is split over time chunks
// and the workers of a Communicator:
//   method "rollout":  min F(θ), F and ∇F exact from the relaxed rollout
//                      (problems/rnn/rnn_parallel_rollout.h), L-BFGS inner solves;
//   method "shooting": the multiple-shooting problem (problems/rnn/rnn_shooting.h),
//                      the boundary gaps as equality constraints.
// One process, threads (InProcessGroup) and MPI ranks run this same function;
// every worker holds the same iterates bit for bit, for every number of
// workers (for a fixed number of chunks).
//
// The stop is certified on the problem (P) itself: at the end, F(θ) and
// ‖∇F(θ)‖∞ by a relaxed rollout (exact, parallel); where ‖∇F‖∞ is above
// tol_stationarity at ReLU kinks, the Clarke measure kink_stationarity
// (study/rnn_rollout.h; sequential in time) decides.
#pragma once

#include <algorithm>
#include <functional>
#include <string>

#include "almkit/core/alm.h"
#include "almkit/core/communicator.h"
#include "almkit/problems/rnn/rnn_parallel_rollout.h"
#include "almkit/problems/rnn/rnn_shooting.h"
#include "almkit/study/rnn_rollout.h"

namespace almkit::rnn {

struct ShootingOptions {
  /// "rollout": L-BFGS (the generic driver, no constraints) on F with F and ∇F
  /// from the relaxed rollout (problems/rnn/rnn_parallel_rollout.h), exact
  /// and split over the workers. "shooting": the ALM on the multiple-shooting
  /// problem (problems/rnn/rnn_shooting.h). Measured in docs/parallel.md §8.
  std::string method = "rollout";
  /// K time chunks (the shooting states are K − 1 vectors of m). Fixed
  /// independently of the number of workers P, so that results do not depend
  /// on P; P ≤ K workers take ⌈K/P⌉ or fewer chunks each.
  int chunks = 8;
  /// Chunks shorter than this are not worth their correction rounds (on a
  /// short series a chunk does not forget its start): the run uses
  /// K = min(chunks, max(1, ⌊T / min_chunk_steps⌋)) chunks. Depends on T only,
  /// never on the number of workers.
  int min_chunk_steps = 1000;
  int max_outer_iterations = 200;      ///< ALM outer iterations of the run, its restarts included
  double time_limit_seconds = 1e9;     ///< wall-clock limit of the ALM
  /// Stop when ‖∇_{θ,s} ℓ‖∞ ≤ tol_stationarity (absolute, ℓ the chunked
  /// problem's Lagrangian) and ‖c‖∞ ≤ tol_gap; the certificate then checks
  /// ‖∇F(θ)‖∞ (or the Clarke measure) ≤ tol_stationarity on (P).
  double tol_stationarity = 1e-5;
  /// ‖s_{k+1} − h^k_last‖∞ ≤ tol_gap · max(1, ‖s‖∞): the boundary gaps, relative.
  double tol_gap = 1e-8;
  /// Inner solver of the subproblems (any name of `almkit list --inner`; lbfgs: Ceres' L-BFGS).
  std::string inner_solver = "lbfgs";
  int lbfgs_memory = 10;               ///< L-BFGS memory of the inner solver
  /// Every this many outer iterations, at a point with gaps ≤ tol_gap whose
  /// chunked stationarity is still above tol_stationarity, the certificate on
  /// (P) runs (one BPTT; at kinks, kink_stationarity's few BPTT passes per
  /// kink, sequential in time) and stops the run when it is ≤ tol_stationarity:
  /// at a minimizer on ReLU kinks no one-sided gradient vanishes. 0: off.
  int clarke_check_every = 5;
  /// When the driver stops short of a certificate (stagnated, converged at
  /// noise level, inner failure), one stall descent step (Armijo along the
  /// Clarke direction of kink_stationarity, study/rnn_rollout.h; sequential)
  /// restarts it from the new point, at most this many times. 0: off.
  int stall_restarts = 20;
  /// When no stall descent step lowers F either (a smooth point of a stiff
  /// region: from W = I, L-BFGS can step to ρ(W) > 1, where F's curvature
  /// grows like ρ^{2T} and no line search progresses), this many outer
  /// iterations of the rollout ALM-BCD policy (study/rnn_rollout.h, default
  /// options; sequential in time, on rank 0, broadcast) move the weights and
  /// the driver restarts from them. Counted in stall_restarts. 0: off
  /// (docs/parallel.md §8.3, "Stall restart").
  int split_rescue_outer = 10;
  /// Before the stall descent: at most this many Gauss–Newton trials on the
  /// manifold of the near kinks (study/rnn_manifold_newton.h; sequential, on
  /// rank 0, broadcast; skipped above its max_flops), stopping at the first
  /// point the certificate passes. L-BFGS crawls across a kink it sees from
  /// one side only; on the kink manifold F is smooth. 0: off
  /// (docs/parallel.md §8.3, "Stall restart").
  int kink_polish_steps = 20;
  /// The kink polish holds the u entries with |u| ≤ kink_polish_tolerance ·
  /// max(1, ‖U‖∞) on their kinks (ManifoldNewtonOptions::kink_tolerance).
  double kink_polish_tolerance = 1e-6;

  template <class Visitor>
  void visit(Visitor&& v) { visit_fields(*this, v); }
  template <class Visitor>
  void visit(Visitor&& v) const { visit_fields(*this, v); }
  template <class Self, class Visitor>
  static void visit_fields(Self& self, Visitor& v) {
    v("method", self.method, "rollout (L-BFGS on F, relaxed parallel rollout) | shooting (ALM on the multiple-shooting problem)");
    v("chunks", self.chunks, "multiple shooting: number K of time chunks (independent of the workers)");
    v("min_chunk_steps", self.min_chunk_steps, "use K = min(chunks, max(1, floor(T / min_chunk_steps))) chunks");
    v("max_outer_iterations", self.max_outer_iterations, "ALM outer iteration limit, restarts included");
    v("time_limit_seconds", self.time_limit_seconds, "wall-clock limit, seconds");
    v("tol_stationarity", self.tol_stationarity, "stop when |grad of the chunked Lagrangian|_inf <= this (and certify |grad F|_inf or the Clarke measure <= this)");
    v("tol_gap", self.tol_gap, "stop when the boundary gaps |c|_inf <= this * max(1, |s|_inf)");
    v("inner_solver", self.inner_solver, "inner solver of the subproblems");
    v("lbfgs_memory", self.lbfgs_memory, "L-BFGS memory of the inner solver");
    v("stall_restarts", self.stall_restarts, "restarts after a stall descent step when the driver stops uncertified (0 = off)");
    v("split_rescue_outer", self.split_rescue_outer, "after a stall that no stall descent step leaves: outer iterations of the rollout ALM-BCD (sequential) before the restart (0 = off)");
    v("kink_polish_steps", self.kink_polish_steps, "after a stall: Gauss-Newton trials on the kink manifold before the stall descent (sequential; 0 = off)");
    v("kink_polish_tolerance", self.kink_polish_tolerance, "the kink polish holds |u| <= this * max(1, |U|_inf) on its kink");
    v("clarke_check_every", self.clarke_check_every, "outer iterations between Clarke certificate checks at feasible points (0 = off)");
  }
  /// Throws std::invalid_argument naming the first invalid option.
  void validate() const;
  /// K for a series of T steps: min(chunks, max(1, ⌊T / min_chunk_steps⌋)).
  int chunks_for(int T) const { return std::min(chunks, std::max(1, T / min_chunk_steps)); }
};

struct ShootingResult {
  RnnWeights weights;
  AlmSummary alm;                 ///< the driver's summary (shooting: x = (θ, s); rollout: x = θ)
  RolloutRounds rounds;           ///< rollout: correction rounds of the last evaluation (worker 0's re-run steps)
  double objective = 0.0;         ///< F(θ) by the sequential forward pass
  double gradient_inf = 0.0;      ///< ‖∇F(θ)‖∞ by BPTT (one-sided σ′(0) = 0)
  KinkStationarity kinks;         ///< Clarke measure, computed when gradient_inf > tol_stationarity
  double stationarity = 0.0;      ///< min(gradient_inf, kinks.best): the certificate's residual
  double gap_inf = 0.0;           ///< ‖c‖∞ at the end
  double gap_relative = 0.0;      ///< ‖c‖∞ / max(1, ‖s‖∞)
  bool clarke_stop = false;       ///< stopped by the Clarke certificate (ALM status stopped_by_callback)
  /// The ALM converged (or the Clarke check stopped it), stationarity ≤
  /// tol_stationarity and gap_relative ≤ tol_gap: a KKT point of (P).
  bool certified = false;
  int workers = 1;
  int chunks = 1;                 ///< K used (ShootingOptions::min_chunk_steps)
  int restarts = 0;               ///< restarts: stall descent steps and split rescues
  int rescues = 0;                ///< of which split rescues (ShootingOptions::split_rescue_outer)
  int polishes = 0;               ///< of which kink polishes that accepted a step (ShootingOptions::kink_polish_steps)
  int outer_iterations = 0;       ///< over all restarts (alm: the last run's)
  long inner_iterations = 0;
  double seconds = 0.0;           ///< the ALM and the certificate
};

/// Trains from `initial` on `comm`'s workers; every worker calls it with the
/// same arguments and gets the same result.
/// `callback`: after every outer iteration (false: stop), on every worker;
/// the workers must return the same value. `on_evaluation` (method rollout):
/// F(θ) of every evaluation, exact, on every worker (for traces).
ShootingResult train_shooting(const RnnSeries& data, const RnnRegularization& reg, const RnnWeights& initial,
                              const ShootingOptions& options, Communicator& comm, const AlmCallback& callback = {},
                              const std::function<void(double F)>& on_evaluation = {});

}  // namespace almkit::rnn
