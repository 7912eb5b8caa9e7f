// The compiled part of the Python package almkit (docs/python.md): problems
// defined by Python callables, the ALM solve, the KKT/NNAMCQ verifiers, the
// built-in problems and the RNN trainer, on numpy arrays. The Python layer
// (python/almkit/*.py) adds the result classes, docstrings and the PyTorch
// mapping; this file only converts between numpy/dicts and the C++ API.
//
// Error handling (docs/python.md "Errors"): a Python exception raised inside a
// callable (or a shape/finiteness error found here) never unwinds through the
// solvers. It is stored in the problem, every later evaluation returns NaN
// without calling Python, the ALM stops (status non_finite or
// stopped_by_callback), and the stored exception is re-raised after the solve.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "almkit/core/alm.h"
#include "almkit/core/alm_json.h"
#include "almkit/core/kkt.h"
#include "almkit/core/nnamcq.h"
#include "almkit/core/problem.h"
#include "almkit/core/record.h"
#include "almkit/core/verify.h"
#include "almkit/problems/registry.h"
#include "almkit/problems/rnn/rnn_data.h"
#include "almkit/problems/rnn/rnn_model.h"
#include "almkit/study/rnn_train_request.h"
#include "almkit/study/rnn_trainer.h"
#include "almkit/study/rnn_train_outcome.h"
#include "almkit/solvers/baselines/gradient_methods.h"
#include "almkit/solvers/inner_solver_factory.h"

namespace py = pybind11;
using namespace almkit;

namespace {

// ------------------------------------------------------------ conversions

py::array_t<double> to_numpy(const Vector& v) {
  py::array_t<double> a(v.size());
  std::copy(v.data(), v.data() + v.size(), a.mutable_data());
  return a;
}

py::array_t<double> to_numpy(const Matrix& M) {  // row-major numpy copy of a column-major matrix
  py::array_t<double> a({M.rows(), M.cols()});
  auto r = a.mutable_unchecked<2>();
  for (Eigen::Index i = 0; i < M.rows(); ++i)
    for (Eigen::Index j = 0; j < M.cols(); ++j) r(i, j) = M(i, j);
  return a;
}

/// A 1-D float array of length n (n < 0: any), or ValueError naming `what`.
Vector vector_from(const py::handle& obj, long n, const std::string& what) {
  // ensure() returns a null handle (and clears the error) when obj is not numeric.
  const auto a = py::array_t<double, py::array::forcecast>::ensure(obj);
  if (!a) throw py::value_error(fmt::format("{}: expected an array of floats, got {}", what, std::string(py::str(py::type::of(obj)))));
  if (a.ndim() == 0 && n == 1) {
    Vector v(1);
    v(0) = *a.data();
    return v;
  }
  if (a.ndim() != 1 || (n >= 0 && a.shape(0) != n)) {
    std::string shape = "(";
    for (py::ssize_t k = 0; k < a.ndim(); ++k) shape += (k ? ", " : "") + std::to_string(a.shape(k));
    shape += a.ndim() == 1 ? ",)" : ")";
    throw py::value_error(fmt::format("{}: returned shape {}, expected ({},)", what, shape, n));
  }
  Vector v(a.shape(0));
  auto r = a.unchecked<1>();
  for (py::ssize_t i = 0; i < a.shape(0); ++i) v(i) = r(i);
  return v;
}

/// A 2-D float array of shape (rows, cols) (negative: any), or ValueError naming `what`.
Matrix matrix_from(const py::handle& obj, long rows, long cols, const std::string& what) {
  // ensure() returns a null handle (and clears the error) when obj is not numeric.
  const auto a = py::array_t<double, py::array::forcecast>::ensure(obj);
  if (!a) throw py::value_error(fmt::format("{}: expected a 2-D array of floats, got {}", what, std::string(py::str(py::type::of(obj)))));
  if (a.ndim() != 2 || (rows >= 0 && a.shape(0) != rows) || (cols >= 0 && a.shape(1) != cols)) {
    std::string shape = "(";
    for (py::ssize_t k = 0; k < a.ndim(); ++k) shape += (k ? ", " : "") + std::to_string(a.shape(k));
    shape += a.ndim() == 1 ? ",)" : ")";
    throw py::value_error(fmt::format("{}: shape {}, expected ({}, {})", what, shape, rows < 0 ? std::string("any") : std::to_string(rows),
                                      cols < 0 ? std::string("any") : std::to_string(cols)));
  }
  Matrix M(a.shape(0), a.shape(1));
  auto r = a.unchecked<2>();
  for (py::ssize_t i = 0; i < a.shape(0); ++i)
    for (py::ssize_t j = 0; j < a.shape(1); ++j) M(i, j) = r(i, j);
  return M;
}

void require_finite(const Vector& v, const std::string& what) {
  for (Eigen::Index i = 0; i < v.size(); ++i)
    if (!std::isfinite(v(i))) throw py::value_error(fmt::format("{}: entry {} is not finite ({})", what, i, v(i)));
}
void require_finite(const Matrix& M, const std::string& what) {
  for (Eigen::Index j = 0; j < M.cols(); ++j)
    for (Eigen::Index i = 0; i < M.rows(); ++i)
      if (!std::isfinite(M(i, j))) throw py::value_error(fmt::format("{}: entry ({}, {}) is not finite ({})", what, i, j, M(i, j)));
}

py::object json_to_python(const nlohmann::json& j) {
  // nlohmann writes doubles in the shortest form that reads back to the same
  // bits, so the dicts carry the exact values (NaN becomes None).
  return py::module_::import("json").attr("loads")(j.dump());
}

// ------------------------------------------------------------ records

template <Record R>
py::dict record_to_dict(const R& r);

/// {name: value} of a field list (core/record.h): the Python form of a record,
/// from the same visit() as its CSV and JSON forms. Doubles stay floats (NaN
/// included), enums become their to_string names, nested records dicts.
template <class Fields>
py::dict fields_to_dict(const Fields& fields) {
  py::dict d;
  auto add = [&](const char* name, const auto& field, const char*) {
    using T = std::decay_t<decltype(field)>;
    if constexpr (Record<T>) d[name] = record_to_dict(field);
    else if constexpr (std::is_enum_v<T>) d[name] = py::str(to_string(field));
    else d[name] = py::cast(field);
  };
  fields(add);
  return d;
}

template <Record R>
py::dict record_to_dict(const R& r) {
  return fields_to_dict([&r](auto& v) { r.visit(v); });
}

/// The visit() field names of the records the Python API returns, for the
/// tests that check each dict against its field list.
py::dict record_field_lists() {
  auto names = [](auto tag) {
    py::list out;
    for (const std::string& n : record_fields<typename decltype(tag)::type>()) out.append(n);
    return out;
  };
  py::dict d;
  d["kkt"] = names(std::type_identity<KktReport>{});
  d["evaluations"] = names(std::type_identity<EvaluationCounters>{});
  d["alm_iteration"] = names(std::type_identity<AlmIteration>{});
  d["train_history_row"] = names(std::type_identity<rnn::TrainHistoryRow>{});
  d["train_summary"] = names(std::type_identity<rnn::TrainSummary>{});
  return d;
}

// ------------------------------------------------------------ options by name

/// Sets field `name` of an options struct with visit() from a Python value;
/// returns false when no field has that name. Wrong types or enum values raise
/// ValueError naming the option.
template <class Options>
bool set_option(Options& options, const std::string& name, const py::handle& value, const std::string& prefix) {
  bool found = false;
  options.visit([&](const char* field_name, auto& field, const char*) {
    if (found || name != field_name) return;
    found = true;
    using T = std::decay_t<decltype(field)>;
    const std::string full = prefix + name;
    if constexpr (std::is_enum_v<T>) {
      if (!py::isinstance<py::str>(value) || !parse(value.cast<std::string>(), &field))
        throw py::value_error(fmt::format("option {}: unknown value {}", full, std::string(py::repr(value))));
    } else if constexpr (std::is_same_v<T, bool>) {
      if (!py::isinstance<py::bool_>(value))
        throw py::value_error(fmt::format("option {}: expected True or False, got {}", full, std::string(py::repr(value))));
      field = value.cast<bool>();
    } else if constexpr (std::is_integral_v<T>) {
      if (py::isinstance<py::bool_>(value) || !py::isinstance<py::int_>(value))
        throw py::value_error(fmt::format("option {}: expected an integer, got {}", full, std::string(py::repr(value))));
      field = value.cast<T>();
    } else if constexpr (std::is_floating_point_v<T>) {
      if (py::isinstance<py::bool_>(value) || !(py::isinstance<py::int_>(value) || py::isinstance<py::float_>(value)))
        throw py::value_error(fmt::format("option {}: expected a number, got {}", full, std::string(py::repr(value))));
      field = value.cast<double>();
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (!py::isinstance<py::str>(value))
        throw py::value_error(fmt::format("option {}: expected a string, got {}", full, std::string(py::repr(value))));
      field = value.cast<std::string>();
    }
  });
  return found;
}

/// [(name, default, description)] of an options struct.
template <class Options>
py::list describe_options(const Options& options) {
  py::list out;
  options.visit([&](const char* name, const auto& field, const char* doc) {
    using T = std::decay_t<decltype(field)>;
    py::object def;
    if constexpr (std::is_enum_v<T>) def = py::str(to_string(field));
    else def = py::cast(field);
    out.append(py::make_tuple(name, def, doc));
  });
  return out;
}

template <class Options>
void apply_group(Options& options, const py::dict& values, const std::string& group) {
  for (const auto& kv : values) {
    const std::string key = py::str(kv.first);
    if (!set_option(options, key, kv.second, group + "."))
      throw py::value_error(fmt::format("unknown option {}.{}", group, key));
  }
}

// ------------------------------------------------------------ problems from Python

/// A problem whose f, ∇f, c, g and Jacobians are Python callables on numpy
/// arrays (docs/python.md "Problems from Python"). Shapes are checked at every
/// call (the first wrong one raises); non-finite results raise too.
class PyProblem final : public ConstrainedProblem {
 public:
  struct Callables {
    py::object f, grad, c, g, jac_c, jac_g, jac_c_t, jac_g_t;
  };
  PyProblem(std::string name, Callables fns, Vector x0, Vector lower, Vector upper, int m_eq, int m_ineq)
      : name_(std::move(name)), fn_(std::move(fns)), x0_(std::move(x0)), lower_(std::move(lower)),
        upper_(std::move(upper)), m_eq_(m_eq), m_ineq_(m_ineq) {}

  std::string name() const override { return name_; }
  int num_variables() const override { return static_cast<int>(x0_.size()); }
  int num_equalities() const override { return m_eq_; }
  int num_inequalities() const override { return m_ineq_; }
  Vector lower_bounds() const override { return lower_; }
  Vector upper_bounds() const override { return upper_; }
  Vector initial_point() const override { return x0_; }

  /// The first Python error of an evaluation since the last take_error().
  std::optional<py::error_already_set>& pending_error() const { return error_; }

 protected:
  double f_impl(VectorCRef x) const override {
    double out = kNaN;
    guarded([&] {
      const py::object r = fn_.f(to_numpy(Vector(x)));
      double v;
      try {
        v = r.cast<double>();
      } catch (const py::cast_error&) {
        throw py::value_error(fmt::format("f: returned {}, expected a float", std::string(py::repr(r))));
      }
      if (!std::isfinite(v)) throw py::value_error(fmt::format("f: returned a non-finite value ({})", v));
      out = v;
    });
    return out;
  }
  double grad_f_impl(VectorCRef x, VectorRef grad) const override {
    const double v = f_impl(x);
    guarded([&] { grad = checked_vector(fn_.grad, "grad", x, num_variables()); });
    if (error_) grad.setConstant(kNaN);
    return error_ ? kNaN : v;
  }
  void c_impl(VectorCRef x, VectorRef c) const override {
    guarded([&] { c = checked_vector(fn_.c, "c", x, m_eq_); });
    if (error_) c.setConstant(kNaN);
  }
  void g_impl(VectorCRef x, VectorRef g) const override {
    guarded([&] { g = checked_vector(fn_.g, "g", x, m_ineq_); });
    if (error_) g.setConstant(kNaN);
  }
  void jac_c_t_prod_impl(VectorCRef x, VectorCRef y, VectorRef out) const override {
    jt_prod(fn_.jac_c_t, fn_.jac_c, "jac_c_t", "jac_c", m_eq_, x, y, out);
  }
  void jac_g_t_prod_impl(VectorCRef x, VectorCRef y, VectorRef out) const override {
    jt_prod(fn_.jac_g_t, fn_.jac_g, "jac_g_t", "jac_g", m_ineq_, x, y, out);
  }
  Matrix jac_c_impl(VectorCRef x) const override {
    if (fn_.jac_c.is_none()) return ConstrainedProblem::jac_c_impl(x);
    return dense(fn_.jac_c, "jac_c", m_eq_, x);
  }
  Matrix jac_g_impl(VectorCRef x) const override {
    if (fn_.jac_g.is_none()) return ConstrainedProblem::jac_g_impl(x);
    return dense(fn_.jac_g, "jac_g", m_ineq_, x);
  }

 private:
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

  // Runs body with the GIL held; a Python error is stored, not thrown (the
  // solver frames between here and the binding are C++ and Ceres).
  template <class Body>
  void guarded(Body&& body) const {
    if (error_) return;
    py::gil_scoped_acquire gil;
    try {
      body();
    } catch (py::error_already_set& e) {
      error_.emplace(std::move(e));
    } catch (const py::builtin_exception& e) {
      e.set_error();
      error_.emplace();
    } catch (const std::exception& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
      error_.emplace();
    }
  }

  Vector checked_vector(const py::object& fn, const char* what, VectorCRef x, int n) const {
    Vector v = vector_from(fn(to_numpy(Vector(x))), n, what);
    require_finite(v, what);
    return v;
  }

  Matrix dense(const py::object& fn, const char* what, int rows, VectorCRef x) const {
    Matrix J = Matrix::Constant(rows, num_variables(), kNaN);
    guarded([&] {
      J = matrix_from(fn(to_numpy(Vector(x))), rows, num_variables(), what);
      require_finite(J, what);
    });
    return J;
  }

  void jt_prod(const py::object& jt, const py::object& jac, const char* jt_name, const char* jac_name, int rows,
               VectorCRef x, VectorCRef y, VectorRef out) const {
    if (rows == 0) {
      out.setZero();
      return;
    }
    if (!jt.is_none()) {
      guarded([&] {
        Vector v = vector_from(jt(to_numpy(Vector(x)), to_numpy(Vector(y))), num_variables(), jt_name);
        require_finite(v, jt_name);
        out = v;
      });
    } else {
      const Matrix J = dense(jac, jac_name, rows, x);
      out = J.transpose() * y;
    }
    if (error_) out.setConstant(kNaN);
  }

  std::string name_;
  Callables fn_;
  Vector x0_, lower_, upper_;
  int m_eq_ = 0, m_ineq_ = 0;
  mutable std::optional<py::error_already_set> error_;
};

/// What the Python class almkit.Problem holds: a built-in or a PyProblem.
struct ProblemHandle {
  std::shared_ptr<ConstrainedProblem> problem;
  PyProblem* python = nullptr;  ///< non-null for problems from callables
  std::string description;

  // Re-raises a Python error stored during the last evaluations, once.
  void rethrow_pending() const {
    if (python && python->pending_error()) {
      py::error_already_set e = std::move(*python->pending_error());
      python->pending_error().reset();
      throw e;
    }
  }
};

ProblemHandle make_python_problem(const std::string& name, py::object f, py::object grad, py::object x0_obj,
                                  py::object c, py::object jac_c, py::object jac_c_t, py::object g, py::object jac_g,
                                  py::object jac_g_t, py::object lower_obj, py::object upper_obj,
                                  std::optional<int> num_equalities, std::optional<int> num_inequalities) {
  const Vector x0 = vector_from(x0_obj, -1, "x0");
  const long n = x0.size();
  if (n == 0) throw py::value_error("x0: the problem needs at least one variable");
  require_finite(x0, "x0");
  if (f.is_none() || !PyCallable_Check(f.ptr())) throw py::value_error("f: a callable f(x) -> float is required");
  if (grad.is_none() || !PyCallable_Check(grad.ptr())) throw py::value_error("grad: a callable grad(x) -> array of shape (n,) is required");
  Vector lower = lower_obj.is_none() ? Vector::Constant(n, -std::numeric_limits<double>::infinity()) : vector_from(lower_obj, n, "lower");
  Vector upper = upper_obj.is_none() ? Vector::Constant(n, std::numeric_limits<double>::infinity()) : vector_from(upper_obj, n, "upper");
  for (long i = 0; i < n; ++i) {
    if (std::isnan(lower(i)) || std::isnan(upper(i))) throw py::value_error(fmt::format("lower/upper: bound {} is NaN", i));
    if (lower(i) > upper(i)) throw py::value_error(fmt::format("lower/upper: lower[{}] = {} > upper[{}] = {}", i, lower(i), i, upper(i)));
  }
  // Number of constraints: given, or the length of c(x0) / g(x0) (the first call).
  auto count = [&](const py::object& fn, std::optional<int> given, const char* what) -> int {
    if (fn.is_none()) {
      if (given && *given != 0) throw py::value_error(fmt::format("{}: num given but no callable", what));
      return 0;
    }
    if (!PyCallable_Check(fn.ptr())) throw py::value_error(fmt::format("{}: not callable", what));
    const Vector v = vector_from(fn(to_numpy(x0)), given ? *given : -1, what);
    require_finite(v, std::string(what) + "(x0)");
    return static_cast<int>(v.size());
  };
  const int m_eq = count(c, num_equalities, "c");
  const int m_ineq = count(g, num_inequalities, "g");
  if (m_eq > 0 && jac_c.is_none() && jac_c_t.is_none())
    throw py::value_error("c: equality constraints need jac_c (dense Jacobian) or jac_c_t (J_c(x)^T y)");
  if (m_ineq > 0 && jac_g.is_none() && jac_g_t.is_none())
    throw py::value_error("g: inequality constraints need jac_g (dense Jacobian) or jac_g_t (J_g(x)^T y)");
  auto p = std::make_shared<PyProblem>(name, PyProblem::Callables{f, grad, c, g, jac_c, jac_g, jac_c_t, jac_g_t}, x0,
                                       lower, upper, m_eq, m_ineq);
  ProblemHandle h;
  h.python = p.get();
  h.problem = std::move(p);
  h.description = "defined in Python";
  return h;
}

ProblemHandle builtin_problem(const std::string& name) {
  const ProblemEntry* e = find_problem(name);
  // "hs71" and "hs071" name the same problem (the registry pads to three digits).
  if (!e && name.size() > 2 && name.rfind("hs", 0) == 0) {
    std::string digits = name.substr(2);
    while (digits.size() < 3) digits = "0" + digits;
    e = find_problem("hs" + digits);
  }
  if (!e) {
    std::string names;
    for (const auto& b : builtin_problems()) names += (names.empty() ? "" : ", ") + b.name;
    throw py::value_error(fmt::format("unknown problem '{}' (built-in: {})", name, names));
  }
  ProblemHandle h;
  h.problem = std::shared_ptr<ConstrainedProblem>(e->make().release());
  h.description = e->description;
  return h;
}

// ------------------------------------------------------------ solve

py::dict solve(const ProblemHandle& h, std::string inner_name, py::dict alm_kwargs, py::dict lbfgs, py::dict bcd,
               py::dict lbfgsb, py::dict newton, py::object x0, py::object multipliers, py::object callback) {
  if (inner_name.empty()) inner_name = default_inner_solver_name();  // docs/inner_solvers.md
  AlmOptions options;
  for (const auto& kv : alm_kwargs) {
    const std::string key = py::str(kv.first);
    if (!set_option(options, key, kv.second, ""))
      throw py::value_error(fmt::format("unknown option {} (almkit.alm_options() lists them)", key));
  }
  try {
    options.validate();
  } catch (const std::invalid_argument& e) {
    throw py::value_error(e.what());
  }
  InnerSolverOptions inner_options;
  apply_group(inner_options.lbfgs, lbfgs, "lbfgs");
  apply_group(inner_options.bcd, bcd, "bcd");
  apply_group(inner_options.lbfgsb, lbfgsb, "lbfgsb");
  apply_group(inner_options.newton, newton, "newton");
  std::unique_ptr<InnerSolver> inner;
  try {
    inner = make_inner_solver(inner_name, *h.problem, inner_options);
  } catch (const std::invalid_argument& e) {
    throw py::value_error(std::string("inner: ") + e.what());
  }
  AlmStart start;
  if (!x0.is_none()) {
    start.x = vector_from(x0, h.problem->num_variables(), "x0");
    require_finite(start.x, "x0");
  }
  // Warm start of the multipliers (AlmStart, core/alm.h): a dict like Result.multipliers.
  if (!multipliers.is_none()) {
    if (!py::isinstance<py::dict>(multipliers))
      throw py::value_error("multipliers: expected a dict {'equality': lambda, 'inequality': mu} (Result.multipliers)");
    py::dict d = multipliers.cast<py::dict>();
    for (const auto& kv : d) {
      const std::string key = py::str(kv.first);
      if (key != "equality" && key != "inequality" && key != "bounds")
        throw py::value_error(fmt::format("multipliers: unknown key '{}' (equality | inequality)", key));
    }
    if (d.contains("equality")) {
      start.lambda = vector_from(d["equality"], h.problem->num_equalities(), "multipliers['equality']");
      require_finite(start.lambda, "multipliers['equality']");
    }
    if (d.contains("inequality")) {
      start.mu = vector_from(d["inequality"], h.problem->num_inequalities(), "multipliers['inequality']");
      require_finite(start.mu, "multipliers['inequality']");
    }
  }
  // One callback per outer iteration: Ctrl-C (KeyboardInterrupt) and the
  // user's progress function; a Python error there stops the solve and is
  // re-raised afterwards (docs/python.md "Interrupts and callbacks").
  std::optional<py::error_already_set> callback_error;
  AlmCallback cb = [&](const AlmIteration& it, VectorCRef x) -> bool {
    py::gil_scoped_acquire gil;
    try {
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
      if (!callback.is_none()) {
        const py::object r = callback(record_to_dict(it), to_numpy(Vector(x)));
        if (!r.is_none() && !r.cast<bool>()) return false;
      }
    } catch (py::error_already_set& e) {
      callback_error.emplace(std::move(e));
      return false;
    }
    return true;
  };
  h.problem->reset_counters();
  AlmSummary s;
  {
    py::gil_scoped_release release;
    s = solve_alm(*h.problem, *inner, options, start, cb);
  }
  h.rethrow_pending();
  if (callback_error) throw std::move(*callback_error);
  py::dict out = json_to_python(summary_to_json(s)).cast<py::dict>();
  // Exact arrays (not through JSON) for the vectors.
  out["x"] = to_numpy(s.x);
  out["multipliers"] = py::dict(py::arg("equality") = to_numpy(s.lambda), py::arg("inequality") = to_numpy(s.mu),
                                py::arg("bounds") = to_numpy(s.nu));
  out["objective"] = s.objective;
  out["report"] = s.FullReport();
  return out;
}

// ------------------------------------------------------------ verify

py::dict verify(const ProblemHandle& h, py::object x_obj, py::object multipliers, py::dict kwargs, bool nnamcq) {
  const int n = h.problem->num_variables();
  const Vector x = vector_from(x_obj, n, "x");
  require_finite(x, "x");
  VerifyOptions vo;
  for (const auto& kv : kwargs) {
    const std::string key = py::str(kv.first);
    double* target = nullptr;
    if (key == "tolerance") target = &vo.tolerance;
    else if (key == "kink_tolerance") target = &vo.kink_tolerance;
    else if (key == "active_tolerance") target = &vo.active_tolerance;
    else if (key == "multiplier_limit") target = &vo.multiplier_limit;
    if (!target) throw py::value_error(fmt::format("unknown option {} (tolerance | kink_tolerance | active_tolerance | multiplier_limit)", key));
    if (!(py::isinstance<py::float_>(kv.second) || py::isinstance<py::int_>(kv.second)) || !(kv.second.cast<double>() > 0))
      throw py::value_error(fmt::format("option {}: expected a number > 0, got {}", key, std::string(py::repr(kv.second))));
    *target = kv.second.cast<double>();
  }
  KktVerification v;
  NnamcqReport nr;
  bool given = !multipliers.is_none();
  Vector lambda, mu;
  if (given) {
    py::object eq = py::none(), in = py::none();
    if (py::isinstance<py::dict>(multipliers)) {
      py::dict d = multipliers.cast<py::dict>();
      for (const auto& kv : d) {
        const std::string key = py::str(kv.first);
        if (key != "equality" && key != "inequality" && key != "bounds")
          throw py::value_error(fmt::format("multipliers: unknown key '{}' (equality | inequality)", key));
      }
      if (d.contains("equality")) eq = d["equality"];
      if (d.contains("inequality")) in = d["inequality"];
    } else {
      py::tuple t = py::tuple(multipliers);
      if (t.size() != 2) throw py::value_error("multipliers: expected a dict {'equality': .., 'inequality': ..} or a pair (lambda, mu)");
      eq = t[0];
      in = t[1];
    }
    lambda = eq.is_none() ? Vector::Zero(h.problem->num_equalities()) : vector_from(eq, h.problem->num_equalities(), "multipliers['equality']");
    mu = in.is_none() ? Vector::Zero(h.problem->num_inequalities()) : vector_from(in, h.problem->num_inequalities(), "multipliers['inequality']");
    require_finite(lambda, "multipliers['equality']");
    require_finite(mu, "multipliers['inequality']");
  }
  {
    py::gil_scoped_release release;
    v = given ? verify_kkt(*h.problem, x, lambda, mu, vo) : verify_kkt(*h.problem, x, vo);
    if (nnamcq) {
      NnamcqOptions no;
      static_cast<SelectionOptions&>(no) = vo;  // the same kinks, rows and limits (core/verify.h)
      nr = check_nnamcq(*h.problem, x, no);
    }
  }
  h.rethrow_pending();
  py::dict out = json_to_python(v.to_json()).cast<py::dict>();
  out["text"] = v.to_string();
  if (nnamcq) {
    py::dict nd = json_to_python(nr.to_json()).cast<py::dict>();
    nd["text"] = nr.to_string();
    out["nnamcq"] = nd;
  }
  return out;
}

// ------------------------------------------------------------ RNN

rnn::RnnWeights weights_from(const py::dict& d) {
  for (const char* k : {"W", "V", "b", "A", "c"})
    if (!d.contains(k)) throw py::value_error(fmt::format("weights: missing '{}'", k));
  rnn::RnnWeights w;
  w.W = matrix_from(d["W"], -1, -1, "weights['W']");
  const long m = w.W.rows();
  if (w.W.cols() != m) throw py::value_error(fmt::format("weights['W']: must be square, got ({}, {})", m, w.W.cols()));
  w.V = matrix_from(d["V"], m, -1, "weights['V']");
  w.b = vector_from(d["b"], m, "weights['b']");
  w.A = matrix_from(d["A"], -1, m, "weights['A']");
  w.c = vector_from(d["c"], w.A.rows(), "weights['c']");
  require_finite(w.W, "weights['W']");
  require_finite(w.V, "weights['V']");
  require_finite(w.b, "weights['b']");
  require_finite(w.A, "weights['A']");
  require_finite(w.c, "weights['c']");
  return w;
}

py::dict weights_to(const rnn::RnnWeights& w) {
  py::dict d;
  d["W"] = to_numpy(w.W);
  d["V"] = to_numpy(w.V);
  d["b"] = to_numpy(w.b);
  d["A"] = to_numpy(w.A);
  d["c"] = to_numpy(w.c);
  return d;
}

/// Sequences [(X (T, d), Y (T, p)), ...] laid end to end (rnn_types.h RnnSeries).
rnn::RnnSeries series_from(const py::list& pairs, const std::string& what, long d = -1, long p = -1) {
  rnn::RnnSeries s;
  std::vector<Matrix> xs, ys;
  long T = 0;
  s.sequence_starts.clear();
  for (size_t k = 0; k < pairs.size(); ++k) {
    py::tuple pr = py::tuple(pairs[k]);
    const std::string name = pairs.size() == 1 ? what : fmt::format("{}[{}]", what, k);
    Matrix X = matrix_from(pr[0], -1, d, name + " X");
    if (X.rows() == 0) throw py::value_error(fmt::format("{} X: no time steps", name));
    d = X.cols();
    Matrix Y;
    if (pr[1].is_none()) {
      Y = Matrix::Constant(X.rows(), p < 0 ? 1 : p, std::numeric_limits<double>::quiet_NaN());
    } else {
      auto ya = py::array_t<double, py::array::forcecast>::ensure(pr[1]);
      if (ya && ya.ndim() == 1) Y = matrix_from(ya.reshape({ya.shape(0), py::ssize_t(1)}), X.rows(), p, name + " Y");
      else Y = matrix_from(pr[1], X.rows(), p, name + " Y");
      // A row of NaN is an unobserved step (weight 0, docs/python.md "RNN"); any other NaN/inf is an error.
      for (Eigen::Index t = 0; t < Y.rows(); ++t) {
        if (Y.row(t).array().isNaN().all()) continue;
        for (Eigen::Index j = 0; j < Y.cols(); ++j)
          if (!std::isfinite(Y(t, j)))
            throw py::value_error(fmt::format("{} Y: entry ({}, {}) is not finite ({}); a whole row of NaN marks an unobserved step",
                                              name, t, j, Y(t, j)));
      }
    }
    require_finite(X, name + " X");
    p = Y.cols();
    s.sequence_starts.push_back(static_cast<int>(T));
    T += X.rows();
    xs.push_back(std::move(X));
    ys.push_back(std::move(Y));
  }
  if (xs.empty()) throw py::value_error(fmt::format("{}: no sequences", what));
  s.X.resize(d, T);
  s.Y.resize(p, T);
  long t = 0;
  for (size_t k = 0; k < xs.size(); ++k) {
    s.X.middleCols(t, xs[k].rows()) = xs[k].transpose();
    s.Y.middleCols(t, ys[k].rows()) = ys[k].transpose();
    t += xs[k].rows();
  }
  s.omega = Vector::Ones(T);
  for (long j = 0; j < T; ++j)
    if (std::isnan(s.Y(0, j))) {
      s.omega(j) = 0.0;
      s.Y.col(j).setZero();  // ignored (ω = 0), but 0·NaN would poison the sums
    }
  return s;
}

rnn::RnnRegularization regularization_from(const py::dict& d) {
  rnn::RnnRegularization r;
  double* f[] = {&r.lambda1, &r.lambda2, &r.lambda3, &r.lambda4, &r.lambda5, &r.lambda6};
  for (int i = 0; i < 6; ++i) {
    const std::string key = "lambda" + std::to_string(i + 1);
    if (d.contains(key.c_str())) *f[i] = d[key.c_str()].cast<double>();
  }
  return r;
}

py::dict regularization_to(const rnn::RnnRegularization& r) {
  py::dict d;
  d["lambda1"] = r.lambda1;
  d["lambda2"] = r.lambda2;
  d["lambda3"] = r.lambda3;
  d["lambda4"] = r.lambda4;
  d["lambda5"] = r.lambda5;
  d["lambda6"] = r.lambda6;
  return d;
}

/// One entry of rnn.train's `settings` into the request (rnn_train_request.h):
/// the value, and its name among the given ones.
void set_setting(rnn::TrainRequest& r, const std::string& key, const py::handle v) {
  rnn::TrainOptions& o = r.options;
  if (key == "hidden") {
    if (!py::isinstance<py::int_>(v) || py::isinstance<py::bool_>(v)) throw py::value_error("option hidden: expected an integer");
    o.hidden = v.cast<int>();
  } else if (key == "init" || key == "inner" || key == "policy" || key == "preset") {
    if (!py::isinstance<py::str>(v)) throw py::value_error(fmt::format("option {}: expected a name, got {}", key, std::string(py::repr(v))));
    (key == "init" ? r.init : key == "inner" ? r.inner : key == "policy" ? r.policy : r.preset) = v.cast<std::string>();
  } else if (key == "init_std") {
    o.init_std = v.cast<double>();
  } else if (key == "irnn_scale") {
    o.irnn_scale = v.cast<double>();
  } else if (key == "seed") {
    if (!py::isinstance<py::int_>(v) || v.cast<long long>() < 0) throw py::value_error("option seed: expected an integer >= 0");
    o.seed = v.cast<std::uint64_t>();
  } else if (key == "test_continues_from_train") {
    o.test_continues_from_train = v.cast<bool>();
  } else if (key.rfind("lambda", 0) == 0 && key.size() == 7 && key[6] >= '1' && key[6] <= '6') {
    double* f[] = {&o.regularization.lambda1, &o.regularization.lambda2, &o.regularization.lambda3,
                   &o.regularization.lambda4, &o.regularization.lambda5, &o.regularization.lambda6};
    *f[key[6] - '1'] = v.cast<double>();
  } else if (key == "initial_weights") {
    if (!v.is_none()) r.initial_weights = weights_from(v.cast<py::dict>());
  } else if (key == "scaling") {
    // What rnn.py applied (the data come scaled): for the options and the failure cause.
    if (!py::isinstance<py::str>(v) || !rnn::parse(v.cast<std::string>(), &r.spec.scaling))
      throw py::value_error("option scaling: expected 'none', 'standardize' or 'minmax'");
  } else if (key == "selection") {
    // Validation, early stopping, λ auto (docs/rnn.md §9) by their visit() names.
    for (const auto& kv : v.cast<py::dict>()) r.given.insert("selection." + std::string(py::str(kv.first)));
    apply_group(o.selection, v.cast<py::dict>(), "selection");
  } else {
    throw py::value_error(fmt::format("unknown option {}", key));
  }
  r.given.insert(key);
}

/// The option group `values` into `options`, each name given as "group.name".
template <class Options>
void request_group(rnn::TrainRequest& r, Options& options, const py::dict& values, const std::string& group) {
  for (const auto& kv : values) r.given.insert(group + "." + std::string(py::str(kv.first)));
  apply_group(options, values, group);
}

/// The train and test series as a data set in the units given (identity
/// scaling; columns x0.., y0.. as rnn.py names them).
rnn::RnnDataset dataset_from(const py::list& train_pairs, const py::object& test_pairs) {
  rnn::RnnDataset data;
  data.train = series_from(train_pairs, "train");
  if (!test_pairs.is_none()) data.test = series_from(test_pairs.cast<py::list>(), "test", data.train.d(), data.train.p());
  else {
    data.test.X.resize(data.train.d(), 0);
    data.test.Y.resize(data.train.p(), 0);
    data.test.omega.resize(0);
  }
  data.scaling.kind = rnn::Scaling::kNone;
  data.scaling.inputs = rnn::ColumnScaling::identity(data.train.d());
  data.scaling.targets = rnn::ColumnScaling::identity(data.train.p());
  for (int i = 0; i < data.train.d(); ++i) data.input_columns.push_back(fmt::format("x{}", i));
  for (int i = 0; i < data.train.p(); ++i) data.target_columns.push_back(fmt::format("y{}", i));
  return data;
}

/// rnn.train's result dict from the run's outputs.
py::dict train_dict(const rnn::ResolvedTrainRequest& r, const rnn::TrainOutputs& outputs) {
  const rnn::TrainResult& res = outputs.result;
  // The flat outcome as summary.json's (rnn::TrainSummary, core/record.h), then the rest.
  py::dict out = record_to_dict(rnn::train_summary(r.options, res));
  // The model: the best-validation weights with selection.validation (docs/rnn.md §9).
  out["weights"] = weights_to(outputs.model.weights);
  out["final_weights"] = weights_to(res.weights);
  out["initial_weights"] = weights_to(res.initial_weights);
  py::list hist;
  for (const auto& row : res.history) hist.append(record_to_dict(row));
  out["history"] = hist;
  // As `almkit train`'s exit code 3 (docs/interruption.md §4): rnn.py warns.
  out["failed"] = outputs.failed;
  out["failure_cause"] = outputs.failure_cause;
  if (r.data.test.T() == 0) out["test_mse"] = std::numeric_limits<double>::quiet_NaN();
  {
    nlohmann::json sel;
    rnn::add_selection_json(res, &sel);
    out["validation"] = json_to_python(sel["validation"]);
    out["lambda_selection"] = json_to_python(sel["lambda_selection"]);
  }
  out["kkt"] = record_to_dict(res.kkt_alm);
  out["kkt_bptt"] = record_to_dict(res.kkt_bptt);
  out["test_continues_from_train"] = outputs.model.test_continues_from_train;  // the mode of test_mse (docs/rnn.md §9)
  out["regularization"] = regularization_to(outputs.model.regularization);
  out["options"] = json_to_python(outputs.model.options);
  return out;
}

/// rnn.train: `settings` holds hidden, init, init_std, irnn_scale, seed,
/// inner, policy, preset, test_continues_from_train, lambda1..6,
/// initial_weights, scaling, selection; `alm`, `bcd`, `lbfgs`, `rollout`,
/// `parallel` the option groups by their visit() names. One training request, resolved and
/// run as `almkit train` does (rnn_train_request.h).
py::dict rnn_train(py::list train_pairs, py::object test_pairs, py::dict settings, py::dict alm, py::dict bcd,
                   py::dict lbfgs, py::dict rollout, py::object callback, py::dict parallel) {
  rnn::TrainRequest req;
  for (const auto& kv : settings) set_setting(req, py::str(kv.first), kv.second);
  for (const auto& kv : alm) {
    const std::string key = py::str(kv.first);
    if (!set_option(req.options.alm, key, kv.second, "")) throw py::value_error(fmt::format("unknown option {}", key));
    req.given.insert("alm." + key);
  }
  request_group(req, req.options.bcd, bcd, "bcd");
  request_group(req, req.options.lbfgs, lbfgs, "lbfgs");
  request_group(req, req.options.rollout, rollout, "rollout");
  request_group(req, req.options.parallel, parallel, "parallel");
  req.data = dataset_from(train_pairs, test_pairs);
  req.min_train_steps = 1;         // any series (the CLI's minimum guards its CSV files)
  req.compute_baselines = false;   // almkit train's summary.json has them; rnn.train returns the model
  rnn::ResolvedTrainRequest r;
  try {
    r = rnn::resolve(std::move(req));
  } catch (const rnn::TrainRequestError& e) {
    throw py::value_error(e.what());
  }
  std::optional<py::error_already_set> callback_error;
  rnn::TrainHooks hooks;
  hooks.on_row = [&](const rnn::TrainHistoryRow& row) -> bool {
    py::gil_scoped_acquire gil;
    try {
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
      if (!callback.is_none()) {
        const py::object ret = callback(record_to_dict(row));
        if (!ret.is_none() && !ret.cast<bool>()) return false;
      }
    } catch (py::error_already_set& e) {
      callback_error.emplace(std::move(e));
      return false;
    }
    return true;
  };
  rnn::TrainOutputs outputs;
  {
    py::gil_scoped_release release;
    outputs = rnn::run_training(r, hooks);
  }
  if (callback_error) throw std::move(*callback_error);
  return train_dict(r, outputs);
}

/// Predictions (T, p) of weights on X (T, d) from h_0 = 0 (or h0).
py::array_t<double> rnn_predict(py::dict weights, py::object X_obj, py::object h0) {
  const rnn::RnnWeights w = weights_from(weights);
  rnn::RnnSeries s;
  const Matrix X = matrix_from(X_obj, -1, w.V.cols(), "X");
  require_finite(X, "X");
  s.X = X.transpose();
  s.Y = Matrix::Zero(w.A.rows(), X.rows());
  s.omega = Vector::Ones(X.rows());
  Vector h;
  if (!h0.is_none()) {
    h = vector_from(h0, w.m(), "h0");
    require_finite(h, "h0");
  }
  const Matrix Yhat = rnn::predict_series(w, s, h0.is_none() ? nullptr : &h);
  return to_numpy(Matrix(Yhat.transpose()));
}

/// F(θ), its BPTT gradient (dict of arrays) and the MSE on the given series.
py::dict rnn_objective(py::dict weights, py::list pairs, py::dict reg) {
  const rnn::RnnWeights w = weights_from(weights);
  const rnn::RnnSeries s = series_from(pairs, "data", w.V.cols(), w.A.rows());
  rnn::RnnWeights grad;
  const rnn::ReducedValue v = rnn::reduced_objective(w, s, regularization_from(reg), {}, &grad);
  py::dict out;
  out["objective"] = v.value;
  out["loss"] = v.loss;
  out["gradient"] = weights_to(grad);
  double gi = 0.0;
  for (const Matrix* M : {&grad.W, &grad.V, &grad.A}) gi = std::max(gi, M->cwiseAbs().maxCoeff());
  for (const Vector* b : {&grad.b, &grad.c}) gi = std::max(gi, b->cwiseAbs().maxCoeff());
  out["grad_inf"] = gi;
  out["mse"] = rnn::mean_squared_error(rnn::predict_series(w, s), s);
  return out;
}

void rnn_save(const std::string& path, py::dict weights, py::dict reg, py::dict scaling, py::list inputs,
              py::list targets, bool univariate, bool test_continues, const std::string& options_json) {
  rnn::RnnModel m;
  m.weights = weights_from(weights);
  m.regularization = regularization_from(reg);
  const std::string kind = scaling["kind"].cast<std::string>();
  if (!rnn::parse(kind, &m.scaling.kind)) throw py::value_error(fmt::format("scaling: unknown kind '{}'", kind));
  m.scaling.inputs.offset = vector_from(scaling["input_offset"], m.weights.V.cols(), "scaling input_offset");
  m.scaling.inputs.scale = vector_from(scaling["input_scale"], m.weights.V.cols(), "scaling input_scale");
  m.scaling.targets.offset = vector_from(scaling["target_offset"], m.weights.A.rows(), "scaling target_offset");
  m.scaling.targets.scale = vector_from(scaling["target_scale"], m.weights.A.rows(), "scaling target_scale");
  for (const auto& s : inputs) m.input_columns.push_back(py::str(s));
  for (const auto& s : targets) m.target_columns.push_back(py::str(s));
  m.univariate = univariate;
  m.test_continues_from_train = test_continues;
  m.options = nlohmann::json::parse(options_json);
  try {
    rnn::save_model(m, path);
  } catch (const std::exception& e) {
    throw py::value_error(e.what());
  }
}

py::dict rnn_load(const std::string& path) {
  rnn::RnnModel m;
  try {
    m = rnn::load_model(path);
  } catch (const std::invalid_argument& e) {
    throw py::value_error(e.what());
  }
  py::dict out;
  out["weights"] = weights_to(m.weights);
  out["regularization"] = regularization_to(m.regularization);
  py::dict sc;
  sc["kind"] = rnn::to_string(m.scaling.kind);
  sc["input_offset"] = to_numpy(m.scaling.inputs.offset);
  sc["input_scale"] = to_numpy(m.scaling.inputs.scale);
  sc["target_offset"] = to_numpy(m.scaling.targets.offset);
  sc["target_scale"] = to_numpy(m.scaling.targets.scale);
  out["scaling"] = sc;
  out["input_columns"] = m.input_columns;
  out["target_columns"] = m.target_columns;
  out["univariate"] = m.univariate;
  out["test_continues_from_train"] = m.test_continues_from_train;
  out["options"] = json_to_python(m.options);
  return out;
}

}  // namespace

PYBIND11_MODULE(_core, mod) {
  mod.doc() = "Compiled core of the almkit Python package (docs/python.md); use the package almkit.";
  // The CMake project version (python/CMakeLists.txt), as `almkit --version`.
  mod.attr("__version__") = ALMKIT_VERSION;

  py::class_<ProblemHandle>(mod, "ProblemHandle")
      .def_property_readonly("name", [](const ProblemHandle& h) { return h.problem->name(); })
      .def_property_readonly("description", [](const ProblemHandle& h) { return h.description; })
      .def_property_readonly("num_variables", [](const ProblemHandle& h) { return h.problem->num_variables(); })
      .def_property_readonly("num_equalities", [](const ProblemHandle& h) { return h.problem->num_equalities(); })
      .def_property_readonly("num_inequalities", [](const ProblemHandle& h) { return h.problem->num_inequalities(); })
      .def_property_readonly("x0", [](const ProblemHandle& h) { return to_numpy(h.problem->initial_point()); })
      .def_property_readonly("lower", [](const ProblemHandle& h) { return to_numpy(h.problem->lower_bounds()); })
      .def_property_readonly("upper", [](const ProblemHandle& h) { return to_numpy(h.problem->upper_bounds()); })
      .def_property_readonly("known_optimal_value",
                             [](const ProblemHandle& h) -> py::object {
                               const auto v = h.problem->known_optimal_value();
                               return v ? py::object(py::float_(*v)) : py::object(py::none());
                             })
      .def("evaluate",
           [](const ProblemHandle& h, const std::string& what, py::object x_obj, py::object y_obj) -> py::object {
             const auto& p = *h.problem;
             const Vector x = vector_from(x_obj, p.num_variables(), "x");
             py::object out;
             if (what == "f") {
               out = py::float_(p.eval_f(x));
             } else if (what == "grad") {
               Vector g(p.num_variables());
               p.eval_grad_f(x, g);
               out = to_numpy(g);
             } else if (what == "c") {
               Vector c(p.num_equalities());
               p.eval_c(x, c);
               out = to_numpy(c);
             } else if (what == "g") {
               Vector g(p.num_inequalities());
               p.eval_g(x, g);
               out = to_numpy(g);
             } else if (what == "jac_c") {
               out = to_numpy(p.eval_jac_c(x));
             } else if (what == "jac_g") {
               out = to_numpy(p.eval_jac_g(x));
             } else if (what == "jac_c_t" || what == "jac_g_t") {
               const bool eq = what == "jac_c_t";
               const Vector y = vector_from(y_obj, eq ? p.num_equalities() : p.num_inequalities(), "y");
               Vector o(p.num_variables());
               if (eq) p.eval_jac_c_t_prod(x, y, o);
               else p.eval_jac_g_t_prod(x, y, o);
               out = to_numpy(o);
             } else {
               throw py::value_error(fmt::format("evaluate: unknown function '{}'", what));
             }
             h.rethrow_pending();
             return out;
           },
           py::arg("what"), py::arg("x"), py::arg("y") = py::none())
      .def("counters", [](const ProblemHandle& h) { return record_to_dict(h.problem->counters()); });

  mod.def("make_problem", &make_python_problem, py::arg("name"), py::arg("f"), py::arg("grad"), py::arg("x0"),
          py::arg("c"), py::arg("jac_c"), py::arg("jac_c_t"), py::arg("g"), py::arg("jac_g"), py::arg("jac_g_t"),
          py::arg("lower"), py::arg("upper"), py::arg("num_equalities"), py::arg("num_inequalities"));
  mod.def("builtin_problem", &builtin_problem, py::arg("name"));
  mod.def("builtin_problems", [] {
    py::list out;
    for (const auto& e : builtin_problems()) out.append(py::make_tuple(e.name, e.description));
    return out;
  });
  mod.def("solve", &solve, py::arg("problem"), py::arg("inner"), py::arg("alm"), py::arg("lbfgs"), py::arg("bcd"),
          py::arg("lbfgsb"), py::arg("newton"), py::arg("x0"), py::arg("multipliers"), py::arg("callback"));
  mod.def("verify", &verify, py::arg("problem"), py::arg("x"), py::arg("multipliers"), py::arg("options"),
          py::arg("nnamcq"));
  mod.def("alm_options", [] { return describe_options(AlmOptions{}); });
  mod.def("lbfgs_options", [] { return describe_options(LbfgsOptions{}); });
  mod.def("bcd_options", [] { return describe_options(BcdOptions{}); });
  mod.def("lbfgsb_options", [] { return describe_options(LbfgsbOptions{}); });
  mod.def("newton_options", [] { return describe_options(NewtonCgOptions{}); });
  mod.def("default_inner_solver", [] { return default_inner_solver_name(); });
  mod.def("train_defaults", [] {
    const auto o = rnn::TrainOptions::defaults();
    py::dict d;
    d["alm"] = describe_options(o.alm);
    d["bcd"] = describe_options(o.bcd);
    d["lbfgs"] = describe_options(o.lbfgs);
    d["rollout"] = describe_options(o.rollout);
    d["parallel"] = describe_options(o.parallel);
    d["selection"] = describe_options(o.selection);
    return d;
  });
  // RolloutOptions::plain(): rnn.train(preset="plain"), as `almkit train --preset plain`.
  mod.def("rollout_plain_options", [] { return describe_options(rnn::RolloutOptions::plain()); });
  mod.def("inner_solver_names", &inner_solver_names);
  mod.def("record_fields", &record_field_lists);
  mod.def("rnn_train", &rnn_train, py::arg("train"), py::arg("test"), py::arg("settings"), py::arg("alm"),
          py::arg("bcd"), py::arg("lbfgs"), py::arg("rollout"), py::arg("callback"), py::arg("parallel") = py::dict());
  mod.def("rnn_predict", &rnn_predict, py::arg("weights"), py::arg("X"), py::arg("h0") = py::none());
  mod.def("rnn_objective", &rnn_objective, py::arg("weights"), py::arg("data"), py::arg("regularization"));
  mod.def("rnn_save", &rnn_save);
  mod.def("rnn_load", &rnn_load, py::arg("path"));
  // ColumnScaling::fit on values (T, k), for rnn.train(scaling=...) (rnn_data.h).
  mod.def("fit_scaling", [](const std::string& kind, py::object values) {
    rnn::Scaling k;
    if (!rnn::parse(kind, &k)) throw py::value_error(fmt::format("option scaling: unknown scaling '{}' (none | standardize | minmax)", kind));
    const Matrix V = matrix_from(values, -1, -1, "scaling data");
    require_finite(V, "scaling data");
    const rnn::ColumnScaling sc = rnn::ColumnScaling::fit(k, V.transpose());
    return py::make_tuple(to_numpy(sc.offset), to_numpy(sc.scale));
  }, py::arg("kind"), py::arg("values"));
}
