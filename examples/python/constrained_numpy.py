"""A constrained problem defined in numpy, solved and verified (docs/python.md).

    /usr/bin/python3 examples/python/constrained_numpy.py  # installed (README "Install")
    PYTHONPATH=build/python /usr/bin/python3 examples/python/constrained_numpy.py  # the build tree

min (x0 - 1)^2 + (x1 - 2)^2  s.t.  x0^2 + x1^2 = 1 (c),  x0 + x1 <= 1.2 (g),  x >= 0.
"""
import numpy as np

import almkit

problem = almkit.Problem(
    f=lambda x: (x[0] - 1.0) ** 2 + (x[1] - 2.0) ** 2,
    grad=lambda x: np.array([2.0 * (x[0] - 1.0), 2.0 * (x[1] - 2.0)]),
    x0=np.array([0.5, 0.5]),
    c=lambda x: np.array([x @ x - 1.0]),
    jac_c=lambda x: 2.0 * x[None, :],
    g=lambda x: np.array([x[0] + x[1] - 1.2]),
    jac_g=lambda x: np.array([[1.0, 1.0]]),
    lower=np.zeros(2),
    name="circle",
)
result = almkit.solve(problem, tol_feasibility=1e-10)
print(result.status, "-", result.message)
print("x =", result.x, " f =", result.objective)
print("multipliers:", result.multipliers)
report = almkit.verify(problem, result.x, result.multipliers)
print(report)
