# Generic problems from Python, solve, verify and option handling
# (docs/python.md "Problems from Python", "Solving", "Verifying").
import json
import os
import subprocess

import numpy as np
import pytest

import almkit
from almkit import _build_info


# ---------------------------------------------------------------- hs071 in numpy
# min x1 x4 (x1 + x2 + x3) + x3  s.t.  x1 x2 x3 x4 >= 25,  sum x_i^2 = 40,  1 <= x <= 5.
def hs071_numpy(**overrides):
    def f(x):
        return x[0] * x[3] * (x[0] + x[1] + x[2]) + x[2]

    def grad(x):
        return np.array([x[3] * (2 * x[0] + x[1] + x[2]), x[0] * x[3], x[0] * x[3] + 1.0,
                         x[0] * (x[0] + x[1] + x[2])])

    def c(x):
        return np.array([x @ x - 40.0])

    def jac_c(x):
        return 2.0 * x[None, :]

    def g(x):
        return np.array([25.0 - np.prod(x)])

    def jac_g(x):
        return -np.array([[x[1] * x[2] * x[3], x[0] * x[2] * x[3], x[0] * x[1] * x[3], x[0] * x[1] * x[2]]])

    kw = dict(c=c, jac_c=jac_c, g=g, jac_g=jac_g, lower=np.ones(4), upper=5 * np.ones(4), name="hs071_numpy")
    kw.update(overrides)
    return almkit.Problem(f, grad, np.array([1.0, 5.0, 5.0, 1.0]), **kw)


HS071_X = np.array([1.0, 4.74299963, 3.82114998, 1.37940829])
HS071_F = 17.0140173


def test_numpy_problem_reaches_hs071_optimum():
    r = almkit.solve(hs071_numpy())
    assert r.converged, r.message
    assert abs(r.objective - HS071_F) < 1e-6
    assert np.max(np.abs(r.x - HS071_X)) < 1e-6
    assert r.kkt["infeasibility"] < 1e-8
    assert r.evaluations["gradient"] > 0 and r.outer_iterations == len(r.history)
    assert set(r.multipliers) == {"equality", "inequality", "bounds"}
    assert r.multipliers["inequality"].shape == (1,) and r.multipliers["inequality"][0] > 0


def test_jt_products_match_dense_jacobians():
    p = hs071_numpy()
    q = hs071_numpy(jac_c=None, jac_c_t=lambda x, y: 2.0 * x * y[0],
                    jac_g=None, jac_g_t=lambda x, y: -y[0] * np.prod(x) / x)
    r1, r2 = almkit.solve(p), almkit.solve(q)
    assert r2.converged
    # Same optimum to the solver's accuracy (relative; the two Jacobian paths round differently).
    assert abs(r1.objective - r2.objective) < 1e-9 * max(1.0, abs(r1.objective))
    x = np.array([1.3, 2.1, 3.7, 1.1])
    assert np.allclose(q.jac_c(x), p.jac_c(x), rtol=1e-14, atol=0)
    assert np.allclose(q.jac_g(x), p.jac_g(x), rtol=1e-14, atol=0)


def test_numpy_problem_same_as_builtin_hs071():
    # The same optimum as the C++ definition of hs071 (problems/verification).
    r = almkit.solve(almkit.problem("hs71"))
    assert r.converged and abs(r.objective - HS071_F) < 1e-6
    assert abs(almkit.problem("hs071").known_optimal_value - HS071_F) < 1e-6


def test_builtin_derivatives_by_finite_differences():
    p = almkit.problem("hs071")
    x = np.array([1.5, 3.2, 2.7, 1.9])
    h = 1e-6
    fd = np.array([(p.f(x + h * e) - p.f(x - h * e)) / (2 * h) for e in np.eye(4)])
    assert np.allclose(p.grad(x), fd, rtol=1e-7, atol=1e-7)
    fdc = np.array([(p.c(x + h * e) - p.c(x - h * e)) / (2 * h) for e in np.eye(4)]).T
    assert np.allclose(p.jac_c(x), fdc, rtol=1e-7, atol=1e-7)
    y = np.array([0.7])
    assert np.allclose(p.jac_c_t(x, y), p.jac_c(x).T @ y, rtol=1e-14)


def test_wrong_shapes_raise_value_error_naming_the_callable():
    p = hs071_numpy()
    bad_grad = almkit.Problem(lambda x: float(x @ x), lambda x: np.zeros(3), np.ones(4))
    with pytest.raises(ValueError, match=r"grad: returned shape \(3,\), expected \(4,\)"):
        almkit.solve(bad_grad)
    bad_jac = hs071_numpy(jac_c=lambda x: np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"jac_c: shape \(2, 4\), expected \(1, 4\)"):
        almkit.solve(bad_jac)
    with pytest.raises(ValueError, match="lower"):
        hs071_numpy(lower=np.ones(3))
    with pytest.raises(ValueError, match="jac_c"):
        hs071_numpy(jac_c=None)
    with pytest.raises(ValueError, match=r"c: returned shape \(1,\), expected \(2,\)"):
        hs071_numpy(num_equalities=2)
    assert p.n == 4


def test_non_finite_and_exceptions_from_callables():
    nan_f = almkit.Problem(lambda x: float("nan"), lambda x: np.zeros(2), np.ones(2))
    with pytest.raises(ValueError, match="f: returned a non-finite value"):
        almkit.solve(nan_f)

    def boom(x):
        raise RuntimeError("user error in grad")
    with pytest.raises(RuntimeError, match="user error in grad"):
        almkit.solve(almkit.Problem(lambda x: float(x @ x), boom, np.ones(2)))
    with pytest.raises(ValueError, match="x0"):
        almkit.Problem(lambda x: 0.0, lambda x: x, np.array([1.0, np.nan]))


def test_options_by_name_and_errors():
    p = almkit.problem("hs071")
    r = almkit.solve(p, max_outer_iterations=2, tol_feasibility=1e-12, tol_stationarity=1e-14)
    assert r.outer_iterations <= 2 and r.options["max_outer_iterations"] == 2
    with pytest.raises(ValueError, match="unknown option max_outer"):
        almkit.solve(p, max_outer=3)
    with pytest.raises(ValueError, match="tol_feasibility"):
        almkit.solve(p, tol_feasibility=-1.0)
    with pytest.raises(ValueError, match="max_outer_iterations"):
        almkit.solve(p, max_outer_iterations=2.5)
    with pytest.raises(ValueError, match="policy"):
        almkit.solve(p, policy="fast")
    with pytest.raises(ValueError, match="lbfgs.memory_size"):
        almkit.solve(p, lbfgs={"memory_size": 3})
    with pytest.raises(ValueError, match="bcd"):
        almkit.solve(p, inner="bcd")
    names = [o[0] for o in almkit.alm_options()]
    assert "tol_feasibility" in names and "ref_gamma0" in names
    assert "tol_feasibility" in almkit.solve.__doc__


def test_callback_stops_the_solve():
    seen = []

    def cb(rec, x):
        seen.append(rec["iteration"])
        return len(seen) < 2
    r = almkit.solve(hs071_numpy(), callback=cb)
    assert r.status == "stopped_by_callback" and seen == [1, 2]

    def raising(rec, x):
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        almkit.solve(almkit.problem("hs071"), callback=raising)


def test_verify_at_the_optimum_and_away():
    p = almkit.problem("hs071")
    r = almkit.solve(p)
    v = almkit.verify(p, r.x, r.multipliers)
    assert v.is_kkt, v.failures
    assert v["nnamcq"]["holds"]
    v2 = almkit.verify(p, r.x)  # least-squares multipliers
    assert v2["is_kkt"]
    w = almkit.verify(p, p.x0)
    assert not w["is_kkt"] and w["failures"]
    with pytest.raises(ValueError, match="x"):
        almkit.verify(p, np.ones(3))
    with pytest.raises(ValueError, match="unknown option"):
        almkit.verify(p, r.x, tol=1e-3)


def _cli(args, tmp_path, name):
    if not _build_info.cli or not os.path.exists(_build_info.cli):
        pytest.skip("almkit CLI not built")
    out = tmp_path / name
    res = subprocess.run([_build_info.cli] + args + ["--json", str(out)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    return json.loads(out.read_text())


HS_NAMES = [n for n, _ in almkit.problems() if n.startswith("hs")]


@pytest.mark.parametrize("name", HS_NAMES)
def test_builtin_hs_bit_for_bit_with_cli(name, tmp_path):
    # Same problem, same default options: the Python solve equals `almkit solve NAME --json`.
    j = _cli(["solve", name], tmp_path, "solve.json")
    r = almkit.solve(almkit.problem(name))
    assert r.status == j["status"]
    assert r.outer_iterations == j["statistics"]["outer_iterations"]
    assert r.x.tolist() == j["x"]
    assert r.multipliers["equality"].tolist() == j["multipliers"]["equality"]
    assert r.multipliers["inequality"].tolist() == j["multipliers"]["inequality"]
    assert r.evaluations == j["statistics"]["evaluations"]


@pytest.mark.parametrize("name", ["hs071", "hs076", "hs013", "kink-abs", "kink-relu-2d", "kink-square", "mfcq-not-licq",
                                  "relu-layer"])
def test_verify_agrees_with_cli_verifier(name, tmp_path):
    # `almkit verify NAME` runs the ALM (default options, Ceres L-BFGS inner solver: apps/cmd_verify.cpp),
    # then verifies with its multipliers.
    j = _cli(["verify", name], tmp_path, "verify.json")
    p = almkit.problem(name)
    r = almkit.solve(p, inner="lbfgs")
    v = almkit.verify(p, r.x, r.multipliers)
    for key in ("is_kkt", "infeasibility", "complementarity", "sign_violation", "scaled_stationarity",
                "multiplier_norm", "failures"):
        assert v[key] == j["kkt"][key], key
    assert v["clarke"]["residual"] == j["kkt"]["clarke"]["residual"]
    assert v["nnamcq"]["holds"] == j["nnamcq"]["holds"]


def test_docstrings_everywhere():
    import inspect
    for mod in (almkit, almkit.rnn):
        for name in mod.__all__:
            obj = getattr(mod, name)
            if inspect.ismodule(obj):
                continue
            assert obj.__doc__ and len(obj.__doc__) > 40, f"{mod.__name__}.{name} has no docstring"
    # help(almkit.solve) lists every ALM option with its default
    for name, default, _ in almkit.alm_options():
        assert f"{name} = {default!r}" in almkit.solve.__doc__


def test_verify_python_problem_and_history_arrays():
    p = hs071_numpy()
    r = almkit.solve(p)
    v = almkit.verify(p, r.x, r.multipliers)  # evaluations call back into Python with the GIL released
    assert v.is_kkt and v["nnamcq"]["holds"]
    h = r.history_arrays()
    assert h["iteration"].tolist() == list(range(1, r.outer_iterations + 1))
    assert h["infeasibility"][-1] == r.history[-1]["infeasibility"]
    with pytest.raises(ValueError, match="g: returned a non-finite|jac_g"):
        bad = hs071_numpy(jac_g=lambda x: np.full((1, 4), np.inf))
        almkit.verify(bad, r.x, r.multipliers)


def test_warm_start_from_a_solution():
    p = almkit.problem("hs071")
    r = almkit.solve(p)
    w = almkit.solve(p, x0=r.x, multipliers=r.multipliers)
    assert w.converged and w.outer_iterations < r.outer_iterations
    assert abs(w.objective - r.objective) < 1e-8
    with pytest.raises(ValueError, match=r"multipliers\['equality'\]"):
        almkit.solve(p, multipliers={"equality": np.zeros(2)})
