// checkpoint.json of `almkit train` (docs/interruption.md): the state of a
// training run after an outer iteration, written atomically on a schedule and
// at an interruption, read back by `almkit train --resume DIR`. Every double
// round-trips bit for bit (core/run_control.h exact_number).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "almkit/study/rnn_trainer.h"

namespace almkit::rnn {

inline constexpr const char* kTrainCheckpointFormat = "almkit-train-checkpoint";

/// {"format", "version", "status", "iteration", "policy", "resumable",
///  "options", "rng", "weights", "initial_weights", "multipliers",
///  "penalty", "rollout", "evaluations", "total_sweeps", "history"}.
/// `options` is the run's options object (summary.json "options").
nlohmann::json train_checkpoint_to_json(const TrainState& state, const nlohmann::json& options,
                                        const std::string& status, std::uint64_t seed);

/// The resume state of a checkpoint for a model with m, d, p; throws
/// std::invalid_argument naming the field (a checkpoint of a policy that
/// cannot be resumed included).
TrainResume train_resume_from_json(const nlohmann::json& checkpoint, int m, int d, int p);

/// One history row as JSON and back (NaN kept).
nlohmann::json history_row_to_json(const TrainHistoryRow& row);
TrainHistoryRow history_row_from_json(const nlohmann::json& j);

}  // namespace almkit::rnn
