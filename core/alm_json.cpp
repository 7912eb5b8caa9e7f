#include "almkit/core/alm_json.h"

#include "almkit/core/json_util.h"
#include "almkit/core/record.h"

#include <cmath>
#include <vector>

namespace almkit {

namespace {
// One conversion for every JSON writer (core/json_util.h).
nlohmann::json array(const Vector& v) { return json_array(v); }
}  // namespace

nlohmann::json kkt_to_json(const KktReport& kkt) { return record_to_json(kkt); }

nlohmann::json summary_to_json(const AlmSummary& s) {
  // The scalars from the records' field lists (core/record.h), the vectors by hand.
  nlohmann::json j = record_to_json(s);
  j["x"] = array(s.x);
  j["multipliers"] = {{"equality", array(s.lambda)}, {"inequality", array(s.mu)}, {"bounds", array(s.nu)}};
  j["kkt"] = record_to_json(s.kkt);
  j["statistics"] = fields_to_json([&s](auto& v) { s.visit_statistics(v); });
  j["best_feasible"] = s.has_best_feasible
                           ? nlohmann::json{{"objective", json_number(s.best_feasible_objective)}, {"x", array(s.best_feasible_x)}}
                           : nlohmann::json(nullptr);
  nlohmann::json hist = nlohmann::json::array();
  for (const auto& it : s.history) hist.push_back(record_to_json(it));
  j["history"] = hist;
  j["options"] = options_to_json(s.options);
  return j;
}

}  // namespace almkit
