// Gauss–Newton steps on the kink manifold of the reduced RNN objective F
// (docs/rnn_bcd.md §8, "Manifold Gauss–Newton polish").
//
// Why: near a minimizer on ReLU kinks the rollout policy's block step is a
// first-order step on the manifold M = {θ : u_q(θ) = 0, q ∈ K} of those kinks,
// preconditioned by the state Gram matrix with the states fixed; it ignores
// the coupling through the recurrence and converges linearly at a poor rate
// (measured on SP500: ‖∇F‖∞ stays at 2–4e-4 over thousands of accepted steps).
// On M, F is smooth, so a second-order step converges fast once K is right.
//
// One step at a feasible point θ (pattern D_t = [u_t > 0], kinks
// K = {q : |u_q| ≤ kink_tolerance · max(1, ‖U‖∞)}):
//
//   min_δ  gᵀδ + ½ δᵀ (G + μ I) δ   s.t.   u_q + a_qᵀ δ = 0  (q ∈ K),
//
// g = ∇F(θ) (BPTT, one-sided), G = (2/N) Σ_t ω_t J_tᵀ J_t + 2 diag(λ) the
// Gauss–Newton matrix of the loss plus the weight penalties (λ6‖U‖² is left
// out of G; it is in g), J_t = ∂ŷ_t/∂θ and a_q = ∂u_q/∂θ by forward
// sensitivities through the recursion with D fixed. θ + δ is judged by its
// rollout: ρ = (F(θ) − F(θ + δ)) / (−gᵀδ − ½ δᵀGδ); accept when ρ ≥
// accept_ratio (F decreases), μ ← μ·mu_decrease when ρ ≥ 0.75 and
// μ ← μ·mu_increase when rejected (Levenberg–Marquardt).
#pragma once

#include <functional>
#include <vector>

#include "almkit/problems/rnn/rnn_problem.h"

namespace almkit::rnn {

struct ManifoldNewtonOptions {
  int max_steps = 20;              ///< Gauss–Newton trials per call (accepted or not)
  double mu0 = 1e-6;               ///< first μ, relative: μ = mu0 · tr(G)/n
  double mu_increase = 4.0;        ///< μ ← mu_increase μ after a rejected trial
  double mu_decrease = 0.25;       ///< μ ← mu_decrease μ after a trial with ρ ≥ 0.75
  double mu_max = 1e8;             ///< stop when μ/(tr(G)/n) exceeds this
  double accept_ratio = 1e-4;      ///< accept θ + δ when ρ ≥ accept_ratio
  /// Stop once the accepted steps lowered F by less than this each, on average
  /// (0: never): the caller passes what cheaper steps gained at the same cost.
  double min_gain = 0.0;
  int max_rejections = 10;         ///< stop after this many rejected trials in a row (μ grew by mu_increase^10)
  /// |u| ≤ kink_tolerance · max(1, ‖U‖∞) is held on its kink (to first order).
  double kink_tolerance = 1e-6;
  int max_kinks = 200;             ///< at most this many kinks are held (the closest to 0)
  /// Skip (return without a step) when one step would cost more than this many
  /// floating-point operations, ≈ T·m²·n_Θ + N p n² + n³/3 with n = num_weights():
  /// the dense Gauss–Newton matrix is for small and medium problems.
  double max_flops = 2e9;
};

struct ManifoldNewtonResult {
  int trials = 0;       ///< Gauss–Newton steps tried
  int accepted = 0;     ///< of which accepted
  int kinks_held = 0;   ///< kinks held in the last trial
  bool skipped = false; ///< the cost estimate exceeded max_flops: no step was tried
  double F_before = 0.0, F_after = 0.0;
};

/// Estimated flops of one step (ManifoldNewtonOptions::max_flops).
double manifold_newton_flops(const RnnTrainingProblem& problem);

/// Runs up to options.max_steps Gauss–Newton trials from the feasible point x,
/// replacing x by the last accepted forward-pass point (F never increases).
/// `stop` (optional) is asked after every accepted step with the new point;
/// returning true ends the call (e.g. a KKT test passed).
ManifoldNewtonResult manifold_newton(const RnnTrainingProblem& problem, Vector& x,
                                     const ManifoldNewtonOptions& options,
                                     const std::function<bool(VectorCRef)>& stop = {});

/// The Gauss–Newton quantities at a feasible x (exposed for the tests):
/// J (rows √(2ω_t/N)·∂ŷ_t/∂θ, one per output entry and step with ω_t > 0) and
/// the rows a_q = ∂u_q/∂θ of the requested U entries (column-major indices).
struct GaussNewtonJacobians {
  Matrix J;
  Matrix kink_rows;
};
GaussNewtonJacobians gauss_newton_jacobians(const RnnTrainingProblem& problem, VectorCRef x,
                                            const std::vector<int>& u_entries);

}  // namespace almkit::rnn
