// Singular values of a dense matrix, for the degeneracy and constraint
// qualification checks (docs/alm.md §5 "Statuses", docs/verification.md).
//
// One translation unit instantiates Eigen's SVD for the whole library: the
// instantiation costs about a minute of compile time per file under the
// sanitizers (docs/architecture.md "Compile time"), and three files need it.
#pragma once

#include "almkit/core/types.h"

namespace almkit {

/// σ_1 ≥ … ≥ σ_k of M (k = min(rows, cols)); Eigen's divide-and-conquer SVD
/// (Jacobi below 16 columns).
Vector singular_values(const Matrix& M);

/// For M (r × n): σ_r, the r-th singular value, when r ≤ n, else 0 (then the
/// rows are dependent); with y != nullptr, *y = the r-th left singular vector
/// u_r, a unit vector with ‖Mᵀu_r‖ = σ_r (r ≤ n) or Mᵀu_r = 0 (r > n).
double smallest_left_singular(const Matrix& M, Vector* y);

}  // namespace almkit
