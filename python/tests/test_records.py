# The Python dicts of result records come from the same visit() field lists as
# their CSV and JSON forms (core/record.h, docs/json.md "Records"): each dict's
# keys are the C++ field list.
import json
import os
import subprocess

import numpy as np

import almkit
from almkit import _build_info, _core

FIELDS = _core.record_fields()


def test_field_lists_are_exposed():
    assert "sign_violation" in FIELDS["kkt"]
    assert len(FIELDS["evaluations"]) == 10
    assert FIELDS["train_history_row"][:4] == ["iteration", "seconds", "train_mse", "test_mse"]


def test_solve_dicts_match_the_field_lists(tmp_path):
    rows = []
    p = almkit.problem("hs071")
    r = almkit.solve(p, callback=lambda rec, x: rows.append(rec))
    assert set(r.kkt) == set(FIELDS["kkt"])
    assert set(r.evaluations) == set(FIELDS["evaluations"])
    assert r.history and all(set(h) == set(FIELDS["alm_iteration"]) for h in r.history)
    assert rows and all(set(rec) == set(FIELDS["alm_iteration"]) for rec in rows)
    assert set(p.evaluations()) == set(FIELDS["evaluations"])
    # The same keys as `almkit solve --json` (one writer for both).
    if not _build_info.cli or not os.path.exists(_build_info.cli):
        return
    out = tmp_path / "hs071.json"
    subprocess.run([_build_info.cli, "solve", "hs071", "--json", str(out)], check=True, capture_output=True)
    j = json.loads(out.read_text())
    assert set(j["kkt"]) == set(r.kkt)
    assert set(j["history"][0]) == set(r.history[0])


def test_train_dicts_match_the_field_lists():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 1))
    Y = np.cumsum(X, axis=0) * 0.1
    seen = []
    d = _core.rnn_train([(X, Y)], None, {"hidden": 2}, {"max_outer_iterations": 2}, {}, {}, {}, seen.append)
    for key in FIELDS["train_summary"]:
        assert key in d, key
    assert set(d["evaluations"]) == set(FIELDS["evaluations"])
    for block in ("kkt", "kkt_bptt"):
        assert set(d[block]) == set(FIELDS["kkt"]), block
        assert "sign_violation" in d[block]
    assert d["history"] and all(set(h) == set(FIELDS["train_history_row"]) for h in d["history"])
    assert seen and all(set(h) == set(FIELDS["train_history_row"]) for h in seen)
    assert np.isnan(d["history"][0]["gamma"])
    assert np.isnan(d["test_mse"])  # no test part
