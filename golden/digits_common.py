"""Code shared by the digits training scripts, golden/digits_ttfs/train.py and
golden/digits_if/train.py.

Both scripts train a 64-H-10 network on sklearn's 8x8 digits, write it as
model.json, encode the test split with `spikegate encode`, write
expected.json with `spikegate sim --out`, and check it against their own
Python integer simulation. This module holds what is the same in both:

- the one-BLAS-thread environment (set on import, before numpy loads, so
  the float training is bit-reproducible): import this module before numpy;
- the data split (`load_split`);
- saturation to a two's-complement width (`sat`);
- the deterministic JSON layout of the committed files (`write_json`);
- running the spikegate binary (`run`, `SPIKEGATE`) and the
  encode/sim pipeline that writes model.json, input.json and
  expected.json (`write_golden_files`);
- reading spike files (`spikes_from_file`, `check_input_spikes`) and
  comparing every spike of every layer with spikegate's (`count_spike_agreement`);
- the common parts of model.json and report.json (`model_json`,
  `report_head`, `spikes_per_sample`).

What differs (training, conversion or quantisation, the neuron dynamics of
the integer simulation, the decoding) stays in each script.

The spikegate binary is target/release/spikegate of this repository, or
$SPIKEGATE.
"""
import os

# One BLAS thread: the float training is then bit-reproducible.
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

ROOT = Path(__file__).resolve().parents[1]
SPIKEGATE = os.environ.get("SPIKEGATE", str(ROOT / "target" / "release" / "spikegate"))


# ---------------------------------------------------------------- data
def load_split(seed):
    d = load_digits()
    x = d.data.astype(np.float64) / 16.0
    y = d.target.astype(np.int64)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.25, random_state=seed, stratify=y)
    return xtr, xte, ytr, yte


# ---------------------------------------------------------------- integer simulation
def sat(z, bits):
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return np.clip(z, lo, hi)


# ---------------------------------------------------------------- files
def _is_scalar(v):
    return not isinstance(v, (list, dict))


def _inline(v):
    """A list of scalars (a weight row), or a list of short scalar lists (spike events)."""
    if not isinstance(v, list):
        return False
    if all(_is_scalar(e) for e in v):
        return True
    return all(isinstance(e, list) and len(e) <= 2 and all(_is_scalar(x) for x in e) for e in v)


def _dump(v, indent):
    pad = "  " * indent
    if _is_scalar(v) or _inline(v):
        return json.dumps(v, separators=(",", ":") if not all(_is_scalar(e) for e in (v if isinstance(v, list) else [])) else (", ", ": "))
    if isinstance(v, dict):
        if not v:
            return "{}"
        items = [f'{pad}  {json.dumps(k)}: {_dump(x, indent + 1)}' for k, x in v.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if not v:
        return "[]"
    items = [f"{pad}  {_dump(x, indent + 1)}" for x in v]
    return "[\n" + ",\n".join(items) + "\n" + pad + "]"


def write_json(path, obj):
    """Deterministic, compact-ish JSON: one line per weight row and per event list."""
    path.write_text(_dump(obj, 0) + "\n")


def model_json(name, steps, layers, kind, reset, widths, decode):
    """model.json of a bias-free, delay-free network with 64 inputs; `widths(L)`
    gives each layer's widths object."""
    return {
        "format": "spikegate-model/1",
        "name": name,
        "time_steps": steps,
        "inputs": 64,
        "layers": [
            {
                "name": L["name"],
                "size": L["size"],
                "neuron": {"kind": kind},
                "widths": widths(L),
                "threshold": L["theta"],
                "reset": reset,
                "weights": L["w"].tolist(),
            }
            for L in layers
        ],
        "output": {"decode": decode},
    }


# ---------------------------------------------------------------- spikegate
def run(*args):
    r = subprocess.run([SPIKEGATE, *map(str, args)], capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stdout + r.stderr)
        raise SystemExit(f"spikegate {args[0]} failed")
    return r.stdout


def write_golden_files(here, model, xte, yte, code):
    """Writes here/model.json (and prints `spikegate check`), here/input.json (the
    test split through `spikegate encode --code <code>`, labels kept) and
    here/expected.json (`spikegate sim --out`, then checked with --expect).
    Returns the path of input.json and the parsed expected.json."""
    model_path = here / "model.json"
    write_json(model_path, model)
    print(run("check", model_path).rstrip())

    values = {"samples": [{"values": [float(v) for v in row], "label": int(lab)} for row, lab in zip(xte, yte)]}
    values_path = here / "values.tmp.json"
    values_path.write_text(json.dumps(values))
    input_path = here / "input.json"
    run("encode", "--code", code, "--out", input_path, model_path, values_path)
    values_path.unlink()
    # Re-write the spike file in the compact deterministic layout.
    write_json(input_path, json.loads(input_path.read_text()))
    expected_path = here / "expected.json"
    run("sim", "--quiet", model_path, "--input", input_path, "--out", expected_path)
    write_json(expected_path, json.loads(expected_path.read_text()))
    run("sim", "--quiet", model_path, "--input", input_path, "--expect", expected_path)
    return input_path, json.loads(expected_path.read_text())


def spikes_from_file(path, steps, neurons):
    f = json.loads(Path(path).read_text())
    out = np.zeros((len(f["samples"]), steps, neurons), dtype=np.int64)
    for k, s in enumerate(f["samples"]):
        for t, i in s["events"]:
            out[k, t, i] = 1
    return out, f


def check_input_spikes(input_path, steps, own_code, yte, code_name):
    """Reads the 64-input spike file, asserts it equals our own encoding `own_code`
    and carries the labels `yte`; returns the dense spikes [samples, steps, 64]."""
    spikes, spike_file = spikes_from_file(input_path, steps, 64)
    assert np.array_equal(own_code, spikes), f"Python {code_name} code differs from spikegate encode"
    labels = np.array([s["label"] for s in spike_file["samples"]])
    assert np.array_equal(labels, yte)
    return spikes


def count_spike_agreement(expected, layer_spikes, steps):
    """Number of samples of expected.json whose spikes in every layer equal
    layer_spikes (per layer [samples, steps, size])."""
    spikes_agree = 0
    for k, s in enumerate(expected["samples"]):
        ok = True
        for li, lay in enumerate(s["layers"]):
            dense = np.zeros((steps, lay["neurons"]), dtype=np.int64)
            for t, i in lay["events"]:
                dense[t, i] = 1
            ok &= np.array_equal(dense, layer_spikes[li][k])
        spikes_agree += int(ok)
    return spikes_agree


# ---------------------------------------------------------------- report
def report_head(name, seed, n_train, n_test, hidden, steps):
    """The first entries of report.json: name, data set, split, shape, time steps."""
    return {
        "name": name,
        "dataset": "sklearn.datasets.load_digits (8x8, 1797 samples, x = pixel/16)",
        "split": {"function": "sklearn.model_selection.train_test_split", "test_size": 0.25,
                  "random_state": seed, "stratify": True, "train": int(n_train), "test": int(n_test)},
        "shape": [64, hidden, 10],
        "time_steps": steps,
    }


def spikes_per_sample(spikes_in, layers, layer_spikes):
    """Mean spikes per sample of the input and of each layer (by layer name)."""
    n = len(spikes_in)
    out = {"input": float(spikes_in.sum() / n)}
    for L, s in zip(layers, layer_spikes):
        out[L["name"]] = float(s.sum() / n)
    return out
