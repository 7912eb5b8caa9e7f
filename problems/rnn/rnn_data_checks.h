// Small or degenerate data (docs/rnn.md §6 "Too little data"): nothing is
// fitted silently. Too few training steps is an error; fewer steps than
// parameters, a target column constant over the training part and a single
// test step are warnings. Used by `almkit train` and `almkit compare`.
#pragma once

#include <string>
#include <vector>

#include "almkit/problems/rnn/rnn_data.h"

namespace almkit::rnn {

/// Default of --min-train-steps: the documented minimum number of training
/// steps (T of the training part) below which train and compare refuse to fit.
inline constexpr int kDefaultMinTrainSteps = 10;

/// Throws std::invalid_argument "N training steps: fewer than the minimum of
/// M (--min-train-steps) ..." when data.train.T() < min_train_steps; returns
/// the warning lines (without the "warning: " prefix) for a model with
/// `hidden` states: fewer training steps than parameters, a constant target
/// column over the training part, a test part of a single step.
std::vector<std::string> check_training_data(const RnnDataset& data, int hidden, int min_train_steps);

}  // namespace almkit::rnn
