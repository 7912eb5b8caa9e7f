// Vertex-generated cones of the exact Clarke computations (core/vertex_cones.h).
#include "almkit/core/vertex_cones.h"

#include <algorithm>
#include <limits>

namespace almkit {

SelectionSetup make_selection_setup(const ConstrainedProblem& problem, VectorCRef x, double kink_tolerance,
                                    double active_tolerance, bool all_inequalities) {
  SelectionSetup S;
  S.x = x;
  S.model = build_selection_model(problem, S.x, kink_tolerance);
  S.rows = model_rows(problem, S.model, S.x, active_tolerance, all_inequalities);
  for (const ModelRow& r : S.rows) S.relevant.insert(S.relevant.end(), r.pieces.begin(), r.pieces.end());
  std::sort(S.relevant.begin(), S.relevant.end());
  return S;
}

VertexConePlan plan_vertex_cones(const std::vector<ModelRow>& rows, long max_sign_patterns, long max_vertex_columns) {
  VertexConePlan plan;
  for (size_t i = 0; i < rows.size(); ++i) {
    const size_t p = rows[i].pieces.size();
    if (p > static_cast<size_t>(kMaxPiecesPerVertexRow)) return plan;
    if (p == 0) {
      ++plan.columns;
      continue;
    }
    plan.columns += 1L << p;
    if (rows[i].kind == RowKind::kEquality) plan.kinked_eq.push_back(i);
  }
  plan.fits = plan.kinked_eq.size() <= static_cast<size_t>(kMaxKinkedEqualityRows) &&
              (1L << plan.kinked_eq.size()) <= max_sign_patterns && plan.columns <= max_vertex_columns;
  return plan;
}

VertexConeColumns vertex_cone_columns(const SelectionModel& model, const std::vector<ModelRow>& rows,
                                      const VertexConePlan& plan, unsigned long pattern) {
  const Eigen::Index n = rows.empty() ? 0 : rows.front().a0.size();
  VertexConeColumns out;
  out.A.resize(n, plan.columns);
  out.lower.resize(plan.columns);
  out.signs.assign(rows.size(), 1.0);
  Eigen::Index c = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const ModelRow& row = rows[i];
    if (row.pieces.empty()) {
      out.A.col(c) = row.a0;
      out.lower[c] = row.nonnegative() ? 0.0 : -std::numeric_limits<double>::infinity();
      out.nonnegative_column.push_back(row.nonnegative());
      out.owner.emplace_back(i, 0);
      ++c;
      continue;
    }
    const auto it = std::find(plan.kinked_eq.begin(), plan.kinked_eq.end(), i);
    if (it != plan.kinked_eq.end() && (pattern >> (it - plan.kinked_eq.begin()) & 1UL)) out.signs[i] = -1.0;
    for (unsigned long v = 0; v < (1UL << row.pieces.size()); ++v) {
      Vector a = row.a0;
      for (size_t j = 0; j < row.pieces.size(); ++j)
        if (v >> j & 1UL) a += model.pieces[static_cast<size_t>(row.pieces[j])].direction;
      out.A.col(c) = out.signs[i] * a;
      out.lower[c] = 0.0;
      out.nonnegative_column.push_back(true);
      out.owner.emplace_back(i, v);
      ++c;
    }
  }
  return out;
}

void recover_selection(const SelectionModel& model, const std::vector<ModelRow>& rows, const VertexConeColumns& cols,
                       const Vector& z, Vector* y_out, Vector* s_out) {
  Vector y = Vector::Zero(static_cast<Eigen::Index>(rows.size()));
  Vector s = Vector::Zero(static_cast<Eigen::Index>(model.pieces.size()));
  Vector weight = Vector::Zero(static_cast<Eigen::Index>(rows.size()));
  for (Eigen::Index k = 0; k < static_cast<Eigen::Index>(cols.owner.size()); ++k) {
    const auto [i, v] = cols.owner[static_cast<size_t>(k)];
    const ModelRow& row = rows[i];
    if (row.pieces.empty()) {
      y[static_cast<Eigen::Index>(i)] = z[k];
      continue;
    }
    weight[static_cast<Eigen::Index>(i)] += z[k];
    for (size_t j = 0; j < row.pieces.size(); ++j)
      if (v >> j & 1UL) s[row.pieces[j]] += z[k];
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].pieces.empty()) continue;
    const double w = weight[static_cast<Eigen::Index>(i)];
    y[static_cast<Eigen::Index>(i)] = cols.signs[i] * w;
    for (int p : rows[i].pieces) s[p] = w > 0.0 ? std::clamp(s[p] / w, 0.0, 1.0) : 0.0;
  }
  *y_out = std::move(y);
  *s_out = std::move(s);
}

}  // namespace almkit
