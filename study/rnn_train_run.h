// One training run of rnn::train with fixed options (study/rnn_trainer.h; λ
// auto calls it once per candidate). Internal to the trainer: the set-up of
// the data parts, the history recorder and the policies' loops live in
// study/rnn_train_run.cpp, as small pieces (docs/rnn.md §7).
#pragma once

#include "almkit/study/rnn_trainer.h"

namespace almkit::rnn::detail {

/// The fewest steps a model is fitted on when validation or λ auto holds part
/// of the training range out (a forward pass and its last state need one; two
/// give the weights something to fit).
inline constexpr int kMinFoldSteps = 2;

/// Steps [t0, t1) of a series as a series of its own; the sequence starts
/// inside the range are kept (step 0 is always one: `continues_state` of the
/// caller says whether it really is).
RnnSeries slice_steps(const RnnSeries& s, int t0, int t1);

/// rnn::train without λ auto: validation, resume, the policy and the final
/// reports (docs/rnn.md §7, §9).
TrainResult train_one(const RnnDataset& data, const TrainOptions& options, const TrainHooks& hooks);

}  // namespace almkit::rnn::detail
