#include "almkit/solvers/bcd/bcd_solver.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>
#include <cmath>
#include <stdexcept>
#include <string>

namespace almkit {

const char* to_string(BcdChangeMeasure measure) {
  switch (measure) {
    case BcdChangeMeasure::kRelative: return "relative";
    case BcdChangeMeasure::kAbsolute: return "absolute";
  }
  return "unknown";
}

bool parse(const std::string& text, BcdChangeMeasure* measure) {
  if (text == "relative") *measure = BcdChangeMeasure::kRelative;
  else if (text == "absolute") *measure = BcdChangeMeasure::kAbsolute;
  else return false;
  return true;
}

void BcdOptions::validate() const {
  if (max_sweeps < 1) throw std::invalid_argument("BcdOptions: max_sweeps must be >= 1");
  if (!(sigma_p >= 0.0) || !std::isfinite(sigma_p))
    throw std::invalid_argument("BcdOptions: sigma_p must be finite and >= 0");
  if (!(tolerance_scale > 0.0) || !std::isfinite(tolerance_scale))
    throw std::invalid_argument("BcdOptions: tolerance_scale must be finite and > 0");
  if (!(extrapolation >= 0.0 && extrapolation <= extrapolation_max) || !std::isfinite(extrapolation_max))
    throw std::invalid_argument("BcdOptions: extrapolation must be in [0, extrapolation_max] (finite)");
  if (!(extrapolation_grow >= 1.0) || !std::isfinite(extrapolation_grow))
    throw std::invalid_argument("BcdOptions: extrapolation_grow must be finite and >= 1");
  if (!(extrapolation_shrink > 0.0 && extrapolation_shrink < 1.0))
    throw std::invalid_argument("BcdOptions: extrapolation_shrink must be in (0, 1)");
}

InnerResult BcdSolver::minimize(const AugmentedLagrangian& L, VectorRef x, double tolerance) {
  const auto start = std::chrono::steady_clock::now();
  const auto* blocks = dynamic_cast<const BlockProblem*>(&L.problem());
  if (blocks == nullptr)
    throw std::invalid_argument("BcdSolver: problem '" + L.problem().name() +
                                "' declares no blocks with exact minimizers (it does not implement "
                                "almkit::BlockProblem); use another inner solver, e.g. lbfgs");
  options_.validate();

  const int nb = blocks->num_blocks();
  std::vector<std::vector<BlockProblem::Range>> ranges(static_cast<size_t>(nb));
  Eigen::Index largest = 0;
  for (int k = 0; k < nb; ++k) {
    ranges[static_cast<size_t>(k)] = blocks->block_ranges(k);
    Eigen::Index size = 0;
    for (const auto& r : ranges[static_cast<size_t>(k)]) size += r.size;
    largest = std::max(largest, size);
  }
  if (saved_.size() < largest) saved_.resize(largest);
  last_block_changes_.assign(static_cast<size_t>(nb), 0.0);

  InnerResult result;
  result.status = InnerStatus::kIterationLimit;
  const bool relative = options_.change_measure == BcdChangeMeasure::kRelative;
  double change = std::numeric_limits<double>::infinity();
  const double threshold = options_.tolerance_scale * tolerance;
  int sweep = 0;
  bool finite = true;
  const bool extrapolate = options_.extrapolation > 0.0;
  double beta_x = options_.extrapolation;
  double value = 0.0;
  last_values_.clear();
  last_extrapolated_.clear();
  if (extrapolate) {
    value = L.value(x);
    last_values_.push_back(value);
    previous_ = x;
  }
  // Change of block k from its previous value, into last_block_changes_ and Δ.
  auto add_change = [&](int k, double diff2, double norm2) {
    const double dk = std::sqrt(diff2);
    last_block_changes_[static_cast<size_t>(k)] = dk;
    change += relative ? dk / std::max(1.0, std::sqrt(norm2)) : dk;
  };
  while (sweep < options_.max_sweeps) {
    change = 0.0;
    // Extrapolated attempt (from the second sweep on): sweep from
    // y = x + β (x − x_prev); keep it only when the AL does not increase.
    bool kept = false;
    if (extrapolate && sweep >= 1) {
      trial_ = x + beta_x * (x - previous_);
      blocks->begin_sweep(trial_);
      for (int k = 0; k < nb; ++k) blocks->minimize_block(k, L.lambda(), L.mu(), L.beta(), options_.sigma_p, trial_);
      const double v = L.value(trial_);
      kept = v <= value;
      if (kept) {
        for (int k = 0; k < nb; ++k) {
          double diff2 = 0.0, norm2 = 0.0;
          for (const auto& r : ranges[static_cast<size_t>(k)]) {
            diff2 += (trial_.segment(r.first, r.size) - x.segment(r.first, r.size)).squaredNorm();
            norm2 += trial_.segment(r.first, r.size).squaredNorm();
          }
          add_change(k, diff2, norm2);
        }
        previous_ = x;
        x = trial_;
        value = v;
        beta_x = std::min(options_.extrapolation_max, options_.extrapolation_grow * beta_x);
      } else {
        beta_x *= options_.extrapolation_shrink;
      }
    }
    if (!kept) {
      if (extrapolate) previous_ = x;
      blocks->begin_sweep(x);
      for (int k = 0; k < nb; ++k) {
        // Keep block k as it was after the previous sweep (blocks are disjoint,
        // so it has not moved since), update it, measure its change.
        const auto& rk = ranges[static_cast<size_t>(k)];
        Eigen::Index pos = 0;
        for (const auto& r : rk) {
          saved_.segment(pos, r.size) = x.segment(r.first, r.size);
          pos += r.size;
        }
        blocks->minimize_block(k, L.lambda(), L.mu(), L.beta(), options_.sigma_p, x);
        double diff2 = 0.0, norm2 = 0.0;
        pos = 0;
        for (const auto& r : rk) {
          diff2 += (x.segment(r.first, r.size) - saved_.segment(pos, r.size)).squaredNorm();
          norm2 += x.segment(r.first, r.size).squaredNorm();
          pos += r.size;
        }
        add_change(k, diff2, norm2);
      }
      if (extrapolate) value = L.value(x);
    }
    ++sweep;
    if (extrapolate) {
      last_values_.push_back(value);
      last_extrapolated_.push_back(kept);
    }
    if (!std::isfinite(change)) {
      finite = false;
      break;
    }
    if (options_.stop_test_enabled && change <= threshold) {
      result.status = InnerStatus::kConverged;
      break;
    }
  }

  result.iterations = sweep;
  result.evaluations = static_cast<long>(sweep) * nb;
  result.final_measure = change;
  if (!finite || !x.allFinite()) {
    result.status = InnerStatus::kNonFinite;
    result.message = "non-finite iterate after sweep " + std::to_string(sweep);
    result.final_value = std::numeric_limits<double>::quiet_NaN();
  } else {
    result.final_value = L.value(x);
    char buf[160];
    if (result.status == InnerStatus::kConverged)
      std::snprintf(buf, sizeof buf, "%s change %.3e <= %.3e after %d sweeps", to_string(options_.change_measure),
                    change, threshold, sweep);
    else
      std::snprintf(buf, sizeof buf, "sweep limit %d reached (%s change %.3e, threshold %.3e%s)", sweep,
                    to_string(options_.change_measure), change, threshold,
                    options_.stop_test_enabled ? "" : ", stop test disabled");
    result.message = buf;
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace almkit
