#include "almkit/study/benchmark_profile.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace almkit::benchmark {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
}  // namespace

bool is_solved(double f, double f_star, double violation) {
  return std::isfinite(f) && std::abs(f - f_star) <= 1e-6 * std::max(1.0, std::abs(f_star)) && violation <= 1e-6;
}

double evaluation_cost(const Row& r) { return std::max(1.0, static_cast<double>(r.gradient_evaluations)); }
double time_cost(const Row& r) { return std::max(1e-6, r.seconds); }

const Row* find_row(const std::vector<Row>& rows, const std::string& problem, const std::string& solver) {
  for (const auto& r : rows)
    if (r.problem == problem && r.solver == solver) return &r;
  return nullptr;
}

std::map<std::string, Total> totals(const std::vector<Row>& rows) {
  std::map<std::string, Total> t;
  for (const auto& r : rows) {
    auto& x = t[r.solver];
    x.solved += r.solved ? 1 : 0;
    x.evals += r.gradient_evaluations;
    x.hessian_evals += r.hessian_evaluations;
    x.seconds += r.seconds;
  }
  return t;
}

PerformanceProfile performance_profile(const std::vector<Row>& rows, const std::vector<std::string>& problems,
                                       const std::vector<std::string>& solvers, Cost cost) {
  PerformanceProfile pp{problems, solvers, std::vector<std::vector<double>>(solvers.size(),
                                                                            std::vector<double>(problems.size(), kInf))};
  for (std::size_t p = 0; p < problems.size(); ++p) {
    double best = kInf;
    for (const auto& r : rows)
      if (r.problem == problems[p] && r.solved) best = std::min(best, cost(r));
    if (!std::isfinite(best)) continue;
    for (std::size_t s = 0; s < solvers.size(); ++s) {
      const Row* r = find_row(rows, problems[p], solvers[s]);
      if (r != nullptr && r->solved) pp.ratios[s][p] = cost(*r) / best;
    }
  }
  return pp;
}

double PerformanceProfile::rho(std::size_t s, double tau) const {
  if (problems.empty()) return 0.0;
  const auto within = std::count_if(ratios[s].begin(), ratios[s].end(), [tau](double r) { return std::isfinite(r) && r <= tau; });
  return static_cast<double>(within) / static_cast<double>(problems.size());
}

std::vector<double> PerformanceProfile::sorted_finite_ratios(std::size_t s) const {
  std::vector<double> v;
  for (double r : ratios[s])
    if (std::isfinite(r)) v.push_back(r);
  std::sort(v.begin(), v.end());
  return v;
}

double PerformanceProfile::tau_max() const {
  double tau = 2.0;
  for (std::size_t s = 0; s < solvers.size(); ++s) {
    const auto v = sorted_finite_ratios(s);
    if (!v.empty()) tau = std::max(tau, 1.2 * v.back());
  }
  return tau;
}

std::vector<PerformanceProfile::Step> PerformanceProfile::steps(std::size_t s) const {
  const auto v = sorted_finite_ratios(s);
  const double num = static_cast<double>(problems.size());
  std::size_t count = 0;
  while (count < v.size() && v[count] <= 1.0) ++count;
  std::vector<Step> out{{1.0, static_cast<double>(count) / num}};
  for (std::size_t i = count; i < v.size(); ++i) out.push_back({v[i], static_cast<double>(i + 1) / num});
  out.push_back({tau_max(), static_cast<double>(v.size()) / num});
  return out;
}

std::optional<Versus> versus(const std::vector<Row>& rows, const std::vector<std::string>& problems,
                             const std::vector<std::string>& solvers, const std::string& ours,
                             const std::string& theirs) {
  const auto has = [&](const std::string& s) { return std::find(solvers.begin(), solvers.end(), s) != solvers.end(); };
  if (!has(ours) || !has(theirs)) return std::nullopt;
  Versus v;
  for (const auto& p : problems) {
    const Row *a = find_row(rows, p, ours), *b = find_row(rows, p, theirs);
    if (a == nullptr || b == nullptr) continue;
    v.ours_evaluations += a->gradient_evaluations;
    v.theirs_evaluations += b->gradient_evaluations;
    if (b->solved && !a->solved) v.solved_by_theirs_only.push_back(p);
    if (b->solved) {
      const double ratio = evaluation_cost(*a) / evaluation_cost(*b);
      if (ratio > v.largest_ratio) v.largest_ratio = ratio, v.largest_ratio_problem = p;
    }
  }
  return v;
}

}  // namespace almkit::benchmark
