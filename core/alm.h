// The augmented Lagrangian method driver (docs/alm.md).
//
// The driver loop (core/alm.cpp) owns what every outer policy shares:
// evaluation, the multiplier estimate λ = λ̄ + βc, the log and callback, the
// best feasible point, the convergence test and the statuses. How the penalty,
// the safeguarded multipliers λ̄, μ̄ and the inner tolerance evolve is a
// strategy behind core/alm_policy.h (docs/alm.md §3), one per AlmPolicy, each
// with its own options struct:
//  * kSafeguarded — safeguarded PHR in the style of ALGENCAN (Birgin & Martínez),
//    core/alm_safeguarded.h, AlmOptions::safeguarded.
//  * kReference — the outer loop of Wang, Zhang & Chen (2024) for the RNN,
//    core/alm_reference.h, AlmOptions::reference (docs/rnn.md).
#pragma once

#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "almkit/core/alm_reference.h"
#include "almkit/core/alm_safeguarded.h"
#include "almkit/core/inner_solver.h"
#include "almkit/core/kkt.h"
#include "almkit/core/problem.h"

namespace almkit {

enum class AlmPolicy { kSafeguarded, kReference };
const char* to_string(AlmPolicy policy);
/// Parses "safeguarded" / "reference"; returns false on anything else.
bool parse(const std::string& text, AlmPolicy* policy);

/// Why the driver stopped (docs/alm.md "Statuses").
enum class AlmStatus {
  kConverged,             ///< infeasibility, stationarity, complementarity ≤ tolerances
  kIterationLimit,        ///< max_outer_iterations reached
  kTimeLimit,             ///< time_limit_seconds reached
  kPenaltyTooLarge,       ///< β would exceed penalty_max (reference: γ > gamma_max)
  kInfeasibleStationary,  ///< ‖c‖ stalls while ‖Jᵀc‖ → 0: a stationary point of the infeasibility
  kInnerFailure,          ///< the inner solver failed (not a mere iteration limit)
  kNonFinite,             ///< NaN/Inf in f, c, g or the multipliers
  kStoppedByCallback,     ///< the progress callback asked to stop
  kToleranceExhausted,    ///< reference policy: ε < ε_min
  kMultipliersDiverging,  ///< nearly feasible, multipliers grew ≥ 10× in 5 iterations: no KKT point approached
  /// Safeguarded: x, f and the infeasibility stopped changing (stagnation test) at a feasible
  /// point whose stationarity is within tol_stationarity_noise · S, but above tol_stationarity · S.
  kConvergedAtNoiseLevel,
  /// Safeguarded: x, f and the infeasibility stopped changing (stagnation test) elsewhere.
  kStagnated,
};
const char* to_string(AlmStatus status);

/// The options common to every policy, and one options struct per policy
/// (docs/alm.md §4). visit() lists them all under their CLI/JSON names.
struct AlmOptions {
  AlmPolicy policy = AlmPolicy::kSafeguarded;  ///< outer-loop policy (the strategy of core/alm_policy.h)
  int max_outer_iterations = 100;              ///< outer iteration limit
  /// Wall-clock limit for the whole solve; each subproblem gets the remaining time
  /// (InnerSolver::set_time_limit), so it is a hard limit for inner solvers that honour it.
  double time_limit_seconds = 1e9;

  // ---- stopping tolerances (both policies report them and stop on them)
  double tol_feasibility = 1e-8;      ///< ‖(c, g_+, bounds)‖∞ ≤ tol_feasibility
  /// ‖∇f + J_cᵀλ + J_gᵀμ + ν‖∞ ≤ tol_stationarity · S, with S of the policy: safeguarded with
  /// relative_stationarity S = max(1, ‖∇f‖∞, ‖J_cᵀλ‖∞, ‖J_gᵀμ‖∞, ‖ν‖∞), otherwise S = 1
  /// (docs/alm.md §1 "Scaled stationarity").
  double tol_stationarity = 1e-8;
  double tol_complementarity = 1e-8;  ///< max_j |μ_j g_j| (bounds included) ≤ tol_complementarity
  /// Converged also needs a stable multiplier estimate:
  /// ‖(λ_{k+1}, μ_{k+1}) − (λ̄_k, μ̄_k)‖∞ ≤ tol_multiplier_change · max(1, ‖(λ_{k+1}, μ_{k+1})‖∞).
  double tol_multiplier_change = 0.1;
  /// At convergence, report kMultipliersDiverging instead when
  /// ‖(λ,μ)‖∞ ≥ degeneracy_multiplier_ratio · max(1,‖∇f‖∞) and the active constraint Jacobian has
  /// σ_min ≤ degeneracy_singular_ratio · max(1, σ_max) (a dense SVD, so only for
  /// n ≤ degeneracy_max_variables and at most that many active rows; docs/alm.md §5).
  bool check_degeneracy = true;
  double degeneracy_multiplier_ratio = 1e3;
  double degeneracy_singular_ratio = 1e-3;
  int degeneracy_max_variables = 2000;

  /// Constraint scaling (docs/alm.md §7): solve with the rows scaled, c̃_j = s_j c_j and
  /// g̃_j = s_j g_j, s_j = clamp(1 / ‖∇r_j(x₀)‖∞, constraint_scaling_min, constraint_scaling_max),
  /// when the rows' gradient norms at x₀ differ by more than constraint_scaling_spread
  /// (max / min over the rows with a nonzero gradient); the run then tests feasibility on the
  /// scaled rows with tol_feasibility · min(1, min_j s_j), so that the unscaled violation meets
  /// tol_feasibility, and reports x, λ = s ∘ λ̃, μ = s ∘ μ̃ and the KKT residuals of the
  /// unscaled problem (the history keeps the scaled run's). Not for a BlockProblem (its closed
  /// forms see the unscaled rows) nor for n · (m_eq + m_in) > constraint_scaling_max_entries
  /// (the scales come from the dense Jacobian at x₀).
  bool constraint_scaling = true;
  double constraint_scaling_spread = 1e3;
  double constraint_scaling_min = 1e-8;
  double constraint_scaling_max = 1e4;
  double constraint_scaling_max_entries = 1e7;

  SafeguardedOptions safeguarded;  ///< policy kSafeguarded (core/alm_safeguarded.h)
  ReferenceOptions reference;      ///< policy kReference (core/alm_reference.h)

  /// Calls v(name, field, description) for every option (CLI flags, JSON, docs).
  template <class Visitor>
  void visit(Visitor&& v) { visit_fields(*this, v); }
  template <class Visitor>
  void visit(Visitor&& v) const { visit_fields(*this, v); }
  /// The one field list behind both visit()s: Self is AlmOptions or const AlmOptions.
  template <class Self, class Visitor>
  static void visit_fields(Self& self, Visitor& v) {
    v("policy", self.policy, "outer-loop policy: safeguarded | reference");
    v("max_outer_iterations", self.max_outer_iterations, "outer iteration limit");
    v("time_limit_seconds", self.time_limit_seconds, "wall-clock limit of the solve, seconds");
    v("tol_feasibility", self.tol_feasibility, "stop when infeasibility (inf-norm) <= this");
    v("tol_stationarity", self.tol_stationarity, "stop when KKT stationarity (inf-norm) <= this * S (S = 1 unless relative_stationarity)");
    v("tol_complementarity", self.tol_complementarity, "stop when max |mu_j g_j| <= this");
    v("tol_multiplier_change", self.tol_multiplier_change, "stop only when the relative multiplier change <= this");
    v("check_degeneracy", self.check_degeneracy, "refuse convergence at large multipliers with a nearly singular active Jacobian");
    v("degeneracy_multiplier_ratio", self.degeneracy_multiplier_ratio, "check_degeneracy: multipliers count as large at >= this * max(1, |grad f|_inf)");
    v("degeneracy_singular_ratio", self.degeneracy_singular_ratio, "check_degeneracy: active Jacobian nearly singular when sigma_min <= this * max(1, sigma_max)");
    v("degeneracy_max_variables", self.degeneracy_max_variables, "check_degeneracy: dense SVD only up to this many variables (and active rows)");
    v("constraint_scaling", self.constraint_scaling, "scale the constraint rows by 1/|grad r_j(x0)|_inf when their gradients differ by more than constraint_scaling_spread");
    v("constraint_scaling_spread", self.constraint_scaling_spread, "constraint_scaling: scale only when max/min of the row gradient norms at x0 exceeds this (1 = always)");
    v("constraint_scaling_min", self.constraint_scaling_min, "constraint_scaling: smallest row scale");
    v("constraint_scaling_max", self.constraint_scaling_max, "constraint_scaling: largest row scale");
    v("constraint_scaling_max_entries", self.constraint_scaling_max_entries, "constraint_scaling: only when n * (number of constraints) <= this (dense Jacobian at x0)");
    self.safeguarded.visit(v);
    self.reference.visit(v);
  }

  /// Throws std::invalid_argument naming the first invalid option (common, then the policies').
  void validate() const;
};

/// One line of the outer-iteration log.
struct AlmIteration {
  int iteration = 0;             ///< k (1-based after the solve of subproblem k)
  double objective = 0.0;        ///< f(x_k)
  double infeasibility = 0.0;    ///< ‖viol(x_k)‖∞
  double stationarity = 0.0;     ///< KKT stationarity with (λ_k, μ_k)
  double penalty = 0.0;          ///< β (γ) used in subproblem k
  double multiplier_norm = 0.0;  ///< ‖(λ_k, μ_k)‖∞
  double inner_tolerance = 0.0;  ///< ε_k given to the inner solver
  InnerResult inner;             ///< what the inner solver reported
  double seconds = 0.0;          ///< elapsed since the start of the solve
  std::vector<double> family_violation;  ///< ‖c_family‖₂ per equality family

  /// Calls v(name, field, description) for every scalar of the row: the
  /// `almkit solve --json` history entries and the Python callback's dict
  /// (core/record.h). family_violation, a vector, is in neither.
  template <class Visitor>
  void visit(Visitor&& v) { visit_fields(*this, v); }
  template <class Visitor>
  void visit(Visitor&& v) const { visit_fields(*this, v); }
  template <class Self, class Visitor>
  static void visit_fields(Self& self, Visitor& v) {
    v("iteration", self.iteration, "outer iteration k (1-based)");
    v("objective", self.objective, "f(x_k)");
    v("infeasibility", self.infeasibility, "|viol(x_k)|_inf");
    v("stationarity", self.stationarity, "KKT stationarity with (lambda_k, mu_k)");
    v("penalty", self.penalty, "penalty beta (gamma) of subproblem k");
    v("multiplier_norm", self.multiplier_norm, "|(lambda_k, mu_k)|_inf");
    v("inner_tolerance", self.inner_tolerance, "epsilon_k given to the inner solver");
    v("inner_iterations", self.inner.iterations, "inner iterations of subproblem k");
    v("inner_status", self.inner.status, "the inner solver's status");
    v("seconds", self.seconds, "elapsed since the start of the solve, seconds");
  }
};

/// Return false to stop the solve (status kStoppedByCallback).
using AlmCallback = std::function<bool(const AlmIteration&, VectorCRef x)>;

/// Optional warm start: any empty vector falls back to the default.
struct AlmStart {
  Vector x;       ///< default: problem.initial_point()
  Vector lambda;  ///< default: 0
  Vector mu;      ///< default: 0 (problem inequalities only; bound multipliers start at 0)
};

struct AlmSummary {
  AlmStatus status = AlmStatus::kNonFinite;
  std::string message;           ///< one sentence on why it stopped
  std::string problem_name;
  std::string inner_solver_name;
  Vector x;                      ///< last iterate
  Vector lambda;                 ///< equality multipliers
  Vector mu;                     ///< inequality multipliers (problem's g)
  Vector nu;                     ///< bound multipliers ν = μ_upper − μ_lower
  double objective = 0.0;
  KktReport kkt;                 ///< at (x, λ, μ, ν)
  int outer_iterations = 0;
  long inner_iterations = 0;
  EvaluationCounters evaluations;
  double seconds = 0.0;
  double final_penalty = 0.0;
  std::vector<AlmIteration> history;
  bool has_best_feasible = false;  ///< a point with infeasibility ≤ tol_feasibility was seen
  Vector best_feasible_x;          ///< the one with the lowest f among them
  double best_feasible_objective = std::numeric_limits<double>::infinity();
  AlmOptions options;

  /// Calls v(name, field, description) for the scalars at the top level of
  /// `almkit solve --json` (docs/json.md); visit_statistics for those of its
  /// "statistics" object (core/record.h). Vectors, the KKT report, the
  /// history and the options have their own writers (core/alm_json.cpp).
  template <class Visitor>
  void visit(Visitor&& v) { visit_fields(*this, v); }
  template <class Visitor>
  void visit(Visitor&& v) const { visit_fields(*this, v); }
  template <class Self, class Visitor>
  static void visit_fields(Self& self, Visitor& v) {
    v("problem", self.problem_name, "problem name");
    v("status", self.status, "why the driver stopped (docs/alm.md §5)");
    v("message", self.message, "why it stopped, one sentence");
    v("objective", self.objective, "f(x) at the last iterate");
  }
  template <class Visitor>
  void visit_statistics(Visitor&& v) { visit_statistics_fields(*this, v); }
  template <class Visitor>
  void visit_statistics(Visitor&& v) const { visit_statistics_fields(*this, v); }
  template <class Self, class Visitor>
  static void visit_statistics_fields(Self& self, Visitor& v) {
    v("outer_iterations", self.outer_iterations, "outer iterations");
    v("inner_iterations", self.inner_iterations, "inner iterations over all subproblems");
    v("inner_solver", self.inner_solver_name, "the inner solver's name");
    v("final_penalty", self.final_penalty, "beta (gamma) of the last subproblem");
    v("seconds", self.seconds, "wall time of the solve, seconds");
    v("evaluations", self.evaluations, "evaluation counters of the problem");
  }

  std::string BriefReport() const;
  std::string FullReport() const;
};

/// Solves problem by the ALM with the given inner solver.
AlmSummary solve_alm(const ConstrainedProblem& problem, InnerSolver& inner,
                     const AlmOptions& options = {}, const AlmStart& start = {},
                     const AlmCallback& callback = {});

/// Header and one formatted line of the per-iteration log.
std::string alm_log_header();
std::string alm_log_line(const AlmIteration& it);

}  // namespace almkit
