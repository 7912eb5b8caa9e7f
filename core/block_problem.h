// Problems that split their variables into blocks with exact block minimizers
// (docs/rnn_bcd.md §4, docs/inner_solvers.md).
//
// A BlockProblem is a ConstrainedProblem that can minimize the augmented
// Lagrangian of core/augmented_lagrangian.h
//
//     L_β(x; λ, μ) = f(x) + Σ_i [ λ_i c_i(x) + (β/2) c_i(x)² ] + (inequality terms)
//
// *exactly* over one block of variables with the others fixed (Gauss–Seidel).
// BcdSolver (solvers/bcd/bcd_solver.h) finds this interface by dynamic_cast on
// AugmentedLagrangian::problem() and calls, per sweep,
//
//     begin_sweep(x);  for k = 0 .. num_blocks()-1:  minimize_block(k, λ, μ, β, σ, x);
//
// Blocks are disjoint; together they need not cover x (uncovered variables
// stay fixed). A block may add a proximal term (σ/2)‖x_B − x_B⁻‖² to its
// subproblem, with σ = BcdOptions::sigma_p (x_B⁻ its value before the update;
// the RNN applies it to its u block only): L then still never increases, and
// decreases by at least (σ/2)‖Δx_B‖², which makes the sweep-change stop test
// finite (docs/rnn_bcd.md §4).
//
// Hand-over contract (what implementations may cache between calls). Within one
// sweep the caller passes the *same* x buffer to every minimize_block call and
// does not change x between two calls; λ, μ and β stay fixed over the sweep.
// An implementation may therefore reuse work of block k−1 in block k, keyed on
// the buffer (x.data()) and the previous block index, when block k runs right
// after k−1 (the RNN reuses H Hᵀ from w in a, and V X + b 1ᵀ from h in u,
// problems/rnn/rnn_problem.h). begin_sweep() ends every such hand-over, so a
// new sweep, a new buffer at a recycled address or an x changed by the caller
// between sweeps never sees stale work. A caller that calls minimize_block
// outside a sweep (the rollout policy's single w and a steps,
// study/rnn_rollout.h) must call begin_sweep() first.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "almkit/core/types.h"

namespace almkit {

class BlockProblem {
 public:
  virtual ~BlockProblem() = default;

  /// Index range [first, first + size) of x.
  struct Range {
    int first = 0;
    int size = 0;
  };

  /// Number of blocks, in the order the sweep visits them.
  virtual int num_blocks() const = 0;
  /// Short name of block k ("w", "a", "h", "u" for the RNN).
  virtual std::string block_name(int k) const = 0;
  /// The index ranges of block k in x (used for the change measure of the stop test).
  virtual std::vector<Range> block_ranges(int k) const = 0;

  /// Called once at the start of every sweep, before block 0: ends any
  /// hand-over of cached work (the contract above). Default: nothing.
  virtual void begin_sweep(VectorCRef /*x*/) const {}

  /// Replaces block k of x by the exact minimizer of L_β(·; λ, μ) over that
  /// block (the others fixed), plus (proximal/2)‖x_B − x_B⁻‖² on the blocks
  /// the problem documents as proximal. λ has num_equalities() entries; μ is the
  /// extended inequality multiplier of the AugmentedLagrangian (problem
  /// inequalities, then finite bounds). Const because the problem is shared
  /// through const references; implementations keep work space in mutable
  /// members, so one problem must not be minimized from two threads at once.
  virtual void minimize_block(int k, VectorCRef lambda, VectorCRef mu, double beta,
                              double proximal, VectorRef x) const = 0;
};

}  // namespace almkit
