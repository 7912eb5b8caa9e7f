// Time-parallel training by multiple shooting (docs/parallel.md §8): the
// generic ALM driver (core/alm.h) on RnnShootingProblem, whose every
// evaluation is split over the workers of a Communicator. One process,
// threads (InProcessGroup) and MPI ranks run this same function; every worker
// holds the same iterates bit for bit, for every number of workers.
//
// The stop is certified on the problem (P) itself, not only on the chunked
// problem: at the end the weights' sequential forward pass gives F(θ), BPTT
// gives ‖∇F(θ)‖∞, and where that is above tol_stationarity at ReLU kinks the
// Clarke measure kink_stationarity (study/rnn_rollout.h) decides.
#pragma once

#include <string>

#include "almkit/core/alm.h"
#include "almkit/core/communicator.h"
#include "almkit/problems/rnn/rnn_shooting.h"
#include "almkit/study/rnn_rollout.h"

namespace almkit::rnn {

struct ShootingOptions {
  /// K time chunks (the shooting states are K − 1 vectors of m). Fixed
  /// independently of the number of workers P, so that results do not depend
  /// on P; P ≤ K workers take ⌈K/P⌉ or fewer chunks each.
  int chunks = 8;
  int max_outer_iterations = 200;      ///< ALM outer iterations
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

  template <class Visitor>
  void visit(Visitor&& v) { visit_fields(*this, v); }
  template <class Visitor>
  void visit(Visitor&& v) const { visit_fields(*this, v); }
  template <class Self, class Visitor>
  static void visit_fields(Self& self, Visitor& v) {
    v("chunks", self.chunks, "multiple shooting: number K of time chunks (independent of the workers)");
    v("max_outer_iterations", self.max_outer_iterations, "ALM outer iteration limit");
    v("time_limit_seconds", self.time_limit_seconds, "wall-clock limit, seconds");
    v("tol_stationarity", self.tol_stationarity, "stop when |grad of the chunked Lagrangian|_inf <= this (and certify |grad F|_inf or the Clarke measure <= this)");
    v("tol_gap", self.tol_gap, "stop when the boundary gaps |c|_inf <= this * max(1, |s|_inf)");
    v("inner_solver", self.inner_solver, "inner solver of the subproblems");
    v("lbfgs_memory", self.lbfgs_memory, "L-BFGS memory of the inner solver");
    v("clarke_check_every", self.clarke_check_every, "outer iterations between Clarke certificate checks at feasible points (0 = off)");
  }
  /// Throws std::invalid_argument naming the first invalid option.
  void validate() const;
};

struct ShootingResult {
  RnnWeights weights;
  AlmSummary alm;                 ///< the chunked problem's ALM summary (x = (θ, s))
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
  double seconds = 0.0;           ///< the ALM and the certificate
};

/// Trains from `initial` on `comm`'s workers; every worker calls it with the
/// same arguments and gets the same result.
ShootingResult train_shooting(const RnnSeries& data, const RnnRegularization& reg, const RnnWeights& initial,
                              const ShootingOptions& options, Communicator& comm, const AlmCallback& callback = {});

}  // namespace almkit::rnn
