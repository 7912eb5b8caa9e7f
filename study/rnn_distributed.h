// The RNN trainer on P ranks (docs/parallel.md §3): every rank holds one
// contiguous slice of the training series (problems/rnn/rnn_slice.h) and runs
// the same outer loop; the weights are replicated, every decision (penalty,
// tolerance, restart, stop) is taken from numbers summed or maximized over
// the ranks (core/communicator.h), so all ranks take it alike.
//
// Two outer loops, rewritten on the slice (their iterates equal rnn::train()'s
// with the same options to round-off; tested for 1–3 ranks,
// tests/test_rnn_distributed.cpp, ≤ 1e-10 relative after 5 outer iterations):
//  * the rollout policy (study/rnn_rollout.h, the default of almkit train)
//    with its default step — one w and one a block from the forward-pass
//    point, accepted by the rollout's decrease of F; its time is in the forward
//    pass and BPTT, which ranks run side by side only for separate sequences;
//  * the reference policy of the generic ALM driver (core/alm_reference.h,
//    docs/alm.md §3) with BCD sweeps as the inner solver (solvers/bcd: the
//    same stop test), whose time is in the sweeps, which parallelize over time.
//
// What differs from train() (docs/parallel.md §3):
//  * options: no safeguarded policy, no L-BFGS inner solver, no BCD
//    extrapolation, the rollout policy with RolloutOptions::plain()'s step
//    (no damping, proximal term, extrapolation, Anderson, kink options or
//    several sweeps), no --resume or checkpoints; anything else is refused
//    (std::invalid_argument, check_distributed_options);
//  * the degeneracy check of a converged run (dense SVD, only for n ≤ 2000
//    variables) is not made; the kink-wise stationarity is not searched
//    (kink_stationarity.best is NaN; the kink count and the one-sided value are given);
//  * summary.evaluations stay 0 (the slice does not count evaluations);
//  * time limits are decided by rank 0's clock (broadcast), so that every
//    rank stops at the same outer iteration.
#pragma once

#include "almkit/core/communicator.h"
#include "almkit/problems/rnn/rnn_slice.h"
#include "almkit/study/rnn_trainer.h"

namespace almkit::rnn {

/// Throws std::invalid_argument naming the first option train_distributed() cannot run.
void check_distributed_options(const TrainOptions& options);

/// What a distributed run reports besides its TrainResult.
struct DistributedExtras {
  double start_max_abs_state = 0.0;  ///< max |h_t,i| of θ0's forward pass (InitDiagnostics, docs/rnn.md §5)
  Vector h_last;                     ///< h_{T−1} of the final weights' forward pass (test predictions continued from it)
};

/// Collective: trains on data.train split over comm's ranks by `split`. Every
/// rank returns the same result (weights, history, summary); summary.x and
/// summary.lambda are empty (no rank holds all of them). A callback that
/// returns false on any rank stops every rank.
TrainResult train_distributed(const RnnDataset& data, const TrainOptions& options, Communicator& comm,
                              RankSplit split = RankSplit::kSequences, const TrainCallback& callback = {},
                              DistributedExtras* extras = nullptr);
/// The same from this rank's slice — slice_series(train, rank_ranges(train, P, split)[rank]) —
/// and the test part, so that the caller need not keep the whole training series.
TrainResult train_distributed(RnnSliceData mine, const RnnSeries& test, const TrainOptions& options,
                              Communicator& comm, const TrainCallback& callback = {},
                              DistributedExtras* extras = nullptr);

}  // namespace almkit::rnn
