// Hock–Schittkowski problem 71, defined in a few lines and solved by the ALM.
#include <cstdio>

#include <almkit/core/alm.h>
#include <almkit/core/autodiff_problem.h>
#include <almkit/solvers/lbfgs/ceres_lbfgs.h>

struct Hs071 {
  int num_variables() const { return 4; }
  int num_equalities() const { return 1; }
  int num_inequalities() const { return 1; }
  almkit::Vector initial_point() const { return almkit::Vector::Constant(4, 1.0).cwiseProduct(Eigen::Vector4d(1, 5, 5, 1)); }
  almkit::Vector lower_bounds() const { return almkit::Vector::Constant(4, 1.0); }
  almkit::Vector upper_bounds() const { return almkit::Vector::Constant(4, 5.0); }
  template <class T> T objective(const T* x) const { return x[0] * x[3] * (x[0] + x[1] + x[2]) + x[2]; }
  template <class T> void equalities(const T* x, T* c) const {
    c[0] = x[0] * x[0] + x[1] * x[1] + x[2] * x[2] + x[3] * x[3] - 40.0;
  }
  template <class T> void inequalities(const T* x, T* g) const { g[0] = 25.0 - x[0] * x[1] * x[2] * x[3]; }
};

int main() {
  auto problem = almkit::make_autodiff_problem(Hs071{}, "hs071");
  almkit::CeresLbfgsSolver inner;
  const almkit::AlmSummary s = almkit::solve_alm(problem, inner);
  std::printf("%s\n", s.BriefReport().c_str());
  std::printf("x = %.6f %.6f %.6f %.6f, lambda = %.6f, mu = %.6f\n", s.x[0], s.x[1], s.x[2], s.x[3], s.lambda[0], s.mu[0]);
  return s.status == almkit::AlmStatus::kConverged && std::abs(s.objective - 17.0140173) < 1e-6 ? 0 : 1;
}
