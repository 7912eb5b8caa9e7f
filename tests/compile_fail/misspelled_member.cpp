// Must NOT compile (tests/CMakeLists.txt, docs/problem.md "Checks"): the
// struct says it has one inequality but its member is misspelled
// `inequality`, which would otherwise drop the constraint silently. With
// -DALMKIT_SPELLED_RIGHT the same struct is correct and compiles (the control).
#include <almkit/core/autodiff_problem.h>

struct MisspelledMember {
  int num_variables() const { return 2; }
  int num_inequalities() const { return 1; }
  almkit::Vector initial_point() const { return almkit::Vector::Zero(2); }
  template <class T> T objective(const T* x) const { return x[0] * x[0] + x[1] * x[1]; }
#ifdef ALMKIT_SPELLED_RIGHT
  template <class T> void inequalities(const T* x, T* g) const { g[0] = 1.0 - x[0]; }
#else
  template <class T> void inequality(const T* x, T* g) const { g[0] = 1.0 - x[0]; }
#endif
};

int main() {
  auto problem = almkit::make_autodiff_problem(MisspelledMember{}, "misspelled");
  return problem.num_inequalities() == 1 ? 0 : 1;
}
