# almkit.rnn from numpy (docs/python.md "RNN"): training, predictions, model
# files, the BPTT gradient, the agreement with `almkit train`, and PyTorch.
import csv
import os
import subprocess

import numpy as np
import pytest

import almkit
from almkit import _build_info


def teacher_data(T=120, d=3, p=2, m=4, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((T, d))
    W = 0.4 * rng.standard_normal((m, m))
    V = rng.standard_normal((m, d))
    A = rng.standard_normal((p, m))
    h = np.zeros(m)
    Y = np.empty((T, p))
    for t in range(T):
        h = np.maximum(W @ h + V @ X[t], 0.0)
        Y[t] = A @ h
    return X, Y


def reference_forward(w, X, h0=None):
    """h_t = relu(W h_{t-1} + V x_t + b), y_t = A h_t + c in plain numpy (docs/rnn.md §1)."""
    h = np.zeros(w["W"].shape[0]) if h0 is None else h0
    out = []
    for x in X:
        h = np.maximum(w["W"] @ h + w["V"] @ x + w["b"], 0.0)
        out.append(w["A"] @ h + w["c"])
    return np.array(out)


@pytest.fixture(scope="module")
def small_model():
    X, Y = teacher_data()
    model = almkit.rnn.train(X[:100], Y[:100], hidden=6, init="he", seed=3, test=(X[100:], Y[100:]),
                             max_outer_iterations=60)
    return X, Y, model


def test_train_reduces_the_loss_and_reports(small_model):
    X, Y, model = small_model
    h = model.history
    assert h[0]["iteration"] == 0 and len(h) >= 2
    assert h[-1]["train_mse"] < 0.5 * h[0]["train_mse"]
    # the default policy (time-parallel): every step and restart lowers F (docs/parallel.md §8)
    F = [r["objective"] for r in h]
    assert all(b <= a * (1 + 1e-12) for a, b in zip(F, F[1:]))
    assert model.policy == "time-parallel" and model.status
    assert model.kkt_bptt["infeasibility"] < 1e-12
    assert np.isfinite(model.test_mse)
    pred = model.predict(X[:100])
    assert pred.shape == (100, 2)
    assert np.sum((pred - Y[:100]) ** 2, axis=1).mean() == pytest.approx(model.train_mse, rel=1e-12)


def test_test_mse_continues_from_the_training_state_by_default(small_model):
    # docs/rnn.md §9: the test pass continues from the last training state unless
    # test_continues_from_train=False (h_0 = 0); predict() itself always starts from h_0 = 0.
    X, Y, model = small_model
    assert model.test_continues_from_train is True
    mse = lambda P, T: np.sum((P - T) ** 2, axis=1).mean()  # noqa: E731
    continued = mse(reference_forward(model.weights, X)[100:], Y[100:])
    restarted = mse(reference_forward(model.weights, X[100:]), Y[100:])
    assert abs(continued - restarted) > 1e-9 * restarted  # the modes differ on these weights
    assert model.test_mse == pytest.approx(continued, rel=1e-12)
    assert mse(model.predict(X[100:]), Y[100:]) == pytest.approx(restarted, rel=1e-12)
    r = almkit.rnn.train(X[:100], Y[:100], hidden=6, init="he", seed=3, test=(X[100:], Y[100:]),
                         max_outer_iterations=60, test_continues_from_train=False)
    assert r.test_continues_from_train is False
    assert all(np.array_equal(r.weights[k], model.weights[k]) for k in r.weights)  # no training step changes
    assert r.test_mse == pytest.approx(restarted, rel=1e-12)


def test_predict_matches_numpy_forward_pass(small_model):
    X, _, model = small_model
    assert np.allclose(model.predict(X), reference_forward(model.weights, X), rtol=1e-12, atol=1e-12)


def test_bptt_gradient_by_finite_differences(small_model):
    X, Y, model = small_model
    # Near, not at, the trained weights: a minimizer may sit on ReLU kinks, where
    # central differences straddle two pieces.
    rng = np.random.default_rng(5)
    w = {k: v + 1e-3 * rng.standard_normal(v.shape) for k, v in model.weights.items()}
    o = almkit.rnn.Model(w, model.regularization).objective(X[:100], Y[:100])
    eps = 1e-6
    for name, idx in [("W", (0, 1)), ("V", (2, 0)), ("b", (1,)), ("A", (1, 2)), ("c", (0,))]:
        wp = {k: v.copy() for k, v in w.items()}
        wm = {k: v.copy() for k, v in w.items()}
        wp[name][idx] += eps
        wm[name][idx] -= eps
        fp = almkit.rnn.Model(wp, model.regularization).objective(X[:100], Y[:100])["objective"]
        fm = almkit.rnn.Model(wm, model.regularization).objective(X[:100], Y[:100])["objective"]
        assert o["gradient"][name][idx] == pytest.approx((fp - fm) / (2 * eps), rel=1e-5, abs=1e-8)
    assert model.kkt_report(X[:100], Y[:100])["stationarity"] == pytest.approx(model.kkt_bptt["stationarity"], rel=1e-6)


def test_save_load_round_trip(small_model, tmp_path):
    X, _, model = small_model
    path = tmp_path / "model.json"
    model.save(path)
    back = almkit.rnn.load(path)
    for k in ("W", "V", "b", "A", "c"):
        assert np.array_equal(back.weights[k], model.weights[k])
    assert np.array_equal(back.predict(X), model.predict(X))


def test_options_and_data_errors():
    X, Y = teacher_data(T=30)
    with pytest.raises(ValueError, match="unknown option bcd.max_sweep"):
        almkit.rnn.train(X, Y, hidden=3, bcd={"max_sweep": 3})
    with pytest.raises(ValueError, match="unknown option max_outer"):
        almkit.rnn.train(X, Y, hidden=3, max_outer=3)
    with pytest.raises(ValueError, match="policy"):
        almkit.rnn.train(X, Y, hidden=3, policy="fast")
    with pytest.raises(ValueError, match="init"):
        almkit.rnn.train(X, Y, hidden=3, init="xavier")
    with pytest.raises(ValueError, match="train Y"):
        almkit.rnn.train(X, Y[:20], hidden=3)
    Xn = X.copy()
    Xn[3, 1] = np.nan
    with pytest.raises(ValueError, match="not finite"):
        almkit.rnn.train(Xn, Y, hidden=3)
    with pytest.raises(ValueError, match="hidden"):
        almkit.rnn.train(X, Y, hidden=0)


def test_several_sequences_callback_stop_and_lbfgs():
    X, Y = teacher_data(T=60)
    rows = []

    def cb(row):
        rows.append(row)
        return row["iteration"] < 3
    m = almkit.rnn.train([X[:30], X[30:]], [Y[:30], Y[30:]], hidden=4, callback=cb, max_outer_iterations=50)
    assert m.status == "stopped_by_callback" and rows[-1]["iteration"] == 3
    # the same sequences given as a list of (X, Y) pairs train to the same weights
    mp = almkit.rnn.train([(X[:30], Y[:30]), (X[30:], Y[30:])], None, hidden=4, max_outer_iterations=3)
    ml = almkit.rnn.train([X[:30], X[30:]], [Y[:30], Y[30:]], hidden=4, max_outer_iterations=3)
    assert np.array_equal(mp.weights["W"], ml.weights["W"])
    # a sequence start resets the state: the second piece's training loss uses h = 0 at t = 30
    o = ml.objective([X[:30], X[30:]], [Y[:30], Y[30:]])
    direct = np.sum((np.vstack([ml.predict(X[:30]), ml.predict(X[30:])]) - Y) ** 2, axis=1).mean()
    assert o["mse"] == pytest.approx(direct, rel=1e-12)
    m2 = almkit.rnn.train(X, Y, hidden=4, inner="lbfgs", max_outer_iterations=2, lbfgs={"max_iterations": 20})
    assert m2.policy == "reference" and len(m2.history) == 3


def read_sp500():
    path = os.path.join(_build_info.data_dir, "clean_SP500.csv")
    with open(path) as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    data = np.array([[float(v) for v in r[1:]] for r in body])
    assert header[-1] == "RV_SP500"
    return data[:, :-1], data[:, -1:]


def test_sp500_same_mse_as_cli(tmp_path):
    # `almkit train` defaults (SP500, 90/10 split, no scaling, m = 20, rollout policy) with 30 outer iterations.
    if not _build_info.cli or not os.path.exists(_build_info.cli):
        pytest.skip("almkit CLI not built")
    out = tmp_path / "train"
    res = subprocess.run([_build_info.cli, "train", "--outer", "30", "--quiet", "--no-plots", "--out", str(out)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    import json
    s = json.loads((out / "summary.json").read_text())
    X, Y = read_sp500()
    n = int(np.floor(0.9 * len(X)))
    model = almkit.rnn.train(X[:n], Y[:n], test=(X[n:], Y[n:]), max_outer_iterations=30)
    assert model.train_mse == s["train_mse"]
    assert model.test_mse == s["test_mse"]
    assert s["test_mse_mode"] == "continued" and model.test_continues_from_train is True
    cli_model = almkit.rnn.load(out / "model.json")
    for k in ("W", "V", "b", "A", "c"):
        assert np.array_equal(cli_model.weights[k], model.weights[k])


def test_sp500_plain_preset_same_as_cli(tmp_path):
    # preset="plain" is `almkit train --preset plain`; a rollout option given by name overrides it.
    if not _build_info.cli or not os.path.exists(_build_info.cli):
        pytest.skip("almkit CLI not built")
    out = tmp_path / "plain"
    res = subprocess.run([_build_info.cli, "train", "--preset", "plain", "--outer", "30", "--quiet", "--no-plots",
                          "--out", str(out)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    X, Y = read_sp500()
    n = int(np.floor(0.9 * len(X)))
    model = almkit.rnn.train(X[:n], Y[:n], test=(X[n:], Y[n:]), max_outer_iterations=30, preset="plain")
    cli_model = almkit.rnn.load(out / "model.json")
    for k in ("W", "V", "b", "A", "c"):
        assert np.array_equal(cli_model.weights[k], model.weights[k])
    assert model.options["rollout"]["kink_manifold"] == 0 and model.options["rollout"]["anderson"] == 0
    default = almkit.rnn.train(X[:n], Y[:n], max_outer_iterations=30)
    assert default.options["rollout"]["kink_manifold"] == 64
    assert not np.array_equal(default.weights["W"], model.weights["W"])
    import json
    mixed = almkit.rnn.train(X[:n], Y[:n], max_outer_iterations=3, preset="plain", rollout={"anderson": 2})
    assert mixed.options["rollout"]["anderson"] == 2 and mixed.options["rollout"]["w_proximal"] == 0
    assert_same_options(json.loads((out / "summary.json").read_text())["options"], model.options)
    with pytest.raises(ValueError, match="option preset: unknown preset 'kkt' \\(known: reference, plain, default\\)"):
        almkit.rnn.train(X[:n], Y[:n], max_outer_iterations=3, preset="kkt")


def assert_same_options(cli, py):
    """The options of one training request, resolved by `almkit train` (summary.json) and by
    rnn.train (model.options): equal but for the data's names, the CLI's run options and the
    forecast baselines (summary.json only)."""
    def clean(o):
        return {k: v for k, v in o.items() if k not in ("data", "run", "baselines")}
    cli, py = clean(cli), clean(py)
    assert cli == py, {k: (cli.get(k), py.get(k)) for k in set(cli) | set(py) if cli.get(k) != py.get(k)}


def test_sp500_reference_preset_same_as_cli(tmp_path):
    # preset="reference" is `almkit train --preset reference` (TrainOptions::reference_preset()); options given
    # by name override it on both sides, and both resolve the same request to the same options and weights.
    if not _build_info.cli or not os.path.exists(_build_info.cli):
        pytest.skip("almkit CLI not built")
    import json
    out = tmp_path / "reference"
    res = subprocess.run([_build_info.cli, "train", "--preset", "reference", "--outer", "2", "--bcd.max_sweeps", "3",
                          "--quiet", "--no-plots", "--out", str(out)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    X, Y = read_sp500()
    n = int(np.floor(0.9 * len(X)))
    model = almkit.rnn.train(X[:n], Y[:n], test=(X[n:], Y[n:]), preset="reference", max_outer_iterations=2,
                             bcd={"max_sweeps": 3})
    s = json.loads((out / "summary.json").read_text())
    assert_same_options(s["options"], model.options)
    o = model.options
    assert o["preset"] == "reference" and o["policy"] == "reference" and model.policy == "reference"
    assert o["test_continues_from_train"] is False and model.test_continues_from_train is False
    assert o["bcd"]["max_sweeps"] == 3 and o["bcd"]["stop_test_enabled"] is False and o["alm"]["ref_gamma0"] == 1.0
    assert o["alm"]["max_outer_iterations"] == 2 and o["lambda6"] == 1e-8
    assert model.train_mse == s["train_mse"] and model.test_mse == s["test_mse"]
    cli_model = almkit.rnn.load(out / "model.json")
    for k in ("W", "V", "b", "A", "c"):
        assert np.array_equal(cli_model.weights[k], model.weights[k])
    # A policy given by name beats the preset's.
    assert almkit.rnn.train(X[:n], Y[:n], preset="reference", policy="safeguarded", max_outer_iterations=1,
                            bcd={"max_sweeps": 2}).policy == "safeguarded"


def test_irnn_scale_is_an_option(small_model):
    X, Y = teacher_data(T=40)
    m = almkit.rnn.train(X, Y, hidden=4, init="irnn", irnn_scale=0.5, max_outer_iterations=1)
    assert m.options["irnn_scale"] == 0.5 and m.options["init"] == "irnn"
    assert m.history[0]["iteration"] == 0
    with pytest.raises(ValueError, match="irnn-scale"):
        almkit.rnn.train(X, Y, hidden=4, init="irnn", irnn_scale=float("inf"), max_outer_iterations=1)


def _torch():
    try:
        import torch as t
        return t
    except ImportError:
        pytest.skip("PyTorch (Debian python3-torch) not importable")


def test_to_torch_predicts_the_same(small_model):
    t = _torch()
    X, _, model = small_model
    rnn, lin = model.torch_modules()
    with t.no_grad():
        H, _ = rnn(t.tensor(X[None], dtype=t.float64))
        P = lin(H)[0].numpy()
    assert np.max(np.abs(P - model.predict(X))) <= 1e-12
    sd = model.to_torch()
    assert set(sd["rnn"]) == {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"}
    assert float(sd["rnn"]["bias_hh_l0"].abs().max()) == 0.0


def test_from_torch_round_trip_and_kkt(small_model):
    t = _torch()
    X, Y, model = small_model
    rnn, lin = model.torch_modules()
    back = almkit.rnn.from_torch(rnn, lin, model.regularization)
    for k in ("W", "V", "b", "A", "c"):
        assert np.array_equal(back.weights[k], model.weights[k])
    # A model trained in PyTorch gets a KKT report (BPTT multipliers at its forward-pass point).
    t.manual_seed(0)
    r2 = t.nn.RNN(3, 5, nonlinearity="relu", batch_first=True).double()
    l2 = t.nn.Linear(5, 2).double()
    opt = t.optim.Adam(list(r2.parameters()) + list(l2.parameters()), lr=1e-2)
    xt, yt = t.tensor(X[None, :100]), t.tensor(Y[None, :100])
    for _ in range(20):
        opt.zero_grad()
        loss = ((l2(r2(xt)[0]) - yt) ** 2).sum(-1).mean()
        loss.backward()
        opt.step()
    m = almkit.rnn.from_torch(r2, l2, {f"lambda{i}": 0.0 for i in range(1, 7)})
    rep = m.kkt_report(X[:100], Y[:100])
    with t.no_grad():
        ref = float(((l2(r2(xt)[0]) - yt) ** 2).sum(-1).mean())
    assert rep["mse"] == pytest.approx(ref, rel=1e-12)
    assert rep["stationarity"] > 0 and rep["infeasibility"] == 0.0
    with pytest.raises(ValueError, match="relu"):
        almkit.rnn.from_torch(t.nn.RNN(3, 5, batch_first=True), l2)


def test_compare_returns_the_table():
    if not _build_info.cli or not os.path.exists(_build_info.cli):
        pytest.skip("almkit CLI not built")
    X, Y = teacher_data(T=80)
    r = almkit.rnn.compare(X, Y, methods="alm-bcd,adam", inits="he", seeds=1, hidden=4, budget_evals=40,
                           timeout=120)
    runs = r["runs"]
    assert {run["method"] for run in runs} >= {"alm-bcd", "adam"}
    assert r["hidden"] == 4 and r["data"]["train_steps"] == 72
    with pytest.raises(RuntimeError, match="compare"):
        almkit.rnn.compare(X, Y, methods="no-such-method", budget_evals=10, timeout=60)


def test_ctrl_c_stops_training():
    # SIGINT during a long run (GIL released): stops at the next outer iteration with KeyboardInterrupt.
    import signal
    import threading
    import time
    X, Y = teacher_data(T=3000, d=3, p=1, m=8)
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    t0 = time.perf_counter()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            almkit.rnn.train(X, Y, hidden=30, policy="rollout", max_outer_iterations=100000,
                             rollout={"tol_gradient": 0.0})
    finally:
        timer.cancel()
    assert time.perf_counter() - t0 < 10


def test_nan_rows_of_y_are_unobserved_steps():
    X, Y = teacher_data(T=60, p=1)
    Yn = Y.copy()
    Yn[10:20] = np.nan
    m = almkit.rnn.train(X, Yn, hidden=4, seed=1, max_outer_iterations=5)
    observed = np.r_[0:10, 20:60]
    pred = m.predict(X)
    assert np.sum((pred[observed] - Y[observed]) ** 2, axis=1).mean() == pytest.approx(m.train_mse, rel=1e-12)
    Yp = Y.copy()
    Yp[3, 0] = np.inf
    with pytest.raises(ValueError, match="not finite"):
        almkit.rnn.train(X, Yp, hidden=4)


def test_sp500_standardized_same_as_cli(tmp_path):
    # --scaling standardize: fitted on the training part; model.predict in original units.
    if not _build_info.cli or not os.path.exists(_build_info.cli):
        pytest.skip("almkit CLI not built")
    import json
    out = tmp_path / "train"
    res = subprocess.run([_build_info.cli, "train", "--outer", "10", "--scaling", "standardize", "--quiet",
                          "--no-plots", "--out", str(out)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    s = json.loads((out / "summary.json").read_text())
    X, Y = read_sp500()
    n = int(np.floor(0.9 * len(X)))
    model = almkit.rnn.train(X[:n], Y[:n], test=(X[n:], Y[n:]), max_outer_iterations=10, scaling="standardize")
    assert model.train_mse == s["train_mse"] and model.test_mse == s["test_mse"]
    cli_model = almkit.rnn.load(out / "model.json")
    assert np.array_equal(cli_model.predict(X[n:]), model.predict(X[n:]))
    with pytest.raises(ValueError, match="scaling"):
        almkit.rnn.train(X[:n], Y[:n], scaling="zscore")


def test_failed_run_warns_and_reports_the_cause():
    # As `almkit train` exits with code 3 (docs/interruption.md §4): a non-finite run is returned, flagged, warned.
    X, Y = teacher_data(T=40, d=2, p=1, m=2)
    X[3, 0] = 1e308
    with pytest.warns(RuntimeWarning, match="training failed: status non_finite"):
        model = almkit.rnn.train(X, Y, hidden=2, seed=0, max_outer_iterations=3)
    assert model.failed
    assert model.status == "non_finite"
    assert "values up to 1e+308" in model.failure_cause
    assert "--scaling standardize|minmax" in model.failure_cause
    # Scaled, the same data train to a finite model without a warning.
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        ok = almkit.rnn.train(X, Y, hidden=2, seed=0, max_outer_iterations=3, scaling="minmax")
    assert not ok.failed
    assert np.isfinite(ok.train_mse)


def test_selection_keeps_the_best_validation_weights():
    # docs/rnn.md §9: the last 20 % of the training data are held out; the model's weights
    # give the recorded least validation MSE (checked by a numpy forward pass).
    X, Y = teacher_data(T=100)
    model = almkit.rnn.train(X, Y, hidden=4, init_std=0.3, max_outer_iterations=40,
                             selection={"validation": 0.2, "patience": 5})
    v = model.validation
    assert v is not None and v["fit_steps"] == 80 and v["validation_steps"] == 20
    assert v["best"]["validation_mse"] == min(v["curve"]["validation_mse"])
    P = reference_forward(model.weights, X)
    err = np.mean(np.sum((P[80:] - Y[80:]) ** 2, axis=1))
    assert err == pytest.approx(v["best"]["validation_mse"], rel=1e-9)
    assert model.lambda_selection is None
    with pytest.raises(ValueError, match="validation"):
        almkit.rnn.train(X, Y, hidden=4, selection={"validation": 1.5})


def test_time_parallel_policy_certifies_and_its_options_are_checked():
    # docs/parallel.md §8: L-BFGS on F with the forward pass and BPTT over time chunks.
    X, Y = teacher_data(T=200)
    rows = []
    model = almkit.rnn.train(X, Y, hidden=4, policy="time-parallel", parallel={"chunks": 4, "min_chunk_steps": 1}, init="gaussian",
                             init_std=0.1, callback=rows.append)
    assert model.status == "converged"
    assert rows and rows[-1]["objective"] < rows[0]["objective"]
    again = almkit.rnn.train(X, Y, hidden=4, policy="time-parallel", **{"parallel.chunks": 4, "parallel.min_chunk_steps": 1}, init="gaussian",
                             init_std=0.1)
    for k in ("W", "V", "b", "A", "c"):
        assert np.array_equal(model.weights[k], again.weights[k])
    with pytest.raises(ValueError, match="chunks"):
        almkit.rnn.train(X, Y, hidden=4, policy="time-parallel", parallel={"chunks": 0})
    with pytest.raises(ValueError, match="unknown option"):
        almkit.rnn.train(X, Y, hidden=4, policy="time-parallel", parallel={"no_such_option": 1})
