// Multiple shooting for the RNN objective (docs/parallel.md §8).
//
// The series [0, T) is cut into K time chunks [t_k, t_{k+1}), t_k = ⌊kT/K⌋.
// The state entering chunk k ≥ 1 becomes a variable s_k ∈ ℝᵐ (the shooting
// state); chunk k runs the forward pass from s_k (h = 0 at sequence starts, as
// everywhere) and ends in h^k_last(θ, s_k) = h_{t_{k+1}−1}. The chunked problem
//
//   min_{θ, s}  F_K(θ, s) = Σ_k F^k(θ, s_k) + R(θ)
//   s.t.        c_k(θ, s) = s_{k+1} − h^k_last(θ, s_k) = 0,   k = 0 … K−2,
//
// (F^k: chunk k's loss and λ6‖U‖² terms, R: the weight penalties) has
// ∂c_k/∂s_{k+1} = I, so its constraint Jacobian has full row rank at every
// point (LICQ, hence NNAMCQ). At a feasible point the chunks' states are the
// forward pass of θ and F_K(θ, s) = F(θ). At a KKT point (∇_s ℓ = 0, c = 0)
// the multipliers are the BPTT adjoints at the chunk boundaries, y_k =
// −∂F/∂h_{t_{k+1}−1}, and ∇_θ ℓ = ∇F(θ): a KKT point of the chunked problem is
// a stationary point of F, i.e. (with the forward-pass states and the BPTT
// multipliers) a KKT point of (P) (docs/parallel.md §8 gives the induction).
//
// Every evaluation is split over the workers of a Communicator: worker r runs
// the forward and backward passes of its chunks only (O(T/P) steps), and one
// all_gather of the per-chunk results, summed in chunk order on every worker,
// gives every worker the same bits whatever the number of workers P (for a
// fixed K). The vector x = (θ, s_1 … s_{K−1}) is replicated: the ALM driver and
// the inner solver run unchanged on every worker, on identical numbers.
#pragma once

#include <string>
#include <vector>

#include "almkit/core/communicator.h"
#include "almkit/core/problem.h"
#include "almkit/problems/rnn/rnn_model.h"

namespace almkit::rnn {

/// Chunk boundaries t_k = ⌊kT/K⌋, k = 0 … K (t_0 = 0, t_K = T).
std::vector<int> shooting_boundaries(int T, int chunks);

/// K chunks over the P workers of a Communicator: worker r owns the chunks
/// [first(r), first(r + 1)), first(r) = ⌊rK/P⌋ (⌈K/P⌉ or fewer each).
/// gather() is the one exchange of the chunked evaluations: every worker gets
/// every chunk's block in chunk order, so sums over k taken from it have the
/// same bits on every worker and for every P.
class ChunkLayout {
 public:
  ChunkLayout(int chunks, Communicator& comm);
  int chunks() const { return K_; }
  int first(int rank) const { return static_cast<int>(static_cast<long>(rank) * K_ / P_); }
  int first() const { return first(comm_.rank()); }  ///< this worker's chunks [first(), last())
  int last() const { return first(comm_.rank() + 1); }
  /// `mine`: this worker's blocks of n doubles, chunk order; `all` ← K·n, chunk order.
  void gather(const std::vector<double>& mine, int n, std::vector<double>* all);

 private:
  int K_, P_, slots_ = 0;  // slots_: the most chunks any worker owns
  Communicator& comm_;
  std::vector<double> send_, receive_;
};

class RnnShootingProblem final : public ConstrainedProblem {
 public:
  /// `chunks` K ≥ 1 with every chunk non-empty (K ≤ T); `initial` gives θ0 (and
  /// the sizes), the shooting states start at its forward pass. `comm` must
  /// outlive the problem; every worker constructs the problem with the same
  /// arguments and then makes the same sequence of evaluations (collectives).
  RnnShootingProblem(const RnnSeries& data, const RnnRegularization& reg, const RnnWeights& initial, int chunks,
                     Communicator& comm);

  std::string name() const override;
  int num_variables() const override { return n_theta_ + (chunks_ - 1) * m_; }
  int num_equalities() const override { return (chunks_ - 1) * m_; }
  Vector initial_point() const override { return x0_; }
  std::string structural_nnamcq_certificate() const override;

  int chunks() const { return chunks_; }
  int num_parameters() const { return n_theta_; }
  const std::vector<int>& boundaries() const { return bounds_; }
  /// θ of x (the leading num_parameters() entries).
  RnnWeights weights(VectorCRef x) const { return unflatten(x.head(n_theta_), m_, d_, p_); }
  /// x with θ and the shooting states of θ's sequential forward pass (c = 0).
  Vector feasible_point(const RnnWeights& w) const;
  /// Chunks [first, last) of this worker: contiguous, ⌈K/P⌉ or fewer each.
  int first_chunk() const { return layout_.first(); }
  int last_chunk() const { return layout_.last(); }

 protected:
  double f_impl(VectorCRef x) const override;
  double grad_f_impl(VectorCRef x, VectorRef grad) const override;
  void c_impl(VectorCRef x, VectorRef c) const override;
  void jac_c_t_prod_impl(VectorCRef x, VectorCRef y, VectorRef out) const override;
  double grad_lagrangian_impl(VectorCRef x, VectorCRef y, VectorRef grad) const override;

 private:
  struct Chunk {
    ReducedWorkspace ws;  // the chunk's forward pass, kept for the backward pass at the same x
  };
  // Forward passes of this worker's chunks at x (skipped when x is the cached
  // point), then one all_gather: value_ and c_ hold F_K(x) and c(x) on every worker.
  void forward(VectorCRef x) const;
  // Backward passes with terminal adjoints −y_k (y empty: none), then one
  // all_gather; grad = ∇F_K + J_cᵀy.
  void backward(VectorCRef x, const Vector* y, VectorRef grad) const;
  ReducedWindow window(int k, const Vector* h_initial) const;

  const RnnSeries& data_;
  RnnRegularization reg_;
  int m_, d_, p_, n_theta_, chunks_;
  std::vector<int> bounds_;
  mutable ChunkLayout layout_;
  Vector x0_;
  mutable std::vector<Chunk> chunk_;      // this worker's chunks, first_ … last_ − 1
  mutable Vector cached_x_;               // x of the cached forward passes
  mutable bool cached_ = false;
  mutable double value_ = 0.0;
  mutable Vector c_;
  mutable RnnWeights w_;
  mutable std::vector<double> mine_, all_;
};

}  // namespace almkit::rnn
