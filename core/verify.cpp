// verify_kkt: see core/verify.h for the formulas and docs/verification.md for
// the definitions; the selection model and BVLS live in core/piecewise.cpp.
#include "almkit/core/verify.h"
#include "almkit/core/json_util.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "almkit/core/nnamcq.h"
#include "almkit/core/singular_values.h"
#include "almkit/core/vertex_cones.h"

namespace almkit {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

double inf_norm(const Vector& v) { return v.size() == 0 ? 0.0 : v.cwiseAbs().maxCoeff(); }

// The shared selection model (core/vertex_cones.h) plus what the verifier needs.
struct Setup : SelectionSetup {
  Setup(const ConstrainedProblem& p, VectorCRef x_in, const VerifyOptions& o, bool all_inequalities)
      : SelectionSetup(make_selection_setup(p, x_in, o.kink_tolerance, o.active_tolerance, all_inequalities)),
        problem(p), opt(o), grad(x_in.size()) {
    problem.eval_grad_f(x, grad);
  }
  const ConstrainedProblem& problem;
  const VerifyOptions& opt;
  Vector grad;
};

Setup make_setup(const ConstrainedProblem& problem, VectorCRef x, const VerifyOptions& opt,
                 bool all_inequalities) {
  return Setup(problem, x, opt, all_inequalities);
}

double lower_of(const ModelRow& r) { return r.nonnegative() ? 0.0 : -kInf; }

// grad + Σ_r y_r a_r(s).
Vector residual(const Setup& S, const Vector& y, const Vector& s) {
  Vector r = S.grad;
  for (size_t i = 0; i < S.rows.size(); ++i)
    if (y[static_cast<Eigen::Index>(i)] != 0.0) r += y[static_cast<Eigen::Index>(i)] * S.rows[i].at(S.model, s);
  return r;
}

// With y fixed on the constraint rows: the optimal multipliers of the bound
// rows (closed form, a clamp per coordinate) written into y; returns the residual.
Vector fit_bound_rows(const Setup& S, Vector& y, const Vector& s) {
  for (size_t i = 0; i < S.rows.size(); ++i)
    if (S.rows[i].kind == RowKind::kLowerBound || S.rows[i].kind == RowKind::kUpperBound) y[static_cast<Eigen::Index>(i)] = 0.0;
  Vector r = residual(S, y, s);
  for (size_t i = 0; i < S.rows.size(); ++i) {
    const ModelRow& row = S.rows[i];
    const Eigen::Index k = row.index;
    if (row.kind == RowKind::kLowerBound && r[k] > 0.0) { y[static_cast<Eigen::Index>(i)] = r[k]; r[k] = 0.0; }
    if (row.kind == RowKind::kUpperBound && r[k] < 0.0) { y[static_cast<Eigen::Index>(i)] = -r[k]; r[k] = 0.0; }
  }
  return r;
}

struct Candidate {
  Vector y, s;
  double residual = kInf;  // ∞-norm
  double residual2 = kInf; // 2-norm
};

// Least-squares multipliers for a fixed selection s: BVLS over the rows.
Candidate multipliers_for(const Setup& S, const Vector& s) {
  const Eigen::Index m = static_cast<Eigen::Index>(S.rows.size());
  Matrix A(S.x.size(), m);
  Vector lo(m), hi = Vector::Constant(m, kInf);
  for (Eigen::Index i = 0; i < m; ++i) {
    A.col(i) = S.rows[static_cast<size_t>(i)].at(S.model, s);
    lo[i] = lower_of(S.rows[static_cast<size_t>(i)]);
  }
  Candidate c;
  c.s = s;
  c.y = m > 0 ? bvls(A, -S.grad, lo, hi).z : Vector();
  const Vector r = residual(S, c.y, s);
  c.residual = inf_norm(r);
  c.residual2 = r.norm();
  return c;
}

// The best s in the box for fixed y (constraint rows), bound rows refit.
Candidate selection_for(const Setup& S, const Vector& y_in, const Vector& s_start) {
  Vector y = y_in;
  std::vector<int> vars;  // pieces whose row multiplier is nonzero
  std::vector<size_t> bound_rows;
  Vector b = -S.grad;
  std::vector<int> row_of_piece(S.model.pieces.size(), -1);
  for (size_t i = 0; i < S.rows.size(); ++i) {
    const ModelRow& row = S.rows[i];
    if (row.kind == RowKind::kLowerBound || row.kind == RowKind::kUpperBound) { bound_rows.push_back(i); continue; }
    b -= y[static_cast<Eigen::Index>(i)] * row.a0;
    for (int p : row.pieces) {
      row_of_piece[static_cast<size_t>(p)] = static_cast<int>(i);
      if (y[static_cast<Eigen::Index>(i)] != 0.0) vars.push_back(p);
    }
  }
  const Eigen::Index nv = static_cast<Eigen::Index>(vars.size() + bound_rows.size());
  Vector s = s_start;
  if (nv > 0) {
    Matrix A(S.x.size(), nv);
    Vector lo(nv), hi(nv);
    Eigen::Index c = 0;
    for (int p : vars) {
      A.col(c) = y[row_of_piece[static_cast<size_t>(p)]] * S.model.pieces[static_cast<size_t>(p)].direction;
      lo[c] = 0.0; hi[c] = 1.0; ++c;
    }
    for (size_t i : bound_rows) {
      A.col(c) = S.rows[i].a0;
      lo[c] = 0.0; hi[c] = kInf; ++c;
    }
    const Vector z = bvls(A, b, lo, hi).z;
    c = 0;
    for (int p : vars) s[p] = z[c++];
    for (size_t i : bound_rows) y[static_cast<Eigen::Index>(i)] = z[c++];
  }
  Candidate out;
  out.y = y;
  out.s = s;
  const Vector r = residual(S, y, s);
  out.residual = inf_norm(r);
  out.residual2 = r.norm();
  return out;
}

// Greedy single flips over the relevant pieces (best 2-norm improvement per
// round), evaluating with `eval`.
template <class Eval>
Candidate greedy(const Setup& S, Candidate best, Eval&& eval) {
  for (int round = 0; round < 10 * static_cast<int>(S.relevant.size()) + 1; ++round) {
    Candidate round_best = best;
    for (int p : S.relevant) {
      Vector s = best.s;
      s[p] = s[p] >= 0.5 ? 0.0 : 1.0;
      Candidate c = eval(s);
      // The 2-norm decides: the ∞-norm stays flat while other coordinates dominate.
      if (c.residual2 < round_best.residual2) round_best = c;
    }
    if (!(round_best.residual2 < best.residual2 * (1.0 - 1e-12))) break;
    best = round_best;
  }
  return best;
}

// Limiting rule: vertices of {0,1}^P, enumerated or greedy.
template <class Eval>
Candidate limiting_search(const Setup& S, const Vector& start, Eval&& eval, std::string* method,
                          bool* exhaustive) {
  const size_t P = S.relevant.size();
  if (static_cast<int>(P) <= S.opt.max_enumerated_pieces) {
    Candidate best;
    for (unsigned long bits = 0; bits < (1UL << P); ++bits) {
      Candidate c = eval(S.model.vertex(S.relevant, bits));
      if (c.residual < best.residual) best = c;
    }
    *method = P == 0 ? "no active kinks" : fmt::format("enumeration of all 2^{} vertex selections", P);
    *exhaustive = true;
    return best;
  }
  Vector s = start;
  for (int p : S.relevant) s[p] = s[p] >= 0.5 ? 1.0 : 0.0;
  *method = fmt::format("greedy single flips from the rounded Clarke selection ({} pieces > {})", P,
                        S.opt.max_enumerated_pieces);
  *exhaustive = false;
  return greedy(S, eval(s), eval);
}

// Clarke rule with least-squares multipliers, exact by sign patterns (see
// verify.h): one BVLS over the vertex-generated cones per pattern (core/vertex_cones.h).
bool clarke_by_patterns(const Setup& S, Candidate* out) {
  const VertexConePlan plan = plan_vertex_cones(S.rows, S.opt.max_sign_patterns, S.opt.max_vertex_columns);
  if (!plan.fits) return false;
  Candidate best;
  for (unsigned long pattern = 0; pattern < plan.patterns(); ++pattern) {
    const VertexConeColumns cols = vertex_cone_columns(S.model, S.rows, plan, pattern);
    const Vector hi = Vector::Constant(plan.columns, kInf);
    const Vector z = bvls(cols.A, -S.grad, cols.lower, hi).z;
    Candidate cand;
    recover_selection(S.model, S.rows, cols, z, &cand.y, &cand.s);
    const Vector r = residual(S, cand.y, cand.s);
    cand.residual = inf_norm(r);
    cand.residual2 = r.norm();
    if (cand.residual < best.residual) best = cand;
  }
  *out = best;
  return true;
}

// Alternating minimization for the Clarke rule (local; an upper bound).
Candidate clarke_alternating(const Setup& S, Candidate start) {
  Candidate best = start;
  for (int it = 0; it < 50; ++it) {
    Candidate c = selection_for(S, best.y, best.s);
    c = multipliers_for(S, c.s);
    if (!(c.residual2 < best.residual2 * (1.0 - 1e-12))) break;
    best = c;
  }
  return best;
}

StationarityResult pack(const Setup& S, const Candidate& c, const std::string& rule) {
  StationarityResult r;
  r.rule = rule;
  r.residual = c.residual;
  r.lambda = Vector::Zero(S.problem.num_equalities());
  r.mu = Vector::Zero(S.problem.num_inequalities());
  r.nu = Vector::Zero(S.x.size());
  for (size_t i = 0; i < S.rows.size(); ++i) {
    const ModelRow& row = S.rows[i];
    const double y = c.y.size() > 0 ? c.y[static_cast<Eigen::Index>(i)] : 0.0;
    switch (row.kind) {
      case RowKind::kEquality: r.lambda[row.index] = y; break;
      case RowKind::kInequality: r.mu[row.index] = y; break;
      case RowKind::kLowerBound: r.nu[row.index] -= y; break;
      case RowKind::kUpperBound: r.nu[row.index] += y; break;
    }
  }
  for (int p : S.relevant) {
    const KinkPiece& piece = S.model.pieces[static_cast<size_t>(p)];
    r.selection.push_back(PieceChoice{S.model.kinks[static_cast<size_t>(piece.kink)], piece.family, piece.row,
                                      c.s.size() > 0 ? c.s[p] : 0.0});
  }
  return r;
}

// Residuals that do not depend on the selection, and the verdicts.
void finish(const Setup& S, KktVerification& v) {
  const ConstrainedProblem& problem = S.problem;
  v.infeasibility = infeasibility(problem, S.x);
  Vector g(problem.num_inequalities());
  if (g.size() > 0) problem.eval_g(S.x, g);
  const Vector lo = problem.lower_bounds(), hi = problem.upper_bounds();
  auto complementarity = [&](const StationarityResult& r) {
    double comp = 0.0;
    for (Eigen::Index j = 0; j < g.size(); ++j) comp = std::max(comp, std::abs(r.mu[j] * g[j]));
    for (Eigen::Index k = 0; k < S.x.size(); ++k) {
      if (r.nu[k] < 0.0) comp = std::max(comp, -r.nu[k] * (std::isfinite(lo[k]) ? std::abs(S.x[k] - lo[k]) : kInf));
      if (r.nu[k] > 0.0) comp = std::max(comp, r.nu[k] * (std::isfinite(hi[k]) ? std::abs(hi[k] - S.x[k]) : kInf));
    }
    return comp;
  };
  auto multiplier_norm = [](const StationarityResult& r) {
    return std::max({inf_norm(r.lambda), inf_norm(r.mu), inf_norm(r.nu)});
  };
  v.sign_violation = 0.0;
  if (v.multipliers_given)
    for (Eigen::Index j = 0; j < v.clarke.mu.size(); ++j) v.sign_violation = std::max(v.sign_violation, -v.clarke.mu[j]);
  v.complementarity = complementarity(v.clarke);
  v.multiplier_norm = multiplier_norm(v.clarke);
  v.scaled_stationarity = v.clarke.residual / std::max(1.0, v.multiplier_norm / 100.0);
  const double tol = S.opt.tolerance;
  const double degenerate_multiplier =
      S.opt.degenerate_multiplier > 0.0 ? S.opt.degenerate_multiplier : 1.0 / std::sqrt(tol);
  const double degenerate_sigma =
      S.opt.degenerate_singular_value > 0.0 ? S.opt.degenerate_singular_value : std::sqrt(tol);
  {
    // σ_min of the active rows at the Clarke selection.
    Vector s = Vector::Zero(static_cast<Eigen::Index>(S.model.pieces.size()));
    for (size_t k = 0; k < S.relevant.size() && k < v.clarke.selection.size(); ++k) s[S.relevant[k]] = v.clarke.selection[k].factor;
    std::vector<Vector> active;
    for (const ModelRow& row : S.rows) {
      if (row.kind == RowKind::kInequality && !(g[row.index] >= -S.opt.active_tolerance)) continue;
      active.push_back(row.at(S.model, s));
    }
    v.active_singular_value = kInf;
    if (!active.empty()) {
      Matrix M(static_cast<Eigen::Index>(active.size()), S.x.size());
      for (size_t i = 0; i < active.size(); ++i) M.row(static_cast<Eigen::Index>(i)) = active[i].transpose();
      v.active_singular_value = smallest_left_singular(M, nullptr);
    }
  }
  auto judge = [&](StationarityResult& r, std::vector<std::string>* failures) {
    const double comp = complementarity(r), mn = multiplier_norm(r);
    std::vector<std::string> f;
    if (!(v.infeasibility <= tol)) f.push_back(fmt::format("infeasibility {:.3e} > tol {:.1e}", v.infeasibility, tol));
    if (!(r.residual <= tol))
      f.push_back(fmt::format("stationarity ({}) {:.3e} > tol {:.1e}{}", r.rule, r.residual, tol,
                              r.exhaustive ? "" : " (local search: an upper bound)"));
    if (!(comp <= tol)) f.push_back(fmt::format("complementarity {:.3e} > tol {:.1e}", comp, tol));
    if (!(v.sign_violation <= tol)) f.push_back(fmt::format("multiplier sign: some mu_j < 0 by {:.3e}", v.sign_violation));
    if (mn >= degenerate_multiplier && v.active_singular_value <= degenerate_sigma)
      f.push_back(fmt::format("multipliers {:.3e} >= {:.1e} with a nearly singular active Jacobian (sigma_min {:.3e} <= "
                              "{:.1e}): approximate KKT only, the multipliers likely diverge (NNAMCQ nearly fails)",
                              mn, degenerate_multiplier, v.active_singular_value, degenerate_sigma));
    if (!(mn <= S.opt.multiplier_limit))
      f.push_back(fmt::format("multipliers {:.3e} > limit {:.1e} (approximate KKT only; see NNAMCQ)", mn,
                              S.opt.multiplier_limit));
    if (!std::isfinite(r.residual)) f.push_back("non-finite values");
    r.is_kkt = f.empty();
    if (failures != nullptr) *failures = f;
  };
  judge(v.limiting, nullptr);
  judge(v.clarke, &v.failures);
  v.is_kkt = v.clarke.is_kkt;
}

KktVerification begin(const Setup& S, bool given) {
  KktVerification v;
  v.problem_name = S.problem.name();
  v.x = S.x;
  v.options = S.opt;
  v.multipliers_given = given;
  v.active_kinks = S.model.kinks;
  v.num_pieces = static_cast<int>(S.relevant.size());
  v.kinks_separate = S.model.separate;
  v.model_affine = S.model.affine;
  for (const ModelRow& r : S.rows) {
    if (r.kind == RowKind::kLowerBound || r.kind == RowKind::kUpperBound) ++v.active_bounds;
  }
  return v;
}

void check_input(const ConstrainedProblem& problem, VectorCRef x) {
  if (x.size() != problem.num_variables())
    throw std::invalid_argument(fmt::format("verify_kkt: x has {} entries, problem '{}' has {} variables", x.size(),
                                            problem.name(), problem.num_variables()));
}

int count_active_inequalities(const ConstrainedProblem& problem, VectorCRef x, double tol) {
  if (problem.num_inequalities() == 0) return 0;
  Vector g(problem.num_inequalities());
  problem.eval_g(x, g);
  return static_cast<int>((g.array() >= -tol).count());
}

}  // namespace

KktVerification verify_kkt(const ConstrainedProblem& problem, VectorCRef x, const VerifyOptions& options) {
  check_input(problem, x);
  const Setup S = make_setup(problem, x, options, false);
  KktVerification v = begin(S, false);
  v.active_inequalities = count_active_inequalities(problem, x, options.active_tolerance);
  auto eval = [&](const Vector& s) { return multipliers_for(S, s); };
  const Vector zero = Vector::Zero(static_cast<Eigen::Index>(S.model.pieces.size()));
  std::string method;
  bool exhaustive = true;
  // Clarke first (exact when small) so that the greedy limiting search can start from it.
  Candidate clarke;
  const bool exact = clarke_by_patterns(S, &clarke);
  const Candidate lim = limiting_search(S, exact ? clarke.s : zero, eval, &method, &exhaustive);
  v.limiting = pack(S, lim, "limiting");
  v.limiting.method = "least-squares multipliers per selection (BVLS, mu >= 0); " + method;
  v.limiting.exhaustive = exhaustive;
  std::string clarke_method;
  if (exact) {
    clarke_method = S.relevant.empty() ? "least-squares multipliers (BVLS, mu >= 0); no active kinks"
                                       : "exact: one BVLS over vertex-generated cones per sign pattern of the kinked equality rows";
  } else {
    clarke = clarke_alternating(S, lim);
    clarke_method = "alternating minimization from the best limiting selection (local: an upper bound)";
  }
  if (lim.residual < clarke.residual) {
    clarke = lim;
    clarke_method += "; the limiting selection was better in the inf-norm and is used";
  }
  v.clarke = pack(S, clarke, "clarke");
  v.clarke.method = clarke_method;
  v.clarke.exhaustive = exact;
  finish(S, v);
  return v;
}

KktVerification verify_kkt(const ConstrainedProblem& problem, VectorCRef x, VectorCRef lambda, VectorCRef mu,
                           const VerifyOptions& options) {
  check_input(problem, x);
  if (lambda.size() != problem.num_equalities() || mu.size() != problem.num_inequalities())
    throw std::invalid_argument(fmt::format(
        "verify_kkt: multipliers have {} equality and {} inequality entries, problem '{}' has {} and {}",
        lambda.size(), mu.size(), problem.name(), problem.num_equalities(), problem.num_inequalities()));
  const Setup S = make_setup(problem, x, options, true);
  KktVerification v = begin(S, true);
  v.active_inequalities = count_active_inequalities(problem, x, options.active_tolerance);
  Vector y = Vector::Zero(static_cast<Eigen::Index>(S.rows.size()));
  for (size_t i = 0; i < S.rows.size(); ++i) {
    if (S.rows[i].kind == RowKind::kEquality) y[static_cast<Eigen::Index>(i)] = lambda[S.rows[i].index];
    if (S.rows[i].kind == RowKind::kInequality) y[static_cast<Eigen::Index>(i)] = mu[S.rows[i].index];
  }
  const Vector zero = Vector::Zero(static_cast<Eigen::Index>(S.model.pieces.size()));
  Candidate clarke = selection_for(S, y, zero);
  auto eval = [&](const Vector& s) {
    Candidate c;
    c.y = y;
    c.s = s;
    const Vector r = fit_bound_rows(S, c.y, s);
    c.residual = inf_norm(r);
    c.residual2 = r.norm();
    return c;
  };
  std::string method;
  bool exhaustive = true;
  const Candidate lim = limiting_search(S, clarke.s, eval, &method, &exhaustive);
  std::string clarke_method = S.relevant.empty()
                                  ? "given multipliers; no active kinks"
                                  : "given multipliers; exact: bounded least squares over s in [0,1]^P (BVLS)";
  if (lim.residual < clarke.residual) {
    clarke = lim;
    clarke_method += "; the limiting selection was better in the inf-norm and is used";
  }
  v.limiting = pack(S, lim, "limiting");
  v.limiting.method = "given multipliers; " + method;
  v.limiting.exhaustive = exhaustive;
  v.clarke = pack(S, clarke, "clarke");
  v.clarke.method = clarke_method;
  finish(S, v);
  return v;
}

// ---------------------------------------------------------------------------

namespace {
std::string vec(const Vector& v, size_t max_entries = 8) {
  std::string s = "[";
  for (Eigen::Index i = 0; i < v.size(); ++i) {
    if (static_cast<size_t>(i) == max_entries) { s += fmt::format(", … ({} entries)", v.size()); break; }
    s += fmt::format("{}{:.6g}", i ? ", " : "", v[i]);
  }
  return s + "]";
}

std::string kink_name(const Kink& k) {
  return k.label.empty() ? fmt::format("{} relu #{}", to_string(k.family), k.index) : k.label;
}



nlohmann::json stationarity_json(const StationarityResult& r) {
  return {{"rule", r.rule},          {"residual", r.residual},   {"is_kkt", r.is_kkt},
          {"method", r.method},      {"exhaustive", r.exhaustive}, {"lambda", json_array(r.lambda)},
          {"mu", json_array(r.mu)}, {"nu", json_array(r.nu)},  {"selection", selection_to_json(r.selection)}};
}
}  // namespace

std::string KktVerification::to_string() const {
  std::string s = fmt::format("KKT verification of '{}' at x = {}\n", problem_name, vec(x));
  s += fmt::format("  verdict: {} at tol {:.1e} (Clarke rule); limiting rule: {}\n",
                   is_kkt ? "KKT point" : "NOT a KKT point", options.tolerance,
                   limiting.is_kkt ? "KKT" : "not KKT");
  for (const std::string& f : failures) s += "    because: " + f + "\n";
  s += fmt::format("  multipliers: {}\n", multipliers_given ? "given" : "least squares (mu >= 0 on active inequalities)");
  s += fmt::format("  infeasibility            {:.3e}\n", infeasibility);
  s += fmt::format("  stationarity (Clarke)    {:.3e}   {}\n", clarke.residual, clarke.method);
  s += fmt::format("  stationarity (limiting)  {:.3e}   {}\n", limiting.residual, limiting.method);
  s += fmt::format("  scaled stationarity      {:.3e}   (Clarke / max(1, |y|inf/100))\n", scaled_stationarity);
  s += fmt::format("  complementarity          {:.3e}\n", complementarity);
  s += fmt::format("  multiplier sign viol.    {:.3e}\n", sign_violation);
  s += fmt::format("  multiplier norm          {:.3e}\n", multiplier_norm);
  s += fmt::format("  active sigma_min         {:.3e}   (active rows at the Clarke selection)\n", active_singular_value);
  if (clarke.lambda.size() > 0) s += fmt::format("  lambda = {}\n", vec(clarke.lambda));
  if (clarke.mu.size() > 0) s += fmt::format("  mu     = {}\n", vec(clarke.mu));
  if (clarke.nu.size() > 0 && inf_norm(clarke.nu) > 0) s += fmt::format("  nu     = {}\n", vec(clarke.nu));
  s += fmt::format("  active: {} inequalities, {} bounds, {} kinks ({} kink-row pieces{}{})\n", active_inequalities,
                   active_bounds, active_kinks.size(), num_pieces, kinks_separate ? "" : "; some kink enters several rows",
                   model_affine ? "" : "; nested kinks: selection model not affine");
  const size_t shown = std::min<size_t>(clarke.selection.size(), 20);
  for (size_t i = 0; i < shown; ++i) {
    const PieceChoice& c = clarke.selection[i];
    s += fmt::format("    {} (v = {:.2e}) in {} row {}: factor Clarke {:.4g}, limiting {:.4g}\n", kink_name(c.kink),
                     c.kink.argument, ConstraintFamily(c.family) == ConstraintFamily::kEquality ? "equality" : "inequality",
                     c.row, c.factor, i < limiting.selection.size() ? limiting.selection[i].factor : 0.0);
  }
  if (clarke.selection.size() > shown) s += fmt::format("    … {} more\n", clarke.selection.size() - shown);
  return s;
}

nlohmann::json KktVerification::to_json() const {
  nlohmann::json kinks = nlohmann::json::array();
  for (const Kink& k : active_kinks)
    kinks.push_back({{"family", almkit::to_string(k.family)}, {"index", k.index}, {"argument", k.argument}, {"label", k.label}});
  return {{"problem", problem_name},
          {"x", json_array(x)},
          {"tolerance", options.tolerance},
          {"kink_tolerance", options.kink_tolerance},
          {"active_tolerance", options.active_tolerance},
          {"is_kkt", is_kkt},
          {"failures", failures},
          {"multipliers_given", multipliers_given},
          {"infeasibility", infeasibility},
          {"complementarity", complementarity},
          {"sign_violation", sign_violation},
          {"scaled_stationarity", scaled_stationarity},
          {"multiplier_norm", multiplier_norm},
          {"clarke", stationarity_json(clarke)},
          {"limiting", stationarity_json(limiting)},
          {"active_kinks", kinks},
          {"num_pieces", num_pieces},
          {"kinks_separate", kinks_separate},
          {"model_affine", model_affine},
          {"active_inequalities", active_inequalities},
          {"active_bounds", active_bounds},
          {"active_singular_value", std::isfinite(active_singular_value) ? active_singular_value : -1.0}};
}

nlohmann::json selection_to_json(const std::vector<PieceChoice>& sel) {
  nlohmann::json a = nlohmann::json::array();
  for (const PieceChoice& c : sel)
    a.push_back({{"family", to_string(c.family)}, {"kink_index", c.kink.index}, {"label", c.kink.label},
                 {"argument", c.kink.argument}, {"row", c.row}, {"factor", c.factor}});
  return a;
}

}  // namespace almkit
