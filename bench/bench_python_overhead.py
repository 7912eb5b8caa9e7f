"""Per-evaluation overhead of a Python-defined problem against the same problem in C++ (docs/python.md "Examples and overhead").

    PYTHONPATH=build/python /usr/bin/python3 bench/bench_python_overhead.py

Solves hs071 (built-in, C++) and the same problem written in numpy with the same
options, and reports seconds per evaluation (all counted evaluations of f, grad,
c, g, J^T y and Jacobians) for both, and their ratio.
"""
import time

import numpy as np

import almkit


def hs071_numpy():
    return almkit.Problem(
        lambda x: x[0] * x[3] * (x[0] + x[1] + x[2]) + x[2],
        lambda x: np.array([x[3] * (2 * x[0] + x[1] + x[2]), x[0] * x[3], x[0] * x[3] + 1.0,
                            x[0] * (x[0] + x[1] + x[2])]),
        np.array([1.0, 5.0, 5.0, 1.0]),
        c=lambda x: np.array([x @ x - 40.0]), jac_c_t=lambda x, y: 2.0 * x * y[0],
        g=lambda x: np.array([25.0 - np.prod(x)]),
        jac_g_t=lambda x, y: -y[0] * np.array([x[1] * x[2] * x[3], x[0] * x[2] * x[3], x[0] * x[1] * x[3],
                                               x[0] * x[1] * x[2]]),
        lower=np.ones(4), upper=5 * np.ones(4), name="hs071_numpy")


def per_eval(problem, repeats):
    t0 = time.perf_counter()
    evals = 0
    for _ in range(repeats):
        r = almkit.solve(problem)
        evals += sum(r.evaluations.values())
    return (time.perf_counter() - t0) / evals, r


cpp, rc = per_eval(almkit.problem("hs071"), 50)
py, rp = per_eval(hs071_numpy(), 5)
print(f"C++ hs071:    {cpp * 1e6:8.2f} us per evaluation (f* = {rc.objective:.10f}, {sum(rc.evaluations.values())} evaluations)")
print(f"numpy hs071:  {py * 1e6:8.2f} us per evaluation (f* = {rp.objective:.10f}, {sum(rp.evaluations.values())} evaluations)")
print(f"ratio Python / C++: {py / cpp:.1f}")
