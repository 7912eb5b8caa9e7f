// The RNN adapters of the gradient baselines (study/rnn_baselines.h; docs/compare.md).
#include "almkit/study/rnn_baselines.h"

#include <algorithm>
#include <memory>

namespace almkit::baselines {

Objective make_rnn_objective(const rnn::RnnSeries& series, const rnn::RnnRegularization& reg, int m,
                             int num_windows) {
  const int d = series.d(), p = series.p(), T = series.T();
  num_windows = std::max(1, std::min(num_windows, T));
  // Everything an evaluation needs besides x, kept across calls so that
  // repeated evaluations allocate nothing (docs/rnn.md §5, ReducedWorkspace).
  struct State {
    Vector h;      // state carried into the next window
    int next = 0;  // the window whose start the carried state belongs to
    rnn::RnnWeights w, g;
    rnn::ReducedWorkspace ws;
  };
  auto state = std::make_shared<State>();
  Objective f;
  f.num_batches = num_windows;
  f.value_gradient = [&series, reg, m, d, p, T, num_windows, state](const Vector& x, int batch, Vector* grad) {
    rnn::unflatten(x, m, d, p, &state->w);
    rnn::ReducedWindow win;
    if (batch >= 0) {
      win.t0 = static_cast<int>(static_cast<long>(T) * batch / num_windows);
      win.t1 = static_cast<int>(static_cast<long>(T) * (batch + 1) / num_windows);
      // Carried only from the window just before; window 0 (and any jump) starts from h = 0.
      if (batch > 0 && state->next == batch && state->h.size() == m) win.h_initial = &state->h;
    }
    const rnn::ReducedValue v =
        rnn::reduced_objective(state->w, series, reg, win, grad ? &state->g : nullptr, nullptr, &state->ws);
    if (grad) rnn::flatten(state->g, grad);
    if (batch >= 0) {
      state->h = state->ws.h_last;
      state->next = batch + 1;
    }
    return v.value;
  };
  return f;
}

Monitor make_rnn_monitor(const rnn::RnnSeries& train, const rnn::RnnSeries& test, int m,
                         bool test_continues_from_train) {
  return [&train, &test, m, test_continues_from_train](const Vector& x, double* tr, double* te) {
    const rnn::RnnWeights w = rnn::unflatten(x, m, train.d(), train.p());
    const rnn::ForwardMetrics fm = rnn::forward_metrics(w, train, test, test_continues_from_train);
    *tr = fm.train_mse;
    *te = fm.test_mse;
  };
}

}  // namespace almkit::baselines
