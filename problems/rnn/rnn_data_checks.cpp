#include "almkit/problems/rnn/rnn_data_checks.h"

#include <stdexcept>

#include <fmt/core.h>

#include "almkit/problems/rnn/rnn_model.h"

namespace almkit::rnn {

std::vector<std::string> check_training_data(const RnnDataset& data, int hidden, int min_train_steps) {
  const int T = data.train.T();
  if (T < min_train_steps)
    throw std::invalid_argument(fmt::format(
        "{}: {} training steps, fewer than the minimum of {} (--min-train-steps; docs/rnn.md §6): "
        "use more rows or a larger --train-fraction",
        data.path, T, min_train_steps));
  std::vector<std::string> warnings;
  const int n = num_parameters(hidden, data.train.d(), data.train.p());
  if (T < n)
    warnings.push_back(fmt::format("{} training steps for {} parameters (m = {}, d = {}, p = {}): fewer steps than "
                                   "parameters, the fit is underdetermined (docs/rnn.md §6)",
                                   T, n, hidden, data.train.d(), data.train.p()));
  for (int k = 0; k < data.train.p(); ++k) {
    const auto y = data.train.Y.row(k);
    bool constant = true;
    for (int t = 1; t < T && constant; ++t) constant = y(t) == y(0);
    if (constant && T > 0)
      warnings.push_back(fmt::format("target column '{}' is constant over the {} training steps: there is nothing "
                                     "to fit but its value (docs/rnn.md §6)",
                                     k < static_cast<int>(data.target_columns.size()) ? data.target_columns[k] : "?", T));
  }
  if (data.test.T() == 1)
    warnings.emplace_back("the test part has a single step: the test MSE is one squared error (docs/rnn.md §6)");
  return warnings;
}

}  // namespace almkit::rnn
