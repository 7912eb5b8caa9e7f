#include "almkit/core/alm_json.h"

#include "almkit/core/json_util.h"

#include <cmath>
#include <vector>

namespace almkit {

namespace {
// One conversion for every JSON writer (core/json_util.h).
nlohmann::json number(double v) { return json_number(v); }
nlohmann::json array(const Vector& v) { return json_array(v); }
}  // namespace

nlohmann::json kkt_to_json(const KktReport& kkt) {
  return {{"stationarity", number(kkt.stationarity)},
          {"infeasibility", number(kkt.infeasibility)},
          {"complementarity", number(kkt.complementarity)},
          {"sign_violation", number(kkt.sign_violation)},
          {"scaled_stationarity", number(kkt.scaled_stationarity)},
          {"multiplier_norm", number(kkt.multiplier_norm)}};
}

nlohmann::json summary_to_json(const AlmSummary& s) {
  nlohmann::json j;
  j["problem"] = s.problem_name;
  j["status"] = to_string(s.status);
  j["message"] = s.message;
  j["x"] = array(s.x);
  j["objective"] = number(s.objective);
  j["multipliers"] = {{"equality", array(s.lambda)}, {"inequality", array(s.mu)}, {"bounds", array(s.nu)}};
  j["kkt"] = kkt_to_json(s.kkt);
  const auto& e = s.evaluations;
  j["statistics"] = {{"outer_iterations", s.outer_iterations},
                     {"inner_iterations", s.inner_iterations},
                     {"inner_solver", s.inner_solver_name},
                     {"final_penalty", number(s.final_penalty)},
                     {"seconds", s.seconds},
                     {"evaluations",
                      {{"objective", e.objective},
                       {"gradient", e.gradient},
                       {"equalities", e.equalities},
                       {"inequalities", e.inequalities},
                       {"equality_jtprod", e.equality_jtprod},
                       {"inequality_jtprod", e.inequality_jtprod},
                       {"jacobian", e.jacobian}}}};
  j["best_feasible"] = s.has_best_feasible
                           ? nlohmann::json{{"objective", number(s.best_feasible_objective)}, {"x", array(s.best_feasible_x)}}
                           : nlohmann::json(nullptr);
  nlohmann::json hist = nlohmann::json::array();
  for (const auto& it : s.history)
    hist.push_back({{"iteration", it.iteration},
                    {"objective", number(it.objective)},
                    {"infeasibility", number(it.infeasibility)},
                    {"stationarity", number(it.stationarity)},
                    {"penalty", number(it.penalty)},
                    {"multiplier_norm", number(it.multiplier_norm)},
                    {"inner_tolerance", number(it.inner_tolerance)},
                    {"inner_iterations", it.inner.iterations},
                    {"inner_status", to_string(it.inner.status)},
                    {"seconds", it.seconds}});
  j["history"] = hist;
  j["options"] = options_to_json(s.options);
  return j;
}

}  // namespace almkit
