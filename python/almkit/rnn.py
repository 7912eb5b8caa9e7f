"""ReLU RNN training by the ALM from numpy arrays (docs/rnn.md, docs/python.md "RNN").

    model = almkit.rnn.train(X, Y, hidden=20, init="gaussian", seed=0,
                             test=(X_test, Y_test), max_outer_iterations=200)
    model.predict(X_test); model.history; model.kkt; model.save("model.json")
    sd = model.to_torch()          # state_dicts for torch.nn.RNN(relu, batch_first) + torch.nn.Linear
    m2 = almkit.rnn.from_torch(rnn, linear)

The model is h_t = relu(W h_{t-1} + V x_t + b), y_t = A h_t + c, h_0 = 0
(docs/rnn.md §1). Arrays are (T, d) inputs and (T, p) targets, time along rows.
"""

import json
import os
import warnings

import numpy as np

from . import _core

__all__ = ["Model", "train", "load", "from_torch", "compare"]

_WEIGHT_NAMES = ("W", "V", "b", "A", "c")


def _pairs(X, Y, what):
    """[(X, Y), ...] from one pair of arrays or a list of pairs (several sequences)."""
    if isinstance(X, (list, tuple)):
        if Y is None and X and all(isinstance(e, (list, tuple)) and len(e) == 2 for e in X):
            X, Y = [e[0] for e in X], [e[1] for e in X]  # [(X1, Y1), (X2, Y2), ...]
        if Y is None:
            Y = [None] * len(X)
        if not isinstance(Y, (list, tuple)) or len(Y) != len(X):
            raise ValueError(f"{what}: X is a list of {len(X)} sequences, Y must be a list of as many")
        return [(np.asarray(x, dtype=float), None if y is None else np.asarray(y, dtype=float)) for x, y in zip(X, Y)]
    return [(np.asarray(X, dtype=float), None if Y is None else np.asarray(Y, dtype=float))]


def _identity_scaling(d, p):
    return {"kind": "none", "input_offset": np.zeros(d), "input_scale": np.ones(d),
            "target_offset": np.zeros(p), "target_scale": np.ones(p)}


class Model:
    """A trained (or loaded, or imported) RNN: weights W (m, m), V (m, d), b (m,), A (p, m), c (p,).

    Attributes: weights (dict of numpy arrays), history (list of dicts, one per outer
    iteration; row 0 is the start), kkt (KKT residuals of the training problem (P) at the
    last iterate with the ALM multipliers), kkt_bptt (at the forward-pass point of the
    weights with the BPTT multipliers: stationarity = |grad F|_inf), status, message,
    failed (True after a non-finite or inner-solver failure: no usable model; train() then warns
    with a RuntimeWarning naming failure_cause, as `almkit train` exits with code 3),
    train_mse, test_mse, nnamcq_certificate, options, regularization.
    """

    def __init__(self, weights, regularization=None, scaling=None, info=None):
        self.weights = {k: np.array(weights[k], dtype=float) for k in _WEIGHT_NAMES}
        m, d = self.weights["V"].shape
        p = self.weights["A"].shape[0]
        self.regularization = dict(regularization or {"lambda1": 0.01, "lambda2": 0.01, "lambda3": 0.01,
                                                      "lambda4": 0.01, "lambda5": 0.01, "lambda6": 1e-8})
        self.scaling = scaling or _identity_scaling(d, p)
        info = info or {}
        self.history = info.get("history", [])
        self.kkt = info.get("kkt")
        self.kkt_bptt = info.get("kkt_bptt")
        self.status = info.get("status")
        self.message = info.get("message")
        self.failed = info.get("failed", False)
        self.failure_cause = info.get("failure_cause", "")
        self.train_mse = info.get("train_mse")
        self.test_mse = info.get("test_mse")
        self.nnamcq_certificate = info.get("nnamcq_certificate")
        self.options = info.get("options", {})
        self.policy = info.get("policy")
        self.validation = info.get("validation")
        fw = info.get("final_weights")
        self.final_weights = None if fw is None else {k: np.array(fw[k], dtype=float) for k in _WEIGHT_NAMES}
        self.lambda_selection = info.get("lambda_selection")
        # model.json needs a name per input and target column (docs/rnn.md §8): x0.., y0.. for arrays.
        self.input_columns = list(info.get("input_columns") or [f"x{i}" for i in range(d)])
        self.target_columns = list(info.get("target_columns") or [f"y{i}" for i in range(p)])
        self.univariate = info.get("univariate", False)
        self.test_continues_from_train = info.get("test_continues_from_train", False)
        # Weights checked once (shapes, finiteness) by the C++ side.
        _core.rnn_predict(self.weights, np.zeros((1, d)))

    hidden = property(lambda self: self.weights["W"].shape[0], doc="m, the hidden state size.")
    inputs = property(lambda self: self.weights["V"].shape[1], doc="d, the number of inputs.")
    outputs = property(lambda self: self.weights["A"].shape[0], doc="p, the number of targets.")

    def predict(self, X, h0=None):
        """Predictions (T, p) for inputs X (T, d), forward pass from h_0 = 0 (or h0).

        test_continues_from_train only records how test_mse was measured; predict() does not
        continue any state by itself: to forecast after the training range, predict on the
        training and test inputs concatenated and keep the last rows (or pass h0).

        A model loaded from an `almkit train` model.json maps X and the predictions
        through its stored scaling (original units); models trained here use none."""
        X = np.asarray(X, dtype=float)
        if X.ndim == 1 and self.inputs == 1:
            X = X[:, None]
        s = self.scaling
        Xs = (X - s["input_offset"]) / s["input_scale"]
        Ys = _core.rnn_predict(self.weights, Xs, h0)
        return Ys * s["target_scale"] + s["target_offset"]

    def objective(self, X, Y):
        """F(theta) of docs/rnn.md §2 on (X, Y) (scaled units) with this model's regularization,
        its BPTT gradient (dict like weights), |grad F|_inf and the MSE."""
        return _core.rnn_objective(self.weights, _pairs(X, Y, "objective"), self.regularization)

    def kkt_report(self, X, Y):
        """KKT residuals of the training problem (P) on (X, Y) at the forward-pass point of these
        weights with the BPTT multipliers (docs/rnn.md §3): infeasibility 0 and stationarity
        |grad F|_inf. Works for any weights, e.g. a model trained in PyTorch (from_torch)."""
        o = self.objective(X, Y)
        return {"stationarity": o["grad_inf"], "infeasibility": 0.0, "objective": o["objective"],
                "mse": o["mse"], "multipliers": "BPTT adjoints at the forward-pass point"}

    def save(self, path):
        """Writes model.json (docs/rnn.md §8 schema, read by `almkit predict` and load())."""
        _core.rnn_save(str(path), self.weights, self.regularization, self.scaling, list(self.input_columns),
                       list(self.target_columns), bool(self.univariate), bool(self.test_continues_from_train),
                       json.dumps(self.options if isinstance(self.options, dict) else {}))

    def to_torch(self):
        """State dicts for torch.nn.RNN(d, m, nonlinearity="relu", batch_first=True) and
        torch.nn.Linear(m, p), float64: {"rnn": {...}, "linear": {...}}.

        W -> weight_hh_l0, V -> weight_ih_l0, b -> bias_ih_l0, bias_hh_l0 = 0, A -> weight, c -> bias.
        Load with rnn.double().load_state_dict(sd["rnn"]); linear.double().load_state_dict(sd["linear"])."""
        import torch
        t = lambda a: torch.tensor(np.ascontiguousarray(a), dtype=torch.float64)  # noqa: E731
        w = self.weights
        return {"rnn": {"weight_ih_l0": t(w["V"]), "weight_hh_l0": t(w["W"]), "bias_ih_l0": t(w["b"]),
                        "bias_hh_l0": t(np.zeros_like(w["b"]))},
                "linear": {"weight": t(w["A"]), "bias": t(w["c"])}}

    def torch_modules(self):
        """(torch.nn.RNN, torch.nn.Linear) in float64 holding these weights."""
        import torch
        rnn = torch.nn.RNN(self.inputs, self.hidden, nonlinearity="relu", batch_first=True).double()
        lin = torch.nn.Linear(self.hidden, self.outputs).double()
        sd = self.to_torch()
        rnn.load_state_dict(sd["rnn"])
        lin.load_state_dict(sd["linear"])
        return rnn, lin

    def __repr__(self):
        return (f"almkit.rnn.Model(m={self.hidden}, d={self.inputs}, p={self.outputs}, status={self.status!r}, "
                f"train_mse={self.train_mse!r})")


def _option_groups():
    return _core.train_defaults()


def train(X, Y, hidden=20, inner=None, policy=None, init="gaussian", seed=0, *, test=None, init_std=1e-3,
          initial_weights=None, test_continues_from_train=None, scaling="none", callback=None, alm=None, bcd=None,
          lbfgs=None, rollout=None, preset=None, selection=None, irnn_scale=None, parallel=None, **options):
    """Trains a ReLU RNN on X (T, d) and Y (T, p) by the ALM (docs/rnn.md §7), as `almkit train`.

    X, Y: arrays, or lists of arrays for several sequences (h = 0 at each start), or
      X = [(X1, Y1), (X2, Y2), ...] with Y = None; a NaN row of Y is an unobserved step (weight 0).
    scaling: "none" (default), "standardize" or "minmax", fitted per column on the training
      data (as `almkit train --scaling`); the model keeps it, so predict() takes and returns
      original units, while train_mse, test_mse and the history are in scaled units (as the CLI).
    hidden: m. policy: "time-parallel" (the default: L-BFGS on F with the forward pass and BPTT
      split over time chunks and threads, docs/parallel.md §8; options in `parallel`), "rollout"
      (ALM-BCD, docs/rnn_bcd.md §8), "reference" or "safeguarded" (the generic driver).
      inner: None, "bcd" or "lbfgs", the inner solver of the rollout and generic policies; given
      without a policy, "bcd" selects the rollout policy and "lbfgs" the reference policy.
      init: gaussian | he | glorot | lecun | pytorch | irnn.
      seed: of the initialization. init_std: of gaussian. irnn_scale: s of irnn, W = s I
      (default 1; `almkit train --irnn-scale`).
    test: (X_test, Y_test) for the test MSE of every history row.
    test_continues_from_train: None (default) takes `almkit train`'s default, True: the test
      forward pass continues from the last training state (a forecaster keeps the series'
      context, docs/rnn.md §9); False: it restarts from h_0 = 0 (--test-restart). The model
      records the mode (model.test_continues_from_train); predict() itself always starts
      from h_0 = 0 unless given h0.
    initial_weights: dict W, V, b, A, c (overrides init and seed).
    callback(row): after every outer iteration with the history row (dict); False stops.
    lambda1..lambda6: the regularization (docs/rnn.md §1), default 0.01 x 5 and 1e-8.
    alm, bcd, lbfgs, rollout, parallel: dicts of options of each group; an ALM option may also be
      given directly (max_outer_iterations=50, time_limit_seconds=10); "group.name"
      keys work too (**{"rollout.tol_gradient": 1e-6}). Unknown names raise ValueError.
      Defaults: those of `almkit train` (TrainOptions::defaults(), rnn_trainer.h).
    preset: None, or one of `almkit train --preset` (docs/rnn.md §7): "reference" (the
      reference study's demo settings, TrainOptions::reference_preset()), "plain" (the rollout
      step without the kink manifold, Anderson and the proximal term, RolloutOptions::plain()),
      "default" (TrainOptions::defaults()). Options given by name override it. The preset and
      every other decision are taken by the one training request of the C++ library
      (study/rnn_train_request.h), as for the command line.
    selection: dict of SelectionOptions (docs/rnn.md §9): validation (fraction of the
      training data held out at its end; the model keeps the best-validation weights),
      validation_every, patience (early stopping), lambda_auto, lambda_grid, lambda_folds,
      lambda_span. model.validation and model.lambda_selection report them (None when off).
    Returns a Model.
    """
    groups = {"alm": dict(alm or {}), "bcd": dict(bcd or {}), "lbfgs": dict(lbfgs or {}),
              "rollout": dict(rollout or {}), "selection": dict(selection or {}), "parallel": dict(parallel or {})}
    settings = {"hidden": hidden, "init": init, "seed": seed, "init_std": float(init_std), "scaling": scaling}
    if inner is not None:
        settings["inner"] = inner
    if test_continues_from_train is not None:
        settings["test_continues_from_train"] = bool(test_continues_from_train)
    if policy is not None:
        settings["policy"] = policy
    if initial_weights is not None:
        settings["initial_weights"] = {k: np.asarray(initial_weights[k], dtype=float) for k in _WEIGHT_NAMES}
    for key, value in options.items():
        if key.startswith("lambda"):
            settings[key] = value
        elif "." in key:
            g, name = key.split(".", 1)
            if g not in groups:
                raise ValueError(f"unknown option {key} (groups: alm, bcd, lbfgs, rollout, selection, parallel)")
            groups[g][name] = value
        else:
            groups["alm"][key] = value
    if preset is not None:
        settings["preset"] = preset
    if irnn_scale is not None:
        settings["irnn_scale"] = float(irnn_scale)
    train_pairs = _pairs(X, Y, "train")
    test_pairs = None if test is None else _pairs(test[0], test[1], "test")
    sc = None
    if scaling != "none":
        Xs = [x[:, None] if x.ndim == 1 else x for x, _ in train_pairs]
        Ys = [y[:, None] if y.ndim == 1 else y for _, y in train_pairs]
        if any(x.ndim != 2 for x in Xs) or any(y is None or y.ndim != 2 for y in Ys):
            raise ValueError("scaling: X must be (T, d) and Y (T, p) arrays")
        Xall, Yall = np.vstack(Xs), np.vstack(Ys)
        Yobs = Yall[~np.all(np.isnan(Yall), axis=1)]  # unobserved rows do not enter the fit
        xo, xs = _core.fit_scaling(scaling, Xall)
        yo, ys = _core.fit_scaling(scaling, Yobs)
        sc = {"kind": scaling, "input_offset": xo, "input_scale": xs, "target_offset": yo, "target_scale": ys}
        scale = lambda pairs: [((x - xo) / xs, (y - yo) / ys) for x, y in  # noqa: E731
                               (((a[:, None] if a.ndim == 1 else a), (b[:, None] if b.ndim == 1 else b))
                                for a, b in pairs)]
        train_pairs = scale(train_pairs)
        if test_pairs is not None:
            test_pairs = scale(test_pairs)
    else:
        _core.fit_scaling(scaling, np.zeros((1, 1)))  # checks the name
    if groups["selection"]:
        settings["selection"] = groups["selection"]
    r = _core.rnn_train(train_pairs, test_pairs, settings, groups["alm"], groups["bcd"], groups["lbfgs"],
                        groups["rollout"], callback, groups["parallel"])
    if r["failed"]:
        # `almkit train` exits with code 3 here (docs/interruption.md §4); the model is returned for inspection.
        warnings.warn(f"almkit.rnn.train: training failed: status {r['status']} ({r['message']}); "
                      f"likely cause: {r['failure_cause']}", RuntimeWarning, stacklevel=2)
    return Model(r["weights"], r["regularization"], sc, r)


def load(path):
    """Reads a model.json written by Model.save or `almkit train` (docs/rnn.md §8)."""
    d = _core.rnn_load(str(path))
    return Model(d["weights"], d["regularization"], d["scaling"], d)


def from_torch(rnn, linear, regularization=None):
    """A Model from torch.nn.RNN(d, m, nonlinearity="relu", batch_first=True) and
    torch.nn.Linear(m, p) (modules or their state_dicts). One layer, one direction, ReLU.
    b = bias_ih_l0 + bias_hh_l0 (PyTorch has two biases; the model one)."""
    import torch
    if isinstance(rnn, torch.nn.Module):
        if not isinstance(rnn, torch.nn.RNN) or rnn.nonlinearity != "relu":
            raise ValueError("from_torch: rnn must be torch.nn.RNN with nonlinearity='relu'")
        if rnn.num_layers != 1 or rnn.bidirectional:
            raise ValueError("from_torch: rnn must have one layer and one direction")
        if not rnn.batch_first:
            raise ValueError("from_torch: rnn must be batch_first=True (the layout to_torch maps to)")
        rsd = rnn.state_dict()
    else:
        rsd = rnn
    lsd = linear.state_dict() if isinstance(linear, torch.nn.Module) else linear
    for k in ("weight_ih_l0", "weight_hh_l0"):
        if k not in rsd:
            raise ValueError(f"from_torch: rnn state has no {k}")
    a = lambda t: t.detach().to(torch.float64).cpu().numpy().copy()  # noqa: E731
    W = a(rsd["weight_hh_l0"])
    b = np.zeros(W.shape[0])
    for k in ("bias_ih_l0", "bias_hh_l0"):
        if k in rsd:
            b = b + a(rsd[k])
    A = a(lsd["weight"])
    c = a(lsd["bias"]) if "bias" in lsd else np.zeros(A.shape[0])
    return Model({"W": W, "V": a(rsd["weight_ih_l0"]), "b": b, "A": A, "c": c}, regularization)


def compare(X=None, Y=None, *, methods="alm-bcd,alm-lbfgs,gd,sgd,adam,lbfgs", inits="gaussian", seeds=1,
            budget_seconds=None, budget_evals=None, hidden=20, data=None, target=None, out=None, extra_args=(),
            timeout=None):
    """Runs `almkit compare` (docs/compare.md) and returns results.json as a dict; its "runs"
    entry is the table of results.csv as a list of records (one per method, init and seed).

    The runs and their aggregation are the C++ library harness study/rnn_compare.h, but the
    files (results.json above all) are composed by the command line (apps/cmd_compare.cpp), so
    this runs the almkit executable of this build in a subprocess (docs/python.md "RNN"). Data: a CSV
    file (`data=`, `target=`) or arrays X (T, d), Y (T, p), written to a temporary CSV (columns
    x0.., y0..; the CLI's 90/10 split and no scaling). Other CLI flags go in extra_args, e.g.
    ["--grad.max_iterations", "100"]. Raises RuntimeError with the CLI's error on failure.
    """
    import subprocess
    import tempfile
    from . import _build_info
    if not _build_info.cli or not os.path.exists(_build_info.cli):
        raise RuntimeError("almkit.rnn.compare: the almkit command line was not built (ALMKIT_BUILD_APPS)")
    with tempfile.TemporaryDirectory(prefix="almkit_compare_") as tmp:
        args = [_build_info.cli, "compare", "--methods", methods, "--inits", inits, "--seeds", str(seeds),
                "--hidden", str(hidden), "--no-plots", "--quiet", "--out", out or os.path.join(tmp, "out")]
        if budget_seconds is not None:
            args += ["--budget-seconds", str(budget_seconds)]
        if budget_evals is not None:
            args += ["--budget-evals", str(budget_evals)]
        if X is not None:
            if data is not None:
                raise ValueError("compare: give arrays X, Y or a CSV file data=, not both")
            X = np.asarray(X, dtype=float)
            Y = np.asarray(Y, dtype=float)
            Y = Y[:, None] if Y.ndim == 1 else Y
            if X.ndim != 2 or Y.ndim != 2 or len(X) != len(Y):
                raise ValueError(f"compare: X (T, d) and Y (T, p) expected, got {X.shape} and {Y.shape}")
            if not (np.all(np.isfinite(X)) and np.all(np.isfinite(Y))):
                raise ValueError("compare: X and Y must be finite")
            cols = [f"x{i}" for i in range(X.shape[1])] + [f"y{i}" for i in range(Y.shape[1])]
            path = os.path.join(tmp, "data.csv")
            with open(path, "w") as fh:
                fh.write(",".join(cols) + "\n")
                for row in np.hstack([X, Y]):
                    fh.write(",".join(repr(float(v)) for v in row) + "\n")
            args += ["--data", path, "--target", ",".join(cols[X.shape[1]:])]
        elif data is not None:
            args += ["--data", str(data)]
            if target is not None:
                args += ["--target", target if isinstance(target, str) else ",".join(target)]
        args += [str(a) for a in extra_args]
        res = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
        if res.returncode != 0:
            raise RuntimeError(f"almkit compare failed ({res.returncode}): {res.stderr.strip() or res.stdout[-500:]}")
        with open(os.path.join(out or os.path.join(tmp, "out"), "results.json")) as fh:
            return json.load(fh)


def _train_doc():
    from . import _options_table
    groups = _core.train_defaults()
    parts = [f"    {g}:\n" + _options_table(groups[g], "      ") for g in ("alm", "rollout", "bcd", "lbfgs")]
    return "\n    Defaults of the option groups (TrainOptions::defaults()):\n\n" + "\n".join(parts) + "\n"


if train.__doc__:  # None under python -OO
    train.__doc__ += _train_doc()
