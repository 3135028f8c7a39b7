#!/usr/bin/env python3
"""Time-to-first-spike network for the 8x8 digits, trained with surrogate gradients.

Regenerates every file of golden/digits_ttfs/ (model.json, input.json,
expected.json, report.json) bit-identically:

    pip install -r golden/digits_requirements.txt
    python golden/digits_ttfs/train.py

Steps:
1. sklearn's bundled 8x8 digits (1797 samples, pixels 0..16 -> x = p/16),
   one seeded stratified split (test_size=0.25, random_state=0).
2. A 64-H-10 network of `ttfs` neurons (docs/semantics.md: each arriving
   spike adds its weight to the current i for good, v += i every step,
   fire once when v >= theta, reset none). The float model runs exactly
   these discrete-time dynamics (same steps, same order, same-step
   arrival in the next layer); only the weights are real numbers. Trained
   by backpropagation through time with a surrogate derivative of the
   threshold (fast sigmoid) on a softmax cross-entropy of the output
   spike times: output k scores (T - t_k) / T when it first fires at t_k,
   0 when it never fires, and the logits are BETA * score, so the correct
   neuron learns to fire first (first_spike decoding).
3. Quantisation: 8-bit weights per layer, w_int = round(w * s) with
   s = 127 / max|w|, theta_int = round(s * T * theta) (the float membrane
   is the integer membrane divided by s * T). Current and membrane widths
   are chosen so that no value can saturate.
4. model.json; input.json = the whole test split through
   `spikegate encode --code ttfs`; expected.json = `spikegate sim --out`.
5. An independent Python integer simulation (step by step, with
   saturation and fired flags) must give the same spikes and classes as
   `spikegate sim` on every test sample (asserted).

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
EPOCHS = 40
BATCH = 32
LR = 3e-3            # Adam, cosine decay to 0 over EPOCHS
BETA = 40.0          # softmax sharpness on the spike-time scores
SURROGATE_WIDTH = 0.2  # fast-sigmoid width, in units of theta
INIT_MEAN = 0.1
THETA = 1.0          # float threshold; the float membrane is sum(w * ramp) / T


# ---------------------------------------------------------------- data
def load_split():
    d = load_digits()
    x = d.data.astype(np.float64) / 16.0
    y = d.target.astype(np.int64)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.25, random_state=SEED, stratify=y)
    return xtr, xte, ytr, yte


# ---------------------------------------------------------------- TTFS code (docs/semantics.md 6)
def ttfs_encode(x, steps):
    """Dense spikes [samples, steps, inputs]: one spike at round((1-x)(T-1)), halves away
    from zero (the argument is never negative, so floor(y + 0.5)); x = 0 gives none."""
    step = np.floor((1.0 - x) * (steps - 1) + 0.5).astype(np.int64)
    out = np.zeros((x.shape[0], steps, x.shape[1]), dtype=np.int64)
    b, i = np.nonzero(x > 0)
    out[b, step[b, i], i] = 1
    return out


# ---------------------------------------------------------------- float training
def layer_forward(p, w):
    """p: input spikes [B, T, n_in] (0/1). Returns spikes, membrane and the
    fired-before flags. i(t) = i(t-1) + x(t), v(t) = v(t-1) + i(t)."""
    x = (p @ w) / T
    v = np.cumsum(np.cumsum(x, axis=1), axis=1)
    above = v >= THETA
    s = (above & (np.cumsum(above, axis=1) == 1)).astype(np.float64)  # first crossing only
    fired_before = np.cumsum(s, axis=1) - s
    return s, v, fired_before


def surrogate(u):
    return 1.0 / (1.0 + np.abs(u) / SURROGATE_WIDTH) ** 2


def rcumsum(a):
    return np.flip(np.cumsum(np.flip(a, axis=1), axis=1), axis=1)


def layer_backward(p, w, v, fired_before, gs):
    gv = gs * surrogate(v - THETA) * (1.0 - fired_before)
    gx = rcumsum(rcumsum(gv)) / T
    gw = p.reshape(-1, p.shape[2]).T @ gx.reshape(-1, gx.shape[2])
    gp = gx @ w.T
    return gw, gp


def forward(ws, s0):
    cache = []
    p = s0
    for w in ws:
        s, v, fb = layer_forward(p, w)
        cache.append((p, v, fb))
        p = s
    return p, cache


def decode_first_spike(out_spikes):
    """Classes (earliest first spike, ties to the lowest index) and first-spike steps."""
    fired = out_spikes.any(axis=1)
    steps = np.where(fired, out_spikes.argmax(axis=1), out_spikes.shape[1])
    return np.argmin(steps, axis=1), steps


def train(xtr, ytr):
    rng = np.random.default_rng(SEED)
    ws = [rng.normal(INIT_MEAN, 2.0 / np.sqrt(64), (64, HIDDEN)),
          rng.normal(INIT_MEAN, 2.0 / np.sqrt(HIDDEN), (HIDDEN, 10))]
    m = [np.zeros_like(w) for w in ws]
    v = [np.zeros_like(w) for w in ws]
    s0 = ttfs_encode(xtr, T).astype(np.float64)
    onehot = np.eye(10)[ytr]
    weight = (T - np.arange(T)) / T  # score of a first spike at step t
    step = 0
    for epoch in range(EPOCHS):
        order = rng.permutation(len(xtr))
        lr = LR * 0.5 * (1.0 + np.cos(np.pi * epoch / EPOCHS))
        for k in range(0, len(order), BATCH):
            idx = order[k:k + BATCH]
            out, cache = forward(ws, s0[idx])
            z = BETA * (out * weight[None, :, None]).sum(axis=1)
            z -= z.max(axis=1, keepdims=True)
            prob = np.exp(z)
            prob /= prob.sum(axis=1, keepdims=True)
            gz = (prob - onehot[idx]) / len(idx)
            gs = BETA * gz[:, None, :] * weight[None, :, None]
            grads = [None] * len(ws)
            for li in reversed(range(len(ws))):
                p, vv, fb = cache[li]
                grads[li], gs = layer_backward(p, ws[li], vv, fb, gs)
            step += 1
            for j, g in enumerate(grads):
                m[j] = 0.9 * m[j] + 0.1 * g
                v[j] = 0.999 * v[j] + 0.001 * g * g
                ws[j] -= lr * (m[j] / (1 - 0.9 ** step)) / (np.sqrt(v[j] / (1 - 0.999 ** step)) + 1e-8)
        if (epoch + 1) % 10 == 0:
            c, _ = decode_first_spike(forward(ws, s0)[0])
            print(f"epoch {epoch + 1}: float train accuracy {np.mean(c == ytr):.4f}", flush=True)
    return ws


def float_predict(ws, x):
    return decode_first_spike(forward(ws, ttfs_encode(x, T).astype(np.float64))[0])[0]


# ---------------------------------------------------------------- quantisation
def bits_for(bound):
    """Smallest two's-complement width holding -bound..=bound."""
    b = 2
    while (1 << (b - 1)) - 1 < bound:
        b += 1
    return b


def quantize(ws):
    qmax = (1 << (WEIGHT_BITS - 1)) - 1
    layers = []
    names = ["hidden", "out"]
    for li, w in enumerate(ws):
        s = qmax / np.abs(w).max()
        q = np.round(w * s).astype(np.int64)
        theta = int(round(s * T * THETA))
        # Every presynaptic neuron spikes at most once, so |i| is at most the larger
        # of the positive and negative fan-in sums, and |v| at most T times that.
        cur = int(max(np.clip(q, 0, None).sum(axis=0).max(), (-np.clip(q, None, 0)).sum(axis=0).max()))
        cur_bits = bits_for(cur)
        mem_bits = max(bits_for(T * cur), bits_for(theta))
        layers.append({"name": names[li], "size": q.shape[1], "w": q, "theta": theta,
                       "current_bits": cur_bits, "membrane_bits": mem_bits, "weight_scale": float(s)})
    return layers


def model_json(layers):
    return {
        "format": "spikegate-model/1",
        "name": "digits_ttfs",
        "time_steps": T,
        "inputs": 64,
        "layers": [
            {
                "name": L["name"],
                "size": L["size"],
                "neuron": {"kind": "ttfs"},
                "widths": {"weight": WEIGHT_BITS, "membrane": L["membrane_bits"],
                           "threshold": L["membrane_bits"], "current": L["current_bits"]},
                "threshold": L["theta"],
                "reset": "none",
                "weights": L["w"].tolist(),
            }
            for L in layers
        ],
        "output": {"decode": "first_spike"},
    }


# ---------------------------------------------------------------- integer simulation
def sat(z, bits):
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return np.clip(z, lo, hi)


def int_sim(layers, spikes_in):
    """Independent implementation of docs/semantics.md for `ttfs` layers (no delays,
    no bias, reset none), step by step: i = sat(i + x), v = sat(v + i), spike if
    v >= theta and not fired before, fired |= spiked. Layer l sees layer l-1's
    spikes of the same step. Returns per layer the spikes [samples, T, size]."""
    n, steps, _ = spikes_in.shape
    cur = [np.zeros((n, L["size"]), dtype=np.int64) for L in layers]
    mem = [np.zeros((n, L["size"]), dtype=np.int64) for L in layers]
    fired = [np.zeros((n, L["size"]), dtype=bool) for L in layers]
    out = [np.zeros((n, steps, L["size"]), dtype=np.int64) for L in layers]
    for t in range(steps):
        s = spikes_in[:, t, :]
        for li, L in enumerate(layers):
            x = s @ L["w"]
            cur[li] = sat(cur[li] + x, L["current_bits"])
            mem[li] = sat(mem[li] + cur[li], L["membrane_bits"])
            spike = (mem[li] >= L["theta"]) & ~fired[li]
            fired[li] |= spike
            s = spike.astype(np.int64)
            out[li][:, t, :] = s
    return out


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
    ws = train(xtr, ytr)
    float_train = float(np.mean(float_predict(ws, xtr) == ytr))
    float_test = float(np.mean(float_predict(ws, xte) == yte))
    print(f"float TTFS network: train {float_train:.4f}, test {float_test:.4f}")

    layers = quantize(ws)
    print("thresholds", [L["theta"] for L in layers], "current bits", [L["current_bits"] for L in layers],
          "membrane bits", [L["membrane_bits"] for L in layers])

    model_path = HERE / "model.json"
    write_json(model_path, model_json(layers))
    print(run("check", model_path).rstrip())

    values = {"samples": [{"values": [float(v) for v in row], "label": int(lab)} for row, lab in zip(xte, yte)]}
    values_path = HERE / "values.tmp.json"
    values_path.write_text(json.dumps(values))
    input_path = HERE / "input.json"
    run("encode", "--code", "ttfs", "--out", input_path, model_path, values_path)
    values_path.unlink()
    write_json(input_path, json.loads(input_path.read_text()))
    expected_path = HERE / "expected.json"
    run("sim", "--quiet", model_path, "--input", input_path, "--out", expected_path)
    write_json(expected_path, json.loads(expected_path.read_text()))
    run("sim", "--quiet", model_path, "--input", input_path, "--expect", expected_path)

    expected = json.loads(expected_path.read_text())
    sg_classes = np.array([s["output"]["class"] for s in expected["samples"]])
    int_test = float(np.mean(sg_classes == yte))

    # Independent Python integer simulation: our own TTFS code and our own dynamics.
    spikes_te, spike_file = spikes_from_file(input_path, T, 64)
    assert np.array_equal(ttfs_encode(xte, T), spikes_te), "Python TTFS code differs from spikegate encode"
    labels = np.array([s["label"] for s in spike_file["samples"]])
    assert np.array_equal(labels, yte)
    py_out = int_sim(layers, spikes_te)
    py_classes, py_steps = decode_first_spike(py_out[-1])
    agree = int(np.sum(py_classes == sg_classes))
    sg_steps = np.array([s["output"]["first_spike_steps"] for s in expected["samples"]])
    steps_agree = int(np.sum(np.all(py_steps == sg_steps, axis=1)))
    print(f"Python integer simulation agrees with spikegate sim on {agree}/{len(yte)} test samples "
          f"(first-spike steps: {steps_agree}/{len(yte)})")
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
    assert agree == len(yte) and steps_agree == len(yte) and spikes_agree == len(yte)

    train_out = int_sim(layers, ttfs_encode(xtr, T))
    int_train = float(np.mean(decode_first_spike(train_out[-1])[0] == ytr))
    print(f"integer reference: train {int_train:.4f}, test {int_test:.4f}")

    n_te = len(yte)
    ties = int(np.sum(np.sum(py_steps == py_steps.min(axis=1, keepdims=True), axis=1) > 1))
    report = {
        "name": "digits_ttfs",
        "dataset": "sklearn.datasets.load_digits (8x8, 1797 samples, x = pixel/16)",
        "split": {"function": "sklearn.model_selection.train_test_split", "test_size": 0.25,
                  "random_state": SEED, "stratify": True, "train": int(len(ytr)), "test": int(n_te)},
        "shape": [64, HIDDEN, 10],
        "time_steps": T,
        "neuron": "ttfs",
        "reset": "none",
        "input_code": "ttfs",
        "decode": "first_spike",
        "widths": [{"layer": L["name"], "weight": WEIGHT_BITS, "current": L["current_bits"],
                    "membrane": L["membrane_bits"], "threshold": L["membrane_bits"]} for L in layers],
        "thresholds": [L["theta"] for L in layers],
        "weight_scales": [L["weight_scale"] for L in layers],
        "training": {"seed": SEED, "epochs": EPOCHS, "batch": BATCH, "optimizer": "adam, cosine decay",
                     "learning_rate": LR, "beta": BETA, "surrogate": "fast sigmoid",
                     "surrogate_width": SURROGATE_WIDTH, "init_mean": INIT_MEAN, "bias": False},
        "accuracy": {
            "float_train": float_train,
            "float_test": float_test,
            "integer_train": int_train,
            "integer_test": int_test,
        },
        "test_samples_with_tied_first_output_spikes": ties,
        "test_samples_without_output_spike": int(np.sum(py_steps.min(axis=1) == T)),
        "spikes_per_sample": {
            "input": float(spikes_te.sum() / n_te),
            "hidden": float(py_out[0].sum() / n_te),
            "out": float(py_out[1].sum() / n_te),
        },
        "python_simulation_agrees": {"classes": agree, "first_spike_steps": steps_agree,
                                     "all_spikes": spikes_agree, "samples": n_te},
    }
    write_json(HERE / "report.json", report)
    print(json.dumps(report["accuracy"]), json.dumps(report["spikes_per_sample"]))


if __name__ == "__main__":
    main()
