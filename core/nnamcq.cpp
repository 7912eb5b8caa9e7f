// check_nnamcq: see core/nnamcq.h for the tests and docs/verification.md §5.
#include "almkit/core/nnamcq.h"
#include "almkit/core/singular_values.h"
#include "almkit/core/json_util.h"
#include "almkit/core/vertex_cones.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace almkit {

const char* to_string(NnamcqCertificate certificate) {
  switch (certificate) {
    case NnamcqCertificate::kStructural: return "structural";
    case NnamcqCertificate::kEnumerated: return "enumerated";
    case NnamcqCertificate::kSampled: return "sampled";
    case NnamcqCertificate::kViolated: return "violated";
  }
  return "?";
}

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// The shared selection model (core/vertex_cones.h) plus what the check needs.
struct Setup : SelectionSetup {
  Setup(const ConstrainedProblem& p, VectorCRef x_in, const NnamcqOptions& o)
      : SelectionSetup(make_selection_setup(p, x_in, o.kink_tolerance, o.active_tolerance, false)), problem(p),
        opt(o) {}
  const ConstrainedProblem& problem;
  const NnamcqOptions& opt;
};

// Result of the test at one selection s.
struct Test {
  double sigma_min = kInf;  // of all rows
  bool independent = true;  // sigma_min > δ
  double margin = kInf;
  bool witness = false;
  Vector y;  // per row, when witness
};

Test test_at(const Setup& S, const Vector& s) {
  Test t;
  const Eigen::Index m = static_cast<Eigen::Index>(S.rows.size());
  const Eigen::Index n = S.x.size();
  if (m == 0) return t;
  Matrix M(m, n);
  for (Eigen::Index i = 0; i < m; ++i) M.row(i) = S.rows[static_cast<size_t>(i)].at(S.model, s).transpose();
  const double delta = S.opt.degeneracy_tolerance * std::max(1.0, M.cwiseAbs().maxCoeff());
  t.sigma_min = smallest_left_singular(M, nullptr);
  if (t.sigma_min > delta) { t.margin = t.sigma_min; return t; }
  t.independent = false;
  // Rows dependent: LICQ fails at s. Equality rows first.
  std::vector<Eigen::Index> eq, nn;
  for (Eigen::Index i = 0; i < m; ++i) (S.rows[static_cast<size_t>(i)].nonnegative() ? nn : eq).push_back(i);
  if (!eq.empty()) {
    Matrix ME(static_cast<Eigen::Index>(eq.size()), n);
    for (size_t k = 0; k < eq.size(); ++k) ME.row(static_cast<Eigen::Index>(k)) = M.row(eq[k]);
    Vector yE;
    const double se = smallest_left_singular(ME, &yE);
    if (se <= delta || nn.empty()) {
      t.margin = se;
      t.witness = true;
      t.y = Vector::Zero(m);
      for (size_t k = 0; k < eq.size(); ++k) t.y[eq[k]] = yE[static_cast<Eigen::Index>(k)];
      return t;
    }
  }
  // Positivity test: min ‖Mᵀy‖² + (Σ_nn y − 1)², y_nn ≥ 0.
  Matrix A(n + 1, m);
  A.topRows(n) = M.transpose();
  A.row(n).setZero();
  Vector lo(m), hi = Vector::Constant(m, kInf);
  for (Eigen::Index i = 0; i < m; ++i) {
    const bool is_nn = S.rows[static_cast<size_t>(i)].nonnegative();
    lo[i] = is_nn ? 0.0 : -kInf;
    if (is_nn) A(n, i) = 1.0;
  }
  Vector b = Vector::Zero(n + 1);
  b[n] = 1.0;
  const BvlsResult r = bvls(A, b, lo, hi);
  t.margin = r.residual;
  if (r.residual <= delta) {
    t.witness = true;
    t.y = r.z;
  }
  return t;
}

std::vector<PieceChoice> choices(const Setup& S, const Vector& s) {
  std::vector<PieceChoice> out;
  for (int p : S.relevant) {
    const KinkPiece& piece = S.model.pieces[static_cast<size_t>(p)];
    out.push_back(PieceChoice{S.model.kinks[static_cast<size_t>(piece.kink)], piece.family, piece.row, s[p]});
  }
  return out;
}

void set_witness(const Setup& S, NnamcqReport& rep, const Vector& y, const Vector& s, const std::string& source) {
  rep.has_witness = true;
  rep.witness_source = source;
  rep.witness_selection = choices(S, s);
  rep.witness_lambda = Vector::Zero(S.problem.num_equalities());
  rep.witness_mu = Vector::Zero(S.problem.num_inequalities());
  rep.witness_nu = Vector::Zero(S.x.size());
  Vector combo = Vector::Zero(S.x.size());
  for (size_t i = 0; i < S.rows.size(); ++i) {
    const ModelRow& row = S.rows[i];
    const double v = y[static_cast<Eigen::Index>(i)];
    combo += v * row.at(S.model, s);
    switch (row.kind) {
      case RowKind::kEquality: rep.witness_lambda[row.index] = v; break;
      case RowKind::kInequality: rep.witness_mu[row.index] = v; break;
      case RowKind::kLowerBound: rep.witness_nu[row.index] -= v; break;
      case RowKind::kUpperBound: rep.witness_nu[row.index] += v; break;
    }
  }
  rep.witness_residual = combo.norm();
}

// Exact Clarke hull test (nnamcq.h): per sign pattern one BVLS over the
// vertex-generated cones of core/vertex_cones.h, with the extra row
// Σ (nonnegative weights) = 1. Returns false when too large.
bool clarke_hull(const Setup& S, NnamcqReport& rep) {
  const VertexConePlan plan = plan_vertex_cones(S.rows, S.opt.max_sign_patterns, S.opt.max_vertex_columns);
  if (!plan.fits) return false;
  std::vector<size_t> free_plain;
  long nn_columns = 0;
  for (size_t i = 0; i < S.rows.size(); ++i) {
    const ModelRow& row = S.rows[i];
    if (!row.pieces.empty()) nn_columns += 1L << row.pieces.size();
    else if (row.nonnegative()) ++nn_columns;
    else free_plain.push_back(i);
  }
  const Eigen::Index n = S.x.size();
  const Vector zero_s = Vector::Zero(static_cast<Eigen::Index>(S.model.pieces.size()));
  // Kink-free equality rows alone must be independent (else that is the witness).
  if (!free_plain.empty()) {
    Matrix M0(static_cast<Eigen::Index>(free_plain.size()), n);
    for (size_t k = 0; k < free_plain.size(); ++k) M0.row(static_cast<Eigen::Index>(k)) = S.rows[free_plain[k]].a0.transpose();
    Vector y0;
    const double delta = S.opt.degeneracy_tolerance * std::max(1.0, M0.cwiseAbs().maxCoeff());
    if (smallest_left_singular(M0, &y0) <= delta) {
      rep.clarke_margin = 0.0;
      if (!rep.has_witness) {
        Vector y = Vector::Zero(static_cast<Eigen::Index>(S.rows.size()));
        for (size_t k = 0; k < free_plain.size(); ++k) y[static_cast<Eigen::Index>(free_plain[k])] = y0[static_cast<Eigen::Index>(k)];
        set_witness(S, rep, y, zero_s, "kink-free equality rows are dependent");
      }
      return true;
    }
  }
  if (nn_columns == 0) { rep.clarke_margin = kInf; return true; }
  double best = kInf;
  for (unsigned long pattern = 0; pattern < plan.patterns(); ++pattern) {
    const VertexConeColumns cols = vertex_cone_columns(S.model, S.rows, plan, pattern);
    Matrix A = Matrix::Zero(n + 1, plan.columns);
    A.topRows(n) = cols.A;
    for (Eigen::Index c = 0; c < plan.columns; ++c) A(n, c) = cols.nonnegative_column[static_cast<size_t>(c)] ? 1.0 : 0.0;
    const Vector hi = Vector::Constant(plan.columns, kInf);
    Vector b = Vector::Zero(n + 1);
    b[n] = 1.0;
    const BvlsResult r = bvls(A, b, cols.lower, hi);
    const double delta = S.opt.degeneracy_tolerance * std::max(1.0, A.topRows(n).cwiseAbs().maxCoeff());
    best = std::min(best, r.residual);
    if (r.residual <= delta && !rep.has_witness) {
      Vector y, s;
      recover_selection(S.model, S.rows, cols, r.z, &y, &s);
      set_witness(S, rep, y, s, "Clarke hull (convex combination of selections)");
    }
  }
  rep.clarke_margin = best;
  return true;
}

}  // namespace

NnamcqReport check_nnamcq(const ConstrainedProblem& problem, VectorCRef x, const NnamcqOptions& options) {
  if (x.size() != problem.num_variables())
    throw std::invalid_argument(fmt::format("check_nnamcq: x has {} entries, problem '{}' has {} variables", x.size(),
                                            problem.name(), problem.num_variables()));
  Setup S(problem, x, options);

  NnamcqReport rep;
  rep.problem_name = problem.name();
  rep.x = S.x;
  rep.options = options;
  rep.structural = problem.structural_nnamcq_certificate();
  rep.infeasibility = infeasibility(problem, S.x);
  rep.num_rows = static_cast<int>(S.rows.size());
  for (const ModelRow& r : S.rows) rep.num_equality_rows += r.nonnegative() ? 0 : 1;
  rep.num_active_kinks = static_cast<int>(S.model.kinks.size());
  rep.num_pieces = static_cast<int>(S.relevant.size());
  const size_t P = S.relevant.size();
  rep.selections_total = std::ldexp(1.0, static_cast<int>(P));
  if (rep.infeasibility > options.active_tolerance)
    rep.notes.push_back(fmt::format("x is infeasible ({:.3e}); NNAMCQ is defined at feasible points, checked on the "
                                    "active set anyway", rep.infeasibility));
  if (!S.model.affine)
    rep.notes.push_back("nested kinks: the selection model is not affine in the factors; results are for the model");
  if (!S.model.separate) rep.notes.push_back("some kink enters several rows: each (kink, row) pair gets its own factor");

  const bool enumerate = static_cast<int>(P) <= options.max_enumerated_pieces;
  if (!rep.structural.empty() && !enumerate && !options.confirm_structural) {
    rep.certificate = NnamcqCertificate::kStructural;
    rep.holds = true;
    rep.method = "structural certificate (not confirmed numerically)";
    return rep;
  }
  rep.smallest_singular_value = kInf;
  rep.margin = kInf;
  rep.licq = true;
  auto consider = [&](const Vector& s, const std::string& source) {
    const Test t = test_at(S, s);
    ++rep.selections_tested;
    if (t.sigma_min < rep.smallest_singular_value) {
      rep.smallest_singular_value = t.sigma_min;
      rep.smallest_selection = choices(S, s);
    }
    rep.margin = std::min(rep.margin, t.margin);
    rep.licq = rep.licq && t.independent;
    if (t.witness && !rep.has_witness) set_witness(S, rep, t.y, s, source);
  };
  std::string vertex_method;
  if (enumerate) {
    for (unsigned long bits = 0; bits < (1UL << P); ++bits) consider(S.model.vertex(S.relevant, bits), "vertex selection");
    vertex_method = P == 0 ? "no active kinks: one Jacobian" : fmt::format("all 2^{} vertex selections", P);
  } else {
    std::mt19937_64 rng(options.seed);
    std::uniform_real_distribution<double> unif(0.0, 1.0);
    for (int k = 0; k < options.samples; ++k) {
      Vector s = Vector::Zero(static_cast<Eigen::Index>(S.model.pieces.size()));
      for (int p : S.relevant) s[p] = k % 2 == 0 ? (unif(rng) < 0.5 ? 0.0 : 1.0) : unif(rng);
      consider(s, k % 2 == 0 ? "sampled vertex selection" : "sampled box selection");
    }
    vertex_method = fmt::format("{} sampled selections (half vertices, half box points) of 2^{} vertices: a sample",
                                options.samples, P);
  }
  bool hull_exact = true;
  if (P == 0) {
    rep.clarke_hull = "not needed (no active kinks)";
    rep.clarke_margin = kInf;
  } else if (clarke_hull(S, rep)) {
    rep.clarke_hull = "exact: one BVLS over vertex-generated cones per sign pattern of the kinked equality rows";
  } else {
    hull_exact = false;
    rep.clarke_margin = kInf;
    rep.clarke_hull = "too large for the exact test; only the sampled box points above";
  }
  rep.method = vertex_method + "; Clarke hull " + rep.clarke_hull;
  if (rep.has_witness) {
    rep.holds = false;
    rep.certificate = NnamcqCertificate::kViolated;
    if (!rep.structural.empty())
      rep.notes.push_back("the problem declares a structural certificate, but a witness was found: report this as a bug");
  } else {
    rep.holds = true;
    if (!rep.structural.empty()) rep.certificate = NnamcqCertificate::kStructural;
    else rep.certificate = enumerate && hull_exact ? NnamcqCertificate::kEnumerated : NnamcqCertificate::kSampled;
    double scale = 1.0;
    for (const ModelRow& row : S.rows) scale = std::max(scale, row.a0.cwiseAbs().maxCoeff());
    if (std::min(rep.margin, rep.clarke_margin) <= options.near_tolerance * scale) {
      rep.nearly_violated = true;
      rep.notes.push_back(fmt::format("nearly violated: margin {:.3e} <= {:.1e}; a nearby point may violate NNAMCQ and "
                                      "multipliers there may be huge",
                                      std::min(rep.margin, rep.clarke_margin), options.near_tolerance * scale));
    }
  }
  return rep;
}

namespace {
std::string vec(const Vector& v) {
  std::string s = "[";
  for (Eigen::Index i = 0; i < v.size() && i < 8; ++i) s += fmt::format("{}{:.6g}", i ? ", " : "", v[i]);
  if (v.size() > 8) s += fmt::format(", … ({} entries)", v.size());
  return s + "]";
}
std::string sel(const std::vector<PieceChoice>& c) {
  std::string s = "{";
  for (size_t i = 0; i < c.size() && i < 12; ++i)
    s += fmt::format("{}{}#{}/row {}: {:.3g}", i ? ", " : "", c[i].family == ConstraintFamily::kEquality ? "eq" : "ineq",
                     c[i].kink.index, c[i].row, c[i].factor);
  if (c.size() > 12) s += fmt::format(", … ({})", c.size());
  return s + "}";
}
double finite_or(double v, double alt) { return std::isfinite(v) ? v : alt; }
}  // namespace

std::string NnamcqReport::to_string() const {
  std::string s = fmt::format("NNAMCQ check of '{}': {} — certificate: {}\n", problem_name,
                              holds ? (nearly_violated ? "holds (nearly violated)" : "holds") : "FAILS",
                              almkit::to_string(certificate));
  if (!structural.empty()) s += "  structural: " + structural + "\n";
  s += "  method: " + method + "\n";
  s += fmt::format("  active rows: {} ({} equalities), kinks: {}, kink-row pieces: {}, selections tested: {} of {:g}\n",
                   num_rows, num_equality_rows, num_active_kinks, num_pieces, selections_tested, selections_total);
  s += fmt::format("  smallest singular value {:.3e} at selection {} ({})\n", smallest_singular_value,
                   sel(smallest_selection), licq ? "LICQ at every tested selection" : "LICQ fails somewhere");
  s += fmt::format("  margin {:.3e}; Clarke hull residual {:.3e}\n", margin, clarke_margin);
  if (has_witness) {
    s += fmt::format("  witness ({}): lambda = {}", witness_source, vec(witness_lambda));
    if (witness_mu.size() > 0) s += fmt::format(", mu = {}", vec(witness_mu));
    s += fmt::format(", selection {}, |J^T y| = {:.2e}\n", sel(witness_selection), witness_residual);
  }
  for (const std::string& n : notes) s += "  note: " + n + "\n";
  return s;
}

nlohmann::json NnamcqReport::to_json() const {
  nlohmann::json j = {{"problem", problem_name},
                      {"x", json_array(x)},
                      {"holds", holds},
                      {"certificate", almkit::to_string(certificate)},
                      {"structural", structural},
                      {"method", method},
                      {"infeasibility", infeasibility},
                      {"num_rows", num_rows},
                      {"num_equality_rows", num_equality_rows},
                      {"num_active_kinks", num_active_kinks},
                      {"num_pieces", num_pieces},
                      {"selections_tested", selections_tested},
                      {"selections_total", selections_total},
                      {"smallest_singular_value", finite_or(smallest_singular_value, -1.0)},
                      {"smallest_selection", selection_to_json(smallest_selection)},
                      {"licq", licq},
                      {"margin", finite_or(margin, -1.0)},
                      {"clarke_hull", clarke_hull},
                      {"clarke_margin", finite_or(clarke_margin, -1.0)},
                      {"nearly_violated", nearly_violated},
                      {"notes", notes}};
  if (has_witness)
    j["witness"] = {{"source", witness_source}, {"lambda", json_array(witness_lambda)}, {"mu", json_array(witness_mu)},
                    {"nu", json_array(witness_nu)},    {"selection", selection_to_json(witness_selection)},
                    {"residual", witness_residual}};
  return j;
}

}  // namespace almkit
