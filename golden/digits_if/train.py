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
$SPIKEGATE. The code shared with golden/digits_ttfs/train.py is in
golden/digits_common.py.
"""
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.dont_write_bytecode = True  # leave no golden/__pycache__ behind
import digits_common as common  # noqa: E402  (first: sets one BLAS thread before numpy loads)

import numpy as np  # noqa: E402

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
            v[li] = common.sat(v[li] + x, L["membrane_bits"])
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
    return common.model_json(
        "digits_if", T, layers, "if", "subtract",
        lambda L: {"weight": WEIGHT_BITS, "membrane": MEMBRANE_BITS, "threshold": MEMBRANE_BITS},
        "spike_count")


def main():
    xtr, xte, ytr, yte = common.load_split(SEED)
    w1, w2 = train_mlp(xtr, ytr)
    float_train = float(np.mean(mlp_predict(w1, w2, xtr) == ytr))
    float_test = float(np.mean(mlp_predict(w1, w2, xte) == yte))
    print(f"float ReLU MLP: train {float_train:.4f}, test {float_test:.4f}")

    layers, info = convert(w1, w2, xtr, ytr)
    print(f"thresholds {[L['theta'] for L in layers]} (scales {info['scale_hidden']}, {info['scale_out']})")

    input_path, expected = common.write_golden_files(HERE, model_json(layers), xte, yte, "rate")

    # spikegate's classes and spike counts
    sg_classes = np.array([s["output"]["class"] for s in expected["samples"]])
    int_test = float(np.mean(sg_classes == yte))

    # Independent Python integer simulation: our own rate code and our own dynamics.
    spikes_te = common.check_input_spikes(input_path, T, rate_encode(xte, T), yte, "rate")
    py_out = int_sim(layers, spikes_te)
    py_classes = decode_spike_count(py_out[-1])
    agree = int(np.sum(py_classes == sg_classes))
    print(f"Python integer simulation agrees with spikegate sim on {agree}/{len(yte)} test samples")
    # Every layer's spikes too, not just the class.
    spikes_agree = common.count_spike_agreement(expected, py_out, T)
    print(f"... and on every spike of every layer in {spikes_agree}/{len(yte)} samples")
    assert agree == len(yte) and spikes_agree == len(yte)

    train_out = int_sim(layers, rate_encode(xtr, T))
    int_train = float(np.mean(decode_spike_count(train_out[-1]) == ytr))
    print(f"integer reference: train {int_train:.4f}, test {int_test:.4f}")

    n_te = len(yte)
    counts_te = py_out[-1].sum(axis=1)
    ties = int(np.sum(np.sum(counts_te == counts_te.max(axis=1, keepdims=True), axis=1) > 1))
    report = {
        **common.report_head("digits_if", SEED, len(ytr), n_te, HIDDEN, T),
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
        "spikes_per_sample": common.spikes_per_sample(spikes_te, layers, py_out),
        "python_simulation_agrees": {"classes": agree, "all_spikes": spikes_agree, "samples": n_te},
    }
    common.write_json(HERE / "report.json", report)
    print(json.dumps(report["accuracy"]), json.dumps(report["spikes_per_sample"]))


if __name__ == "__main__":
    main()
