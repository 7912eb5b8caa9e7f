"""Train an RNN on data/clean_SP500.csv from Python and evaluate it in PyTorch (docs/python.md "RNN").

    /usr/bin/python3 examples/python/rnn_sp500.py [--outer 200]  # installed (README "Install")
    PYTHONPATH=build/python /usr/bin/python3 examples/python/rnn_sp500.py [--outer 200]  # the build tree

Reads the CSV with pandas when available (numpy otherwise), trains with the
defaults of `almkit train` (rollout policy, BCD, m = 20) on the first 90 %,
prints train/test MSE, then loads the weights into torch.nn.RNN + Linear
(when PyTorch is installed) and compares the predictions.
"""
import argparse
import os

import numpy as np

import almkit
from almkit import _build_info

ap = argparse.ArgumentParser()
ap.add_argument("--outer", type=int, default=200, help="outer iterations (max_outer_iterations)")
args = ap.parse_args()

path = os.path.join(_build_info.data_dir, "clean_SP500.csv")
try:
    import pandas as pd
    df = pd.read_csv(path, index_col=0)
    X, Y = df.drop(columns=["RV_SP500"]).to_numpy(float), df[["RV_SP500"]].to_numpy(float)
except ImportError:
    raw = np.genfromtxt(path, delimiter=",", skip_header=1)[:, 1:]
    X, Y = raw[:, :-1], raw[:, -1:]
n = int(np.floor(0.9 * len(X)))

model = almkit.rnn.train(X[:n], Y[:n], hidden=20, test=(X[n:], Y[n:]), max_outer_iterations=args.outer, seed=0)
print(f"status {model.status}: {model.message}")
print(f"train MSE {model.train_mse:.6e}  test MSE {model.test_mse:.6e}  |grad F|_inf {model.kkt_bptt['stationarity']:.3e}")

try:
    import torch
except ImportError:
    print("PyTorch not installed: skipping the torch comparison")
else:
    rnn, lin = model.torch_modules()
    with torch.no_grad():
        H, _ = rnn(torch.tensor(X[None, n:]))
        pred = lin(H)[0].numpy()
    print("max |torch - almkit| on the test part:", np.max(np.abs(pred - model.predict(X[n:]))))
    print("torch test MSE:", float(np.mean(np.sum((pred - Y[n:]) ** 2, axis=1))))
