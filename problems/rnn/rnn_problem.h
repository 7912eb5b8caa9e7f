// ReLU RNN training as an equality-constrained problem (docs/rnn.md §2,
// docs/rnn_bcd.md §1–2):
//
//   min  f = (1/N) Σ_t ω_t ‖A h_t + c − y_t‖²
//            + λ1‖A‖² + λ2‖W‖² + λ3‖V‖² + λ4‖b‖² + λ5‖c‖² + λ6‖U‖²
//   s.t. C1_t = u_t − W h_{t−1} − V x_t − b = 0     (h_{t−1} = 0 at every sequence start)
//        C2_t = h_t − σ(u_t)                = 0     σ = max(0, ·)
//
// Variables, one flat vector, every matrix column-major:
//
//   x = [ vec(W) m·m | vec(V) m·d | b m | vec(A) p·m | c p | vec(H) m·T | vec(U) m·T ]
//
// Equalities c(x) = [vec(C1); vec(C2)] (two families of m·T, column t = time t);
// the matching multipliers λ = [vec(Ξ1); vec(Ξ2)] are the ξ1_t, ξ2_t of docs/rnn.md §3.
//
// Derivative of σ at a kink (u = 0): this problem's J_c uses the selection 0
// (the limiting derivative {0,1} and the Clarke [0,1] both contain it). The
// verifier (docs/verification.md) minimizes over the selections itself.
//
// The problem is also a BlockProblem (core/block_problem.h) with the
// closed-form block minimizers of the augmented Lagrangian, blocks in the
// reference order  w = (W, V, b),  a = (A, c),  h = H,  u = U
// (docs/rnn_bcd.md derives each one). The AL's single penalty β is used for
// both γ1 = γ2; the proximal weight σp of BcdOptions acts on the u block only.
//
// All evaluations work at matrix level (a few (m×T)(T×m)-shaped products);
// nothing loops over time steps except the forward pass and the BPTT
// recursion, which are sequential by nature. Not thread-safe: the block
// minimizers keep O(m·T) work space in mutable members.
//
// Time-parallel sweeps (docs/parallel.md): with set_parallel() the four block
// minimizers cut [0, T) into chunks of `chunk_columns` time steps and run the
// chunks on `threads` threads. Given U the h_t decouple, given H the u_t
// decouple (docs/rnn_bcd.md §2 "h", "u"), and the w and a blocks need Gram
// sums over t: each chunk forms its partial sums, which are added in chunk
// order. The iterates are therefore the same for every thread count (bit for
// bit), and with one chunk (T ≤ chunk_columns, or chunk_columns = 0) the code
// path is exactly the sequential one.
#pragma once

#include <functional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <Eigen/Cholesky>

#include "almkit/core/problem.h"
#include "almkit/problems/rnn/rnn_types.h"
#include "almkit/core/block_problem.h"

namespace almkit::rnn {

/// Eigen::Map views of the blocks of x; S = double (mutable) or const double.
template <class S>
struct RnnBlockView {
  using Mat = std::conditional_t<std::is_const_v<S>, const Matrix, Matrix>;
  using Vec = std::conditional_t<std::is_const_v<S>, const Vector, Vector>;
  Eigen::Map<Mat> W;  ///< m × m
  Eigen::Map<Mat> V;  ///< m × d
  Eigen::Map<Vec> b;  ///< m
  Eigen::Map<Mat> A;  ///< p × m
  Eigen::Map<Vec> c;  ///< p
  Eigen::Map<Mat> H;  ///< m × T, column t = h_t
  Eigen::Map<Mat> U;  ///< m × T, column t = u_t
};
using RnnConstView = RnnBlockView<const double>;
using RnnMutableView = RnnBlockView<double>;

/// The two m × T halves of λ (or of c(x)): Ξ1 for C1, Ξ2 for C2.
struct RnnMultiplierView {
  Eigen::Map<const Matrix> Xi1;
  Eigen::Map<const Matrix> Xi2;
};

/// Time-parallel block updates (docs/parallel.md §2–3).
struct RnnParallelOptions {
  /// Threads that run the chunks of a block update. Does not change the
  /// result: partial sums are added in chunk order whatever thread made them.
  int threads = 1;
  /// Time steps per chunk. The chunk layout (and so the rounding of the Gram
  /// sums of the w and a blocks) depends on this and T only. 0, or T ≤ this:
  /// one chunk, the sequential code path of docs/rnn_bcd.md §2 exactly.
  /// 4096: m·4096 doubles per m × T operand slice (2 MiB at m = 64) keeps a
  /// chunk's operands within a core's L2/L3 share; enough chunks for 2 threads
  /// from T ≈ 10⁴ on (docs/parallel.md §5).
  int chunk_columns = 4096;
};

class RnnTrainingProblem : public ConstrainedProblem, public BlockProblem {
 public:
  /// Block indices, in sweep order.
  enum Block { kBlockW = 0, kBlockA = 1, kBlockH = 2, kBlockU = 3 };

  /// `train` must have T ≥ 1, ω_t ≥ 0 with N = Σ ω_t > 0, sorted sequence
  /// starts beginning with 0; m ≥ 1. Throws std::invalid_argument otherwise.
  RnnTrainingProblem(RnnSeries train, int m, RnnRegularization reg = {});

  // ----- sizes and layout --------------------------------------------------
  int m() const { return m_; }
  int d() const { return d_; }
  int p() const { return p_; }
  int T() const { return T_; }
  const RnnSeries& data() const { return data_; }
  const RnnRegularization& regularization() const { return reg_; }
  /// Number of weight entries m·m + m·d + m + p·m + p (the head of x).
  int num_weights() const { return off_H_; }
  int offset_W() const { return 0; }
  int offset_V() const { return off_V_; }
  int offset_b() const { return off_b_; }
  int offset_A() const { return off_A_; }
  int offset_c() const { return off_c_; }
  int offset_H() const { return off_H_; }
  int offset_U() const { return off_U_; }

  /// Map views of the blocks of x (no copies).
  RnnConstView view(VectorCRef x) const { return view_impl<const double>(x.data()); }
  RnnMutableView mutable_view(VectorRef x) const { return view_impl<double>(x.data()); }
  /// The halves Ξ1, Ξ2 of a vector of num_equalities() entries (λ, or c(x)).
  RnnMultiplierView multiplier_view(VectorCRef lambda) const;

  // ----- weights <-> x -------------------------------------------------------
  /// x with these weights and (H, U) from a forward pass: a feasible point.
  Vector make_point(const RnnWeights& w) const;
  /// The weights stored in x.
  RnnWeights weights(VectorCRef x) const;
  /// Sets the weights initial_point() starts from (default: see initial_point()).
  void set_initial_weights(const RnnWeights& w);

  /// Threads and chunk length of the block updates (RnnParallelOptions);
  /// throws std::invalid_argument when threads < 1 or chunk_columns < 0.
  void set_parallel(const RnnParallelOptions& options);
  const RnnParallelOptions& parallel() const { return parallel_; }
  /// Number of time chunks of the block updates (1: the sequential path).
  int num_chunks() const { return static_cast<int>(chunks_.size()); }
  /// Groups of whole sequences, [first, last) column ranges that start at
  /// sequence starts, over which the forward pass (restore_feasibility) and
  /// the BPTT recursion (bptt_multipliers) run on parallel_.threads threads
  /// (docs/parallel.md §2): min(threads, number of sequences) groups of about
  /// T/groups columns each. Every column is computed by the same operations
  /// whatever the grouping, so the result is bit for bit that of one thread.
  int num_sequence_groups() const { return static_cast<int>(sequence_groups_.size()); }

  /// BPTT adjoint multipliers λ = [vec(Ξ1); vec(Ξ2)] at x (docs/rnn.md §3): solves
  /// the ∂h_t, ∂u_t rows of the KKT system backwards from the end of each sequence,
  ///   ξ2_t = Wᵀ ξ1_{t+1} − (2ω_t/N) Aᵀ r_t     (no ξ1_{t+1} at a sequence end)
  ///   ξ1_t = D_t ξ2_t − 2λ6 u_t                (D_t = diag(u_t > 0), 0 at kinks)
  /// so that the H and U components of ∇f + J_cᵀλ vanish exactly. Unique at
  /// feasible points; then the W, V, b, A, c components of ∇f + J_cᵀλ are the
  /// gradient of the reduced objective F(θ) = f(θ, H(θ), U(θ)).
  Vector bptt_multipliers(VectorCRef x) const;
  /// The same recursion with the selection `kink_selection` ∈ [0, 1] of σ′ at
  /// every |u_{t,i}| ≤ kink_tolerance (an element of the Clarke derivative
  /// [0, 1] there; docs/rnn_bcd.md §8): the multipliers of a generalized
  /// gradient of F at points on or next to a kink.
  Vector bptt_multipliers(VectorCRef x, double kink_tolerance, double kink_selection) const;
  /// The same with σ′ = selection[k] ∈ [0, 1] at U entry kinks[k] (column-major
  /// index into U, k = t·m + i) and [u > 0] elsewhere.
  Vector bptt_multipliers(VectorCRef x, const std::vector<int>& kinks, const std::vector<double>& selection) const;
  /// The column-major indices k of the pre-activations with |u_{t,i}| ≤ tol, in
  /// increasing order: the near-kink set of bptt_multipliers, active_kinks and
  /// the rollout policy's kink options (docs/rnn_bcd.md §8).
  std::vector<int> near_kinks(VectorCRef x, double tol) const;
  /// The weight rows (W, V, b, A, c; num_weights() entries) of ∇f(x) + J_c(x)ᵀλ,
  /// without forming the H and U rows. With λ = bptt_multipliers(x) at a
  /// feasible x this is ∇F(θ), the BPTT gradient of the reduced objective.
  void weight_gradient(VectorCRef x, VectorCRef lambda, VectorRef grad) const;
  /// The w block of minimize_block with a proximal term (ρ/2)‖Θ − Θ⁻‖²,
  /// ρ = κ tr(β Z Zᵀ)/(m+d+1), κ ≥ 0 (κ = 0: the exact block minimizer of
  /// docs/rnn_bcd.md §2). The rollout policy's `w_proximal` option (§8).
  /// With a non-empty `hold`, the step keeps the pre-activations at the `hold` entries of U
  /// (column-major indices t·m + i) on their kink for the current states:
  /// Θ_i z_t = 0 for each held (t, i), z_t = [h_{t−1}; x_t; 1]. Per unit i the
  /// equality-constrained least squares is solved in closed form,
  /// Θ_iᵀ = θ_i − M⁻¹ Z_K (Z_Kᵀ M⁻¹ Z_K)⁺ Z_Kᵀ θ_i with θ_i the unconstrained
  /// row and M the w block's matrix (docs/rnn_bcd.md §8, "kink hold").
  void minimize_w_block(VectorCRef lambda, double beta, double kappa, VectorRef x,
                        const std::vector<int>& hold = {}) const;
  /// The matrix M = β Z Zᵀ + 2Λ (+ ρ I) of the last minimize_w_block: the w step
  /// solves Θ M = RHS, so the AL restricted to Θ is ½⟨(Θ − Θ̃) M, Θ − Θ̃⟩ + const
  /// around its minimizer Θ̃ (docs/rnn_bcd.md §2; the kink manifold step of §8).
  const Matrix& w_block_matrix() const { return gram_; }
  /// ∂u_{t,i}/∂Θ at a feasible x, Θ = [W V b] (m × (m+d+1)), for the U entry
  /// k = t·m + i: the total derivative through h_{t−1}(θ), h_{t−2}(θ), … back to
  /// the sequence start, with σ′ = [u > 0] on the way (as bptt_multipliers):
  ///   G = Σ_{τ ≤ t} e_τ z_τᵀ,  e_t = e_i,  e_{τ−1} = D_{τ−1} Wᵀ e_τ,
  /// z_τ = [h_{τ−1}; x_τ; 1] (docs/rnn_bcd.md §8, "Kink manifold"). The recursion
  /// stops early once e is 0 or below 1e-15 of its unit seed everywhere.
  Matrix pre_activation_gradient(VectorCRef x, int k) const;
  /// pre_activation_gradient for each entry of ks (one recursion each).
  std::vector<Matrix> pre_activation_gradients(VectorCRef x, const std::vector<int>& ks) const;

  // ----- ConstrainedProblem ------------------------------------------------
  std::string name() const override { return "rnn_training"; }
  int num_variables() const override { return n_; }
  int num_equalities() const override { return 2 * m_ * T_; }
  /// Two equality families, in this order: C1 (h = relu(u), kFamilyC1) and
  /// C2 (u = W h_prev + V x + b, kFamilyC2), m·T each; AlmIteration::family_violation
  /// and the reference policy's V_k follow this order.
  std::vector<int> equality_family_sizes() const override { return {m_ * T_, m_ * T_}; }
  static constexpr int kFamilyC1 = 0;
  static constexpr int kFamilyC2 = 1;
  /// The weights of set_initial_weights(), or else W, V, A ~ N(0, 1e-3²) from
  /// std::mt19937_64(0) (the reference initialization), b = 0, c = 0; (H, U)
  /// from a forward pass, so the start is feasible.
  Vector initial_point() const override;
  /// Recomputes (H, U) from the weights in x by a forward pass; always true.
  bool restore_feasibility(VectorRef x) const override;
  std::string structural_nnamcq_certificate() const override;
  /// The certificate's text: structural, the same for every instance (docs/rnn.md §4).
  static std::string nnamcq_certificate_text();
  /// The kinks of C2_t = h_t − σ(u_t): every u_{t,i} with |u_{t,i}| ≤ tol
  /// (docs/verification.md §2); kink k is the column-major index of u_{t,i} in U.
  std::vector<Kink> active_kinks(VectorCRef x, double tol) const override;
  /// J_c with ∂C2_{t,i}/∂u_{t,i} = −s_k at the selected kinks (dense: for
  /// verification of small instances).
  Matrix jacobian_with_selection(VectorCRef x, ConstraintFamily family, const KinkSelection& s) const override;

  // ----- BlockProblem (docs/rnn_bcd.md) --------------------------------------
  int num_blocks() const override { return 4; }
  std::string block_name(int k) const override;
  std::vector<Range> block_ranges(int k) const override;
  /// λ = [vec(Ξ1); vec(Ξ2)], β = γ1 = γ2, μ must be empty (no inequalities,
  /// no bounds), `proximal` = σp ≥ 0 is applied on the u block only.
  /// Ends the hand-overs of the previous sweep (core/block_problem.h "Hand-over contract").
  void begin_sweep(VectorCRef x) const override;
  void minimize_block(int k, VectorCRef lambda, VectorCRef mu, double beta, double proximal,
                      VectorRef x) const override;

 protected:
  double f_impl(VectorCRef x) const override;
  double grad_f_impl(VectorCRef x, VectorRef grad) const override;
  void c_impl(VectorCRef x, VectorRef c) const override;
  void jac_c_t_prod_impl(VectorCRef x, VectorCRef y, VectorRef out) const override;
  Matrix jac_c_impl(VectorCRef x) const override;
  Eigen::SparseMatrix<double> jac_c_sparse_impl(VectorCRef x) const override;

 private:
  template <class S>
  RnnBlockView<S> view_impl(S* x) const {
    using Mat = typename RnnBlockView<S>::Mat;
    using Vec = typename RnnBlockView<S>::Vec;
    return RnnBlockView<S>{Eigen::Map<Mat>(x, m_, m_),           Eigen::Map<Mat>(x + off_V_, m_, d_),
                           Eigen::Map<Vec>(x + off_b_, m_),       Eigen::Map<Mat>(x + off_A_, p_, m_),
                           Eigen::Map<Vec>(x + off_c_, p_),       Eigen::Map<Mat>(x + off_H_, m_, T_),
                           Eigen::Map<Mat>(x + off_U_, m_, T_)};
  }
  /// out(:, t) += α M in(:, t−1) for t not a sequence start (forward), or
  /// out(:, t) += α M in(:, t+1) for t not a sequence end (backward).
  void add_linked_product(double alpha, const Eigen::Ref<const Matrix>& M, const Eigen::Ref<const Matrix>& in,
                          Eigen::Ref<Matrix> out, bool forward) const;
  /// out = Σ_{t not a sequence start} L(:, t) R(:, t−1)ᵀ.
  void linked_outer(const Eigen::Ref<const Matrix>& L, const Eigen::Ref<const Matrix>& R,
                    Eigen::Ref<Matrix> out) const;
  /// Residuals R = A H + c 1ᵀ − Y, weighted column-wise by ω (p × T).
  void weighted_residuals(const RnnConstView& v, Matrix& R) const;

  void solve_normal_equations() const;  // theta_ = gram_⁻¹ rhs_small_ᵀ
  /// Argument checks and work space shared by the block minimizers; records k
  /// as the last block and returns the one before it.
  int prepare_block(int k, VectorCRef lambda, VectorCRef mu, double beta, double proximal, VectorCRef x) const;
  /// ∇_A f and ∇_c f from the weighted residuals R (shared by ∇f and weight_gradient).
  void output_gradient(const RnnConstView& v, const Matrix& R, Eigen::Ref<Matrix> gA, Eigen::Ref<Vector> gc) const;
  void minimize_w(VectorCRef lambda, double beta, double kappa, VectorRef x,
                  const std::vector<int>& hold = {}) const;
  void minimize_a(VectorRef x, bool after_w) const;
  void hold_kinks(const std::vector<int>& hold, const Eigen::Ref<const Matrix>& H) const;
  void minimize_h(VectorCRef lambda, double beta, VectorRef x) const;
  void minimize_u(VectorCRef lambda, double beta, double proximal, VectorRef x, bool after_h) const;

  // ----- time chunks (docs/parallel.md §2) ----------------------------------
  /// One chunk [first, last) of time steps with the sequence boundaries inside it.
  struct Chunk {
    int first = 0, last = 0;
    std::vector<int> inner_starts;  ///< inner_starts_ in [first, last)
    std::vector<int> inner_ends;    ///< inner_ends_ in [first, last)
    std::vector<int> all_ends;      ///< all_ends_ in [first, last)
  };
  bool chunked() const { return chunks_.size() > 1; }
  /// fn(chunk) for every chunk on parallel_.threads threads (core/parallel.h).
  void for_chunks(const std::function<void(int)>& fn) const;
  /// linked_outer restricted to t in chunk c: Σ_{t ∈ c, not a start} L(:, t) R(:, t−1)ᵀ.
  void chunk_linked_outer(int c, const Eigen::Ref<const Matrix>& L, const Eigen::Ref<const Matrix>& R,
                          Eigen::Ref<Matrix> out) const;
  /// add_linked_product restricted to the output columns t in chunk c.
  void chunk_linked_product(int c, double alpha, const Eigen::Ref<const Matrix>& M, const Eigen::Ref<const Matrix>& in,
                            Eigen::Ref<Matrix> out, bool forward) const;
  void minimize_w_chunked(VectorCRef lambda, double beta, double kappa, VectorRef x) const;
  /// The chunked h solve with the majority class inverse M (docs/parallel.md §2).
  void minimize_h_chunked_phases(VectorCRef lambda, double beta, VectorRef x) const;

  /// Columns of the h block sharing one matrix: same ω_t, same "last step" flag.
  struct HClass {
    double omega = 1.0;
    bool last = false;
    std::vector<int> columns;  ///< empty for the first (majority) class: it takes all columns
  };

  RnnSeries data_;
  RnnRegularization reg_;
  int m_, d_, p_, T_, n_;
  int off_V_, off_b_, off_A_, off_c_, off_H_, off_U_;
  double N_;
  bool omega_all_ones_;
  std::vector<int> inner_starts_;  ///< sequence starts s > 0 (h_{s−1} does not feed step s)
  std::vector<int> inner_ends_;    ///< sequence ends e < T−1
  std::vector<int> all_ends_;      ///< every sequence end, T−1 included
  std::vector<HClass> h_classes_;  ///< majority class first
  Matrix XXt_;                     ///< X Xᵀ (d × d), constant
  Vector X1_;                      ///< X 1 (d)
  Matrix YOmega_;                  ///< Y diag(ω) with unobserved targets zeroed (p × T)
  RnnWeights initial_weights_;
  bool has_initial_weights_ = false;
  RnnParallelOptions parallel_;
  std::vector<Chunk> chunks_;  ///< one chunk [0, T) unless set_parallel() cuts more
  std::vector<std::pair<int, int>> sequence_groups_;  ///< num_sequence_groups()

  // Work space of the block minimizers (docs/rnn_bcd.md §3): two m × T
  // matrices and small ones; allocated on the first call, reused afterwards.
  mutable Matrix work1_, work2_;             // m × T each
  mutable Matrix gram_, rhs_small_, theta_;  // (m+d+1)-sized normal equations
  mutable Matrix HHt_;                       // H Hᵀ, shared by the w and a blocks
  mutable Matrix WtW_, AtA_, h_inverse_;     // h block class matrices
  mutable Matrix gather_, scatter_;          // minority h-class columns
  mutable Matrix link_save_;                 // columns restored by add_linked_product
  mutable Matrix P_V_;                       // V and b that work1_ = V X + b 1ᵀ was formed with
  mutable Vector P_b_;
  // Hand-overs inside a sweep (w → a: H Hᵀ; h → u: V X + b 1ᵀ) are used only
  // when the blocks run consecutively on the same x buffer, as BcdSolver calls
  // them; begin_sweep() clears these keys (core/block_problem.h "Hand-over contract").
  mutable const double* HHt_owner_ = nullptr;
  mutable const double* last_x_ = nullptr;
  mutable int last_block_ = -1;
  mutable Eigen::LLT<Matrix> llt_;
  // Per-chunk partial sums of the w and a blocks, added in chunk order.
  mutable std::vector<Matrix> part_gram_, part_rhs_, part_hh_;
};

}  // namespace almkit::rnn
