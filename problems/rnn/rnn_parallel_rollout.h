// F(θ) and ∇F(θ) by a forward pass and BPTT split over time chunks and
// workers, exact to the last bit of the recursion (docs/parallel.md §8,
// "Relaxed rollout").
//
// The series is cut into K chunks [t_k, t_{k+1}) as in multiple shooting
// (problems/rnn/rnn_shooting.h). The forward pass needs the state s_k =
// h_{t_k−1} entering chunk k, the backward pass the adjoint a_k = Wᵀδ_{t_{k+1}}
// leaving it; both are guessed (the previous evaluation's values: θ changes
// little between evaluations) and then corrected in rounds:
//
//   round 0:  every chunk runs its whole recursion from its guess, side by side;
//   round r:  the chunks exchange their boundary values (one all_gather); a
//             chunk whose guess was wrong re-runs from the corrected value
//             and stops at the first step whose pre-activation u_t (adjoint
//             δ_t) equals, bit for bit, the one it already holds: from there
//             on the recursion is the same computation on the same numbers.
//
// A contracting recursion forgets its start within a few dozen steps, so the
// re-runs are short and round 1 usually changes nothing. The rounds stop when
// no guess changes; after round r the chunks 0 … r hold the exact values, so
// there are at most K rounds (then the critical path is that of the sequential
// pass). The result is the sequential recursion's, independent of the guesses,
// of K's split over workers and of P; the loss and gradient sums are added in
// chunk order (all_gather), so every worker holds the same bits for every P.
#pragma once

#include <functional>
#include <vector>

#include "almkit/core/communicator.h"
#include "almkit/core/problem.h"
#include "almkit/problems/rnn/rnn_model.h"
#include "almkit/problems/rnn/rnn_shooting.h"
#include "almkit/problems/rnn/rnn_types.h"

namespace almkit::rnn {

/// Correction work: of the last evaluation, and summed over all evaluations.
/// Re-run steps are this worker's (all steps on one worker).
struct RolloutRounds {
  int forward_rounds = 0;         ///< last evaluation: exchanges after round 0 (0: the guesses were exact)
  int backward_rounds = 0;
  long forward_rerun_steps = 0;   ///< last evaluation: re-run steps (round 0's steps not counted)
  long backward_rerun_steps = 0;
  long evaluations = 0;           ///< since construction
  long total_forward_rounds = 0, total_backward_rounds = 0;
  long total_forward_rerun_steps = 0, total_backward_rerun_steps = 0;
};

class ParallelRollout {
 public:
  /// `chunks` K in [1, T]; `comm` must outlive this object, and every worker
  /// makes the same sequence of calls (they are collectives).
  ParallelRollout(const RnnSeries& data, const RnnRegularization& reg, int m, int chunks, Communicator& comm);

  /// F(θ); ∇F(θ) into `gradient` when non-null. Keeps the boundary values as
  /// the next call's guesses.
  double evaluate(const RnnWeights& w, RnnWeights* gradient);
  const RolloutRounds& rounds() const { return rounds_; }
  int chunks() const { return K_; }

 private:
  struct Chunk {
    int k = 0, t0 = 0, len = 0;
    std::vector<char> starts;             // starts[j]: step t0 + j starts a sequence (h_{t−1} = 0)
    Matrix Z, U, H, Hprev, R, G0, Delta;  // m × len (R: p × len)
  };
  void forward_recursion(Chunk& c, const RnnWeights& w, bool rerun, long* steps) const;
  void backward_recursion(Chunk& c, const RnnWeights& w, bool rerun, long* steps) const;
  double chunk_value(Chunk& c, const RnnWeights& w, double N) const;
  void chunk_gradient(Chunk& c, double N, double* out) const;
  int forward_rounds(const RnnWeights& w);
  int backward_rounds(const RnnWeights& w);
  bool continues_into(int k) const;  // chunk k's first step takes h_{t_k−1} (not a sequence start, k > 0)

  const RnnSeries& data_;
  RnnRegularization reg_;
  int m_, K_;
  std::vector<int> bounds_;
  ChunkLayout layout_;
  std::vector<Chunk> chunk_;   // this worker's chunks
  Matrix S_, A_;               // m × K: guesses s_k (entering) and a_k (leaving), replicated
  RolloutRounds rounds_;
};

/// The unconstrained problem min F(θ) with F and ∇F from a ParallelRollout:
/// any inner solver (L-BFGS) or the ALM driver runs on it unchanged, on every
/// worker, on the same bits.
class RnnParallelReducedProblem final : public ConstrainedProblem {
 public:
  RnnParallelReducedProblem(const RnnSeries& data, const RnnRegularization& reg, const RnnWeights& initial, int chunks,
                            Communicator& comm);
  std::string name() const override;
  int num_variables() const override { return static_cast<int>(x0_.size()); }
  Vector initial_point() const override { return x0_; }
  RnnWeights weights(VectorCRef x) const;
  Vector feasible_point(const RnnWeights& w) const { return flatten(w); }
  const ParallelRollout& rollout() const { return rollout_; }
  /// F(θ) and ∇F(θ) (uncounted) with this problem's rollout: its buffers and guesses.
  double evaluate(const RnnWeights& w, RnnWeights* gradient) const { return rollout_.evaluate(w, gradient); }
  /// Called with F(θ) after every evaluation (traces; empty: none).
  void set_observer(std::function<void(double F)> observer) { observer_ = std::move(observer); }

 protected:
  double f_impl(VectorCRef x) const override;
  double grad_f_impl(VectorCRef x, VectorRef grad) const override;

 private:
  int m_, d_, p_;
  Vector x0_;
  mutable ParallelRollout rollout_;
  mutable RnnWeights w_, g_;
  std::function<void(double)> observer_;
};

}  // namespace almkit::rnn
