#include "almkit/problems/rnn/rnn_types.h"

#include <algorithm>

namespace almkit::rnn {

bool RnnSeries::is_sequence_start(int t) const {
  return std::binary_search(sequence_starts.begin(), sequence_starts.end(), t);
}

bool RnnSeries::is_sequence_end(int t) const { return t == T() - 1 || is_sequence_start(t + 1); }

RnnStates forward_pass(const RnnWeights& w, const RnnSeries& data, const Vector* h_initial) {
  const int T = data.T();
  RnnStates s;
  s.U.noalias() = w.V * data.X;
  s.U.colwise() += w.b;
  s.H.resize(w.m(), T);
  for (int t = 0; t < T; ++t) {
    if (!data.is_sequence_start(t)) s.U.col(t).noalias() += w.W * s.H.col(t - 1);
    else if (t == 0 && h_initial != nullptr) s.U.col(t).noalias() += w.W * (*h_initial);
    s.H.col(t) = s.U.col(t).cwiseMax(0.0);
  }
  return s;
}

Matrix predict(const RnnWeights& w, const Matrix& H) {
  Matrix Yhat = w.A * H;
  Yhat.colwise() += w.c;
  return Yhat;
}

double mean_squared_error(const Matrix& Yhat, const RnnSeries& data) {
  const double N = data.N();
  if (N <= 0) return 0.0;
  return ((Yhat - data.Y).colwise().squaredNorm().transpose().cwiseProduct(data.omega)).sum() / N;
}

}  // namespace almkit::rnn
