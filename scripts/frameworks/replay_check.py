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


def loops(graph):
    """Recurrent loops neuron -> synapse -> neuron (snnTorch's RLeaky /
    RSynaptic: lif1.lif -> lif1.w_rec -> lif1.lif): neuron name -> the
    loop's synapse node."""
    edges = {tuple(e) for e in graph.edges}
    return {a: graph.nodes[b] for a, b in sorted(edges)
            if (b, a) in edges and type(graph.nodes[b]).__name__ in ("Affine", "Linear")}


def chain(graph):
    """(affine node, neuron node name) pairs in order from the input (a
    recurrent loop's synapse node left out, see loops)."""
    rec = {(a, b) for a, b in graph.edges for n, node in loops(graph).items()
           if a == n and graph.nodes[b] is node}
    nxt = {a: b for a, b in graph.edges if (a, b) not in rec}
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
    if fw == "snntorch" and name != case["layers"][0] and "output_neuron" in case:
        neuron = case["output_neuron"]           # RLeaky/RSynaptic -> Leaky/Synaptic
    if fw == "snntorch":
        beta = f32(case["params"]["beta"])
        alpha = f32(case["params"].get("alpha", 0.0))
        syn = neuron.endswith("Synaptic")
        # RLeaky's zero reset discards the whole new mem (as Synaptic's,
        # rleaky.py _base_zero: pre - reset*pre), not Leaky's
        # (snntorch_rleaky_zero: RLeaky zero -> Leaky zero, both in one net)
        whole = syn or neuron.endswith("RLeaky")

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
            elif whole:
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
            v = sinabs_clip(v, mn)               # relu(v - mn) + mn, as Sinabs
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


def sinabs_clip(v, mn):
    """Sinabs' lower bound on the membrane, as sinabs/layers/functional/
    lif.py computes it: relu(v - min_v_mem) + min_v_mem.  In float32 that is
    not exactly max(v, min_v_mem): it rounds v to the precision of
    v - min_v_mem (v + 1 for min_v_mem = -1)."""
    return np.maximum(v - mn, f32(0)) + mn


def chain_nodes(graph):
    """Node names from the input to the output (a single chain)."""
    nxt = {}
    for a, b in graph.edges:
        assert a not in nxt, f"{a} feeds two nodes"
        nxt[a] = b
    order, cur = [], "input"
    while nxt[cur] != "output":
        cur = nxt[cur]
        order.append(cur)
    return order


def conv2d(x, node, dt=f32, scale=None):
    """NIR Conv2d on x [B, C, H, W] float32: zero padding, cross-correlation
    (PyTorch's convention), im2col + float32 BLAS (a summation order
    independent of torch's).  dt, scale: see replay_cnn."""
    w = weights(node, dt, scale)
    cout, cin, kh, kw = w.shape
    sy, sx = (int(v) for v in np.asarray(node.stride).ravel())
    py, px = (int(v) for v in np.asarray(node.padding).ravel())
    assert np.all(np.asarray(node.dilation) == 1) and int(node.groups) == 1
    B, C, H, W = x.shape
    assert C == cin
    xp = np.pad(x, ((0, 0), (0, 0), (py, py), (px, px)))
    ho, wo = (H + 2 * py - kh) // sy + 1, (W + 2 * px - kw) // sx + 1
    cols = np.empty((B, cin, kh, kw, ho, wo), dt)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = xp[:, :, i:i + sy * (ho - 1) + 1:sy,
                                  j:j + sx * (wo - 1) + 1:sx]
    out = cols.transpose(0, 4, 5, 1, 2, 3).reshape(B * ho * wo, cin * kh * kw) \
        @ w.reshape(cout, cin * kh * kw).T
    out = out.reshape(B, ho, wo, cout).transpose(0, 3, 1, 2)
    return (out + weights(node, dt, scale, "bias")[None, :, None, None]).astype(dt)


def sum_pool2d(x, node):
    ky, kx = (int(v) for v in np.asarray(node.kernel_size).ravel())
    assert [int(v) for v in np.asarray(node.stride).ravel()] == [ky, kx]
    assert np.all(np.asarray(node.padding) == 0)
    B, C, H, W = x.shape
    return x.reshape(B, C, H // ky, ky, W // kx, kx).sum((3, 5), dtype=x.dtype)


def weights(node, dt, scale, key="weight"):
    """A node's weight (or bias) array in dtype dt; with scale (the layer's
    1/step, a power of two) the integer levels, checked to be integers."""
    w = np.asarray(getattr(node, key), np.float64)
    if scale is not None:
        w = w * scale
        assert np.all(w == np.round(w)), "not on the grid"
    return w.astype(dt)


def replay_cnn(d, clip=sinabs_clip, exact=False):
    """A Sinabs graph with Conv2d / SumPool2d / Flatten / Affine and IF nodes
    (sinabs_cnn, sinabs_cnn_q8), replayed per step in float32 numpy over all
    samples at once: Sinabs' IAFSqueeze as sinabs.from_nir builds it
    (MultiSpike, MembraneSubtract, min_v_mem = case.json's, per layer if
    it is a dict, the threshold from the file).

    exact (cases with case.json `quantization`, on the 8-bit grid): the
    integer model instead, every layer in its own units of one grid step
    2^-e: weights as integer levels, threshold t, min_v_mem -t, all sums in
    float64 of integers below 2^53, i.e. exact integer arithmetic."""
    case = json.loads((d / "case.json").read_text())
    dt = np.float64 if exact else f32
    scales = {}
    if exact:
        q = case["quantization"]["layers"]
        scales = {l["weights_node"]: 2.0 ** l["e"] for l in q.values()}
        ints = {n: float(l["t"]) for n, l in q.items()}
    assert case["framework"] == "sinabs"
    g = nir.read(str(d / "model.nir"))
    tr = np.load(d / "trace.npz")
    x = tr["input"]
    B, T, _ = x.shape
    shape_in = [int(v) for v in np.asarray(g.nodes["input"].output_type["output"])]
    order = chain_nodes(g)
    mins = case["min_v_mem"]
    v = {}
    outs = {n: [] for n in order if type(g.nodes[n]).__name__ == "IF"}
    for t in range(T):
        s = x[:, t].astype(dt).reshape([B] + shape_in)
        for n in order:
            node = g.nodes[n]
            kind = type(node).__name__
            if kind == "Conv2d":
                s = conv2d(s, node, dt, scales.get(n))
            elif kind == "SumPool2d":
                s = sum_pool2d(s, node)
            elif kind == "Flatten":
                assert int(node.start_dim) == 0 and int(node.end_dim) == -1
                s = s.reshape(B, -1)
            elif kind in ("Affine", "Linear"):
                cur = s @ weights(node, dt, scales.get(n)).T
                if kind == "Affine":
                    cur = cur + weights(node, dt, scales.get(n), "bias")
                s = cur.astype(dt)
            elif kind == "IF":
                mn = dt(mins[n] if isinstance(mins, dict) else mins)
                thr = np.asarray(node.v_threshold, dt)
                if exact:                        # integer threshold t
                    assert np.all(thr == thr.ravel()[0]) and -mn == thr.ravel()[0]
                    thr = np.full_like(thr, ints[n])
                    mn = -dt(ints[n])
                m = v.get(n, np.zeros_like(s)) + s
                if exact:                        # integer division of integers
                    k = (m > 0) * np.floor_divide(m, thr)
                else:
                    k = (m > 0) * np.trunc(m / thr)
                m = m - k * thr
                v[n] = clip(m, mn)
                s = k.astype(dt)
                outs[n].append(s.reshape(B, -1))
            else:
                raise ValueError(f"{n}: {kind}")
    res = {}
    for n, o in outs.items():
        got = np.stack(o, 1)
        res[n] = int((got != tr["spikes_" + n]).sum())
    last = list(outs)[-1]
    pred = np.argmax(np.stack(outs[last], 1).sum(1), 1)
    res["prediction"] = int((pred != tr["prediction"]).sum())
    return res


def replay(d):
    case = json.loads((d / "case.json").read_text())
    g = nir.read(str(d / "model.nir"))
    if any(type(n).__name__ == "Conv2d" for n in g.nodes.values()):
        res = replay_cnn(d)
        if "quantization" in case:               # on the grid: the integer model too
            ex = replay_cnn(d, exact=True)
            res.update({"integer_" + k: n for k, n in ex.items()})
        return res
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
    rec = loops(g)
    # the spikes of each layer in the step before (0 before step 0)
    prev = [np.zeros_like(st[0]) for st in states]
    for t in range(T):
        s = x[:, t]
        for k, ((aff, n), f) in enumerate(zip(pairs, fns)):
            cur = s @ np.asarray(aff.weight, f32).T
            if hasattr(aff, "bias"):             # nir.Affine; nir.Linear has none
                cur = cur + np.asarray(aff.bias, f32)
            if n in rec:                         # snnTorch: input_ + recurrent(spk)
                r = prev[k] @ np.asarray(rec[n].weight, f32).T
                if hasattr(rec[n], "bias"):      # acts every step, spikes or not
                    r = r + np.asarray(rec[n].bias, f32)
                cur = cur.astype(f32) + r.astype(f32)
            states[k], s = f(states[k], cur.astype(f32))
            prev[k] = s
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
