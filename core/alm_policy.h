// The outer-policy strategy of the ALM driver (docs/alm.md §3, docs/architecture.md).
//
// solve_alm (core/alm.cpp) runs one loop for every policy:
//
//   policy.start(s)
//   for k = 1, 2, ...:   iteration and time limits
//     policy.before_subproblem(s)                   λ̄, μ̄ (and a restart of x) for subproblem k
//     x ← inner.minimize(L_β(·; λ̄, μ̄), x, ε)        β = s.penalty, ε = s.inner_tolerance
//     c, g at x;  λ = λ̄ + βc,  μ = max(0, μ̄ + βg̃)    (first-order multiplier estimate)
//     policy.after_subproblem(s)                    the policy's own measures of x (V_k)
//     record: log line, callback, best feasible point, non-finite values
//     converged?  (tolerances · policy.stationarity_scale(s), stable multipliers) → stop
//     inner solver failed or met non-finite values → stop
//     policy.next(s) → false stops;  otherwise it sets β, ε, λ̄, μ̄ for k + 1
//
// AlmState is what a policy sees and changes: the iterate, the multipliers,
// the penalty and tolerance, the summary so far, and the stop helpers. A
// policy owns its options struct (core/alm_safeguarded.h,
// core/alm_reference.h), reached through AlmState::options.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "almkit/core/alm.h"
#include "almkit/core/augmented_lagrangian.h"

namespace almkit {

/// kMultipliersDiverging needs the multipliers to grow by at least
/// kDivergingMultiplierGrowth over the last kDivergingMultiplierWindow outer
/// iterations at a nearly feasible point: a factor 10 in 5 iterations is far
/// beyond the O(1) drift of multipliers that converge (hs013 grows ×10 every
/// 2–3 iterations; docs/alm.md §5).
inline constexpr int kDivergingMultiplierWindow = 5;
inline constexpr double kDivergingMultiplierGrowth = 10.0;
/// kInfeasibleStationary: ‖J_cᵀc + J_g̃ᵀg̃₊‖∞ ≤ this · max(1, infeasibility), i.e. the
/// gradient of ½‖viol‖² vanishes to near rounding level relative to the violation
/// itself (docs/alm.md §5).
inline constexpr double kInfeasibleStationaryRatio = 1e-8;

/// The state of one solve, shared by the driver loop and the policy.
class AlmState {
 public:
  AlmState(const ConstrainedProblem& problem, InnerSolver& inner, const AlmOptions& options, const AlmStart& start,
           const AlmCallback& callback);

  const ConstrainedProblem& problem;
  InnerSolver& inner;
  const AlmOptions options;  ///< validated copy
  const AlmCallback& callback;
  AugmentedLagrangian L;
  const int n, m_eq, m_in;
  std::vector<int> families;  ///< equality family sizes (summing to m_eq)
  Vector x, lambda, mu, lambda_bar, mu_bar;  ///< μ, μ̄: extended inequalities (problem's, then bounds)
  Vector c, g;                ///< c(x) and g̃(x) after evaluate_constraints()
  double penalty = 0.0;       ///< β (γ) of the next / current subproblem
  double inner_tolerance = 0.0;  ///< ε of the next / current subproblem
  double multiplier_change = 0.0;  ///< ‖(λ, μ) − (λ̄, μ̄)‖∞ of the last update
  InnerResult last_inner;     ///< the last subproblem's result
  AlmSummary summary;         ///< history, kkt (of the last record), best point, status
  std::chrono::steady_clock::time_point t0;

  void evaluate_constraints();
  /// ‖v_family‖₂ per equality family.
  std::vector<double> family_norms(const Vector& v) const;
  /// ‖∇(½‖c‖² + ½‖g̃₊‖²)‖∞ at x.
  double infeasibility_gradient_norm() const;
  /// Sets status and message; returns false (so `return stop(...)` stops a loop).
  bool stop(AlmStatus status, std::string message);
  /// stop(status, message), unless the multipliers are diverging (then kMultipliersDiverging).
  bool stop_at_limit(AlmStatus status, std::string message);
  /// Nearly feasible with multipliers grown ≥ kDivergingMultiplierGrowth× in the
  /// last kDivergingMultiplierWindow iterations.
  bool multipliers_diverging() const;
  double seconds() const;
};

/// One outer policy (docs/alm.md §3). Implementations: core/alm_safeguarded.cpp,
/// core/alm_reference.cpp; make_alm_policy picks one by AlmOptions::policy.
class AlmOuterPolicy {
 public:
  virtual ~AlmOuterPolicy() = default;
  /// Before subproblem 1: s.penalty, s.inner_tolerance, s.lambda_bar, s.mu_bar.
  virtual void start(AlmState& s) = 0;
  /// Before every subproblem (after the limits): the reference policy takes
  /// λ̄ = λ and may restart x. Default: nothing.
  virtual void before_subproblem(AlmState& /*s*/) {}
  /// After the multiplier estimate, before the record (the policy's V_k).
  virtual void after_subproblem(AlmState& /*s*/) {}
  /// S of the convergence test tol_stationarity · S (docs/alm.md §1).
  virtual double stationarity_scale(const AlmState& s) const = 0;
  /// After a recorded, not converged iteration: stop (return false, status
  /// set through s.stop*) or set s.penalty, s.inner_tolerance, s.lambda_bar,
  /// s.mu_bar for the next subproblem.
  virtual bool next(AlmState& s) = 0;
};

/// Option checks shared by AlmOptions and the policies' options (docs/alm.md §4):
/// each throws std::invalid_argument "option NAME: expected ..., got VALUE".
void check_positive(const char* name, double value);     ///< finite, > 0
void check_nonnegative(const char* name, double value);  ///< finite, >= 0
void check_open_unit(const char* name, double value);    ///< in (0, 1)
void check_option(bool ok, const char* name, const std::string& expected, double value);

std::unique_ptr<AlmOuterPolicy> make_safeguarded_policy(const SafeguardedOptions& options);
std::unique_ptr<AlmOuterPolicy> make_reference_policy(const ReferenceOptions& options);
/// The strategy of options.policy.
std::unique_ptr<AlmOuterPolicy> make_alm_policy(const AlmOptions& options);

/// solve_alm with a policy of the caller's (a new outer loop without touching
/// the driver; docs/architecture.md "Extension points"). options.policy and the
/// policy-specific option structs are ignored; the common options apply.
/// The policy object is used for one solve (it may keep state between calls).
AlmSummary solve_alm(const ConstrainedProblem& problem, InnerSolver& inner, AlmOuterPolicy& policy,
                     const AlmOptions& options = {}, const AlmStart& start = {}, const AlmCallback& callback = {});

}  // namespace almkit
