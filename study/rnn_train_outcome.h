// Whether a training run failed, and what the user can change
// (docs/interruption.md §4, docs/rnn.md §8 "Failed runs"). `almkit train`
// exits with code 3 after a failed run (its outputs written as usual); the
// Python binding reports it as Model.failed with a RuntimeWarning.
#pragma once

#include <string>

#include "almkit/core/alm.h"
#include "almkit/problems/rnn/rnn_data.h"
#include "almkit/problems/rnn/rnn_model.h"
#include "almkit/study/rnn_trainer.h"

namespace almkit::rnn {

/// The statuses after which a training run has no usable model: non_finite
/// (NaN or Inf in the iterates: the start or a step exploded) and
/// inner_failure (the inner solver failed, not a mere iteration limit).
/// Every other status ends with finite weights and is an honest end, not a
/// failure: the limits (iteration_limit, time_limit, penalty_too_large,
/// tolerance_exhausted), converged, converged_at_noise_level, stagnated,
/// infeasible_stationary, multipliers_diverging and stopped_by_callback.
bool is_failure(AlmStatus status);

/// A failed run: is_failure(status), or the final weights or their
/// forward-pass train MSE are not finite (whatever the status said).
bool training_failed(const TrainResult& result);

/// max |v| over the finite entries of the training part's X and Y, in the
/// units the model sees (after --scaling); 0 for an empty part.
double max_abs_training_value(const RnnSeries& train);

/// One sentence naming the likely cause of a failed run and what to try:
/// - training data (max |v| = `max_abs_value`) whose squares alone exceed the
///   start's divergence threshold (or overflow): "the data have values up to
///   1e+308 and are not scaled (--scaling none); try --scaling standardize|minmax";
/// - else a start that already explodes at θ0 (`start`, docs/rnn.md §5): a
///   smaller --init-std or another --init (and scaling, when none);
/// - else the iterates that left the finite range during training (the last
///   finite row of the history named) or the inner solver's failure.
std::string failure_cause(const TrainResult& result, Scaling scaling, double max_abs_value,
                          const InitDiagnostics& start);

}  // namespace almkit::rnn
