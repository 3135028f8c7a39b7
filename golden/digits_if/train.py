#!/usr/bin/env python3
"""Rate-coded integrate-and-fire network for the 8x8 digits, by ANN-to-SNN conversion.

Regenerates every file of golden/digits_if/ (model.json, input.json,
expected.json, report.json) bit-identically:

    pip install -r golden/digits_requirements.txt
    python golden/digits_if/train.py

Steps:
1. sklearn's bundled 8x8 digits (1797 samples, pixels 0..16 -> x = p/16),
   one seeded stratified split (test_size=0.25, random_state=0).
2. A bias-free ReLU MLP 64-H-10 trained with Adam on softmax cross-entropy
   (numpy, seeded).
3. Conversion: data-based normalisation (each layer's weights divided by
   the 99.9th percentile of its ReLU activations on the TRAIN split), then
   8-bit weights per layer, `if` neurons with reset by subtraction, and a
   grid search of each layer's threshold scale on the TRAIN split with an
   integer simulation of docs/semantics.md.
4. model.json; input.json = the whole test split through
   `spikegate encode --code rate`; expected.json = `spikegate sim --out`.
5. An independent Python integer simulation of the model must give the
   same class as `spikegate sim` on every test sample (asserted).

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

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SPIKEGATE = os.environ.get("SPIKEGATE", str(ROOT / "target" / "release" / "spikegate"))

SEED = 0
HIDDEN = 64
T = 32
WEIGHT_BITS = 8
MEMBRANE_BITS = 24
EPOCHS = 300
BATCH = 64
LR = 2e-3
WEIGHT_DECAY = 1e-4
PERCENTILE = 99.9


# ---------------------------------------------------------------- data
def load_split():
    d = load_digits()
    x = d.data.astype(np.float64) / 16.0
    y = d.target.astype(np.int64)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.25, random_state=SEED, stratify=y)
    return xtr, xte, ytr, yte


# ---------------------------------------------------------------- float ANN
def train_mlp(xtr, ytr):
    rng = np.random.default_rng(SEED)
    w1 = rng.normal(0.0, np.sqrt(2.0 / 64), (64, HIDDEN))
    w2 = rng.normal(0.0, np.sqrt(2.0 / HIDDEN), (HIDDEN, 10))
    params = [w1, w2]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    b1, b2, eps = 0.9, 0.999, 1e-8
    step = 0
    n = len(xtr)
    onehot = np.eye(10)[ytr]
    for _epoch in range(EPOCHS):
        order = rng.permutation(n)
        for k in range(0, n, BATCH):
            idx = order[k:k + BATCH]
            x, t = xtr[idx], onehot[idx]
            h_pre = x @ w1
            h = np.maximum(h_pre, 0.0)
            z = h @ w2
            z = z - z.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
            dz = (p - t) / len(idx)
            g2 = h.T @ dz + WEIGHT_DECAY * w2
            dh = (dz @ w2.T) * (h_pre > 0)
            g1 = x.T @ dh + WEIGHT_DECAY * w1
            step += 1
            for j, g in enumerate((g1, g2)):
                m[j] = b1 * m[j] + (1 - b1) * g
                v[j] = b2 * v[j] + (1 - b2) * g * g
                mh = m[j] / (1 - b1 ** step)
                vh = v[j] / (1 - b2 ** step)
                params[j] -= LR * mh / (np.sqrt(vh) + eps)
    return w1, w2


def mlp_predict(w1, w2, x):
    return np.argmax(np.maximum(x @ w1, 0.0) @ w2, axis=1)


# ---------------------------------------------------------------- rate code (docs/semantics.md 6)
def rate_encode(x, steps):
    """Dense spikes [samples, steps, inputs]: a spike at t iff floor((t+1)x) > floor(tx)."""
    t = np.arange(steps, dtype=np.float64)[None, :, None]
    xx = x[:, None, :]
    return (np.floor((t + 1) * xx) > np.floor(t * xx)).astype(np.int64)


# ---------------------------------------------------------------- integer simulation
def sat(z, bits):
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return np.clip(z, lo, hi)


def int_sim(layers, spikes_in):
    """Independent implementation of docs/semantics.md for `if` layers with reset
    by subtraction (no delays, no bias). spikes_in: [samples, T, inputs] of 0/1.
    Returns per layer the spike tensor [samples, T, size]."""
    n, steps, _ = spikes_in.shape
    v = [np.zeros((n, L["size"]), dtype=np.int64) for L in layers]
    out = [np.zeros((n, steps, L["size"]), dtype=np.int64) for L in layers]
    for t in range(steps):
        s = spikes_in[:, t, :]
        for li, L in enumerate(layers):
            x = s @ L["w"]
            v[li] = sat(v[li] + x, L["membrane_bits"])
            fire = v[li] >= L["theta"]
            v[li] = np.where(fire, v[li] - L["theta"], v[li])
            s = fire.astype(np.int64)
            out[li][:, t, :] = s
    return out


def decode_spike_count(out_spikes):
    counts = out_spikes.sum(axis=1)
    return np.argmax(counts, axis=1)  # argmax: ties to the lowest index


# ---------------------------------------------------------------- conversion
def convert(w1, w2, xtr, ytr):
    """Data-based normalisation, 8-bit quantisation, threshold-scale search on TRAIN."""
    a1 = np.maximum(xtr @ w1, 0.0)
    lam1 = np.percentile(a1[a1 > 0], PERCENTILE)
    a2 = np.maximum(a1 @ w2, 0.0)
    lam2 = np.percentile(a2[a2 > 0], PERCENTILE)
    n1 = w1 / lam1                 # layer-1 activation in units of its threshold
    n2 = w2 * lam1 / lam2
    qmax = (1 << (WEIGHT_BITS - 1)) - 1
    s1 = qmax / np.abs(n1).max()
    s2 = qmax / np.abs(n2).max()
    q1 = np.round(n1 * s1).astype(np.int64)
    q2 = np.round(n2 * s2).astype(np.int64)
    spikes_tr = rate_encode(xtr, T)
    scales = [0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0]
    best = None
    search = []
    for c1 in scales:
        for c2 in scales:
            layers = make_layers(q1, q2, max(1, round(s1 * c1)), max(1, round(s2 * c2)))
            out = int_sim(layers, spikes_tr)
            acc = float(np.mean(decode_spike_count(out[-1]) == ytr))
            search.append({"scale_hidden": c1, "scale_out": c2, "train_accuracy": acc})
            # Highest train accuracy; on a tie the larger thresholds (the sparser network).
            # The mean margin (spike count of the true class minus the largest other
            # count) is recorded for information.
            counts = out[-1].sum(axis=1)
            true = counts[np.arange(len(ytr)), ytr]
            other = np.where(np.eye(10, dtype=bool)[ytr], -1, counts).max(axis=1)
            margin = float(np.mean(true - other))
            search[-1]["train_margin"] = margin
            key = (acc, c1 + c2, c1)
            if best is None or key > best[0]:
                best = (key, c1, c2, layers)
    _, c1, c2, layers = best
    info = {"lambda_hidden": float(lam1), "lambda_out": float(lam2),
            "percentile": PERCENTILE, "scale_hidden": c1, "scale_out": c2,
            "weight_scale_hidden": float(s1), "weight_scale_out": float(s2),
            "search": search}
    return layers, info


def make_layers(q1, q2, th1, th2):
    return [
        {"name": "hidden", "size": q1.shape[1], "w": q1, "theta": int(th1), "membrane_bits": MEMBRANE_BITS},
        {"name": "out", "size": q2.shape[1], "w": q2, "theta": int(th2), "membrane_bits": MEMBRANE_BITS},
    ]


def model_json(layers):
    return {
        "format": "spikegate-model/1",
        "name": "digits_if",
        "time_steps": T,
        "inputs": 64,
        "layers": [
            {
                "name": L["name"],
                "size": L["size"],
                "neuron": {"kind": "if"},
                "widths": {"weight": WEIGHT_BITS, "membrane": MEMBRANE_BITS, "threshold": MEMBRANE_BITS},
                "threshold": L["theta"],
                "reset": "subtract",
                "weights": L["w"].tolist(),
            }
            for L in layers
        ],
        "output": {"decode": "spike_count"},
    }


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


def run(*args):
    r = subprocess.run([SPIKEGATE, *map(str, args)], capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stdout + r.stderr)
        raise SystemExit(f"spikegate {args[0]} failed")
    return r.stdout


def spikes_from_file(path, steps, neurons):
    f = json.loads(Path(path).read_text())
    out = np.zeros((len(f["samples"]), steps, neurons), dtype=np.int64)
    for k, s in enumerate(f["samples"]):
        for t, i in s["events"]:
            out[k, t, i] = 1
    return out, f


def main():
    xtr, xte, ytr, yte = load_split()
    w1, w2 = train_mlp(xtr, ytr)
    float_train = float(np.mean(mlp_predict(w1, w2, xtr) == ytr))
    float_test = float(np.mean(mlp_predict(w1, w2, xte) == yte))
    print(f"float ReLU MLP: train {float_train:.4f}, test {float_test:.4f}")

    layers, info = convert(w1, w2, xtr, ytr)
    print(f"thresholds {[L['theta'] for L in layers]} (scales {info['scale_hidden']}, {info['scale_out']})")

    model_path = HERE / "model.json"
    write_json(model_path, model_json(layers))
    print(run("check", model_path).rstrip())

    values = {"samples": [{"values": [float(v) for v in row], "label": int(lab)} for row, lab in zip(xte, yte)]}
    values_path = HERE / "values.tmp.json"
    values_path.write_text(json.dumps(values))
    input_path = HERE / "input.json"
    run("encode", "--code", "rate", "--out", input_path, model_path, values_path)
    values_path.unlink()
    # Re-write the spike file in the compact deterministic layout.
    write_json(input_path, json.loads(input_path.read_text()))
    expected_path = HERE / "expected.json"
    run("sim", "--quiet", model_path, "--input", input_path, "--out", expected_path)
    write_json(expected_path, json.loads(expected_path.read_text()))
    run("sim", "--quiet", model_path, "--input", input_path, "--expect", expected_path)

    # spikegate's classes and spike counts
    expected = json.loads(expected_path.read_text())
    sg_classes = np.array([s["output"]["class"] for s in expected["samples"]])
    int_test = float(np.mean(sg_classes == yte))

    # Independent Python integer simulation: our own rate code and our own dynamics.
    spikes_te, spike_file = spikes_from_file(input_path, T, 64)
    own_code = rate_encode(xte, T)
    assert np.array_equal(own_code, spikes_te), "Python rate code differs from spikegate encode"
    labels = np.array([s["label"] for s in spike_file["samples"]])
    assert np.array_equal(labels, yte)
    py_out = int_sim(layers, spikes_te)
    py_classes = decode_spike_count(py_out[-1])
    agree = int(np.sum(py_classes == sg_classes))
    print(f"Python integer simulation agrees with spikegate sim on {agree}/{len(yte)} test samples")
    # Every layer's spikes too, not just the class.
    spikes_agree = 0
    for k, s in enumerate(expected["samples"]):
        ok = True
        for li, lay in enumerate(s["layers"]):
            dense = np.zeros((T, lay["neurons"]), dtype=np.int64)
            for t, i in lay["events"]:
                dense[t, i] = 1
            ok &= np.array_equal(dense, py_out[li][k])
        spikes_agree += int(ok)
    print(f"... and on every spike of every layer in {spikes_agree}/{len(yte)} samples")
    assert agree == len(yte) and spikes_agree == len(yte)

    train_out = int_sim(layers, rate_encode(xtr, T))
    int_train = float(np.mean(decode_spike_count(train_out[-1]) == ytr))
    print(f"integer reference: train {int_train:.4f}, test {int_test:.4f}")

    n_te = len(yte)
    counts_te = py_out[-1].sum(axis=1)
    ties = int(np.sum(np.sum(counts_te == counts_te.max(axis=1, keepdims=True), axis=1) > 1))
    report = {
        "name": "digits_if",
        "dataset": "sklearn.datasets.load_digits (8x8, 1797 samples, x = pixel/16)",
        "split": {"function": "sklearn.model_selection.train_test_split", "test_size": 0.25,
                  "random_state": SEED, "stratify": True, "train": int(len(ytr)), "test": int(n_te)},
        "shape": [64, HIDDEN, 10],
        "time_steps": T,
        "neuron": "if",
        "reset": "subtract",
        "input_code": "rate",
        "decode": "spike_count",
        "widths": {"weight": WEIGHT_BITS, "membrane": MEMBRANE_BITS, "threshold": MEMBRANE_BITS},
        "thresholds": [L["theta"] for L in layers],
        "training": {"seed": SEED, "epochs": EPOCHS, "batch": BATCH, "optimizer": "adam",
                     "learning_rate": LR, "weight_decay": WEIGHT_DECAY, "bias": False},
        "conversion": info,
        "accuracy": {
            "float_train": float_train,
            "float_test": float_test,
            "integer_train": int_train,
            "integer_test": int_test,
        },
        "test_samples_with_tied_top_count": ties,
        "test_samples_without_output_spike": int(np.sum(counts_te.max(axis=1) == 0)),
        "spikes_per_sample": {
            "input": float(spikes_te.sum() / n_te),
            "hidden": float(py_out[0].sum() / n_te),
            "out": float(py_out[1].sum() / n_te),
        },
        "python_simulation_agrees": {"classes": agree, "all_spikes": spikes_agree, "samples": n_te},
    }
    write_json(HERE / "report.json", report)
    print(json.dumps(report["accuracy"]), json.dumps(report["spikes_per_sample"]))


if __name__ == "__main__":
    main()
