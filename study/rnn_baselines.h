// The RNN adapters of the gradient baselines (docs/compare.md): the reduced
// RNN problem min_θ F(θ) as a solvers/baselines Objective. The states are
// eliminated by the forward pass; F and its exact BPTT gradient come from
// problems/rnn/rnn_model.h (the same f = loss + regularization as the ALM,
// docs/rnn.md §2, §6). Study layer: solvers/ stays problem-agnostic
// (docs/architecture.md).
#pragma once

#include "almkit/problems/rnn/rnn_model.h"
#include "almkit/solvers/baselines/gradient_methods.h"

namespace almkit::baselines {

/// F(θ) of rnn_model.h on `series` with θ = flatten(weights); num_windows
/// contiguous windows [t0, t1) of (almost) equal length for SGD, with the
/// state carried between consecutive windows (window 0 starts from h = 0).
/// The oracle owns one rnn::ReducedWorkspace and the weight/gradient buffers
/// (shared by its copies: not for concurrent calls), so repeated evaluations
/// allocate nothing after the first (docs/rnn.md §5).
Objective make_rnn_objective(const rnn::RnnSeries& series, const rnn::RnnRegularization& reg, int m,
                             int num_windows = 1);

/// Monitor of train/test MSE by forward passes (rnn::forward_metrics).
Monitor make_rnn_monitor(const rnn::RnnSeries& train, const rnn::RnnSeries& test, int m,
                         bool test_continues_from_train);

}  // namespace almkit::baselines
