// Scalable families at growing n (docs/benchmark.md "Scalable families"):
// derivative costs of the element problems against the dense forward-mode
// autodiff, and solves by the ALM (inner lbfgsb and newton) beside Ipopt with
// exact Hessians (sparse triplets, MUMPS) when built with Ipopt.
//
//   bench_scale [FAMILY[,FAMILY…]] [N[,N…]] [TIME_LIMIT_SECONDS]
//   defaults: every family, 100,1000,10000,100000,1000000, 120
//
// Prints one row per (family, n, solver): status, f, |f − f*| (or f − best),
// wall time, gradients, Hessian(-vector) products, and the peak RSS of the
// process so far (sizes run in increasing order, so it is that size's peak).
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "almkit/core/alm.h"
#include "almkit/core/autodiff_problem.h"
#include "almkit/problems/scalable/scalable_problems.h"
#include "almkit/solvers/inner_solver_factory.h"

#ifdef ALMKIT_HAVE_IPOPT
#include <coin/IpStdCInterface.h>
#endif

using namespace almkit;

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;
}
std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(item);
  return out;
}

template <class F>
double seconds_per_call(F&& f) {
  int reps = 1;
  for (;;) {
    const double t0 = now();
    for (int r = 0; r < reps; ++r) f();
    const double dt = now() - t0;
    if (dt > 0.2 || reps > (1 << 20)) return dt / reps;
    reps *= 4;
  }
}

void derivative_costs(const std::vector<int>& sizes) {
  std::printf("# gradient of chain_rosenbrock: element problem against make_autodiff_problem (dense forward mode)\n");
  std::printf("%10s %14s %14s %14s %10s\n", "n", "element [ms]", "dense [ms]", "Hv elem [ms]", "ratio");
  for (int n : sizes) {
    const auto p = make_chain_rosenbrock(n);
    const Vector x = p->initial_point(), v = Vector::Ones(n), y = Vector::Ones(1);
    Vector g(n), hv(n);
    const double te = seconds_per_call([&] { p->eval_grad_f(x, g); });
    // A new point each time: the Hessian assembly is included.
    Vector xs = x;
    const double th = seconds_per_call([&] {
      xs[0] += 1e-9;
      p->eval_lagrangian_hess_prod(xs, 1.0, y, Vector(), v, hv);
    });
    double td = -1.0;
    if (n <= 10000) {
      auto d = make_autodiff_problem(ChainRosenbrockFunctor{n});
      td = seconds_per_call([&] { d.eval_grad_f(x, g); });
    }
    std::printf("%10d %14.4f %14s %14.4f %10s\n", n, 1e3 * te, td < 0 ? "-" : std::to_string(1e3 * td).c_str(), 1e3 * th,
                td < 0 ? "-" : std::to_string(td / te).c_str());
  }
}

#ifdef ALMKIT_HAVE_IPOPT
// Ipopt with exact second derivatives: the Jacobian's and the Hessian's
// sparsity from the element structure (every element's K×K block).
struct IpoptScale {
  const ElementProblem* p;
  Eigen::SparseMatrix<double> jac_pattern;   // rows [c; g]
  std::vector<int> h_row, h_col;              // lower triangle of the union of element blocks
  long hessians = 0;                          // Hessian evaluations (ip_h with values)
};
Bool ip_f(Index n, Number* x, Bool, Number* f, UserDataPtr d) {
  *f = static_cast<IpoptScale*>(d)->p->eval_f(Eigen::Map<const Vector>(x, n));
  return TRUE;
}
Bool ip_grad(Index n, Number* x, Bool, Number* g, UserDataPtr d) {
  Eigen::Map<Vector> gm(g, n);
  static_cast<IpoptScale*>(d)->p->eval_grad_f(Eigen::Map<const Vector>(x, n), gm);
  return TRUE;
}
Bool ip_g(Index n, Number* x, Bool, Index m, Number* out, UserDataPtr d) {
  const auto& p = *static_cast<IpoptScale*>(d)->p;
  Eigen::Map<Vector> r(out, m);
  const Eigen::Map<const Vector> xv(x, n);
  if (p.num_equalities() > 0) p.eval_c(xv, r.head(p.num_equalities()));
  if (p.num_inequalities() > 0) p.eval_g(xv, r.tail(p.num_inequalities()));
  return TRUE;
}
Bool ip_jac(Index n, Number* x, Bool, Index, Index, Index* row, Index* col, Number* values, UserDataPtr d) {
  auto& s = *static_cast<IpoptScale*>(d);
  if (values == nullptr) {
    Index k = 0;
    for (int j = 0; j < s.jac_pattern.outerSize(); ++j)
      for (Eigen::SparseMatrix<double>::InnerIterator it(s.jac_pattern, j); it; ++it, ++k) row[k] = it.row(), col[k] = j;
    return TRUE;
  }
  const Eigen::Map<const Vector> xv(x, n);
  Eigen::SparseMatrix<double> J = s.p->eval_jac_c_sparse(xv);  // equality-only families here
  Index k = 0;
  for (int j = 0; j < s.jac_pattern.outerSize(); ++j)
    for (Eigen::SparseMatrix<double>::InnerIterator it(s.jac_pattern, j); it; ++it, ++k) values[k] = J.coeff(it.row(), j);
  return TRUE;
}
Bool ip_h(Index n, Number* x, Bool, Number sigma, Index m, Number* lambda, Bool, Index nele, Index* row, Index* col,
          Number* values, UserDataPtr d) {
  auto& s = *static_cast<IpoptScale*>(d);
  if (values == nullptr) {
    for (Index k = 0; k < nele; ++k) row[k] = s.h_row[k], col[k] = s.h_col[k];
    return TRUE;
  }
  ++s.hessians;
  const Eigen::SparseMatrix<double>& H =
      s.p->lagrangian_hessian(Eigen::Map<const Vector>(x, n), sigma, Eigen::Map<const Vector>(lambda, m), Vector());
  for (Index k = 0; k < nele; ++k) values[k] = H.coeff(s.h_row[k], s.h_col[k]);
  return TRUE;
}

struct IpoptRun {
  int status;
  double f, seconds;
  long gradients, hessians;
};

IpoptRun run_ipopt(const ElementProblem& p, double time_limit) {
  const int n = p.num_variables(), m = p.num_equalities();
  IpoptScale s{&p, {}, {}, {}, 0};
  // The Jacobian pattern at a random point (element gradients are generically nonzero).
  Vector xr = Vector::Random(n);
  s.jac_pattern = p.eval_jac_c_sparse(xr);
  s.jac_pattern.makeCompressed();
  const Eigen::SparseMatrix<double> H = p.lagrangian_hessian(xr, 1.0, Vector::Ones(m), Vector());
  for (int j = 0; j < H.outerSize(); ++j)
    for (Eigen::SparseMatrix<double>::InnerIterator it(H, j); it; ++it)
      if (it.row() >= j) s.h_row.push_back(static_cast<int>(it.row())), s.h_col.push_back(j);
  Vector lo = p.lower_bounds().cwiseMax(-1e20), up = p.upper_bounds().cwiseMin(1e20), gl = Vector::Zero(m), gu = Vector::Zero(m);
  IpoptProblem ip = CreateIpoptProblem(n, lo.data(), up.data(), m, gl.data(), gu.data(),
                                       static_cast<Index>(s.jac_pattern.nonZeros()), static_cast<Index>(s.h_row.size()), 0,
                                       ip_f, ip_g, ip_grad, ip_jac, ip_h);
  AddIpoptStrOption(ip, const_cast<char*>("sb"), const_cast<char*>("yes"));
  AddIpoptIntOption(ip, const_cast<char*>("print_level"), 0);
  AddIpoptNumOption(ip, const_cast<char*>("tol"), 1e-8);
  AddIpoptNumOption(ip, const_cast<char*>("max_cpu_time"), time_limit);
  Vector x = p.initial_point().cwiseMax(p.lower_bounds()).cwiseMin(p.upper_bounds()), g(m), mg(m), zl(n), zu(n);
  double f = 0.0;
  p.reset_counters();
  const double t0 = now();
  const int status = IpoptSolve(ip, x.data(), g.data(), &f, mg.data(), zl.data(), zu.data(), &s);
  const double dt = now() - t0;
  FreeIpoptProblem(ip);
  return {status, p.eval_f(x), dt, p.counters().gradient, s.hessians};
}
#endif

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> families;
  for (const auto& f : scalable_problems()) families.push_back(f.name);
  std::vector<int> sizes = {100, 1000, 10000, 100000, 1000000};
  if (argc > 1) families = split(argv[1]);
  if (argc > 2) {
    sizes.clear();
    for (const auto& s : split(argv[2])) sizes.push_back(std::stoi(s));
  }
  const double time_limit = argc > 3 ? std::stod(argv[3]) : 120.0;
  derivative_costs(sizes);
  std::printf("\n# solves (time limit %.0f s); Ipopt: exact Hessian, MUMPS, tol 1e-8; ALM: default options\n", time_limit);
  std::printf("%-17s %8s %-8s %-26s %16s %10s %9s %9s %9s %9s\n", "family", "n", "solver", "status", "f", "|f-f*|",
              "seconds", "grads", "Hess", "RSS MiB");
  for (const auto& name : families) {
    const ScalableProblemEntry* family = find_scalable_problem(name);
    if (family == nullptr) {
      std::fprintf(stderr, "bench_scale: unknown family '%s'\n", name.c_str());
      return 2;
    }
    for (int n : sizes) {
      const auto p = family->make(n);
      const double fstar = p->known_optimal_value().value_or(std::nan(""));
      for (const std::string inner_name : {std::string("lbfgsb"), std::string("newton")}) {
        auto inner = make_inner_solver(inner_name, *p);
        AlmOptions options;
        options.time_limit_seconds = time_limit;
        options.check_degeneracy = false;
        p->reset_counters();
        const AlmSummary s = solve_alm(*p, *inner, options);
        std::printf("%-17s %8d %-8s %-26s %16.10g %10.2e %9.3f %9ld %9ld %9.0f\n", name.c_str(), n, inner_name.c_str(),
                    to_string(s.status), s.objective, std::abs(s.objective - fstar), s.seconds, s.evaluations.gradient,
                    s.evaluations.hessian_prod, peak_rss_mib());
        std::fflush(stdout);
      }
#ifdef ALMKIT_HAVE_IPOPT
      const IpoptRun r = run_ipopt(*p, time_limit);
      std::printf("%-17s %8d %-8s %-26d %16.10g %10.2e %9.3f %9ld %9ld %9.0f\n", name.c_str(), n, "ipopt", r.status, r.f,
                  std::abs(r.f - fstar), r.seconds, r.gradients, r.hessians, peak_rss_mib());
      std::fflush(stdout);
#endif
    }
  }
  return 0;
}
