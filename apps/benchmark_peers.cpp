// Reference solvers of `almkit benchmark`: see benchmark_peers.h and
// docs/benchmark.md "Reference solvers" for the settings used.
#include "benchmark_peers.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <fmt/core.h>

#ifdef ALMKIT_HAVE_NLOPT
#include <nlopt.h>
#endif
#ifdef ALMKIT_HAVE_IPOPT
#include <IpStdCInterface.h>
#endif

namespace almkit::cli {

namespace {

Vector projected_start(const ConstrainedProblem& p) {
  return p.initial_point().cwiseMax(p.lower_bounds()).cwiseMin(p.upper_bounds());
}

#ifdef ALMKIT_HAVE_NLOPT
// NLopt callbacks: f with ∇f; c and g as vector constraints with row-major
// Jacobians (grad[i n + k] = ∂c_i/∂x_k).
double nlopt_objective(unsigned n, const double* x, double* grad, void* data) {
  const auto& p = *static_cast<const ConstrainedProblem*>(data);
  const Eigen::Map<const Vector> xv(x, n);
  if (grad == nullptr) return p.eval_f(xv);
  Eigen::Map<Vector> g(grad, n);
  return p.eval_grad_f(xv, g);
}

template <bool kEquality>
void nlopt_constraints(unsigned m, double* result, unsigned n, const double* x, double* grad, void* data) {
  const auto& p = *static_cast<const ConstrainedProblem*>(data);
  const Eigen::Map<const Vector> xv(x, n);
  Eigen::Map<Vector> r(result, m);
  if constexpr (kEquality) p.eval_c(xv, r);
  else p.eval_g(xv, r);
  if (grad != nullptr) {
    const Matrix J = kEquality ? p.eval_jac_c(xv) : p.eval_jac_g(xv);
    Eigen::Map<Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(grad, m, n) = J;
  }
}

PeerResult run_nlopt(bool auglag, const ConstrainedProblem& p, const PeerOptions& o) {
  const unsigned n = static_cast<unsigned>(p.num_variables());
  const Vector lo = p.lower_bounds(), up = p.upper_bounds();
  nlopt_opt opt = nlopt_create(auglag ? NLOPT_AUGLAG : NLOPT_LD_SLSQP, n);
  nlopt_opt local = nullptr;
  nlopt_set_min_objective(opt, nlopt_objective, const_cast<ConstrainedProblem*>(&p));
  nlopt_set_lower_bounds(opt, lo.data());
  nlopt_set_upper_bounds(opt, up.data());
  const std::vector<double> tol_eq(static_cast<size_t>(p.num_equalities()), 1e-8);
  const std::vector<double> tol_in(static_cast<size_t>(p.num_inequalities()), 1e-8);
  if (p.num_equalities() > 0)
    nlopt_add_equality_mconstraint(opt, static_cast<unsigned>(p.num_equalities()), nlopt_constraints<true>,
                                   const_cast<ConstrainedProblem*>(&p), tol_eq.data());
  if (p.num_inequalities() > 0)
    nlopt_add_inequality_mconstraint(opt, static_cast<unsigned>(p.num_inequalities()), nlopt_constraints<false>,
                                     const_cast<ConstrainedProblem*>(&p), tol_in.data());
  // docs/benchmark.md "Reference solvers": relative x and f tolerances.
  nlopt_set_xtol_rel(opt, 1e-10);
  nlopt_set_ftol_rel(opt, 1e-12);
  nlopt_set_maxeval(opt, static_cast<int>(o.max_evaluations));
  nlopt_set_maxtime(opt, o.time_limit_seconds);
  if (auglag) {
    local = nlopt_create(NLOPT_LD_LBFGS, n);
    nlopt_set_xtol_rel(local, 1e-10);
    nlopt_set_ftol_rel(local, 1e-12);
    nlopt_set_maxeval(local, static_cast<int>(o.max_evaluations));
    nlopt_set_local_optimizer(opt, local);
  }
  Vector x = projected_start(p);
  double f = 0.0;
  const nlopt_result r = nlopt_optimize(opt, x.data(), &f);
  if (local != nullptr) nlopt_destroy(local);
  nlopt_destroy(opt);
  return {x, nlopt_result_to_string(r)};
}
#endif

#ifdef ALMKIT_HAVE_IPOPT
// Ipopt's constraints: [c; g] with bounds [0, 0] and [-inf, 0], dense Jacobian.
struct IpoptData {
  const ConstrainedProblem* p;
};

Bool ipopt_f(Index n, Number* x, Bool, Number* f, UserDataPtr data) {
  *f = static_cast<IpoptData*>(data)->p->eval_f(Eigen::Map<const Vector>(x, n));
  return std::isfinite(*f) ? TRUE : FALSE;
}
Bool ipopt_grad(Index n, Number* x, Bool, Number* grad, UserDataPtr data) {
  Eigen::Map<Vector> g(grad, n);
  static_cast<IpoptData*>(data)->p->eval_grad_f(Eigen::Map<const Vector>(x, n), g);
  return g.allFinite() ? TRUE : FALSE;
}
Bool ipopt_g(Index n, Number* x, Bool, Index m, Number* out, UserDataPtr data) {
  const auto& p = *static_cast<IpoptData*>(data)->p;
  const Eigen::Map<const Vector> xv(x, n);
  Eigen::Map<Vector> r(out, m);
  if (p.num_equalities() > 0) p.eval_c(xv, r.head(p.num_equalities()));
  if (p.num_inequalities() > 0) p.eval_g(xv, r.tail(p.num_inequalities()));
  return r.allFinite() ? TRUE : FALSE;
}
Bool ipopt_jac(Index n, Number* x, Bool, Index m, Index, Index* row, Index* col, Number* values, UserDataPtr data) {
  if (values == nullptr) {  // structure: dense, row by row
    for (Index i = 0, k = 0; i < m; ++i)
      for (Index j = 0; j < n; ++j, ++k) row[k] = i, col[k] = j;
    return TRUE;
  }
  const auto& p = *static_cast<IpoptData*>(data)->p;
  const Eigen::Map<const Vector> xv(x, n);
  Matrix J(m, n);
  if (p.num_equalities() > 0) J.topRows(p.num_equalities()) = p.eval_jac_c(xv);
  if (p.num_inequalities() > 0) J.bottomRows(p.num_inequalities()) = p.eval_jac_g(xv);
  Eigen::Map<Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(values, m, n) = J;
  return J.allFinite() ? TRUE : FALSE;
}

// Never called with hessian_approximation = limited-memory, but Ipopt 3.11's
// C interface refuses a null Hessian callback.
Bool ipopt_no_hessian(Index, Number*, Bool, Number, Index, Number*, Bool, Index, Index*, Index*, Number*, UserDataPtr) {
  return FALSE;
}

const char* ipopt_status_name(int s) {
  switch (s) {
    case 0: return "Solve_Succeeded";
    case 1: return "Solved_To_Acceptable_Level";
    case 2: return "Infeasible_Problem_Detected";
    case 3: return "Search_Direction_Becomes_Too_Small";
    case 4: return "Diverging_Iterates";
    case 5: return "User_Requested_Stop";
    case 6: return "Feasible_Point_Found";
    case -1: return "Maximum_Iterations_Exceeded";
    case -2: return "Restoration_Failed";
    case -3: return "Error_In_Step_Computation";
    case -4: return "Maximum_CpuTime_Exceeded";
    case -10: return "Not_Enough_Degrees_Of_Freedom";
    case -11: return "Invalid_Problem_Definition";
    case -13: return "Invalid_Number_Detected";
    default: return "Ipopt_Error";
  }
}

PeerResult run_ipopt(const ConstrainedProblem& p, const PeerOptions& o) {
  const Index n = p.num_variables(), me = p.num_equalities(), mi = p.num_inequalities(), m = me + mi;
  Vector lo = p.lower_bounds().cwiseMax(-1e20), up = p.upper_bounds().cwiseMin(1e20);
  Vector gl(m), gu(m);
  gl.head(me).setZero(), gu.head(me).setZero();
  gl.tail(mi).setConstant(-1e20), gu.tail(mi).setZero();
  IpoptProblem ip = CreateIpoptProblem(n, lo.data(), up.data(), m, gl.data(), gu.data(), m * n, 0, 0, ipopt_f,
                                       ipopt_g, ipopt_grad, ipopt_jac, ipopt_no_hessian);
  if (ip == nullptr) return {projected_start(p), "Invalid_Problem_Definition"};
  AddIpoptStrOption(ip, const_cast<char*>("hessian_approximation"), const_cast<char*>("limited-memory"));
  AddIpoptStrOption(ip, const_cast<char*>("sb"), const_cast<char*>("yes"));
  AddIpoptIntOption(ip, const_cast<char*>("print_level"), 0);
  AddIpoptNumOption(ip, const_cast<char*>("tol"), 1e-8);
  AddIpoptIntOption(ip, const_cast<char*>("max_iter"), static_cast<Int>(std::max(1L, o.max_evaluations / 10)));
  AddIpoptNumOption(ip, const_cast<char*>("max_cpu_time"), o.time_limit_seconds);
  Vector x = projected_start(p), g(m), mult_g(m), zl(n), zu(n);
  double f = 0.0;
  IpoptData data{&p};
  const int status = IpoptSolve(ip, x.data(), g.data(), &f, mult_g.data(), zl.data(), zu.data(), &data);
  FreeIpoptProblem(ip);
  return {x, ipopt_status_name(status)};
}
#endif

}  // namespace

std::vector<std::string> known_peer_solver_names() { return {"nlopt-auglag", "nlopt-slsqp", "ipopt"}; }

std::vector<std::string> peer_solver_names() {
  std::vector<std::string> v;
#ifdef ALMKIT_HAVE_NLOPT
  v.push_back("nlopt-auglag");
  v.push_back("nlopt-slsqp");
#endif
#ifdef ALMKIT_HAVE_IPOPT
  v.push_back("ipopt");
#endif
  return v;
}

PeerResult run_peer(const std::string& name, const ConstrainedProblem& problem, const PeerOptions& options) {
#ifdef ALMKIT_HAVE_NLOPT
  if (name == "nlopt-auglag") return run_nlopt(true, problem, options);
  if (name == "nlopt-slsqp") return run_nlopt(false, problem, options);
#endif
#ifdef ALMKIT_HAVE_IPOPT
  if (name == "ipopt") return run_ipopt(problem, options);
#endif
  (void)problem, (void)options;
  throw std::invalid_argument(fmt::format("reference solver '{}' is not compiled into this almkit", name));
}

}  // namespace almkit::cli
