#include "almkit/core/piecewise.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <Eigen/QR>

namespace almkit {

namespace pw {

namespace {
thread_local KinkContext* g_current = nullptr;
}

KinkContext::KinkContext(ConstraintFamily family, double tol, std::vector<Kink>* out)
    : family_(family), tol_(tol), out_(out), previous_(g_current) {
  g_current = this;
}

KinkContext::KinkContext(ConstraintFamily family, const KinkSelection& selection)
    : family_(family), tol_(selection.tolerance), selection_(&selection), previous_(g_current) {
  g_current = this;
}

KinkContext::~KinkContext() { g_current = previous_; }

KinkContext* KinkContext::current() { return g_current; }

std::optional<double> KinkContext::on_relu(double v) {
  const int index = next_index_++;
  if (!(std::abs(v) <= tol_)) return std::nullopt;
  if (out_ != nullptr) out_->push_back(Kink{family_, index, v, {}});
  if (selection_ != nullptr) return selection_->factor_of(index);
  return std::nullopt;
}

}  // namespace pw

Matrix SelectionModel::jacobian(ConstraintFamily family, const Vector& s) const {
  Matrix J = family == ConstraintFamily::kEquality ? JE0 : JI0;
  for (size_t p = 0; p < pieces.size(); ++p)
    if (pieces[p].family == family) J.row(pieces[p].row) += s[static_cast<Eigen::Index>(p)] * pieces[p].direction.transpose();
  return J;
}

SelectionModel build_selection_model(const ConstrainedProblem& problem, VectorCRef x,
                                     double kink_tolerance) {
  SelectionModel model;
  model.kinks = problem.active_kinks(x, kink_tolerance);
  for (ConstraintFamily family : {ConstraintFamily::kEquality, ConstraintFamily::kInequality}) {
    const bool eq = family == ConstraintFamily::kEquality;
    const int rows = eq ? problem.num_equalities() : problem.num_inequalities();
    Matrix& J0 = eq ? model.JE0 : model.JI0;
    if (rows == 0) {
      J0 = Matrix(0, problem.num_variables());
      continue;
    }
    KinkSelection sel;
    sel.tolerance = kink_tolerance;
    sel.default_factor = 0.0;
    J0 = problem.jacobian_with_selection(x, family, sel);
    Matrix sum = J0;
    bool any = false;
    const double drop = 1e-14 * (1.0 + J0.cwiseAbs().maxCoeff());
    for (size_t k = 0; k < model.kinks.size(); ++k) {
      if (model.kinks[k].family != family) continue;
      any = true;
      sel.factor = {{model.kinks[k].index, 1.0}};
      const Matrix E = problem.jacobian_with_selection(x, family, sel) - J0;
      sum += E;
      int rows_hit = 0;
      for (int r = 0; r < rows; ++r) {
        if (E.row(r).cwiseAbs().maxCoeff() <= drop) continue;
        model.pieces.push_back(KinkPiece{static_cast<int>(k), family, r, E.row(r).transpose()});
        ++rows_hit;
      }
      if (rows_hit > 1) model.separate = false;
    }
    if (any) {
      sel.factor.clear();
      sel.default_factor = 1.0;
      const Matrix J1 = problem.jacobian_with_selection(x, family, sel);
      if ((J1 - sum).cwiseAbs().maxCoeff() > 1e-10 * (1.0 + J1.cwiseAbs().maxCoeff())) model.affine = false;
    }
  }
  return model;
}

const char* to_string(RowKind kind) {
  switch (kind) {
    case RowKind::kEquality: return "equality";
    case RowKind::kInequality: return "inequality";
    case RowKind::kLowerBound: return "lower-bound";
    case RowKind::kUpperBound: return "upper-bound";
  }
  return "?";
}

Vector ModelRow::at(const SelectionModel& model, const Vector& s) const {
  Vector a = a0;
  for (int p : pieces) a += s[p] * model.pieces[static_cast<size_t>(p)].direction;
  return a;
}

std::vector<ModelRow> model_rows(const ConstrainedProblem& problem, const SelectionModel& model,
                                 VectorCRef x, double active_tol, bool all_inequalities) {
  std::vector<ModelRow> rows;
  const int n = problem.num_variables();
  auto attach = [&](ModelRow& row, ConstraintFamily family) {
    for (size_t p = 0; p < model.pieces.size(); ++p)
      if (model.pieces[p].family == family && model.pieces[p].row == row.index) row.pieces.push_back(static_cast<int>(p));
  };
  for (int i = 0; i < problem.num_equalities(); ++i) {
    ModelRow row{RowKind::kEquality, i, model.JE0.row(i).transpose(), {}};
    attach(row, ConstraintFamily::kEquality);
    rows.push_back(std::move(row));
  }
  if (problem.num_inequalities() > 0) {
    Vector g(problem.num_inequalities());
    problem.eval_g(x, g);
    for (int j = 0; j < problem.num_inequalities(); ++j) {
      if (!all_inequalities && !(g[j] >= -active_tol)) continue;
      ModelRow row{RowKind::kInequality, j, model.JI0.row(j).transpose(), {}};
      attach(row, ConstraintFamily::kInequality);
      rows.push_back(std::move(row));
    }
  }
  const Vector lo = problem.lower_bounds(), hi = problem.upper_bounds();
  for (int k = 0; k < n; ++k) {
    if (std::isfinite(lo[k]) && x[k] - lo[k] <= active_tol)
      rows.push_back(ModelRow{RowKind::kLowerBound, k, -Vector::Unit(n, k), {}});
    if (std::isfinite(hi[k]) && hi[k] - x[k] <= active_tol)
      rows.push_back(ModelRow{RowKind::kUpperBound, k, Vector::Unit(n, k), {}});
  }
  return rows;
}

BvlsResult bvls(const Matrix& A, const Vector& b, const Vector& lo, const Vector& hi) {
  enum State { kFree, kLower, kUpper };
  const int n = static_cast<int>(A.cols());
  BvlsResult result;
  Vector z(n);
  std::vector<State> state(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    if (lo[i] >= 0.0) { z[i] = lo[i]; state[i] = kLower; }
    else if (hi[i] <= 0.0) { z[i] = hi[i]; state[i] = kUpper; }
    else { z[i] = 0.0; state[i] = kFree; }
  }
  if (A.size() == 0) {
    result.z = z;
    result.residual = b.norm();
    result.converged = true;
    return result;
  }
  const double scale = std::max(1.0, A.cwiseAbs().maxCoeff()) * std::max(1.0, b.size() ? b.cwiseAbs().maxCoeff() : 0.0);
  const double eps = 1e-13 * scale;
  std::vector<char> banned(static_cast<size_t>(n), 0);
  const int max_iterations = 30 * (n + 2);
  int freed = -1;
  for (int it = 0; it < max_iterations; ++it) {
    result.iterations = it + 1;
    // Minimize over the free variables, stepping back to the feasible box.
    for (int inner = 0; inner <= n; ++inner) {
      std::vector<int> F;
      for (int i = 0; i < n; ++i)
        if (state[static_cast<size_t>(i)] == kFree) F.push_back(i);
      if (F.empty()) break;
      Vector rhs = b;
      for (int i = 0; i < n; ++i)
        if (state[static_cast<size_t>(i)] != kFree) rhs -= A.col(i) * z[i];
      Matrix AF(A.rows(), static_cast<Eigen::Index>(F.size()));
      for (size_t j = 0; j < F.size(); ++j) AF.col(static_cast<Eigen::Index>(j)) = A.col(F[j]);
      const Vector cand = Eigen::CompleteOrthogonalDecomposition<Matrix>(AF).solve(rhs);
      double alpha = 1.0;
      int blocking = -1;
      for (size_t j = 0; j < F.size(); ++j) {
        const int i = F[j];
        const double c = cand[static_cast<Eigen::Index>(j)];
        double a = 1.0;
        if (c < lo[i]) a = (lo[i] - z[i]) / (c - z[i]);
        else if (c > hi[i]) a = (hi[i] - z[i]) / (c - z[i]);
        else continue;
        a = std::clamp(a, 0.0, 1.0);
        if (a < alpha || blocking < 0) { alpha = std::min(alpha, a); blocking = i; }
      }
      if (blocking < 0) {
        for (size_t j = 0; j < F.size(); ++j) z[F[j]] = cand[static_cast<Eigen::Index>(j)];
        break;
      }
      if (blocking == freed && alpha <= 1e-14) {
        // The variable just released wants to leave the box at once (a
        // degenerate or rounding case): keep it at its bound, try another.
        state[static_cast<size_t>(freed)] = z[freed] <= lo[freed] ? kLower : kUpper;
        banned[static_cast<size_t>(freed)] = 1;
        break;
      }
      for (size_t j = 0; j < F.size(); ++j) {
        const int i = F[j];
        z[i] += alpha * (cand[static_cast<Eigen::Index>(j)] - z[i]);
        const double tiny = 1e-14 * (1.0 + std::abs(z[i]));
        if (i == blocking || z[i] <= lo[i] + tiny) {
          if (z[i] <= lo[i] + tiny || (i == blocking && cand[static_cast<Eigen::Index>(j)] < lo[i])) { z[i] = lo[i]; state[static_cast<size_t>(i)] = kLower; }
          else { z[i] = hi[i]; state[static_cast<size_t>(i)] = kUpper; }
        } else if (z[i] >= hi[i] - tiny) {
          z[i] = hi[i];
          state[static_cast<size_t>(i)] = kUpper;
        }
      }
      freed = -1;
    }
    // Optimality: no bound variable can move into the box and decrease ‖Az − b‖.
    const Vector w = A.transpose() * (b - A * z);
    int best = -1;
    double best_score = eps;
    for (int i = 0; i < n; ++i) {
      const size_t si = static_cast<size_t>(i);
      if (banned[si] || lo[i] == hi[i]) continue;
      double score = 0.0;
      if (state[si] == kLower) score = w[i];
      else if (state[si] == kUpper) score = -w[i];
      if (score > best_score) { best_score = score; best = i; }
    }
    if (best < 0) {
      result.converged = true;
      break;
    }
    std::fill(banned.begin(), banned.end(), 0);
    state[static_cast<size_t>(best)] = kFree;
    freed = best;
  }
  result.z = z;
  result.residual = (A * z - b).norm();
  return result;
}

Vector SelectionModel::vertex(const std::vector<int>& relevant, unsigned long bits) const {
  Vector s = Vector::Zero(static_cast<Eigen::Index>(pieces.size()));
  for (size_t j = 0; j < relevant.size(); ++j)
    if (bits >> j & 1UL) s[relevant[j]] = 1.0;
  return s;
}

}  // namespace almkit
