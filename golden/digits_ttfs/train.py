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
$SPIKEGATE. The code shared with golden/digits_if/train.py is in
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
EPOCHS = 40
BATCH = 32
LR = 3e-3            # Adam, cosine decay to 0 over EPOCHS
BETA = 40.0          # softmax sharpness on the spike-time scores
SURROGATE_WIDTH = 0.2  # fast-sigmoid width, in units of theta
INIT_MEAN = 0.1
THETA = 1.0          # float threshold; the float membrane is sum(w * ramp) / T


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
    return common.model_json(
        "digits_ttfs", T, layers, "ttfs", "none",
        lambda L: {"weight": WEIGHT_BITS, "membrane": L["membrane_bits"],
                   "threshold": L["membrane_bits"], "current": L["current_bits"]},
        "first_spike")


# ---------------------------------------------------------------- integer simulation
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
            cur[li] = common.sat(cur[li] + x, L["current_bits"])
            mem[li] = common.sat(mem[li] + cur[li], L["membrane_bits"])
            spike = (mem[li] >= L["theta"]) & ~fired[li]
            fired[li] |= spike
            s = spike.astype(np.int64)
            out[li][:, t, :] = s
    return out


def main():
    xtr, xte, ytr, yte = common.load_split(SEED)
    ws = train(xtr, ytr)
    float_train = float(np.mean(float_predict(ws, xtr) == ytr))
    float_test = float(np.mean(float_predict(ws, xte) == yte))
    print(f"float TTFS network: train {float_train:.4f}, test {float_test:.4f}")

    layers = quantize(ws)
    print("thresholds", [L["theta"] for L in layers], "current bits", [L["current_bits"] for L in layers],
          "membrane bits", [L["membrane_bits"] for L in layers])

    input_path, expected = common.write_golden_files(HERE, model_json(layers), xte, yte, "ttfs")
    sg_classes = np.array([s["output"]["class"] for s in expected["samples"]])
    int_test = float(np.mean(sg_classes == yte))

    # Independent Python integer simulation: our own TTFS code and our own dynamics.
    spikes_te = common.check_input_spikes(input_path, T, ttfs_encode(xte, T), yte, "TTFS")
    py_out = int_sim(layers, spikes_te)
    py_classes, py_steps = decode_first_spike(py_out[-1])
    agree = int(np.sum(py_classes == sg_classes))
    sg_steps = np.array([s["output"]["first_spike_steps"] for s in expected["samples"]])
    steps_agree = int(np.sum(np.all(py_steps == sg_steps, axis=1)))
    print(f"Python integer simulation agrees with spikegate sim on {agree}/{len(yte)} test samples "
          f"(first-spike steps: {steps_agree}/{len(yte)})")
    spikes_agree = common.count_spike_agreement(expected, py_out, T)
    print(f"... and on every spike of every layer in {spikes_agree}/{len(yte)} samples")
    assert agree == len(yte) and steps_agree == len(yte) and spikes_agree == len(yte)

    train_out = int_sim(layers, ttfs_encode(xtr, T))
    int_train = float(np.mean(decode_first_spike(train_out[-1])[0] == ytr))
    print(f"integer reference: train {int_train:.4f}, test {int_test:.4f}")

    n_te = len(yte)
    ties = int(np.sum(np.sum(py_steps == py_steps.min(axis=1, keepdims=True), axis=1) > 1))
    report = {
        **common.report_head("digits_ttfs", SEED, len(ytr), n_te, HIDDEN, T),
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
        "spikes_per_sample": common.spikes_per_sample(spikes_te, layers, py_out),
        "python_simulation_agrees": {"classes": agree, "first_spike_steps": steps_agree,
                                     "all_spikes": spikes_agree, "samples": n_te},
    }
    common.write_json(HERE / "report.json", report)
    print(json.dumps(report["accuracy"]), json.dumps(report["spikes_per_sample"]))


if __name__ == "__main__":
    main()
