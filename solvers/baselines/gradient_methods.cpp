// Gradient baselines (update rules and budget in gradient_methods.h; docs/compare.md).
#include "almkit/solvers/baselines/gradient_methods.h"

#include <chrono>
#include <cmath>
#include <memory>
#include <stdexcept>

#include <ceres/ceres.h>

#include "almkit/solvers/lbfgs/ceres_options.h"

namespace almkit::baselines {

namespace {

struct MethodName {
  Method method;
  const char* name;
};
constexpr MethodName kNames[] = {{Method::kGd, "gd"},           {Method::kGdClip, "gd-clip"},
                                 {Method::kMomentum, "momentum"}, {Method::kNesterov, "nesterov"},
                                 {Method::kSgd, "sgd"},         {Method::kAdam, "adam"},
                                 {Method::kRmsprop, "rmsprop"}, {Method::kLbfgs, "lbfgs"}};

using Clock = std::chrono::steady_clock;

// The budget clock, history and divergence bookkeeping shared by every method.
class Run {
 public:
  Run(const Objective& f, const GradientOptions& o, const Monitor& monitor, GradientResult* r)
      : f_(f), o_(o), monitor_(monitor), r_(r), start_(Clock::now()) {}

  double seconds() const {
    return std::chrono::duration<double>(Clock::now() - start_).count() - excluded_;
  }
  // Counted oracle call; flags divergence unless `check` is false (L-BFGS
  // line-search trial points may overshoot: only accepted iterates count).
  double eval(const Vector& x, int batch, Vector* g, bool check = true) {
    r_->evaluations += batch < 0 ? 1.0 : 1.0 / f_.num_batches;
    const double v = f_.value_gradient(x, batch, g);
    if (check && !valid(v, g)) diverge();
    return v;
  }
  bool valid(double v, const Vector* g) const {
    return std::isfinite(v) && std::abs(v) <= o_.divergence_value && (g == nullptr || g->allFinite());
  }
  void diverge() {
    if (!r_->diverged) {
      r_->diverged = true;
      r_->diverged_at_seconds = seconds();
      r_->status = "diverged";
    }
  }
  // True when the run must stop (sets the status).
  bool out_of_budget() {
    if (r_->diverged) return true;
    if (o_.max_evaluations > 0 && r_->evaluations >= o_.max_evaluations - 1e-9) {
      r_->status = "budget_evaluations";
      return true;
    }
    if (seconds() >= o_.max_seconds) {
      r_->status = "budget_seconds";
      return true;
    }
    if (r_->iterations >= o_.max_iterations) {
      r_->status = "max_iterations";
      return true;
    }
    return false;
  }
  // A history point at iterations 0, 1, 2, 4, … , every record_every_seconds, or when forced.
  void maybe_record(const Vector& x, bool force = false) {
    const long k = r_->iterations;
    const bool geometric = k == 0 || (k & (k - 1)) == 0;
    const double now = seconds();
    if (!force && !geometric && now - last_record_ < o_.record_every_seconds) return;
    if (!r_->history.empty() && r_->history.back().iteration == k) return;
    const auto m0 = Clock::now();
    HistoryPoint p;
    p.seconds = now;
    p.evaluations = r_->evaluations;
    p.iteration = k;
    p.objective = f_.value_gradient(x, -1, nullptr);  // not counted: monitoring
    if (monitor_) monitor_(x, &p.train_mse, &p.test_mse);
    r_->history.push_back(p);
    last_record_ = now;
    excluded_ += std::chrono::duration<double>(Clock::now() - m0).count();
  }

 private:
  const Objective& f_;
  const GradientOptions& o_;
  const Monitor& monitor_;
  GradientResult* r_;
  Clock::time_point start_;
  double excluded_ = 0.0;
  double last_record_ = 0.0;
};

void first_order(const Objective& f, const GradientOptions& o, Run& run, GradientResult& r) {
  const Eigen::Index n = r.x.size();
  Vector x = r.x, g(n), v = Vector::Zero(n), s = Vector::Zero(n), y(n);
  Vector last_good = r.x;  // the last iterate whose value was finite and below divergence_value
  double b1k = 1.0, b2k = 1.0;  // β1^k, β2^k
  const double a = o.learning_rate;
  int window = 0;
  run.maybe_record(x, true);
  while (!run.out_of_budget()) {
    switch (o.method) {
      case Method::kNesterov:
        y = x - a * o.momentum * v;
        run.eval(y, -1, &g);
        break;
      case Method::kSgd:
        run.eval(x, f.num_batches > 1 ? window : -1, &g);
        window = (window + 1) % std::max(1, f.num_batches);
        break;
      default:
        run.eval(x, -1, &g);
    }
    if (r.diverged) {
      r.x = last_good;
      break;
    }
    last_good = x;
    if (o.gradient_tolerance > 0 && o.method != Method::kSgd && g.lpNorm<Eigen::Infinity>() <= o.gradient_tolerance) {
      r.status = "converged";
      break;
    }
    switch (o.method) {
      case Method::kGd:
      case Method::kSgd:
        x -= a * g;
        break;
      case Method::kGdClip: {
        const double norm = g.norm();
        x -= a * (norm > o.clip_norm ? o.clip_norm / norm : 1.0) * g;
        break;
      }
      case Method::kMomentum:
      case Method::kNesterov:
        v = o.momentum * v + g;
        x -= a * v;
        break;
      case Method::kAdam:
        b1k *= o.beta1;
        b2k *= o.beta2;
        v = o.beta1 * v + (1 - o.beta1) * g;
        s = o.beta2 * s + (1 - o.beta2) * g.cwiseAbs2();
        x.array() -= a * (v.array() / (1 - b1k)) / ((s.array() / (1 - b2k)).sqrt() + o.epsilon);
        break;
      case Method::kRmsprop:
        s = o.rho * s + (1 - o.rho) * g.cwiseAbs2();
        x.array() -= a * g.array() / (s.array().sqrt() + o.epsilon);
        break;
      case Method::kLbfgs:
        break;
    }
    if (!x.allFinite()) {
      run.diverge();
      break;
    }
    r.x = x;
    ++r.iterations;
    run.maybe_record(x);
  }
}

class CeresFunction final : public ceres::FirstOrderFunction {
 public:
  CeresFunction(Run* run, int n) : run_(run), n_(n), x_(n), g_(n) {}
  bool Evaluate(const double* parameters, double* cost, double* gradient) const override {
    x_ = Eigen::Map<const Vector>(parameters, n_);
    *cost = run_->eval(x_, -1, gradient ? &g_ : nullptr, /*check=*/false);
    if (gradient) Eigen::Map<Vector>(gradient, n_) = g_;
    // An invalid trial point is a failed evaluation: Ceres' line search backtracks.
    return run_->valid(*cost, gradient ? &g_ : nullptr);
  }
  int NumParameters() const override { return n_; }

 private:
  Run* run_;
  int n_;
  // Reused by every evaluation (no allocation per call); Evaluate is const in Ceres' interface.
  mutable Vector x_, g_;
};

class CeresCallback final : public ceres::IterationCallback {
 public:
  CeresCallback(Run* run, GradientResult* r, const double* params, double divergence_value)
      : run_(run), r_(r), params_(params), divergence_value_(divergence_value) {}
  ceres::CallbackReturnType operator()(const ceres::IterationSummary& s) override {
    if (s.iteration == 0) return ceres::SOLVER_CONTINUE;
    if (!std::isfinite(s.cost) || std::abs(s.cost) > divergence_value_) {  // an accepted iterate diverged
      run_->diverge();
      return ceres::SOLVER_TERMINATE_SUCCESSFULLY;
    }
    const Eigen::Map<const Vector> x(params_, r_->x.size());
    if (x.allFinite()) r_->x = x;
    r_->iterations = s.iteration;
    run_->maybe_record(r_->x);
    return run_->out_of_budget() ? ceres::SOLVER_TERMINATE_SUCCESSFULLY : ceres::SOLVER_CONTINUE;
  }

 private:
  Run* run_;
  GradientResult* r_;
  const double* params_;
  double divergence_value_;
};

void lbfgs(const GradientOptions& o, Run& run, GradientResult& r) {
  const int n = static_cast<int>(r.x.size());
  std::vector<double> params(r.x.data(), r.x.data() + n);
  run.maybe_record(r.x, true);
  ceres::GradientProblemSolver::Options co =
      lbfgs_solver_options(o.lbfgs_memory, o.max_iterations, o.max_seconds, o.gradient_tolerance);
  co.update_state_every_iteration = true;  // the callback reads the iterate
  CeresCallback callback(&run, &r, params.data(), o.divergence_value);
  co.callbacks.push_back(&callback);
  ceres::GradientProblem problem(new CeresFunction(&run, n));  // Ceres 2.1 takes ownership
  ceres::GradientProblemSolver::Summary summary;
  ceres::Solve(co, problem, params.data(), &summary);
  const Vector x = Eigen::Map<const Vector>(params.data(), n);
  if (!r.diverged && x.allFinite()) r.x = x;
  r.iterations = summary.iterations.empty() ? 0 : summary.iterations.back().iteration;
  if (r.diverged) return;
  if (r.status.empty()) {
    if (summary.termination_type == ceres::CONVERGENCE) r.status = "converged";
    else if (summary.message.find("time") != std::string::npos) r.status = "budget_seconds";
    else r.status = "lbfgs: " + summary.message;
  }
}

}  // namespace

const char* to_string(Method method) {
  for (const auto& e : kNames)
    if (e.method == method) return e.name;
  return "?";
}

bool parse(const std::string& text, Method* method) {
  for (const auto& e : kNames)
    if (text == e.name) {
      *method = e.method;
      return true;
    }
  return false;
}

bool has_learning_rate(Method method) { return method != Method::kLbfgs; }

void GradientOptions::validate() const {
  auto require = [](bool ok, const char* what) {
    if (!ok) throw std::invalid_argument(std::string("gradient method option: ") + what);
  };
  require(learning_rate > 0, "learning_rate must be > 0");
  require(clip_norm > 0, "clip_norm must be > 0");
  require(momentum >= 0 && momentum < 1, "momentum must be in [0, 1)");
  require(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1, "beta1, beta2 must be in [0, 1)");
  require(rho >= 0 && rho < 1, "rho must be in [0, 1)");
  require(epsilon >= 0, "epsilon must be >= 0");
  require(lbfgs_memory >= 1, "lbfgs_memory must be >= 1");
  require(max_seconds > 0, "max_seconds must be > 0");
  require(max_evaluations >= 0, "max_evaluations must be >= 0");
  require(max_iterations >= 0, "max_iterations must be >= 0");
  require(divergence_value > 0, "divergence_value must be > 0");
}

GradientResult minimize(const Objective& f, const Vector& x0, const GradientOptions& options, const Monitor& monitor) {
  options.validate();
  GradientResult r;
  r.x = x0;
  Run run(f, options, monitor, &r);
  if (options.method == Method::kLbfgs) lbfgs(options, run, r);
  else first_order(f, options, run, r);
  r.seconds = run.seconds();
  if (r.diverged) r.seconds = r.diverged_at_seconds;
  run.maybe_record(r.x, true);
  r.objective = f.value_gradient(r.x, -1, nullptr);
  return r;
}

}  // namespace almkit::baselines
