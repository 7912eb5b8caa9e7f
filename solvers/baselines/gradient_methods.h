// First-order baselines over a problem-agnostic value-and-gradient oracle
// (Objective), so they can be checked by hand on a quadratic (docs/compare.md).
// The RNN oracle of the comparison, min_θ F(θ) with the states eliminated by
// the forward pass, is built in the study layer: study/rnn_baselines.h
// (make_rnn_objective, make_rnn_monitor; docs/architecture.md).
//
// Update rules (α = learning_rate, g_k = ∇f(x_k) or a window gradient for SGD):
//   gd        x ← x − α g
//   gd-clip   x ← x − α g · min(1, c / ‖g‖₂)                       (c = clip_norm)
//   momentum  v ← β v + g,  x ← x − α v                            (heavy ball, β = momentum, v₀ = 0)
//   nesterov  v ← β v + ∇f(x − αβ v),  x ← x − α v                 (gradient at the look-ahead point)
//   sgd       per epoch, windows j = 0..K−1 in time order: x ← x − α ∇f_j(x)
//             (f_j: window j with its own loss normalization Σ_{t∈j} ω_t and
//              the full weight penalties; truncated BPTT, the state h is carried
//              from window j−1 into window j and reset to 0 at each epoch start)
//   adam      m ← β1 m + (1−β1) g,  s ← β2 s + (1−β2) g²,
//             x ← x − α (m / (1−β1^k)) / (sqrt(s / (1−β2^k)) + ε)   (k = 1, 2, …)
//   rmsprop   s ← ρ s + (1−ρ) g²,  x ← x − α g / (sqrt(s) + ε)      (s₀ = 0)
//   lbfgs     Ceres GradientProblemSolver, LBFGS + Wolfe line search on f (no α)
//
// Budget: wall seconds (max_seconds) and/or gradient evaluations
// (max_evaluations, counted in full-gradient equivalents: a window gradient of
// SGD costs 1/K). The time spent on monitoring (forward-pass metrics of the
// history) is not charged to the budget.
// Divergence: a non-finite value or gradient, or |f| > divergence_value →
// status "diverged" with the time it happened; x is the last iterate whose
// value was finite and at most divergence_value.
#pragma once

#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "almkit/core/types.h"

namespace almkit::baselines {

enum class Method { kGd, kGdClip, kMomentum, kNesterov, kSgd, kAdam, kRmsprop, kLbfgs };
const char* to_string(Method method);
/// "gd", "gd-clip", "momentum", "nesterov", "sgd", "adam", "rmsprop", "lbfgs".
bool parse(const std::string& text, Method* method);
/// True for every method with a learning rate α (all but lbfgs).
bool has_learning_rate(Method method);

/// A value-and-gradient oracle. batch = −1: the full objective f; batch j in
/// [0, num_batches): the window objective f_j (SGD). grad may be null.
struct Objective {
  int num_batches = 1;
  std::function<double(const Vector& x, int batch, Vector* grad)> value_gradient;
};

/// Forward-pass metrics of an iterate for the history (train_mse, test_mse).
using Monitor = std::function<void(const Vector& x, double* train_mse, double* test_mse)>;

struct GradientOptions {
  Method method = Method::kGd;
  double learning_rate = 1e-2;   ///< α
  double clip_norm = 1.0;        ///< c of gd-clip: g ← g·min(1, c/‖g‖₂)
  double momentum = 0.9;         ///< β of heavy ball and Nesterov
  double beta1 = 0.9;            ///< Adam first-moment decay
  double beta2 = 0.999;          ///< Adam second-moment decay
  double epsilon = 1e-8;         ///< Adam / RMSProp denominator guard ε
  double rho = 0.9;              ///< RMSProp decay ρ
  int lbfgs_memory = 20;         ///< L-BFGS rank (Ceres max_lbfgs_rank)
  double max_seconds = 5.0;      ///< wall-clock budget (monitoring excluded)
  double max_evaluations = 0.0;  ///< gradient-evaluation budget, full-gradient equivalents (0: none)
  long max_iterations = 1000000000L;  ///< updates (SGD: window steps)
  double gradient_tolerance = 0.0;    ///< stop "converged" when ‖∇f‖∞ ≤ this (full-gradient methods)
  double divergence_value = 1e20;     ///< |f| above this counts as diverged
  /// History spacing: a point when this many seconds passed since the last
  /// one (inf: none by time), plus iterations 0, 1, 2, 4, 8, … and the end
  /// (deterministic under an evaluation budget).
  double record_every_seconds = 0.05;

  template <class Visitor>
  void visit(Visitor&& v) { visit_fields(*this, v); }
  template <class Visitor>
  void visit(Visitor&& v) const { visit_fields(*this, v); }
  /// The one field list behind both visit()s: Self is GradientOptions or const GradientOptions.
  template <class Self, class Visitor>
  static void visit_fields(Self& self, Visitor& v) {
    v("learning_rate", self.learning_rate, "step size alpha");
    v("clip_norm", self.clip_norm, "gd-clip: g <- g min(1, c/|g|_2)");
    v("momentum", self.momentum, "heavy ball / Nesterov beta");
    v("beta1", self.beta1, "Adam first-moment decay");
    v("beta2", self.beta2, "Adam second-moment decay");
    v("epsilon", self.epsilon, "Adam / RMSProp denominator guard");
    v("rho", self.rho, "RMSProp decay");
    v("lbfgs_memory", self.lbfgs_memory, "L-BFGS rank");
    v("max_seconds", self.max_seconds, "wall-clock budget, seconds");
    v("max_evaluations", self.max_evaluations, "gradient-evaluation budget (full-gradient equivalents), 0 = none");
    v("max_iterations", self.max_iterations, "update limit");
    v("gradient_tolerance", self.gradient_tolerance, "stop when |grad f|_inf <= this");
    v("divergence_value", self.divergence_value, "|f| above this counts as diverged");
    v("record_every_seconds", self.record_every_seconds, "history spacing, seconds");
  }
  /// Throws std::invalid_argument naming the first invalid option.
  void validate() const;
};

struct HistoryPoint {
  double seconds = 0.0;       ///< budget clock (monitoring excluded)
  double evaluations = 0.0;   ///< full-gradient equivalents so far
  long iteration = 0;
  double objective = 0.0;     ///< f(x) (full objective)
  double train_mse = std::numeric_limits<double>::quiet_NaN();
  double test_mse = std::numeric_limits<double>::quiet_NaN();
};

struct GradientResult {
  Vector x;                          ///< the last iterate (before divergence: the last one with a valid value)
  std::vector<HistoryPoint> history; ///< point 0 = x0
  /// "budget_seconds" | "budget_evaluations" | "max_iterations" | "converged" | "diverged" | "lbfgs: <ceres message>"
  std::string status;
  bool diverged = false;
  double diverged_at_seconds = std::numeric_limits<double>::quiet_NaN();
  double seconds = 0.0;
  double evaluations = 0.0;
  long iterations = 0;
  double objective = 0.0;            ///< f(x)
};

/// Runs options.method from x0.
GradientResult minimize(const Objective& f, const Vector& x0, const GradientOptions& options,
                        const Monitor& monitor = {});

}  // namespace almkit::baselines
