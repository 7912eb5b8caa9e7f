// Common vocabulary types. Eigen types appear at every interface (docs/problem.md).
#pragma once

#include <Eigen/Core>

namespace almkit {

using Vector = Eigen::VectorXd;
using Matrix = Eigen::MatrixXd;
/// Read-only vector argument: accepts VectorXd, Map, segments, without copies.
using VectorCRef = Eigen::Ref<const Eigen::VectorXd>;
/// Writable vector output argument, sized by the caller.
using VectorRef = Eigen::Ref<Eigen::VectorXd>;

}  // namespace almkit
