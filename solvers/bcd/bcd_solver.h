// Block coordinate descent inner solver (docs/rnn_bcd.md §2, §4).
//
// For problems that implement BlockProblem (core/block_problem.h): each
// sweep minimizes the augmented Lagrangian L_β(·; λ̄, μ̄) exactly over every
// block in turn (Gauss–Seidel), so L never increases. Between sweeps the
// change
//
//   kAbsolute (the reference code):  Δ = Σ_B ‖x_B − x_B⁻‖₂
//   kRelative (default):             Δ = Σ_B ‖x_B − x_B⁻‖₂ / max(1, ‖x_B‖₂)
//
// (x_B⁻ = block B after the previous sweep) is compared with the tolerance ε
// that the ALM passes, scaled by tolerance_scale; the solve stops when
// Δ ≤ tolerance_scale · ε (kConverged) or after
// max_sweeps (kIterationLimit). The relative measure is invariant to the
// length T of the series (‖ΔH‖ and ‖H‖ both grow like √T); the absolute one
// grows like √T, so a fixed ε means more sweeps on longer series.
#pragma once

#include <string>
#include <vector>

#include "almkit/core/block_problem.h"
#include "almkit/core/inner_solver.h"

namespace almkit {

enum class BcdChangeMeasure {
  kRelative,  ///< Σ_B ‖Δx_B‖ / max(1, ‖x_B‖)  (default; scale of T removed)
  kAbsolute,  ///< Σ_B ‖Δx_B‖  (the reference code's measure, unscaled 2-norms)
};
const char* to_string(BcdChangeMeasure measure);
/// Parses "relative" / "absolute"; returns false on anything else.
bool parse(const std::string& text, BcdChangeMeasure* measure);

struct BcdOptions {
  /// Sweep limit per inner solve. 200 is the reference code's value; with the
  /// stop test on, the early (loose-ε) outer iterations stop well before it.
  int max_sweeps = 200;
  /// false reproduces the reference code, which always runs max_sweeps.
  bool stop_test_enabled = true;
  BcdChangeMeasure change_measure = BcdChangeMeasure::kRelative;
  /// Proximal weight σp ≥ 0 on the blocks the problem names (the RNN: u).
  /// 1e-5 is the reference method's value: negligible next to β ≥ 1 in the
  /// u update, yet it guarantees L decreases by (σp/2)‖Δu‖² per sweep. The
  /// reference demo (and the reproduction test) uses 1e-8.
  double sigma_p = 1e-5;
  /// The test is Δ ≤ tolerance_scale · ε: the ALM's ε is shared by all inner
  /// solvers, and the change of one BCD sweep is far smaller than the
  /// distance to the block-wise optimum on the slow plateaus of RNN training
  /// (docs/rnn_bcd.md §4), so it is compared with a fraction of ε.
  double tolerance_scale = 1e-3;
  /// Extrapolated sweeps (docs/rnn_bcd.md §9): from sweep 2
  /// on, the sweep starts at y = x_j + β_j (x_j − x_{j−1}) and its result z is
  /// kept only when L(z) ≤ L(x_j); otherwise a plain sweep from x_j is run
  /// (the AL stays monotone either way). β_{j+1} = min(extrapolation_max,
  /// extrapolation_grow β_j) after a kept step, extrapolation_shrink β_j after
  /// a rejected one. extrapolation = β_1; 0 turns it off (the default).
  double extrapolation = 0.0;
  double extrapolation_max = 1.0;     ///< cap on β
  double extrapolation_grow = 1.5;    ///< β growth after a kept extrapolated sweep
  double extrapolation_shrink = 0.5;  ///< β shrink after a rejected one

  /// Calls v(name, field, description) for every option (CLI flags, JSON, docs).
  template <class Visitor>
  void visit(Visitor&& v) { visit_fields(*this, v); }
  template <class Visitor>
  void visit(Visitor&& v) const { visit_fields(*this, v); }
  /// The one field list behind both visit()s: Self is BcdOptions or const BcdOptions.
  template <class Self, class Visitor>
  static void visit_fields(Self& self, Visitor& v) {
    v("max_sweeps", self.max_sweeps, "BCD: sweep limit per inner solve");
    v("stop_test_enabled", self.stop_test_enabled,
      "BCD: stop when the change between sweeps <= the ALM's inner tolerance (false = always max_sweeps, as the reference code)");
    v("change_measure", self.change_measure,
      "BCD: change between sweeps: relative (sum_B |dx_B|/max(1,|x_B|)) | absolute (sum_B |dx_B|, the reference)");
    v("sigma_p", self.sigma_p, "BCD: proximal weight on the u block (reference demo 1e-8)");
    v("tolerance_scale", self.tolerance_scale, "BCD: stop when change <= tolerance_scale * (ALM inner tolerance)");
    v("extrapolation", self.extrapolation, "BCD: initial extrapolation weight beta (0 = off); kept only when the AL decreases");
    v("extrapolation_max", self.extrapolation_max, "BCD: largest extrapolation weight");
    v("extrapolation_grow", self.extrapolation_grow, "BCD: beta <- grow * beta after a kept extrapolated sweep");
    v("extrapolation_shrink", self.extrapolation_shrink, "BCD: beta <- shrink * beta after a rejected one");
  }

  /// Throws std::invalid_argument naming the first invalid option.
  void validate() const;
};

class BcdSolver : public InnerSolver {
 public:
  explicit BcdSolver(BcdOptions options = {}) : options_(options) { options_.validate(); }

  std::string name() const override { return "bcd"; }
  /// Runs sweeps on x in place. Throws std::invalid_argument when L.problem()
  /// is not a BlockProblem. InnerResult: iterations = sweeps, evaluations =
  /// block minimizations, final_value = L_β(x), final_measure = last change Δ,
  /// message = stop reason.
  InnerResult minimize(const AugmentedLagrangian& L, VectorRef x, double tolerance) override;

  const BcdOptions& options() const { return options_; }
  BcdOptions& mutable_options() { return options_; }
  /// Change of each block in the last sweep (‖Δx_B‖₂, unscaled), for logs.
  const std::vector<double>& last_block_changes() const { return last_block_changes_; }
  /// With extrapolation on: L_β after every sweep of the last solve (index 0:
  /// the start), and whether that sweep's extrapolated result was kept.
  const std::vector<double>& last_values() const { return last_values_; }
  const std::vector<bool>& last_extrapolated() const { return last_extrapolated_; }

 private:
  BcdOptions options_;
  Vector saved_;  // the block being updated, before its update (largest block size)
  Vector previous_, trial_;  // x_{j−1} and the extrapolated sweep's iterate
  std::vector<double> last_block_changes_;
  std::vector<double> last_values_;
  std::vector<bool> last_extrapolated_;
};

}  // namespace almkit
