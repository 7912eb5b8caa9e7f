#include "almkit/study/rnn_checkpoint.h"

#include <stdexcept>

#include <fmt/core.h>

#include "almkit/core/record.h"
#include "almkit/core/run_control.h"
#include "almkit/problems/rnn/rnn_model.h"

namespace almkit::rnn {

namespace {

nlohmann::json exact_vector(const Vector& v) {
  nlohmann::json a = nlohmann::json::array();
  for (Eigen::Index i = 0; i < v.size(); ++i) a.push_back(exact_number(v[i]));
  return a;
}

Vector vector_from(const nlohmann::json& a, Eigen::Index n, const char* field) {
  if (!a.is_array() || static_cast<Eigen::Index>(a.size()) != n)
    throw std::invalid_argument(fmt::format("checkpoint: '{}' must hold {} numbers", field, n));
  Vector v(n);
  for (Eigen::Index i = 0; i < n; ++i) v[i] = exact_number_from_json(a[static_cast<size_t>(i)]);
  return v;
}

nlohmann::json exact_columns(const std::vector<Vector>& cols) {
  nlohmann::json a = nlohmann::json::array();
  for (const Vector& c : cols) a.push_back(exact_vector(c));
  return a;
}

std::vector<Vector> columns_from(const nlohmann::json& a, Eigen::Index n, const char* field) {
  if (!a.is_array()) throw std::invalid_argument(fmt::format("checkpoint: '{}' must be an array of arrays", field));
  std::vector<Vector> cols;
  for (const auto& c : a) cols.push_back(vector_from(c, n, field));
  return cols;
}

const nlohmann::json& at(const nlohmann::json& j, const char* field) {
  if (!j.is_object() || !j.contains(field)) throw std::invalid_argument(fmt::format("checkpoint: missing field '{}'", field));
  return j.at(field);
}

}  // namespace

// A row is the array of TrainHistoryRow::visit's fields in order (core/record.h).
nlohmann::json history_row_to_json(const TrainHistoryRow& r) { return record_to_json_array(r, exact_number); }

TrainHistoryRow history_row_from_json(const nlohmann::json& j) {
  TrainHistoryRow r;
  record_from_json_array(j, &r, "checkpoint: history row", exact_number_from_json);
  return r;
}

nlohmann::json train_checkpoint_to_json(const TrainState& s, const nlohmann::json& options, const std::string& status,
                                        std::uint64_t seed) {
  nlohmann::json j;
  j["format"] = kTrainCheckpointFormat;
  j["version"] = 2;  // 2: rollout.memory (version 1 checkpoints have none: read as empty)
  j["status"] = status;
  j["iteration"] = s.iteration;
  j["resumable"] = s.resumable;
  j["options"] = options;
  // The only random draws of a run are those of θ0 (initialize_weights);
  // θ0 itself is stored below, so a resume needs no generator state.
  j["rng"] = {{"engine", "std::mt19937_64"}, {"seed", seed}, {"draws", "initial weights only (initial_weights below)"}};
  j["weights"] = exact_vector(flatten(s.weights));
  j["initial_weights"] = exact_vector(flatten(s.initial_weights));
  j["weights_layout"] = "flatten(): W (m x m), V (m x d), b (m), A (p x m), c (p), matrices column-major";
  // The rollout policy's multipliers are the BPTT adjoints of the weights
  // (recomputed on resume); the generic driver's are not exposed to callbacks.
  j["multipliers"] = s.resumable ? nlohmann::json("bptt: recomputed from the weights") : nlohmann::json(nullptr);
  j["penalty"] = exact_number(s.penalty);
  if (s.resumable) {
    const EvaluationCounters& e = s.rollout.evaluations;
    j["rollout"] = {{"iteration", s.rollout.iteration},
                    {"gamma_scaled", exact_number(s.rollout.gamma_scaled)},
                    {"extrapolation", exact_number(s.rollout.extrapolation)},
                    {"damping", exact_number(s.rollout.damping)},
                    {"inner_iterations", s.rollout.inner_iterations},
                    {"seconds", exact_number(s.rollout.seconds)}};
    // The policy's memory (RolloutMemory): Anderson columns and the held kinks.
    const RolloutMemory& mem = s.rollout.memory;
    j["rollout"]["memory"] = {{"anderson_theta", exact_vector(mem.anderson_theta)},
                              {"anderson_r", exact_vector(mem.anderson_r)},
                              {"anderson_dtheta", exact_columns(mem.anderson_dtheta)},
                              {"anderson_dr", exact_columns(mem.anderson_dr)},
                              {"kinks_held", mem.kinks_held},
                              {"kinks_retried", mem.kinks_retried},
                              {"last_rejected", mem.last_rejected},
                              {"F_last_check", exact_number(mem.F_last_check)},
                              {"newton_skip", mem.newton_skip},
                              {"newton_backoff", mem.newton_backoff}};
    j["evaluations"] = record_to_json(e);
  }
  j["total_sweeps"] = s.total_sweeps;
  nlohmann::json h = nlohmann::json::array();
  if (s.history != nullptr)
    for (const auto& r : *s.history) h.push_back(history_row_to_json(r));
  j["history"] = std::move(h);
  return j;
}

TrainResume train_resume_from_json(const nlohmann::json& j, int m, int d, int p) {
  if (!j.is_object() || j.value("format", std::string()) != kTrainCheckpointFormat)
    throw std::invalid_argument(fmt::format("checkpoint: not an almkit train checkpoint (field 'format' must be \"{}\")",
                                            kTrainCheckpointFormat));
  if (!at(j, "resumable").get<bool>())
    throw std::invalid_argument(fmt::format(
        "checkpoint: this run cannot be resumed: policy '{}' (only the time-parallel policy, the default, and the rollout policy can; "
        "docs/interruption.md)",
        j.contains("options") ? j["options"].value("policy", std::string("?")) : std::string("?")));
  try {
    TrainResume r;
    const Eigen::Index n = num_parameters(m, d, p);
    r.weights = unflatten(vector_from(at(j, "weights"), n, "weights"), m, d, p);
    r.initial_weights = unflatten(vector_from(at(j, "initial_weights"), n, "initial_weights"), m, d, p);
    const nlohmann::json& ro = at(j, "rollout");
    r.rollout.iteration = at(ro, "iteration").get<int>();
    r.rollout.gamma_scaled = exact_number_from_json(at(ro, "gamma_scaled"));
    r.rollout.extrapolation = exact_number_from_json(at(ro, "extrapolation"));
    r.rollout.damping = exact_number_from_json(at(ro, "damping"));
    r.rollout.inner_iterations = at(ro, "inner_iterations").get<long>();
    r.rollout.seconds = exact_number_from_json(at(ro, "seconds"));
    if (ro.contains("memory")) {  // version 2; the weights θ are the first n entries of x (same layout)
      const nlohmann::json& me = ro.at("memory");
      RolloutMemory& mem = r.rollout.memory;
      auto maybe_empty = [&](const char* field) {
        const nlohmann::json& a = at(me, field);
        return a.is_array() && a.empty() ? Vector() : vector_from(a, n, field);
      };
      mem.anderson_theta = maybe_empty("anderson_theta");
      mem.anderson_r = maybe_empty("anderson_r");
      mem.anderson_dtheta = columns_from(at(me, "anderson_dtheta"), n, "anderson_dtheta");
      mem.anderson_dr = columns_from(at(me, "anderson_dr"), n, "anderson_dr");  // pairing: solve_rollout checks
      mem.kinks_held = at(me, "kinks_held").get<std::vector<int>>();
      mem.kinks_retried = at(me, "kinks_retried").get<bool>();
      mem.last_rejected = at(me, "last_rejected").get<bool>();
      // Absent before the manifold Gauss–Newton polish: no earlier check.
      if (me.contains("F_last_check")) mem.F_last_check = exact_number_from_json(me.at("F_last_check"));
      if (me.contains("newton_skip")) mem.newton_skip = me.at("newton_skip").get<int>();
      if (me.contains("newton_backoff")) mem.newton_backoff = me.at("newton_backoff").get<int>();
    }
    record_from_json(at(j, "evaluations"), &r.rollout.evaluations, "checkpoint: evaluations");
    r.total_sweeps = at(j, "total_sweeps").get<long>();
    for (const auto& row : at(j, "history")) r.history.push_back(history_row_from_json(row));
    if (static_cast<int>(r.history.size()) != r.rollout.iteration + 1 ||
        r.history.back().iteration != r.rollout.iteration)
      throw std::invalid_argument(fmt::format("checkpoint: {} history rows for iteration {}", r.history.size(),
                                              r.rollout.iteration));
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(fmt::format("checkpoint: malformed ({})", e.what()));
  }
}

}  // namespace almkit::rnn
