// The one conversion of numbers, vectors and matrices to JSON (docs/json.md):
// JSON has no NaN or Inf, so non-finite entries are written as null (what
// nlohmann::json's dump prints for them anyway, made explicit in memory too).
#pragma once

#include <cmath>

#include <nlohmann/json.hpp>

#include "almkit/core/types.h"

namespace almkit {

inline nlohmann::json json_number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

/// [v_0, v_1, ...].
inline nlohmann::json json_array(VectorCRef v) {
  nlohmann::json a = nlohmann::json::array();
  for (Eigen::Index i = 0; i < v.size(); ++i) a.push_back(json_number(v[i]));
  return a;
}

/// A list of rows.
inline nlohmann::json json_rows(const Matrix& M) {
  nlohmann::json rows = nlohmann::json::array();
  for (Eigen::Index i = 0; i < M.rows(); ++i) rows.push_back(json_array(M.row(i).transpose()));
  return rows;
}

}  // namespace almkit
