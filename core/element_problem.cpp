#include "almkit/core/element_problem.h"

#include <limits>
#include <stdexcept>

#include <fmt/format.h>

namespace almkit {

namespace {
constexpr bool kObjectiveOnly[3] = {true, false, false};
constexpr bool kEqualitiesOnly[3] = {false, true, false};
constexpr bool kInequalitiesOnly[3] = {false, false, true};
constexpr bool kEverything[3] = {true, true, true};
const bool* only(ElementTarget target) {
  return target == ElementTarget::kEquality ? kEqualitiesOnly : kInequalitiesOnly;
}
const char* target_name(ElementTarget target) {
  return target == ElementTarget::kObjective ? "objective" : target == ElementTarget::kEquality ? "equality" : "inequality";
}
}  // namespace

void ElementGroupBase::add(ElementTarget target, int row, const int* vars, int k) {
  const int n = owner_->num_variables();
  for (int i = 0; i < k; ++i)
    if (vars[i] < 0 || vars[i] >= n)
      throw std::out_of_range(fmt::format("ElementProblem '{}': element {} of a group: variable index {} is outside [0, {})",
                                          owner_->name(), size(), vars[i], n));
  const int rows = target == ElementTarget::kEquality     ? owner_->num_equalities()
                   : target == ElementTarget::kInequality ? owner_->num_inequalities()
                                                          : 1;
  if (row < 0 || row >= rows)
    throw std::out_of_range(fmt::format("ElementProblem '{}': {} row {} does not exist ({} rows; add it with add_{}())",
                                        owner_->name(), target_name(target), row, rows, target_name(target)));
  vars_.insert(vars_.end(), vars, vars + k);
  rows_.push_back(row);
  targets_.push_back(target);
}

ElementProblem::ElementProblem(std::string name, int n)
    : name_(std::move(name)),
      n_(n),
      objective_linear_(Vector::Zero(n)),
      lower_(Vector::Constant(n, -std::numeric_limits<double>::infinity())),
      upper_(Vector::Constant(n, std::numeric_limits<double>::infinity())),
      x0_(Vector::Zero(n)) {
  if (n < 1) throw std::invalid_argument(fmt::format("ElementProblem '{}': n = {}, expected n >= 1", name_, n));
}

void ElementProblem::attach(std::unique_ptr<ElementGroupBase> group) {
  group->owner_ = this;
  groups_.push_back(std::move(group));
  hessian_valid_ = false;
}

int ElementProblem::add_equality(double constant) {
  eq_constant_.push_back(constant);
  return num_equalities() - 1;
}
int ElementProblem::add_inequality(double constant) {
  in_constant_.push_back(constant);
  return num_inequalities() - 1;
}

void ElementProblem::add_linear_objective(int var, double coefficient) {
  if (var < 0 || var >= n_)
    throw std::out_of_range(fmt::format("ElementProblem '{}': linear objective term: variable {} outside [0, {})", name_, var, n_));
  objective_linear_[var] += coefficient;
}
void ElementProblem::add_linear_equality(int row, int var, double coefficient) {
  if (row < 0 || row >= num_equalities() || var < 0 || var >= n_)
    throw std::out_of_range(fmt::format("ElementProblem '{}': linear equality term ({}, {}) outside {} rows x {} variables",
                                        name_, row, var, num_equalities(), n_));
  eq_linear_.push_back({row, var, coefficient});
}
void ElementProblem::add_linear_inequality(int row, int var, double coefficient) {
  if (row < 0 || row >= num_inequalities() || var < 0 || var >= n_)
    throw std::out_of_range(fmt::format("ElementProblem '{}': linear inequality term ({}, {}) outside {} rows x {} variables",
                                        name_, row, var, num_inequalities(), n_));
  in_linear_.push_back({row, var, coefficient});
}

void ElementProblem::set_bounds(Vector lower, Vector upper) {
  if (lower.size() != n_ || upper.size() != n_)
    throw std::invalid_argument(fmt::format("ElementProblem '{}': bounds of sizes {} and {}, expected {}", name_, lower.size(),
                                            upper.size(), n_));
  lower_ = std::move(lower);
  upper_ = std::move(upper);
}
void ElementProblem::set_initial_point(Vector x0) {
  if (x0.size() != n_)
    throw std::invalid_argument(fmt::format("ElementProblem '{}': initial point of size {}, expected {}", name_, x0.size(), n_));
  x0_ = std::move(x0);
}
Vector ElementProblem::lower_bounds() const { return lower_; }
Vector ElementProblem::upper_bounds() const { return upper_; }

long ElementProblem::num_elements() const {
  long total = 0;
  for (const auto& g : groups_) total += g->size();
  return total;
}

double ElementProblem::f_impl(VectorCRef x) const {
  double f = objective_linear_.dot(x);
  for (const auto& g : groups_) g->each_value(x.data(), kObjectiveOnly, [&](const ElementView&, double v) { f += v; });
  return f;
}

double ElementProblem::grad_f_impl(VectorCRef x, VectorRef grad) const {
  double f = objective_linear_.dot(x);
  grad = objective_linear_;
  for (const auto& g : groups_)
    g->each_gradient(x.data(), kObjectiveOnly, [&](const ElementView& e, double v, const double* ge) {
      f += v;
      for (int k = 0; k < e.arity; ++k) grad[e.vars[k]] += ge[k];
    });
  return f;
}

void ElementProblem::rows(ElementTarget target, VectorCRef x, VectorRef out) const {
  const auto& constant = target == ElementTarget::kEquality ? eq_constant_ : in_constant_;
  for (int r = 0; r < out.size(); ++r) out[r] = constant[static_cast<size_t>(r)];
  for (const Linear& l : linear(target)) out[l.row] += l.coefficient * x[l.var];
  for (const auto& g : groups_) g->each_value(x.data(), only(target), [&](const ElementView& e, double v) { out[e.row] += v; });
}

void ElementProblem::rows_t_prod(ElementTarget target, VectorCRef x, VectorCRef y, VectorRef out) const {
  out.setZero();
  for (const Linear& l : linear(target)) out[l.var] += l.coefficient * y[l.row];
  for (const auto& g : groups_)
    g->each_gradient(x.data(), only(target), [&](const ElementView& e, double, const double* ge) {
      const double yr = y[e.row];
      for (int k = 0; k < e.arity; ++k) out[e.vars[k]] += yr * ge[k];
    });
}

void ElementProblem::rows_prod(ElementTarget target, VectorCRef x, VectorCRef v, VectorRef out) const {
  out.setZero();
  for (const Linear& l : linear(target)) out[l.row] += l.coefficient * v[l.var];
  for (const auto& g : groups_)
    g->each_gradient(x.data(), only(target), [&](const ElementView& e, double, const double* ge) {
      double s = 0.0;
      for (int k = 0; k < e.arity; ++k) s += ge[k] * v[e.vars[k]];
      out[e.row] += s;
    });
}

Eigen::SparseMatrix<double> ElementProblem::rows_jacobian(ElementTarget target, VectorCRef x) const {
  std::vector<Eigen::Triplet<double>> t;
  for (const Linear& l : linear(target)) t.emplace_back(l.row, l.var, l.coefficient);
  for (const auto& g : groups_)
    g->each_gradient(x.data(), only(target), [&](const ElementView& e, double, const double* ge) {
      for (int k = 0; k < e.arity; ++k) t.emplace_back(e.row, e.vars[k], ge[k]);
    });
  Eigen::SparseMatrix<double> J(num_rows(target), n_);
  J.setFromTriplets(t.begin(), t.end());  // duplicates (shared variables) are summed
  return J;
}

void ElementProblem::c_impl(VectorCRef x, VectorRef c) const { rows(ElementTarget::kEquality, x, c); }
void ElementProblem::g_impl(VectorCRef x, VectorRef g) const { rows(ElementTarget::kInequality, x, g); }
void ElementProblem::jac_c_t_prod_impl(VectorCRef x, VectorCRef y, VectorRef out) const {
  rows_t_prod(ElementTarget::kEquality, x, y, out);
}
void ElementProblem::jac_g_t_prod_impl(VectorCRef x, VectorCRef y, VectorRef out) const {
  rows_t_prod(ElementTarget::kInequality, x, y, out);
}
void ElementProblem::jac_c_prod_impl(VectorCRef x, VectorCRef v, VectorRef out) const {
  rows_prod(ElementTarget::kEquality, x, v, out);
}
void ElementProblem::jac_g_prod_impl(VectorCRef x, VectorCRef v, VectorRef out) const {
  rows_prod(ElementTarget::kInequality, x, v, out);
}
Eigen::SparseMatrix<double> ElementProblem::jac_c_sparse_impl(VectorCRef x) const {
  return rows_jacobian(ElementTarget::kEquality, x);
}
Eigen::SparseMatrix<double> ElementProblem::jac_g_sparse(VectorCRef x) const {
  return rows_jacobian(ElementTarget::kInequality, x);
}
Matrix ElementProblem::jac_c_impl(VectorCRef x) const { return Matrix(rows_jacobian(ElementTarget::kEquality, x)); }
Matrix ElementProblem::jac_g_impl(VectorCRef x) const { return Matrix(rows_jacobian(ElementTarget::kInequality, x)); }

const Eigen::SparseMatrix<double>& ElementProblem::lagrangian_hessian(VectorCRef x, double sigma, VectorCRef y_c,
                                                                      VectorCRef y_g) const {
  // Newton–CG asks for many products at one point: assemble once per point.
  const auto same = [](VectorCRef a, const Vector& b) { return a.size() == b.size() && a == b; };
  if (hessian_valid_ && sigma == hessian_sigma_ && same(x, hessian_x_) && same(y_c, hessian_y_c_) && same(y_g, hessian_y_g_))
    return hessian_;
  std::vector<Eigen::Triplet<double>> t;
  size_t entries = 0;
  for (const auto& g : groups_) entries += static_cast<size_t>(g->size()) * g->arity() * g->arity();
  t.reserve(entries);
  for (const auto& g : groups_)
    g->each_hessian(x.data(), kEverything, [&](const ElementView& e, const double* He) {
      const double w = e.target == ElementTarget::kObjective  ? sigma
                       : e.target == ElementTarget::kEquality ? y_c[e.row]
                                                              : y_g[e.row];
      if (w == 0.0) return;
      for (int j = 0; j < e.arity; ++j)
        for (int i = 0; i < e.arity; ++i)
          if (He[i + j * e.arity] != 0.0) t.emplace_back(e.vars[i], e.vars[j], w * He[i + j * e.arity]);
    });
  hessian_.resize(n_, n_);
  hessian_.setFromTriplets(t.begin(), t.end());
  hessian_x_ = x;
  hessian_y_c_ = y_c;
  hessian_y_g_ = y_g;
  hessian_sigma_ = sigma;
  hessian_valid_ = true;
  return hessian_;
}

void ElementProblem::lagrangian_hess_prod_impl(VectorCRef x, double sigma, VectorCRef y_c, VectorCRef y_g,
                                               VectorCRef v, VectorRef out) const {
  out.noalias() = lagrangian_hessian(x, sigma, y_c, y_g) * v;
}

bool ElementProblem::sparse_second_order_impl(VectorCRef x, double sigma, VectorCRef y_c, VectorCRef y_g,
                                              Eigen::SparseMatrix<double>& hessian, Eigen::SparseMatrix<double>& jac_c,
                                              Eigen::SparseMatrix<double>& jac_g) const {
  hessian = lagrangian_hessian(x, sigma, y_c, y_g);
  jac_c = rows_jacobian(ElementTarget::kEquality, x);
  jac_g = rows_jacobian(ElementTarget::kInequality, x);
  return true;
}

}  // namespace almkit
