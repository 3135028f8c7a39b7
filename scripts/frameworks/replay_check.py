#!/usr/bin/env python3
"""Replay every fixture from its files alone: read model.nir's weights and
case.json's neuron/reset, run the per-step update written in FACTS.md in
float32 numpy on trace.npz's input, and count where the replayed spikes differ
from the spikes the framework recorded.  A mismatch count of 0 means FACTS.md's
equation plus model.nir is all one needs; a few mismatches would come from
float rounding at the threshold (torch vs numpy summation order).

Rerun:  python scripts/frameworks/replay_check.py
"""

import json
import sys
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")
import numpy as np
import nir

OUT = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "frameworks"
f32 = np.float32


def chain(graph):
    """(affine node, neuron node name) pairs in order from the input."""
    nxt = {a: b for a, b in graph.edges}
    cur, pairs = "input", []
    while nxt.get(cur, "output") != "output":
        aff = nxt[cur]
        neu = nxt[aff]
        pairs.append((graph.nodes[aff], neu))
        cur = neu
    return pairs


def step_fn(case, node, name):
    fw, neuron, reset = case["framework"], case["neuron"], case["reset"]
    thr = np.asarray(node.v_threshold, f32)
    if fw == "snntorch":
        beta = f32(case["params"]["beta"])
        alpha = f32(case["params"].get("alpha", 0.0))
        syn = neuron.endswith("Synaptic")

        def f(st, x):
            m, i = st
            r = (m > thr).astype(f32)            # deferred reset from stored mem
            if syn:
                i = alpha * i + x
                new = beta * m + i
            else:
                new = beta * m + x
            if reset == "subtract":
                m = new - r * thr
            elif syn:
                m = new * (1 - r)                # zero: this step's mem discarded
            else:
                m = beta * (m * (1 - r)) + x     # zero: mem zeroed, input kept
            return (m, i), (m > thr).astype(f32)
        return f
    if fw == "norse":
        cuba = neuron.endswith("LIFCell")
        # Norse's own float32 factors dt*tau_inv (0.1 and 0.2); from the file
        # they are dt/tau = 1e-3/0.01 and 1e-3/0.005 up to float rounding
        a = f32(f32(case["dt"]) * f32(case["params"]["tau_mem_inv"]))
        b = f32(f32(case["dt"]) * f32(case["params"]["tau_syn_inv"])) if cuba else None

        def f(st, x):
            v, i = st
            if cuba:
                j = i + x
                v = v + a * ((0 - v) + j)
                i = j + (-b * j)
            else:
                v = v + a * (x + 0 - v)
            z = (v > thr).astype(f32)
            v = (1 - z) * v
            return (v, i), z
        return f
    if fw == "sinabs":
        mn = case["min_v_mem"]                   # per layer in the _q8 case
        mn = f32(mn[name] if isinstance(mn, dict) else mn)

        def f(st, x):
            v, i = st
            v = v + x
            n = (v > 0) * np.trunc(v / thr)
            v = v - n * thr
            v = np.maximum(v, mn)
            return (v, i), n.astype(f32)
        return f
    if fw == "rockpool":
        # LIFTorch: alpha, beta are Rockpool's float32 exp(-dt/tau); the file
        # gives tau_mem, tau_syn and case.json dt (r, w_in carry no extra
        # information here: dt*r/tau_mem = alpha, w_in = 1)
        dt = case["dt"]
        alpha = f32(float.fromhex(case["params"]["alpha_hex"]))
        beta = f32(float.fromhex(case["params"]["beta_hex"]))
        fa = np.exp(-dt / np.asarray(node.tau_mem, np.float64)).astype(f32)
        fb = np.exp(-dt / np.asarray(node.tau_syn, np.float64)).astype(f32)
        assert np.all(fa == alpha) and np.all(fb == beta), (fa, fb, alpha, beta)
        cap = f32(case["max_spikes_per_dt"])

        def f(st, x):
            v, i = st
            i = (i + x) * beta                   # input added, then decayed
            v = v * alpha + i                    # bias 0 (not in the file)
            n = (v >= thr) * np.floor(v / thr)   # inclusive, several per step
            n = np.minimum(n, cap).astype(f32)
            v = v - n * thr                      # subtract n thresholds
            return (v, i), n
        return f
    raise ValueError(fw)


def replay(d):
    case = json.loads((d / "case.json").read_text())
    g = nir.read(str(d / "model.nir"))
    tr = np.load(d / "trace.npz")
    x = tr["input"].astype(f32)                  # [B, T, 64]
    B, T, _ = x.shape
    pairs = chain(g)
    fns = [step_fn(case, g.nodes[n], n) for _, n in pairs]
    states = []
    for aff, n in pairs:
        N = np.asarray(aff.weight).shape[0]
        states.append((np.zeros((B, N), f32), np.zeros((B, N), f32)))
    outs = [[] for _ in pairs]
    for t in range(T):
        s = x[:, t]
        for k, ((aff, n), f) in enumerate(zip(pairs, fns)):
            cur = s @ np.asarray(aff.weight, f32).T
            if hasattr(aff, "bias"):             # nir.Affine; nir.Linear has none
                cur = cur + np.asarray(aff.bias, f32)
            states[k], s = f(states[k], cur.astype(f32))
            outs[k].append(s)
    res = {}
    for (aff, n), o in zip(pairs, outs):
        got = np.stack(o, 1)
        want = tr["spikes_" + n].astype(f32)
        res[n] = int((got != want).sum())
    pred = np.argmax(np.stack(outs[-1], 1).sum(1), 1)
    res["prediction"] = int((pred != tr["prediction"]).sum())
    return res


def main():
    bad = 0
    for d in sorted(p for p in OUT.iterdir() if (p / "case.json").exists()):
        r = replay(d)
        print(f"{d.name}: mismatching entries {r}")
        bad += sum(r.values())
    return 0


if __name__ == "__main__":
    sys.exit(main())
