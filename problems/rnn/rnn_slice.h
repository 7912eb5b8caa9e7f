// One rank's share of the RNN training problem in the time-parallel ALM-BCD
// (docs/parallel.md §3): the columns [first, last) of the series, their
// states H, U and multipliers Ξ1, Ξ2, and the four closed-form block updates
// of docs/rnn_bcd.md §2 with what they need from the other ranks:
//
//   w, a   the Gram sums Z Zᵀ, (βU + Ξ1) Zᵀ, H Ω Hᵀ, Y Ω Hᵀ, H ω over this
//          rank's columns, summed over ranks (Communicator::sum, a fixed tree);
//          the small SPD systems are then solved on every rank alike, so the
//          weights stay replicated bit for bit;
//   h      the right side's linked term Wᵀ E(:, t+1) at the last column needs
//          E(:, first) of the next rank: one column from the right;
//   u      a_t = W h_{t−1} + V x_t + b at the first column needs h_{first−1}
//          (after the h block): one column from the left.
//
// Memory: the slice holds O(m · (last − first)) numbers (H, U, Ξ1, Ξ2, two
// work matrices, the change buffer and its data) plus the replicated weights
// and O((m + d)²) sums; nothing of the global length T.
//
// A slice whose first column continues a sequence of the previous rank is
// `linked_left`; one whose last column continues into the next rank is
// `linked_right`. With one rank and no links the block updates are those of
// RnnTrainingProblem's sequential path (tested to round-off,
// tests/test_rnn_distributed.cpp). Not thread-safe; every member marked
// "collective" must be called by all ranks in the same order.
#pragma once

#include <utility>
#include <vector>

#include "almkit/core/communicator.h"
#include "almkit/problems/rnn/rnn_types.h"

namespace almkit::rnn {

/// How the columns are divided among ranks (docs/parallel.md §3).
enum class RankSplit {
  kTime,       ///< contiguous ranges cut at ⌊k·T/P⌋, through sequences if need be
  kSequences,  ///< cut at the sequence start nearest to k·T/P: whole sequences per rank
};
const char* to_string(RankSplit split);
/// "time" | "sequences".
bool parse(const std::string& text, RankSplit* split);

/// [first, last) of each of `ranks` ranks. kSequences falls back to kTime when
/// the series has fewer sequences than ranks. Throws std::invalid_argument
/// when a rank would get no column (T < ranks).
std::vector<std::pair<int, int>> rank_ranges(const RnnSeries& series, int ranks, RankSplit split);

/// The columns [first, last) of a series as a series of their own.
struct RnnSliceData {
  RnnSeries series;           ///< columns [first, last); sequence_starts relative, always containing 0
  int first = 0;              ///< global index of column 0
  bool linked_left = false;   ///< column 0 is not a sequence start: h_{first−1} lives on the previous rank
  bool linked_right = false;  ///< the last column is not a sequence end: its successor is on the next rank
};
RnnSliceData slice_series(const RnnSeries& series, int first, int last);

class RnnSlice {
 public:
  /// Collective: sums N, T, X Xᵀ, X 1 and Y Ω 1 over the ranks. m ≥ 1; the
  /// weights start at zero (set `w`, then forward_pass()).
  RnnSlice(RnnSliceData data, int m, const RnnRegularization& reg, Communicator& comm);

  // ---- sizes ---------------------------------------------------------------
  int m() const { return m_; }
  int d() const { return d_; }
  int p() const { return p_; }
  int columns() const { return T_; }          ///< this rank's columns
  double global_T() const { return T_all_; }  ///< Σ over ranks of columns()
  double N() const { return N_; }             ///< Σ ω_t over all ranks
  const RnnSliceData& data() const { return data_; }
  const RnnRegularization& regularization() const { return reg_; }
  Communicator& comm() const { return comm_; }

  // ---- state: replicated weights, local states and multipliers --------------
  RnnWeights w;
  Matrix H, U;       ///< m × columns()
  Matrix Xi1, Xi2;   ///< m × columns(); zero after construction

  /// Collective, sequential over linked ranks: (H, U) ← the forward pass of
  /// `w`, from h_{first−1} received from the previous rank (when linked_left)
  /// and sending h_{last−1} to the next (when linked_right). Ranks whose
  /// slice starts a sequence do not wait (docs/parallel.md §3 "rollout").
  void forward_pass();
  /// Collective: h_{first−1} of the current H from the previous rank (every
  /// change of H must be followed by this before the next w block or c(x)).
  void exchange_halo();
  const Vector& h_left() const { return h_left_; }

  /// One BCD sweep w, a, h, u (collective; docs/rnn_bcd.md §2) on the AL with
  /// multipliers (Ξ1, Ξ2), penalty β and proximal weight σp on u. Returns the
  /// change of each block as (‖Δ‖₂, ‖new‖₂) over all ranks, in sweep order.
  std::vector<std::pair<double, double>> sweep(double beta, double sigma_p);

  /// The w block, then the a block (collective): the partial sweep of the
  /// rollout policy (docs/rnn_bcd.md §8), from the current (H, U, Ξ1, Ξ2).
  void weight_step(double beta);

  /// C1 = U − W Hprev − V X − b 1ᵀ and C2 = H − σ(U) of this rank's columns.
  void constraints(Matrix& C1, Matrix& C2) const;
  /// Σ_t ω_t ‖A h_t + c − y_t‖² over this rank's columns.
  double local_loss() const;
  /// λ1‖A‖² + λ2‖W‖² + λ3‖V‖² + λ4‖b‖² + λ5‖c‖² (replicated, not summed).
  double weight_penalty() const;
  /// Collective: f = (1/N) Σ ω‖r‖² + weight_penalty() + λ6‖U‖² over all ranks.
  double objective() const;

  /// Collective, sequential over linked ranks, backwards: the BPTT adjoint
  /// multipliers of rnn_problem.h bptt_multipliers at (w, H, U) into
  /// (Xi1_out, Xi2_out), ξ1_{last} of the next rank received from it.
  void bptt(Matrix& Xi1_out, Matrix& Xi2_out) const;
  /// Collective: the KKT stationarity ‖∇f + J_cᵀλ‖∞ at (w, H, U) with λ = (L1, L2),
  /// all rows (weights summed over ranks; H, U rows local, max over ranks).
  /// With L = bptt() at a forward-pass point it is ‖∇F(θ)‖∞.
  double stationarity(const Matrix& L1, const Matrix& L2) const;

 private:
  bool start(int t) const;  // t begins a sequence (no h_{t−1})
  /// out = Σ_{t not a start} L(:, t) hprev_tᵀ over this rank's columns (h_left_ for t = 0 when linked).
  void linked_outer(const Matrix& L, Eigen::Ref<Matrix> out) const;
  /// out(:, t) += α M in(:, t∓1) over the linked columns (forward: t not a start, `boundary` =
  /// h_{first−1} at t = 0; backward: t not an end, `boundary` the next rank's column at the last).
  void add_linked_product(double alpha, const Matrix& M, const Matrix& in, Matrix& out, bool forward,
                          const Vector* boundary) const;
  void minimize_w(double beta);
  void minimize_a();
  void minimize_h(double beta);
  void minimize_u(double beta, double sigma_p);
  void solve_small(Matrix& theta) const;  // theta = gram_⁻¹ rhs_ᵀ
  /// Weighted residuals R(:, t) = ω_t (A h_t + c − y_t).
  Matrix weighted_residuals() const;

  RnnSliceData data_;
  RnnRegularization reg_;
  Communicator& comm_;
  int m_, d_, p_, T_;
  double T_all_ = 0.0, N_ = 0.0;
  bool omega_all_ones_ = true;     ///< on every rank
  std::vector<int> inner_starts_;  ///< local starts t > 0
  std::vector<int> inner_ends_;    ///< local ends t < last − 1 (the column before an inner start)
  std::vector<int> ends_;          ///< local sequence ends (the last column unless linked_right)
  std::vector<char> is_end_;
  struct HClass {
    double omega;
    bool end;
    std::vector<int> columns;  ///< empty for the first (majority) class: it takes every column
  };
  std::vector<HClass> classes_;
  Matrix XXt_;       ///< Σ over ranks of X Xᵀ
  Vector X1_;        ///< Σ over ranks of X 1
  Vector YOmega1_;   ///< Σ over ranks of Y Ω 1
  Matrix YOmega_;    ///< Y diag(ω), unobserved targets zeroed
  Vector h_left_;    ///< h_{first−1} (zero unless linked_left)
  Vector e_right_;   ///< E(:, last) of the next rank in the h block
  mutable Matrix work1_, work2_, saved_;
  Matrix HHt_;       ///< this rank's H Hᵀ, from the w block for the a block
  mutable Matrix gram_, rhs_;
  // The partial sums of one collective. An Eigen vector, not a std::vector:
  // its base is aligned, so the blocks mapped into it have the same alignment
  // in every run and process, and Eigen's vectorized loops (which peel
  // unaligned heads out of their FMA path) give the same bits everywhere.
  Vector buffer_;
};

}  // namespace almkit::rnn
