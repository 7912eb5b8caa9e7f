#include "almkit/core/singular_values.h"

#include <Eigen/SVD>

namespace almkit {

Vector singular_values(const Matrix& M) { return Eigen::BDCSVD<Matrix>(M).singularValues(); }

double smallest_left_singular(const Matrix& M, Vector* y) {
  const Eigen::Index r = M.rows();
  if (y == nullptr) {
    if (r > M.cols()) return 0.0;
    return singular_values(M)[r - 1];
  }
  // Full U: when r > n the last column spans part of the left null space.
  Eigen::BDCSVD<Matrix> svd(M, Eigen::ComputeFullU);
  *y = svd.matrixU().col(r - 1);
  return r > M.cols() ? 0.0 : svd.singularValues()[r - 1];
}

}  // namespace almkit
