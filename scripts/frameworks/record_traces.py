#!/usr/bin/env python3
"""Train small spiking networks in real frameworks, export them to NIR with the
framework's own export call, and record the framework's own spikes of every
neuron layer on the 450 test digits.

Writes tests/fixtures/frameworks/<case>/{model.nir, trace.npz, case.json}.
See scripts/frameworks/README.md (how to rerun) and FACTS.md (the per-step
update each framework performs).  CI never runs this script.

Usage:  python scripts/frameworks/record_traces.py [case | float | q8 ...]

A case <case>_q8 starts from the float case's written model.nir and
fine-tunes it quantization-aware onto spikegate's 8-bit weight grid (see
"8-bit grid" below); sinabs_cnn_q8 only rounds the published CNN's weights
to that grid (see "the CNN on the 8-bit grid").
"""

import os
import sys

# nirtorch collects graph edges in Python sets; fix the string hash seed so
# the edge order (and so model.nir's bytes) is the same on every run.
if os.environ.get("PYTHONHASHSEED") != "0":
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable] + sys.argv)

import io
import json
import warnings
import zipfile
from collections import OrderedDict
from importlib.metadata import version as pkg_version
from pathlib import Path

warnings.filterwarnings("ignore")

import numpy as np
import torch
import nir

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "tests" / "fixtures" / "frameworks"

T = 32
N_IN, N_HID, N_OUT = 64, 32, 10
SEED = 0
PACKAGES = ["torch", "numpy", "scikit-learn", "nir", "nirtorch"]

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)


# ---------------------------------------------------------------- data ----

def rate_code(x):
    """spikegate's rate code: neuron k spikes at step t iff
    floor((t+1)*x) > floor(t*x), in float64.  x: [B, 64] in [0, 1]."""
    x = np.asarray(x, dtype=np.float64)
    t = np.arange(T, dtype=np.float64)[None, :, None]
    xs = x[:, None, :]
    return (np.floor((t + 1.0) * xs) > np.floor(t * xs)).astype(np.uint8)


def digits_split():
    """scikit-learn's 8x8 digits, x = pixel/16 in [0, 1] (float64), split
    1347 train / 450 test (stratified, random_state 0)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    X = d.data.astype(np.float64) / 16.0
    y = d.target.astype(np.int64)
    xtr, xte, ytr, yte = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y
    )
    assert xtr.shape == (1347, 64) and xte.shape == (450, 64)
    return xtr, ytr, xte, yte


def load_data():
    xtr, ytr, xte, yte = digits_split()
    return rate_code(xtr), ytr, rate_code(xte), yte


def decode(counts):
    """Spike-count decoding; np.argmax takes the lowest index on ties."""
    return np.argmax(counts, axis=1).astype(np.int64)


# ------------------------------------------------------------ writers ----

def savez_deterministic(path, **arrays):
    """Same layout as np.savez_compressed (zip64 deflate members holding .npy
    files) but with a fixed member timestamp, so reruns give the same bytes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(arrays):
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arrays[name]),
                                      allow_pickle=False)
            with zf.open(info, "w", force_zip64=True) as f:
                f.write(buf.getvalue())


def versions(extra):
    out = {}
    for p in PACKAGES + extra:
        try:
            out[p] = pkg_version(p)
        except Exception:
            out[p] = None
    return out


def node_summary(node):
    """Distinct values of each parameter of a neuron node (for case.json)."""
    s = {}
    for k in ("tau", "tau_mem", "tau_syn", "r", "w_in", "v_leak",
              "v_threshold", "v_reset"):
        if hasattr(node, k):
            v = np.asarray(getattr(node, k), dtype=np.float64).ravel()
            u = np.unique(v)
            s[k] = [float(a) for a in u] if len(u) <= 4 else \
                {"min": float(v.min()), "max": float(v.max()), "n": int(v.size)}
    return s


NEURON_TYPES = ("LIF", "CubaLIF", "IF", "LI")


def write_case(case, graph, inp, label, pred, spikes, meta, nir_source=None,
               time_steps=T):
    """spikes: OrderedDict node name -> uint8 [samples, time_steps, N].
    nir_source: a NIR file to copy byte for byte as model.nir instead of
    writing `graph` (then graph is unused)."""
    d = OUT / case
    d.mkdir(parents=True, exist_ok=True)
    path = d / "model.nir"
    if path.exists():
        path.unlink()
    if nir_source is None:
        nir.write(str(path), graph)  # nir's default: HDF5 datasets gzip-compressed
    else:
        path.write_bytes(Path(nir_source).read_bytes())
        assert path.read_bytes() == Path(nir_source).read_bytes()
    back = nir.read(str(path))
    types = {k: type(v).__name__ for k, v in back.nodes.items()}
    for name in spikes:
        assert types.get(name) in NEURON_TYPES, (case, name, types)
    neuron_nodes = [k for k, t in types.items() if t in NEURON_TYPES]
    assert sorted(neuron_nodes) == sorted(spikes), (neuron_nodes, list(spikes))
    arrays = {"input": inp.astype(np.uint8), "label": label.astype(np.int64),
              "prediction": pred.astype(np.int64)}
    for name, s in spikes.items():
        arrays["spikes_" + name] = s.astype(np.uint8)
    savez_deterministic(d / "trace.npz", **arrays)
    meta = dict(meta)
    meta["time_steps"] = time_steps
    meta["layers"] = list(spikes)
    meta["decode"] = "spike_count"
    meta["nir_nodes"] = dict(sorted(types.items()))
    meta["nir_edges"] = [list(e) for e in back.edges]
    meta["nir_neuron_params"] = {k: node_summary(back.nodes[k]) for k in spikes}
    meta["spikes_per_sample"] = {k: float(s.sum() / s.shape[0])
                                 for k, s in spikes.items()}
    meta["max_spikes_per_step"] = {k: int(s.max()) for k, s in spikes.items()}
    meta["nir_file_version"] = nir.read_version(str(path)) \
        if hasattr(nir, "read_version") else None
    with open(d / "case.json", "w") as f:
        json.dump(meta, f, indent=2, sort_keys=False)
        f.write("\n")
    size = sum(p.stat().st_size for p in d.iterdir())
    print(f"  wrote {d.relative_to(REPO)} ({size // 1024} KiB)")
    return back


# ----------------------------------------------------------- training ----

def train(run, params, xtr, ytr, epochs, lr, batch=32, seed=SEED, qat=None):
    """run(x[B,T,64] float) -> list of spike tensors [B,T,N] (last = output).
    Loss: cross entropy on the output spike counts.  With qat (a Grid8),
    quantization-aware: every batch runs forward and backward with the
    weights and biases on the 8-bit grid, and the optimizer step updates the
    float (latent) values with that gradient (straight-through estimator)."""
    opt = torch.optim.Adam(params, lr=lr)
    rng = np.random.default_rng(seed)
    X = torch.from_numpy(xtr.astype(np.float32))
    Y = torch.from_numpy(ytr)
    for ep in range(epochs):
        perm = rng.permutation(len(X))
        tot, correct = 0.0, 0
        for i in range(0, len(X), batch):
            idx = torch.from_numpy(perm[i:i + batch])
            if qat is not None:
                latent = qat.fake_quantize()
            out = run(X[idx])[-1]
            counts = out.sum(1)
            loss = torch.nn.functional.cross_entropy(counts, Y[idx])
            opt.zero_grad()
            loss.backward()
            if qat is not None:
                qat.restore(latent)
            opt.step()
            tot += loss.item() * len(idx)
            correct += int((counts.argmax(1) == Y[idx]).sum())
        print(f"  epoch {ep + 1}: loss {tot / len(X):.3f} "
              f"train acc {correct / len(X):.3f}")


def record(run, xte):
    with torch.no_grad():
        outs = run(torch.from_numpy(xte.astype(np.float32)))
    arr = [o.detach().numpy() for o in outs]
    for a in arr:
        assert np.all(a >= 0) and np.all(a == np.round(a)), "non-integer spikes"
        assert a.max() <= 255
    return [a.astype(np.uint8) for a in arr]


def finish(case, graph, names, spikes, xte, yte, meta, **write_kw):
    counts = spikes[-1].astype(np.int64).sum(1)
    pred = decode(counts)
    acc = float((pred == yte).mean())
    meta["framework_accuracy"] = acc
    print(f"  test accuracy {acc:.4f}")
    sp = OrderedDict(zip(names, spikes))
    write_case(case, graph, xte, yte, pred, sp, meta, **write_kw)
    for n, s in sp.items():
        print(f"  {n}: {s.sum() / s.shape[0]:.1f} spikes/sample, "
              f"max {s.max()} per step")
    return acc


# ------------------------------------------------- 8-bit grid (_q8) ----
#
# A case `<case>_q8` is the float network of `<case>` (its weights read
# back from tests/fixtures/frameworks/<case>/model.nir), fine-tuned
# quantization-aware so that its weights and biases lie on the grid that
# spikegate's importer uses at 8-bit weights, then recorded and exported
# like the float cases.  The importer's rule (import/src/quantize.rs,
# `Scaling::of`, weight clip 1), per layer: with W, b the framework's
# weights and bias, g the layer's input gain (the factor the import
# multiplies a framework weight by to get the per-step increment of the
# membrane or current), theta the threshold, m = g * max(|W|, |b|) / theta:
#   strict threshold v > theta (snnTorch, Norse):  t = 127 / m, so the
#     grid step in framework units is max(|W|, |b|) / 127;
#   inclusive v >= theta (Sinabs, Rockpool):  t = floor(127 / m), step =
#     theta / (g * t) (t integer, so subtracting n*theta stays exact).
# Levels are -127..127 (never -128).

Q8_SUFFIX = "_q8"
Q8_LEVEL = 127              # largest level of an 8-bit weight (range_of(8).1)
Q8_THRESHOLD_CAP = 2 ** 14  # spikegate caps t at 2^(state_bits - 2); 16 bits
Q8_EPOCHS = 4               # quantization-aware fine-tuning epochs
Q8_LR_FACTOR = 0.2          # times the float case's learning rate
Q8_SEED = SEED + 1          # shuffling of the fine-tuning epochs
INCLUSIVE = ("sinabs", "rockpool")


def lambert_w0(x):
    """u > 0 with u*exp(u) = x (x > 0), by Newton's method from log1p(x),
    as spikegate's importer solves Rockpool's r = tau_mem*exp(-dt/tau_mem)/dt
    for dt / tau_mem."""
    u = np.log1p(x)
    for _ in range(64):
        e = np.exp(u)
        nxt = u - (u * e - x) / (e * (u + 1.0))
        if np.all(np.abs(nxt - u) <= 1e-15 * np.abs(nxt)):
            return nxt
        u = nxt
    return u


def input_gain(framework, node, dt):
    """Per neuron: spikegate's input gain of neuron node `node` (float64 from
    the file's float32 values, in the importer's order of operations; see
    docs/import.md, import/src/chain/neuron.rs).  dt = the preset's step
    (snnTorch 1e-4 s, Norse 1e-3 s; Rockpool's follows from r)."""
    kind = type(node).__name__
    n = np.asarray(node.v_threshold).size

    def p(k):
        v = np.asarray(getattr(node, k), np.float64).ravel()
        return np.full(n, v[0]) if v.size == 1 else v

    if kind == "IF":                                  # Sinabs: g = r = 1
        return p("r")
    if kind == "LIF":                                 # (dt/tau) * r
        a = 1.0 - (1.0 - dt / p("tau"))
        return a * p("r")
    if kind == "CubaLIF" and framework == "rockpool":  # beta = exp(-dt/tau_syn)
        step = p("tau_mem") * lambert_w0(1.0 / p("r"))
        return np.exp(-step / p("tau_syn")) * p("w_in")
    if kind == "CubaLIF":
        current = 1.0 - dt / p("tau_syn")
        membrane = 1.0 - dt / p("tau_mem")
        # snnTorch: Euler input dt/tau_syn (its w_in undoes it); Norse: in full
        inp = 1.0 - current if framework != "norse" else np.ones(n)
        return inp * p("w_in") * (1.0 - membrane) * p("r")
    raise ValueError(kind)


def grid_rule(peak, gain, theta, inclusive):
    """(t, step) of spikegate's 8-bit rule for a layer whose largest
    |weight or bias| (framework units) is `peak`."""
    m = gain * peak / theta
    t = min(Q8_LEVEL / m, Q8_THRESHOLD_CAP)
    assert t < Q8_THRESHOLD_CAP
    if inclusive:
        t = max(np.floor(t), 1.0)
        return t, theta / (gain * t)
    return t, peak / Q8_LEVEL          # = theta / (g * t)


def smallest_top_level(t):
    """The smallest largest |level| L <= 127 with floor(127 * t / L) == t,
    i.e. for which the importer, reading the exported weights, finds the
    same integer t again (levels L*theta/(g*t) give m = L/t)."""
    return int(np.floor(Q8_LEVEL * t / (t + 1.0))) + 1


class Grid8:
    """The layers' float (latent) weights and biases and their 8-bit grid.
    layers: [(name, weight Parameter, bias Parameter or None)], one per
    neuron layer, with the layer's scalar input gain and threshold.  A
    recurrent layer (snnTorch RLeaky / RSynaptic) has two more entries,
    (name, w, b, w_rec, b_rec): the recurrent Linear's weight and bias.
    The importer puts both matrices on one scale (they feed one
    accumulator) and adds the two biases into one (both act every step),
    so the grid's peak is max(|W|, |W_rec|, |b + b_rec|); each of the four
    is fake-quantized on that grid, and snap() keeps |level(b) +
    level(b_rec)| within 127 (see snap)."""

    def __init__(self, layers, gains, thetas, inclusive):
        self.layers, self.gains, self.thetas = layers, gains, thetas
        self.inclusive = inclusive

    def _params(self, k):
        return [p for p in self.layers[k][1:] if p is not None]

    def _values(self, k):
        return [p.detach().numpy().astype(np.float64) for p in self._params(k)]

    def _recurrent(self, k):
        return len(self.layers[k]) == 5

    def rule(self, k):
        if self._recurrent(k):
            _, w, b, wr, br = self.layers[k]
            v = lambda p: p.detach().numpy().astype(np.float64)
            bias = v(b) + v(br)
            peak = max(float(np.abs(v(w)).max()), float(np.abs(v(wr)).max()),
                       float(np.abs(bias).max()))
        else:
            peak = max(float(np.abs(v).max()) for v in self._values(k))
        return grid_rule(peak, self.gains[k], self.thetas[k], self.inclusive)

    def fake_quantize(self):
        """Sets every weight and bias to its nearest grid value; returns the
        float values for restore()."""
        latent = []
        with torch.no_grad():
            for k in range(len(self.layers)):
                _, step = self.rule(k)
                for p, v in zip(self._params(k), self._values(k)):
                    latent.append(p.detach().clone())
                    p.copy_(torch.from_numpy((np.round(v / step) * step).astype(np.float32)))
        return latent

    def restore(self, latent):
        with torch.no_grad():
            ps = [p for k in range(len(self.layers)) for p in self._params(k)]
            for p, v in zip(ps, latent):
                p.copy_(v)

    def snap(self, dyadic=False):
        """Puts the network exactly on the grid, self-consistently: the
        importer recomputes t from the exported weights.  Strict layers: the
        largest |value| is level 127 by construction.  Inclusive layers: if
        the largest |level| is below smallest_top_level(t) (then
        floor(127/m) of the exported weights would exceed t), the entries at
        that largest level are raised to it; and the entries at the largest
        level are rounded toward zero to float32, so that the importer's
        floor(127/m) cannot drop to t-1 by float rounding.

        dyadic (Sinabs' IF, gain 1, no leak): the layer is rescaled so that
        its step is 2^-e and its threshold t*2^-e (e = round(log2 t)):
        weights, bias, threshold and min_v_mem (= -threshold) all times the
        same factor, which leaves every spike unchanged in exact arithmetic;
        in float32 every membrane value is then a short dyadic, so the
        framework computes exactly, without rounding at the threshold.  Only
        where the importer finds t again from those exact values (else the
        plain rule above).  The new thresholds are returned in the layers'
        "threshold"; the caller must set them (and min_v_mem).

        Returns per layer what was done."""
        info = []
        with torch.no_grad():
            for k, (name, *_) in enumerate(self.layers):
                t, step = self.rule(k)
                theta = self.thetas[k]
                vals = self._values(k)
                levels = [np.round(v / step) for v in vals]
                top = int(max(np.abs(l).max() for l in levels))
                raised = 0
                bias_moved = 0
                if self._recurrent(k):
                    # The importer sees W, W_rec and b + b_rec: keep the
                    # summed bias within 127 levels (it can round to 128
                    # where it is the peak: one level of b moves toward 0),
                    # and the largest of W, W_rec, b + b_rec at level 127
                    # (where b + b_rec is the peak and rounds to 126: one
                    # level of b moves away from 0).
                    assert not self.inclusive and len(levels) == 4
                    lw, lb, lwr, lbr = levels
                    total = lb + lbr
                    over = np.abs(total) > Q8_LEVEL
                    lb[over] -= np.sign(total[over])
                    bias_moved += int(over.sum())
                    total = lb + lbr
                    top = int(max(np.abs(lw).max(), np.abs(lwr).max(),
                                  np.abs(total).max()))
                    if top < Q8_LEVEL:
                        at = int(np.argmax(np.abs(total)))
                        assert top == Q8_LEVEL - 1 and abs(total[at]) == top
                        lb[at] += np.sign(total[at])
                        bias_moved += 1
                        top = Q8_LEVEL
                    assert top == Q8_LEVEL and np.abs(lb + lbr).max() <= Q8_LEVEL
                if self.inclusive and top < smallest_top_level(t):
                    new = smallest_top_level(t)
                    for l in levels:
                        at = np.abs(l) == top
                        raised += int(at.sum())
                        l[at] = np.sign(l[at]) * new
                    top = new
                assert top <= Q8_LEVEL
                rescaled = False
                if dyadic:
                    assert self.inclusive and self.gains[k] == 1.0
                    e = int(np.round(np.log2(t)))
                    d_step, d_theta = 2.0 ** -e, t * 2.0 ** -e
                    # the importer's t from these values (float64, its order)
                    m = (top * d_step * 1.0 * 1.0) / d_theta
                    if max(np.floor(min(Q8_LEVEL / m, Q8_THRESHOLD_CAP)), 1.0) == t:
                        rescaled, step, theta = True, d_step, d_theta
                for p, l in zip(self._params(k), levels):
                    exact = l * step
                    f = exact.astype(np.float32)
                    if rescaled:
                        assert np.all(f.astype(np.float64) == exact)
                    elif self.inclusive:
                        over = (np.abs(l) == top) & \
                            (np.abs(f.astype(np.float64)) > np.abs(exact))
                        f[over] = np.nextafter(f[over], np.float32(0))
                    p.copy_(torch.from_numpy(f))
                info.append({
                    "layer": name, "gain": float(self.gains[k]),
                    "threshold": float(theta),
                    "t": float(t), "step": float(step), "max_level": top,
                    "raised_to_max_level": raised,
                    **({"bias_levels_moved": bias_moved} if self._recurrent(k) else {}),
                    "levels_used": int(len(np.unique(np.concatenate(
                        [l.ravel() for l in levels])))),
                })
                if dyadic:
                    info[-1]["rescaled_from_threshold"] = \
                        float(self.thetas[k]) if rescaled else None
        return info


def spikegate_grid_check(graph, framework, names, dt):
    """Re-does in float64 numpy what spikegate's importer computes from the
    written file at 8-bit weights (FloatLayer weights = w * g, Scaling::of,
    Rounder::round) and returns per layer t, the rounding error in LSB (the
    report's max_rounding_lsb) and the saturated count."""
    out = {}
    for name in names:
        node = graph.nodes[name]
        g = input_gain(framework, node, dt)
        theta = np.asarray(node.v_threshold, np.float64).ravel()
        # The synapse nodes feeding the neuron node: the feed-forward one,
        # and for a recurrent loop (neuron -> synapse -> neuron) also the
        # loop's, whose weights share the scale and whose bias joins the
        # layer's (docs/import.md, "Recurrent loops").
        edges = {tuple(e) for e in graph.edges}
        feeding = sorted(a for a, b in edges if b == name)
        loop = [a for a in feeding if (name, a) in edges]
        assert len(feeding) - len(loop) == 1 and len(loop) <= 1, (name, feeding)
        mats, xb = [], 0.0
        for a in [a for a in feeding if a not in loop] + loop:
            aff = graph.nodes[a]
            W = np.asarray(aff.weight, np.float64)       # (Nout, Nin)
            b = np.asarray(aff.bias, np.float64) if hasattr(aff, "bias") \
                else np.zeros(W.shape[0])
            mats.append(W * 1.0 * g[:, None])
            xb = xb + (b * g + 0.0)
        x = np.concatenate(mats, axis=1)
        peak = np.maximum(np.abs(x).max(1), np.abs(xb))
        m = float((peak / theta).max())
        t = min(float(Q8_LEVEL) / m, float(Q8_THRESHOLD_CAP))
        if framework in INCLUSIVE:
            t = max(np.floor(t), 1.0)
        k = t / theta
        y = np.concatenate([(x * k[:, None]).ravel(), xb * k])
        r = np.sign(y) * np.floor(np.abs(y) + 0.5)      # Rust's f64::round
        sat = np.abs(r) > Q8_LEVEL
        out[name] = {"t": float(t),
                     "max_rounding_lsb": float(np.abs(y - r)[~sat].max()),
                     "saturated": int(sat.sum()),
                     "max_level": int(np.abs(r).max())}
    return out


def q8_finetune(case, framework, run, layers, names, data, lr, dt, dyadic=False):
    """Loads the float network of the base case from its model.nir into the
    (freshly built) framework network, checks it reproduces the base case's
    recorded spikes, fine-tunes it quantization-aware and puts it on the
    grid (Grid8.snap, with `dyadic`).  layers: [(affine node name, weight
    Parameter, bias Parameter or None, transposed)] in the order of names
    (the neuron nodes); a recurrent layer's entry has three more: (...,
    recurrent affine node name, its weight, its bias), both not
    transposed."""
    xtr, ytr, xte, yte = data
    base = case[:-len(Q8_SUFFIX)]
    fdir = OUT / base
    fgraph = nir.read(str(fdir / "model.nir"))

    def load(aff, w, b, transposed):
        node = fgraph.nodes[aff]
        W = np.asarray(node.weight, np.float32)
        w.copy_(torch.from_numpy(np.ascontiguousarray(W.T if transposed else W)))
        if b is not None:
            b.copy_(torch.from_numpy(np.asarray(node.bias, np.float32)))
        else:
            assert not hasattr(node, "bias")

    with torch.no_grad():
        for entry in layers:
            load(*entry[:4])
            if len(entry) == 7:
                load(entry[4], entry[5], entry[6], False)
    trainable = [p for entry in layers for p in (entry[1], entry[2]) + tuple(entry[5:])
                 if p is not None]
    ftrace = np.load(fdir / "trace.npz")
    fspikes = record(run, xte)
    reproduced = {n: int((s != ftrace["spikes_" + n]).sum())
                  for n, s in zip(names, fspikes)}
    float_acc = float((decode(fspikes[-1].astype(np.int64).sum(1)) == yte).mean())
    print(f"  float network of {base}: test accuracy {float_acc:.4f}, "
          f"spike entries differing from its trace.npz {reproduced}")
    gains, thetas = [], []
    for n in names:
        node = fgraph.nodes[n]
        g = input_gain(framework, node, dt)
        th = np.asarray(node.v_threshold, np.float64).ravel()
        assert np.all(g == g[0]) and np.all(th == th[0]), "per-layer gain/threshold"
        gains.append(float(g[0]))
        thetas.append(float(th[0]))
    grid = Grid8([(n, e[1], e[2]) + tuple(e[5:]) for n, e in zip(names, layers)],
                 gains, thetas, framework in INCLUSIVE)
    latent = grid.fake_quantize()
    rspikes = record(run, xte)
    rounded_acc = float((decode(rspikes[-1].astype(np.int64).sum(1)) == yte).mean())
    grid.restore(latent)
    print(f"  float network rounded to the grid: test accuracy {rounded_acc:.4f}")
    train(run, trainable, xtr, ytr, epochs=Q8_EPOCHS, lr=lr, seed=Q8_SEED, qat=grid)
    snapped = grid.snap(dyadic=dyadic)
    return {"base": base, "lr": lr, "float_accuracy": float_acc,
            "rounded_accuracy": rounded_acc, "float_reproduced": reproduced,
            "layers": snapped, "dt": dt, "framework": framework, "names": names}


def q8_meta(q, graph):
    """case.json's `quantization_aware_training` for the written graph,
    after checking that the file is on spikegate's grid."""
    check = spikegate_grid_check(graph, q["framework"], q["names"], q["dt"])
    layers = {}
    for info in q["layers"]:
        c = check[info["layer"]]
        assert c["saturated"] == 0 and c["max_rounding_lsb"] < 1e-3, (info, c)
        assert c["max_level"] == info["max_level"], (info, c)
        if q["framework"] in INCLUSIVE:
            assert c["t"] == info["t"], (info, c)
        else:
            assert abs(c["t"] - info["t"]) <= 1e-9 * info["t"], (info, c)
        layers[info["layer"]] = dict(
            {k: v for k, v in info.items() if k != "layer"},
            max_rounding_lsb=c["max_rounding_lsb"], saturated=c["saturated"])
        print(f"  {info['layer']}: t {info['t']:.6g}, step {info['step']:.6g}, "
              f"max level {info['max_level']}, raised {info['raised_to_max_level']}, "
              f"max rounding {c['max_rounding_lsb']:.2e} LSB")
    inclusive = q["framework"] in INCLUSIVE
    return {
        "base_case": q["base"],
        "started_from": (
            f"the float network of {q['base']}: its weights and biases read "
            f"from {q['base']}/model.nir into the freshly built network "
            "(spike entries then differing from its trace.npz, per layer: "
            f"{q['float_reproduced']})"),
        "float_accuracy": q["float_accuracy"],
        "rounded_accuracy": q["rounded_accuracy"],
        "rounded_accuracy_explained": (
            "the float network with its weights and biases only rounded to "
            "the grid below, before fine-tuning"),
        "fine_tuning": {
            "epochs": Q8_EPOCHS, "optimizer": "Adam", "lr": q["lr"],
            "batch": 32, "shuffle_seed": Q8_SEED,
            "loss": "cross entropy on the output spike counts (as the float case)",
            "method": (
                "fake quantization with a straight-through estimator: every "
                "batch runs forward and backward with each Linear layer's "
                "weights and biases replaced by their nearest grid values "
                "(grid from the layer's current float values); the Adam step "
                "updates the float values with that gradient"),
        },
        "weight_bits": 8,
        "threshold_test": "inclusive (v >= theta)" if inclusive else "strict (v > theta)",
        "grid_rule": (
            "per layer, levels -127..127: m = g*max(|W|,|b|)/theta with g the "
            "input gain spikegate's import applies to a framework weight and "
            "theta the threshold; "
            + ("t = floor(127/m) (integer), step = theta/(g*t). The exported "
               "network is self-consistent: the largest |level| L satisfies "
               "floor(127*t/L) = t (raised_to_max_level counts entries lifted "
               "to the smallest such L), and the entries at level L are "
               "rounded toward zero to float32 (where not exact, see below) "
               "so that the importer's floor(127/m) finds t again"
               if inclusive else
               "t = 127/m, step = theta/(g*t) = max(|W|,|b|)/127 (g cancels); "
               "the largest |value| is level 127")
            + ". Final weights = float32(level*step); the spikes were recorded "
            "from exactly this network."
            + (" Sinabs layers (IF, no leak, gain 1) were then rescaled "
               "(rescaled_from_threshold): weights, bias, threshold and "
               "min_v_mem times t*2^-e/theta with e = round(log2 t), so the "
               "step is 2^-e and the threshold t*2^-e; that leaves every "
               "spike unchanged in exact arithmetic and makes Sinabs' float32 "
               "arithmetic exact (every membrane value a short dyadic), so "
               "the recorded spikes do not depend on float rounding at the "
               "threshold (with the threshold 1 and step 1/t they did, in a "
               "few hundred entries, depending on summation order). The grid "
               "and t are unchanged; the importer's scale t/theta is 2^e."
               if any(l.get("rescaled_from_threshold") for l in q["layers"])
               else "")),
        "layers": layers,
        "layers_explained": (
            "gain g, threshold theta, t, step (framework units), max_level, "
            "levels_used (distinct levels), and max_rounding_lsb / saturated "
            "as spikegate's import at --weight-bits 8 computes them from "
            "model.nir (re-done in float64 by record_traces.py)"
            + ("; a recurrent layer (RLeaky / RSynaptic) is gridded as the "
               "importer sees it: W and the recurrent W_rec on one scale, "
               "the two biases (fc and recurrent Linear, both acting every "
               "step) as their sum b + b_rec, so max(|W|,|W_rec|,|b+b_rec|) "
               "is at level 127; each of the four is on the grid, and "
               "bias_levels_moved counts the neurons where one level of the "
               "fc bias was moved so that |level(b) + level(b_rec)| stays "
               "within 127 and the peak at 127"
               if any("bias_levels_moved" in l for l in q["layers"]) else "")),
    }


# ------------------------------------------------------------ snnTorch ----

def scale_init(layers, factor):
    """Scale the initial weights and biases (before training) so the first
    epochs see a useful number of spikes."""
    with torch.no_grad():
        for fc in layers:
            fc.weight.mul_(factor)
            fc.bias.mul_(factor)


def case_snntorch(case, neuron, reset, data):
    """case may end in _q8 (see q8_finetune)."""
    import snntorch as snn
    from snntorch.export_nir import export_to_nir

    xtr, ytr, xte, yte = data
    torch.manual_seed(SEED)

    def cell(n):
        # per-neuron tensors: export_nir needs shape [N] for beta/threshold
        if neuron == "Leaky":
            return snn.Leaky(beta=torch.full((n,), 0.9), threshold=torch.ones(n),
                             reset_mechanism=reset, init_hidden=True)
        return snn.Synaptic(alpha=torch.full((n,), 0.8), beta=torch.full((n,), 0.9),
                            threshold=torch.ones(n), reset_mechanism=reset,
                            init_hidden=True)

    net = torch.nn.Sequential(OrderedDict([
        ("fc1", torch.nn.Linear(N_IN, N_HID)), ("lif1", cell(N_HID)),
        ("fc2", torch.nn.Linear(N_HID, N_OUT)), ("lif2", cell(N_OUT)),
    ]))

    def run(x):
        for m in (net.lif1, net.lif2):
            m.reset_mem()
        s1, s2 = [], []
        for t in range(T):
            a = net.lif1(net.fc1(x[:, t]))
            b = net.lif2(net.fc2(a))
            s1.append(a)
            s2.append(b)
        return [torch.stack(s1, 1), torch.stack(s2, 1)]

    # Synaptic integrates twice (gain ~ 1/(1-alpha) * 1/(1-beta) = 50):
    # start with smaller weights.
    if neuron == "Leaky":
        init, epochs, lr = 1.0, 6, 5e-3
    else:
        init, epochs, lr = 0.2, 8, 2e-3
    scale_init([net.fc1, net.fc2], init)
    q8 = case.endswith(Q8_SUFFIX)
    if q8:
        q = q8_finetune(case, "snntorch", run,
                        [("fc1", net.fc1.weight, net.fc1.bias, False),
                         ("fc2", net.fc2.weight, net.fc2.bias, False)],
                        ["lif1", "lif2"], data, lr=lr * Q8_LR_FACTOR, dt=1e-4)
    else:
        train(run, net.parameters(), xtr, ytr, epochs=epochs, lr=lr)
    spikes = record(run, xte)
    for m in (net.lif1, net.lif2):
        m.reset_mem()
    graph = export_to_nir(net, torch.zeros(1, N_IN), ignore_dims=[0])
    meta = {
        "case": case, "framework": "snntorch",
        "versions": versions(["snntorch"]),
        "neuron": f"snntorch.{neuron}",
        "reset": reset,
        "dt": 1e-4,
        "dt_explained": (
            "snntorch.export_nir hard-codes dt = 1e-4 s and writes "
            "tau = dt/(1-beta) (and tau_syn = dt/(1-alpha), w_in = tau_syn/dt), "
            "r = tau/dt; so one snnTorch step is dt = 1e-4 s of the NIR ODE."),
        "params": ({"beta": 0.9, "threshold": 1.0} if neuron == "Leaky" else
                   {"alpha": 0.8, "beta": 0.9, "threshold": 1.0}),
        "notes": (
            "snnTorch's NIR export does NOT record the reset mechanism: the "
            "subtract and zero cases give the same node types and v_reset = 0; "
            "take the reset from this file's 'reset'. snnTorch's reset is "
            "deferred (reset_delay=True, default): the spike of step t is "
            "computed from mem_t > threshold and mem is reset in step t+1 "
            "(see FACTS.md). Threshold test is strict (mem > threshold). "
            "Spikes recorded with init_hidden=True, state zero at t=0."),
    }
    if q8:
        meta["quantization_aware_training"] = q8_meta(q, graph)
    return finish(case, graph, ["lif1", "lif2"], spikes, xte, yte, meta)


# RLeaky / RSynaptic (recurrent hidden layer): first-layer neuron ->
# (output neuron, reset, init scale of fc1/fc2, init scale of the
# recurrent Linear, epochs, lr).  See FACTS.md, "RLeaky / RSynaptic".
SNNTORCH_RECURRENT = {
    "RLeaky": ("Leaky", 1.0, 1.0, 6, 5e-3),
    "RSynaptic": ("Synaptic", 0.2, 0.2, 8, 2e-3),
}


def case_snntorch_recurrent(case, neuron, reset, data):
    """64 -> 32 snn.RLeaky / snn.RSynaptic (all_to_all recurrent
    nn.Linear(32, 32) with bias, reset_delay=True) -> 10 snn.Leaky /
    snn.Synaptic, both with `reset`.  case may end in _q8."""
    import snntorch as snn
    from snntorch.export_nir import export_to_nir

    xtr, ytr, xte, yte = data
    torch.manual_seed(SEED)
    out_neuron, init, rec_init, epochs, lr = SNNTORCH_RECURRENT[neuron]

    def cell(kind, n):
        # per-neuron tensors: export_nir needs shape [N] for beta/threshold
        kw = dict(beta=torch.full((n,), 0.9), threshold=torch.ones(n),
                  reset_mechanism=reset, init_hidden=True)
        if kind.endswith("Synaptic"):
            kw["alpha"] = torch.full((n,), 0.8)
        if kind.startswith("R"):
            kw["linear_features"] = n          # all_to_all=True (default)
        return getattr(snn, kind)(**kw)

    net = torch.nn.Sequential(OrderedDict([
        ("fc1", torch.nn.Linear(N_IN, N_HID)), ("lif1", cell(neuron, N_HID)),
        ("fc2", torch.nn.Linear(N_HID, N_OUT)), ("lif2", cell(out_neuron, N_OUT)),
    ]))
    rec = net.lif1.recurrent
    assert isinstance(rec, torch.nn.Linear) and rec.bias is not None
    assert net.lif1.reset_delay and net.lif2.reset_delay

    def run(x):
        for m in (net.lif1, net.lif2):
            m.reset_mem()
        s1, s2 = [], []
        for t in range(T):
            a = net.lif1(net.fc1(x[:, t]))
            b = net.lif2(net.fc2(a))
            s1.append(a)
            s2.append(b)
        return [torch.stack(s1, 1), torch.stack(s2, 1)]

    scale_init([net.fc1, net.fc2], init)
    scale_init([rec], rec_init)
    names = ["lif1.lif", "lif2"]
    q8 = case.endswith(Q8_SUFFIX)
    if q8:
        q = q8_finetune(case, "snntorch", run,
                        [("fc1", net.fc1.weight, net.fc1.bias, False,
                          "lif1.w_rec", rec.weight, rec.bias),
                         ("fc2", net.fc2.weight, net.fc2.bias, False)],
                        names, data, lr=lr * Q8_LR_FACTOR, dt=1e-4)
    else:
        train(run, net.parameters(), xtr, ytr, epochs=epochs, lr=lr)
    spikes = record(run, xte)
    for m in (net.lif1, net.lif2):
        m.reset_mem()
    graph = export_to_nir(net, torch.zeros(1, N_IN), ignore_dims=[0])
    edges = {tuple(e) for e in graph.edges}
    assert {("fc1", "lif1.lif"), ("lif1.lif", "lif1.w_rec"),
            ("lif1.w_rec", "lif1.lif"), ("lif1.lif", "fc2")} <= edges, edges
    w_rec = graph.nodes["lif1.w_rec"]
    assert type(w_rec).__name__ == "Affine"
    assert np.array_equal(np.asarray(w_rec.weight), rec.weight.detach().numpy())
    assert np.array_equal(np.asarray(w_rec.bias), rec.bias.detach().numpy())
    syn = neuron == "RSynaptic"
    if syn:
        update = (
            "syn_t = alpha*syn_{t-1} + x_t + (W_rec s_{t-1} + b_rec); "
            + ("mem_t = beta*mem_{t-1} + syn_t - s_{t-1}*threshold"
               if reset == "subtract" else
               "mem_t = (1 - s_{t-1})*(beta*mem_{t-1} + syn_t) (syn never reset)")
            + "; s_t = [mem_t > threshold]")
    else:
        update = (
            "mem_t = " + ("beta*mem_{t-1} + x_t + (W_rec s_{t-1} + b_rec) - "
                          "s_{t-1}*threshold" if reset == "subtract" else
                          "(1 - s_{t-1})*(beta*mem_{t-1} + x_t + W_rec s_{t-1} + b_rec)")
            + "; s_t = [mem_t > threshold]")
    meta = {
        "case": case, "framework": "snntorch",
        "versions": versions(["snntorch"]),
        "neuron": f"snntorch.{neuron}",
        "output_neuron": f"snntorch.{out_neuron}",
        "reset": reset,
        "dt": 1e-4,
        "dt_explained": (
            "snntorch.export_nir hard-codes dt = 1e-4 s and writes "
            "tau = dt/(1-beta) (and tau_syn = dt/(1-alpha), w_in = tau_syn/dt), "
            "r = tau/dt; so one snnTorch step is dt = 1e-4 s of the NIR ODE."),
        "params": dict(({"beta": 0.9, "threshold": 1.0} if not syn else
                        {"alpha": 0.8, "beta": 0.9, "threshold": 1.0}),
                       reset_delay=True,
                       recurrent=("all_to_all=True, linear_features=32: "
                                  "nn.Linear(32, 32) with bias, learned")),
        "recurrent": {
            "layer": "lif1",
            "update": update,
            "update_explained": (
                "x_t = fc1(input_t) (W x + b), s_{t-1} the layer's own spikes "
                "of the step before (0 at t = 0, so b_rec acts from step 0 "
                "on: recurrent(0) = b_rec), W_rec / b_rec the recurrent "
                "Linear's weight / bias (snntorch/_neurons/"
                + ("rsynaptic.py" if syn else "rleaky.py")
                + " _base_state_function, _base_"
                + ("sub" if reset == "subtract" else "zero") + "; FACTS.md)"),
            "export": (
                "export_to_nir makes the layer a subgraph {input, lif, w_rec, "
                "output}; nirtorch flattens it into the graph as nodes "
                f"lif1.lif ({'CubaLIF' if syn else 'LIF'}) and lif1.w_rec "
                "(Affine, weight 32x32 = W_rec as in torch, [out][in], and "
                "bias 32), edges fc1 -> lif1.lif -> lif1.w_rec -> lif1.lif, "
                "lif1.lif -> fc2"),
            "init_scale": rec_init,
        },
        "notes": (
            "snnTorch's NIR export does NOT record the reset mechanism: the "
            "subtract and zero cases give the same node types and v_reset = 0; "
            "take the reset from this file's 'reset'. snnTorch's reset is "
            "deferred (reset_delay=True, default): the spike of step t is "
            "computed from mem_t > threshold and mem is reset in step t+1 "
            "(see FACTS.md). Threshold test is strict (mem > threshold). "
            "Spikes recorded with init_hidden=True, state zero at t=0 "
            "(reset_mem() also zeroes the stored spikes the recurrent "
            "Linear reads). The layer's spikes of step t reach its own "
            "neurons through W_rec in step t+1; the recurrent bias acts "
            "every step, whatever the spikes."),
    }
    if neuron == "RLeaky" and reset == "zero":
        meta["notes"] += (
            " Two zero resets in one network: RLeaky's (lif1) discards the "
            "whole new mem of the step after a spike, input and recurrent "
            "term included, mem_t = (1 - s_{t-1})*(beta*mem_{t-1} + x_t + "
            "rec_t) (as Synaptic zero: spikegate's deferred zero reset); "
            "Leaky's (lif2) zeroes the old mem before the decay and keeps "
            "the input, mem_t = beta*(1 - s_{t-1})*mem_{t-1} + x_t "
            "(spikegate's immediate zero reset).")
    if q8:
        meta["quantization_aware_training"] = q8_meta(q, graph)
    return finish(case, graph, names, spikes, xte, yte, meta)


# --------------------------------------------------------------- Norse ----

def case_norse(case, neuron, data):
    """case may end in _q8 (see q8_finetune)."""
    import norse.torch as norse

    xtr, ytr, xte, yte = data
    torch.manual_seed(SEED)
    dt = 1e-3

    def cell(n):
        if neuron == "LIFBoxCell":
            p = norse.LIFBoxParameters(
                tau_mem_inv=torch.full((n,), 100.0), v_leak=torch.zeros(n),
                v_th=torch.ones(n), v_reset=torch.zeros(n))
            return norse.LIFBoxCell(p, dt=dt)
        p = norse.LIFParameters(
            tau_syn_inv=torch.full((n,), 200.0), tau_mem_inv=torch.full((n,), 100.0),
            v_leak=torch.zeros(n), v_th=torch.ones(n), v_reset=torch.zeros(n))
        return norse.LIFCell(p, dt=dt)

    net = norse.SequentialState(
        torch.nn.Linear(N_IN, N_HID), cell(N_HID),
        torch.nn.Linear(N_HID, N_OUT), cell(N_OUT))
    fc1, c1, fc2, c2 = net[0], net[1], net[2], net[3]
    # the membrane sees dt*tau_mem_inv = 0.1 of its input: start larger
    init = 10.0 if neuron == "LIFBoxCell" else 2.0
    scale_init([fc1, fc2], init)

    def run(x):
        st1 = st2 = None
        s1, s2 = [], []
        for t in range(T):
            a, st1 = c1(fc1(x[:, t]), st1)
            b, st2 = c2(fc2(a), st2)
            s1.append(a)
            s2.append(b)
        return [torch.stack(s1, 1), torch.stack(s2, 1)]

    names = ["1", "3"]
    q8 = case.endswith(Q8_SUFFIX)
    if q8:
        q = q8_finetune(case, "norse", run,
                        [("0", fc1.weight, fc1.bias, False),
                         ("2", fc2.weight, fc2.bias, False)],
                        names, data, lr=1e-2 * Q8_LR_FACTOR, dt=dt)
    else:
        train(run, net.parameters(), xtr, ytr, epochs=12, lr=1e-2)
    spikes = record(run, xte)
    # norse.torch.to_nir writes tau = dt_export / tau_inv.  Exporting with
    # dt=1.0 makes the file's tau the true time constant 1/tau_inv in seconds
    # (0.01 s, 0.005 s); the network is simulated with dt = 1e-3 s.
    export_dt = 1.0
    graph = norse.to_nir(net, torch.zeros(N_IN), dt=export_dt)
    meta = {
        "case": case, "framework": "norse",
        "versions": versions(["norse"]),
        "neuron": f"norse.torch.{neuron}",
        "reset": "to v_reset (0) in the step of the spike",
        "dt": dt,
        "export_dt": export_dt,
        "dt_explained": (
            "Norse cells were run with dt = 1e-3 s (Norse's default). "
            "norse.torch.to_nir(..., dt) writes tau = dt / tau_inv, which is "
            "only the real time constant when dt = 1; it was called with "
            "dt=1.0 so the file holds tau_mem = 1/tau_mem_inv = 0.01 s"
            + (" and tau_syn = 1/tau_syn_inv = 0.005 s" if neuron == "LIFCell" else "")
            + ". Import the file with dt = 1e-3 s (dt/tau_mem = 0.1"
            + (", dt/tau_syn = 0.2" if neuron == "LIFCell" else "") + ")."),
        "params": ({"tau_mem_inv": 100.0, "v_th": 1.0, "v_leak": 0.0, "v_reset": 0.0}
                   if neuron == "LIFBoxCell" else
                   {"tau_syn_inv": 200.0, "tau_mem_inv": 100.0, "v_th": 1.0,
                    "v_leak": 0.0, "v_reset": 0.0}),
        "notes": (
            "Norse's export writes no v_reset (nir fills v_reset = 0, which "
            "equals Norse's v_reset here) and r = 1"
            + ("; CubaLIF w_in is nir's default 1. Norse adds the input "
               "current to i in full (i += I) before the membrane update, it "
               "is not scaled by dt/tau_syn" if neuron == "LIFCell" else "")
            + ". Threshold test strict (v > v_th); reset to v_reset in the "
            "same step; the initial v is v_leak = 0."),
    }
    if q8:
        meta["quantization_aware_training"] = q8_meta(q, graph)
    return finish(case, graph, names, spikes, xte, yte, meta)


# -------------------------------------------------------------- Sinabs ----

def case_sinabs(case, data):
    """case may end in _q8 (see q8_finetune)."""
    import sinabs
    import sinabs.layers as sl

    xtr, ytr, xte, yte = data
    torch.manual_seed(SEED)
    thr = 1.0
    # sinabs.from_nir builds IAFSqueeze(min_v_mem=-v_threshold,
    # spike_threshold=v_threshold) with the default MultiSpike and
    # MembraneSubtract; use exactly that so export + import round-trips.
    def cell():
        return sl.IAFSqueeze(num_timesteps=T, spike_threshold=thr, min_v_mem=-thr)

    net = torch.nn.Sequential(OrderedDict([
        ("fc1", torch.nn.Linear(N_IN, N_HID)), ("iaf1", cell()),
        ("fc2", torch.nn.Linear(N_HID, N_OUT)), ("iaf2", cell()),
    ]))
    with torch.no_grad():  # large weights so that several spikes per step occur
        net.fc1.weight.mul_(3.0)

    def run(x):
        for m in (net.iaf1, net.iaf2):
            m.reset_states()
        B = x.shape[0]
        h = net.iaf1(net.fc1(x.reshape(B * T, N_IN)))
        o = net.iaf2(net.fc2(h))
        return [h.reshape(B, T, N_HID), o.reshape(B, T, N_OUT)]

    q8 = case.endswith(Q8_SUFFIX)
    if q8:
        q = q8_finetune(case, "sinabs", run,
                        [("fc1", net.fc1.weight, net.fc1.bias, False),
                         ("fc2", net.fc2.weight, net.fc2.bias, False)],
                        ["iaf1", "iaf2"], data, lr=2e-3 * Q8_LR_FACTOR, dt=None,
                        dyadic=True)
        new_thr = {l["layer"]: l["threshold"] for l in q["layers"]}
        with torch.no_grad():
            for n, th in new_thr.items():
                m = getattr(net, n)
                m.spike_threshold.fill_(th)
                m.min_v_mem.fill_(-th)
    else:
        train(run, net.parameters(), xtr, ytr, epochs=6, lr=2e-3)
    spikes = record(run, xte)
    for m in (net.iaf1, net.iaf2):
        m.reset_states()
    with torch.no_grad():
        net(torch.zeros(T, N_IN))
    graph = sinabs.to_nir(net, torch.zeros(T, N_IN))
    for m in (net.iaf1, net.iaf2):
        m.reset_states()
    roundtrip = sinabs_roundtrip(graph, xte, spikes)
    meta = {
        "case": case, "framework": "sinabs",
        "versions": versions(["sinabs"]),
        "neuron": "sinabs.layers.IAFSqueeze",
        "reset": "subtract (MembraneSubtract: v -= n*threshold, same step)",
        "spike_fn": "MultiSpike: n = trunc(v/threshold) if v > 0 else 0",
        "min_v_mem": -thr,
        "dt": 1.0,
        "dt_explained": (
            "IF has no time constant; dt does not enter. One Sinabs step = "
            "one NIR step (dt = 1 by convention)."),
        "params": {"spike_threshold": thr, "min_v_mem": -thr},
        "notes": (
            "Sinabs' NIR export writes IF(r=1, v_threshold) only; nir fills "
            "v_reset = 0. It records neither the multi-spike function, nor "
            "the subtractive reset, nor min_v_mem. sinabs.from_nir rebuilds "
            "IAFSqueeze(min_v_mem=-v_threshold, spike_threshold=v_threshold) "
            "with MultiSpike and MembraneSubtract; this network was trained "
            "and recorded with exactly those settings, so the recorded spikes "
            "equal those of the re-imported model (checked: "
            + roundtrip + "). v is clipped to >= min_v_mem AFTER the reset. "
            "Spike entries are counts per step (0..n). fc1's initial weights "
            "were scaled by 3 to get several spikes per step."),
    }
    if q8:
        meta["min_v_mem"] = {n: -th for n, th in new_thr.items()}
        meta["params"] = {"spike_threshold": new_thr,
                          "min_v_mem": {n: -th for n, th in new_thr.items()}}
        meta["notes"] += (
            " _q8: per-layer thresholds (and min_v_mem = -threshold, as "
            "sinabs.from_nir sets it) after the exact rescale described in "
            "quantization_aware_training.grid_rule; min_v_mem and params "
            "are per layer here.")
        meta["quantization_aware_training"] = q8_meta(q, graph)
    return finish(case, graph, ["iaf1", "iaf2"], spikes, xte, yte, meta)


def sinabs_roundtrip(graph, xte, spikes):
    """Re-import the exported graph with sinabs.from_nir and compare the
    output-layer spikes with the recorded ones."""
    import sinabs
    try:
        g = nir.read(write_tmp(graph))
        m = sinabs.from_nir(g, num_timesteps=T)
        with torch.no_grad():
            x = torch.from_numpy(xte.astype(np.float32)).reshape(-1, N_IN)
            out = m(x)
            if isinstance(out, tuple):
                out = out[0]
        out = out.reshape(len(xte), T, N_OUT).numpy()
        same = bool(np.array_equal(out.astype(np.uint8), spikes[-1]))
        msg = "sinabs.from_nir output spikes identical" if same else \
            f"sinabs.from_nir output spikes differ in {(out != spikes[-1]).sum()} entries"
    except Exception as e:  # report, don't fail the recording
        msg = f"sinabs.from_nir round trip failed: {type(e).__name__}: {e}"
    print("  " + msg)
    return msg


def write_tmp(graph):
    import tempfile
    p = os.path.join(tempfile.mkdtemp(), "m.nir")
    nir.write(p, graph)
    return p


# ------------------------------------------------------------ Rockpool ----

ROCKPOOL_DT = 1e-3       # Rockpool's default dt (s)
ROCKPOOL_TAU_MEM = 0.02  # Rockpool's default tau_mem (s)
ROCKPOOL_TAU_SYN = 0.01  # (Rockpool's default is 0.02; a different value
                         #  keeps tau_mem and tau_syn apart in the file)


def import_rockpool():
    """Import rockpool without its samna probe.  rockpool's
    backend_management runs `import samna` at import time; the PyPI `samna`
    0.48.6 package is a stub whose __init__ runs `pip install
    --force-reinstall samna==... --index-url=<gitlab>` (a network install).
    A None entry in sys.modules makes `import samna` raise ImportError, which
    rockpool treats as "samna backend not available".  Nothing used here
    needs samna."""
    if "samna" not in sys.modules:
        sys.modules["samna"] = None
    import rockpool
    from rockpool.nn.modules import LinearTorch, LIFTorch, to_nir, from_nir
    from rockpool.nn.combinators import Sequential
    from rockpool.parameters import Constant
    from rockpool.nn.modules.torch.lif_torch import PeriodicExponential
    LIFTorch.periodic_exponential = PeriodicExponential
    return rockpool, LinearTorch, LIFTorch, Sequential, Constant, to_nir, from_nir


def rockpool_lif(LIFTorch, Constant, n):
    """LIFTorch in leak_mode "taus" (the default): the module computes
    alpha = exp(-dt/tau_mem), beta = exp(-dt/tau_syn) itself.  Time constants,
    bias (0) and threshold (1) are Constant, i.e. not trained (LIFTorch makes
    them trainable Parameters otherwise).  max_spikes_per_dt (2**16) and
    noise_std (0) are left at their defaults.  spike_generation_fn is
    Rockpool's PeriodicExponential instead of the default StepPWL: its forward
    pass is the same formula (n = floor(v/thr) if v >= thr, capped at
    max_spikes_per_dt), only the surrogate gradient differs (StepPWL's
    window v >= thr - 0.5 left the output layer dead, <= 50% accuracy)."""
    return LIFTorch(
        n, leak_mode="taus",
        spike_generation_fn=LIFTorch.periodic_exponential,
        tau_mem=Constant(torch.full((n,), ROCKPOOL_TAU_MEM)),
        tau_syn=Constant(torch.full((n,), ROCKPOOL_TAU_SYN)),
        bias=Constant(torch.zeros(n)),
        threshold=Constant(torch.ones(n)),
        dt=ROCKPOOL_DT)


def case_rockpool(case, data):
    """case may end in _q8 (see q8_finetune)."""
    rockpool, LinearTorch, LIFTorch, Sequential, Constant, to_nir, from_nir = \
        import_rockpool()

    xtr, ytr, xte, yte = data
    torch.manual_seed(SEED)
    net = Sequential(
        LinearTorch((N_IN, N_HID)), rockpool_lif(LIFTorch, Constant, N_HID),
        LinearTorch((N_HID, N_OUT)), rockpool_lif(LIFTorch, Constant, N_OUT))
    names = ["1_LIFTorch", "3_LIFTorch"]   # Sequential's names = NIR node names
    lif1, lif2 = net[1], net[3]
    assert lif1.leak_mode == "taus"
    assert float(lif1.max_spikes_per_dt) == 2.0 ** 16   # the default
    # the synaptic current integrates (gain ~ 1/(1-beta) ~ 10) and the
    # membrane too (~ 1/(1-alpha) ~ 20): start with small weights
    with torch.no_grad():
        for lin, f in zip((net[0], net[2]), ROCKPOOL_INIT):
            lin.weight.mul_(f)

    def run(x):
        net.reset_state()   # LIFTorch keeps the state of batch item 0 after a call
        out, _, rec = net(x, record=True)
        return [rec["1_LIFTorch_output"], out]

    params = [p for n, p in net.named_parameters()]
    assert sorted(n for n, _ in net.named_parameters()) == \
        ["0_LinearTorch.weight", "2_LinearTorch.weight"], "only weights train"
    q8 = case.endswith(Q8_SUFFIX)
    if q8:
        # spikegate's rockpool preset takes dt from the file's r (dt=None)
        pd = dict(net.named_parameters())
        q = q8_finetune(case, "rockpool", run,
                        [("0_LinearTorch", pd["0_LinearTorch.weight"], None, True),
                         ("2_LinearTorch", pd["2_LinearTorch.weight"], None, True)],
                        names, data, lr=ROCKPOOL_LR * Q8_LR_FACTOR, dt=None)
    else:
        train(run, params, xtr, ytr, epochs=ROCKPOOL_EPOCHS, lr=ROCKPOOL_LR)
    spikes = record(run, xte)
    net.reset_state()
    graph = to_nir(net, torch.zeros(1, N_IN))   # = to_nir's default sample
    net.reset_state()
    # to_nir (via nirtorch, no ignore_dims) copies the sample's shape into the
    # Input node ([1, 64]) and the traced output's (batch, time, N) into the
    # Output node ([1, 1, 10]); nir 1.0.8's nir.read then rejects the file in
    # infer_types (input.output [1 64] -> 0_LinearTorch.input [64]).  Replace
    # only those two nodes with the per-step shapes; every other node is
    # to_nir's.
    io_types = {"input": graph.nodes["input"].input_type["input"].tolist(),
                "output": graph.nodes["output"].output_type["output"].tolist()}
    graph.nodes["input"] = nir.Input(np.array([N_IN]))
    graph.nodes["output"] = nir.Output(np.array([N_OUT]))
    roundtrip = rockpool_roundtrip(from_nir, graph, xte, spikes, names)
    alpha = lif1.alpha.detach().numpy().astype(np.float32)
    beta = lif1.beta.detach().numpy().astype(np.float32).ravel()
    multi = {n: int((s > 1).sum()) for n, s in zip(names, spikes)}
    for n, m in multi.items():
        print(f"  {n}: {m} entries with more than one spike in a step")
    meta = {
        "case": case, "framework": "rockpool",
        "versions": versions(["rockpool"]),
        "neuron": "rockpool.nn.modules.LIFTorch",
        "reset": "subtract (v -= n*threshold, same step)",
        "spike_fn": ("PeriodicExponential (forward identical to the default "
                     "StepPWL): n = floor(v/threshold) if v >= threshold "
                     "else 0, capped at max_spikes_per_dt"),
        "max_spikes_per_dt": float(lif1.max_spikes_per_dt),
        "leak_mode": "taus",
        "dt": ROCKPOOL_DT,
        "dt_explained": (
            "LIFTorch(dt=1e-3) in leak_mode 'taus': per step alpha = "
            "exp(-dt/tau_mem), beta = exp(-dt/tau_syn) (computed by Rockpool in "
            "float32). The file's tau_mem, tau_syn are the true time constants "
            "(0.02 s, 0.01 s) and r = tau_mem*exp(-dt/tau_mem)/dt; dt itself is "
            "not in the file (dt*r/tau_mem = alpha)."),
        "params": {"tau_mem": ROCKPOOL_TAU_MEM, "tau_syn": ROCKPOOL_TAU_SYN,
                   "bias": 0.0, "threshold": 1.0, "noise_std": 0.0,
                   "alpha": float(alpha[0]), "beta": float(beta[0]),
                   "alpha_hex": float(alpha[0]).hex(),
                   "beta_hex": float(beta[0]).hex()},
        "update": ("i = beta*(i + W x); v = alpha*v + i + bias; "
                   "n = floor(v/threshold) if v >= threshold else 0; "
                   "v -= n*threshold"),
        "multi_spike_entries": multi,
        "from_nir_roundtrip": roundtrip,
        "io_nodes_replaced": (
            f"to_nir wrote Input {io_types['input']} and Output "
            f"{io_types['output']} (sample/trace shapes incl. batch and time); "
            f"nir.read rejects that, so they were replaced by Input [{N_IN}] "
            f"and Output [{N_OUT}] before nir.write"),
        "notes": (
            "rockpool.nn.modules.to_nir writes Linear (no bias; LinearTorch "
            "has_bias=False, weight stored as W.T of Rockpool's (Nin, Nout) "
            "matrix, i.e. NIR's (Nout, Nin)) and CubaLIF(tau_mem, tau_syn, "
            "r = tau_mem*exp(-dt/tau_mem)/dt, v_leak = 0 always (the bias is "
            "NOT exported; it is 0 here), v_threshold); w_in and v_reset are "
            "not written (nir fills w_in = 1, v_reset = 0). Not in the file: "
            "dt, the subtractive multi-spike reset, the inclusive threshold "
            "(v >= threshold), and that the input is added to i BEFORE i's "
            "decay (so it enters v multiplied by beta in its own step) and i "
            "enters v with gain 1. Spike entries are counts per step. State "
            "zero at t = 0 (net.reset_state() before every batch)."),
    }
    if q8:
        meta["quantization_aware_training"] = q8_meta(q, graph)
    return finish(case, graph, names, spikes, xte, yte, meta)


def rockpool_roundtrip(from_nir, graph, xte, spikes, names):
    """Re-import the written file with rockpool's from_nir and compare every
    layer's spikes with the recorded ones."""
    try:
        g = nir.read(write_tmp(graph))
        m = from_nir(g)
        lifs = [mod for n, mod in m.named_modules() if type(mod).__name__ == "LIFTorch"]
        dts = sorted({float(mod.dt) for mod in lifs})
        with torch.no_grad():
            for mod in lifs:
                mod.reset_state()
            out = m(torch.from_numpy(xte.astype(np.float32)))
            if isinstance(out, tuple):
                out = out[0]
        out = out.detach().numpy()
        diff = int((out != spikes[-1]).sum())
        pdiff = int((decode(out.sum(1)) != decode(spikes[-1].astype(np.int64).sum(1))).sum())
        # the same imported modules with dt set back to the true step
        with torch.no_grad():
            for mod in lifs:
                mod.dt = ROCKPOOL_DT
                mod.reset_state()
            out2 = m(torch.from_numpy(xte.astype(np.float32)))
            if isinstance(out2, tuple):
                out2 = out2[0]
        diff2 = int((out2.detach().numpy() != spikes[-1]).sum())
        msg = (f"rockpool from_nir builds LIFTorch with dt = {dts} "
               f"(min(tau_mem/(1+r)), not {ROCKPOOL_DT}); output spikes "
               + ("identical" if diff == 0 else
                  f"differ in {diff} of {out.size} entries "
                  f"({int(out.sum())} vs {int(spikes[-1].sum())} spikes, "
                  f"{pdiff} of {len(out)} predictions differ)")
               + f"; with dt set to {ROCKPOOL_DT} after import: "
               + ("identical" if diff2 == 0 else f"{diff2} entries differ"))
    except Exception as e:  # report, don't fail the recording
        msg = f"rockpool from_nir round trip failed: {type(e).__name__}: {e}"
    print("  " + msg)
    return msg


# initial weight scale of the two LinearTorch layers (Kaiming uniform as
# LinearTorch draws it, times these), epochs, Adam learning rate
ROCKPOOL_INIT, ROCKPOOL_EPOCHS, ROCKPOOL_LR = (0.02, 0.6), 10, 2e-3


# ------------------------------------------- Sinabs N-MNIST CNN (sinabs_cnn) ----
#
# Not trained here: the Sinabs N-MNIST CNN of the NIR paper, exported by
# Sinabs (tests/fixtures/nir/cnn_sinabs.nir, copied byte for byte as
# model.nir), loaded with sinabs.from_nir as a Sinabs user would, and run
# by Sinabs on N-MNIST-like events made from the 8x8 digits (there is no
# N-MNIST here).

CNN_SOURCE = REPO / "tests" / "fixtures" / "nir" / "cnn_sinabs.nir"
CNN_T = 16                # steps per sample
CNN_SAMPLES = 100         # the first 100 of the 450 test digits
CNN_SIDE = 34             # N-MNIST's frame, pixels
CNN_DIGIT = 28            # the digit is upscaled to 28 x 28 (MNIST's size) ...
CNN_MARGIN = (CNN_SIDE - CNN_DIGIT) // 2   # ... and centred: 3 pixels each side
# The three saccades: straight moves of equal duration (CNN_T/3 steps each)
# from vertex to vertex of this triangle and back to the first; offsets
# (dx, dy) of the image in pixels, x to the right, y down.
CNN_TRIANGLE = ((-1.5, 1.0), (1.5, 1.0), (0.0, -1.5))
CNN_THETA = 0.05          # event threshold on the intensity (0..1)
CNN_INPUT_NEURONS = 2 * CNN_SIDE * CNN_SIDE


def saccade_offset(k):
    """(dx, dy) of the image at time k/CNN_T of the sample, k = 0..CNN_T."""
    s = 3.0 * k / CNN_T
    i = min(int(np.floor(s)), 2)
    f = s - i
    a = np.asarray(CNN_TRIANGLE[i], np.float64)
    b = np.asarray(CNN_TRIANGLE[(i + 1) % 3], np.float64)
    return a + f * (b - a)


def interp_weights(shift):
    """[CNN_SIDE, 8]: the bilinear weights of the 8 source pixels for each
    frame pixel along one axis, the 8-pixel digit scaled to CNN_DIGIT
    pixels, centred and moved by `shift` pixels (zero outside the digit)."""
    w = np.zeros((CNN_SIDE, 8))
    for x in range(CNN_SIDE):
        # the frame pixel's centre in source pixel coordinates (centres at 0..7)
        u = (x + 0.5 - CNN_MARGIN - shift) * (8.0 / CNN_DIGIT) - 0.5
        j = int(np.floor(u))
        f = u - j
        if 0 <= j < 8:
            w[x, j] += 1.0 - f
        if 0 <= j + 1 < 8:
            w[x, j + 1] += f
    return w


def render(img, dx, dy):
    """[S, 34, 34] intensity of the images img [S, 8, 8] at offset (dx, dy).
    Element-wise float64 products and sums in a fixed order (no BLAS), so the
    values are the same on every machine."""
    wx, wy = interp_weights(dx), interp_weights(dy)
    out = np.zeros((img.shape[0], CNN_SIDE, CNN_SIDE))
    for j in range(8):
        for i in range(8):
            out += img[:, j, i][:, None, None] * (wy[:, j][:, None] * wx[:, i][None, :])[None]
    return out


def nmnist_like_events(x):
    """x [S, 64] in [0, 1] -> uint8 [S, CNN_T, 2*34*34] events.  Each pixel
    keeps a reference intensity L, at first the intensity of the still image
    at the first vertex.  In step t the image moves to saccade_offset(t+1);
    a pixel whose intensity I now exceeds L by more than CNN_THETA emits an ON
    event (channel 0), one below L by more than CNN_THETA an OFF event
    (channel 1), and L becomes I (a DVS pixel's reset); at most one event
    per pixel per step.  Neuron index (c*34 + y)*34 + x."""
    img = x.reshape(-1, 8, 8)
    ref = render(img, *saccade_offset(0))
    ev = np.zeros((len(img), CNN_T, 2, CNN_SIDE, CNN_SIDE), np.uint8)
    for t in range(CNN_T):
        cur = render(img, *saccade_offset(t + 1))
        on = cur - ref > CNN_THETA
        off = ref - cur > CNN_THETA
        ev[:, t, 0] = on
        ev[:, t, 1] = off
        ref = np.where(on | off, cur, ref)
    return ev.reshape(len(img), CNN_T, CNN_INPUT_NEURONS)


def _ints(v):
    return [int(a) for a in np.asarray(v).ravel()]


def _distinct(t):
    a = t.detach().numpy().astype(np.float64).ravel()
    return {"shape": list(t.shape), "values": [float(u) for u in np.unique(a)],
            "dtype": str(t.dtype).replace("torch.", ""),
            "requires_grad": bool(t.requires_grad)}


def describe_sinabs_module(m):
    """What sinabs.from_nir built for one node (for case.json)."""
    import sinabs.layers as sl
    if isinstance(m, sl.IAFSqueeze):
        return {
            "module": "sinabs.layers.IAFSqueeze",
            "spike_fn": m.spike_fn.__module__ + "." + m.spike_fn.__name__,
            "reset_fn": repr(m.reset_fn),
            "spike_threshold": _distinct(m.spike_threshold),
            "min_v_mem": _distinct(m.min_v_mem),
            "alpha_mem": float(m.alpha_mem_calculated),
            "synaptic_state": m.tau_syn is not None,
            "norm_input": bool(m.norm_input),
            "surrogate_grad_fn": repr(m.surrogate_grad_fn),
            "num_timesteps": int(m.num_timesteps), "batch_size": int(m.batch_size),
        }
    if isinstance(m, sl.SumPool2d):
        return {"module": "sinabs.layers.SumPool2d (torch.nn.LPPool2d, norm_type 1)",
                "norm_type": float(m.norm_type), "kernel_size": _ints(m.kernel_size),
                "stride": _ints(m.stride), "ceil_mode": bool(m.ceil_mode)}
    if isinstance(m, torch.nn.Conv2d):
        return {"module": "torch.nn.Conv2d", "in_channels": int(m.in_channels),
                "out_channels": int(m.out_channels), "kernel_size": _ints(m.kernel_size),
                "stride": _ints(m.stride), "padding": _ints(m.padding),
                "dilation": _ints(m.dilation), "groups": int(m.groups),
                "bias": m.bias is not None,
                "dtype": str(m.weight.dtype).replace("torch.", "")}
    if isinstance(m, torch.nn.Linear):
        return {"module": "torch.nn.Linear", "in_features": int(m.in_features),
                "out_features": int(m.out_features), "bias": m.bias is not None,
                "dtype": str(m.weight.dtype).replace("torch.", "")}
    if isinstance(m, torch.nn.Flatten):
        return {"module": "torch.nn.Flatten", "start_dim": int(m.start_dim),
                "end_dim": int(m.end_dim)}
    return {"module": type(m).__module__ + "." + type(m).__name__}


# ------------------------------- the CNN on the 8-bit grid (sinabs_cnn_q8) ----
#
# sinabs_cnn_q8 is sinabs_cnn's network with every layer's weights put on
# spikegate's 8-bit grid (Grid8, inclusive rule, g = 1: t = floor(127 *
# theta / max|W|), step theta / t) and each layer then rescaled exactly to a
# power-of-two step (Grid8.snap(dyadic=True)).  No fine-tuning: there is no
# N-MNIST here to train on, so the weights are only rounded.  The file is a
# copy of cnn_sinabs.nir whose weight and v_threshold datasets are
# overwritten in place with h5py (same shape and dtype, contiguous and
# uncompressed), every other byte unchanged (checked).

def cnn_layers(graph):
    """[(IF node, the Conv2d / Affine node feeding it)] from the input on."""
    src = {b: a for a, b in graph.edges}
    order = []
    nxt = {a: b for a, b in graph.edges}
    cur = "input"
    while nxt[cur] != "output":
        cur = nxt[cur]
        order.append(cur)
    out = []
    for n in order:
        if type(graph.nodes[n]).__name__ == "IF":
            aff = src[n]
            assert type(graph.nodes[aff]).__name__ in ("Conv2d", "Affine"), aff
            out.append((n, aff))
    return out


def cnn_grid_check(graph, layers):
    """What spikegate's importer computes from the file at 8-bit weights for
    each IF layer (g = 1; one scale per layer from its largest |weight or
    bias| over its threshold, Scaling::of; Rounder::round), in float64:
    t, max_rounding_lsb, saturated, max_level."""
    out = {}
    for name, aff in layers:
        node, a = graph.nodes[name], graph.nodes[aff]
        theta = np.asarray(node.v_threshold, np.float64).ravel()
        assert np.all(theta == theta[0])
        theta = float(theta[0])
        W = np.asarray(a.weight, np.float64) * 1.0
        b = np.asarray(a.bias, np.float64) * 1.0
        m = max(float(np.abs(W).max()), float(np.abs(b).max())) / theta
        t = max(np.floor(min(float(Q8_LEVEL) / m, float(Q8_THRESHOLD_CAP))), 1.0)
        k = t / theta
        y = np.concatenate([(W * k).ravel(), b * k])
        r = np.sign(y) * np.floor(np.abs(y) + 0.5)      # Rust's f64::round
        sat = np.abs(r) > Q8_LEVEL
        out[name] = {"t": float(t),
                     "max_rounding_lsb": float(np.abs(y - r)[~sat].max()),
                     "saturated": int(sat.sum()),
                     "max_level": int(np.abs(r).max())}
    return out


def cnn_q8_file(dst):
    """Writes dst: a copy of CNN_SOURCE with each layer's weights on the
    8-bit grid and the layer rescaled to a power-of-two step (weights and
    v_threshold datasets rewritten in place; the biases are all zero, level
    0, and stay as they are).  Returns the per-layer record for case.json."""
    import h5py
    src_graph = nir.read(str(CNN_SOURCE))
    layers = cnn_layers(src_graph)
    tensors, gains, thetas = [], [], []
    for name, aff in layers:
        node, a = src_graph.nodes[name], src_graph.nodes[aff]
        r = np.asarray(node.r, np.float64).ravel()
        th = np.asarray(node.v_threshold, np.float64).ravel()
        assert np.all(r == 1.0) and np.all(th == th[0]), name
        b = np.asarray(a.bias, np.float32)
        assert np.all(b == 0), f"{aff}: nonzero bias"
        tensors.append((name, torch.from_numpy(np.array(a.weight, np.float32)),
                        torch.from_numpy(b.copy())))
        gains.append(1.0)          # Sinabs' IF: r = 1, input gain 1
        thetas.append(float(th[0]))
    before = {name: np.asarray(src_graph.nodes[aff].weight, np.float64)
              for name, aff in layers}
    grid = Grid8(tensors, gains, thetas, inclusive=True)
    info = grid.snap(dyadic=True)
    Path(dst).write_bytes(CNN_SOURCE.read_bytes())
    ranges = []
    with h5py.File(str(dst), "r+") as f:
        for (name, aff), (_, w, b), li in zip(layers, tensors, info):
            assert li["rescaled_from_threshold"] is not None, li
            assert np.all(b.numpy() == 0)
            wd = f[f"node/nodes/{aff}/weight"]
            td = f[f"node/nodes/{name}/v_threshold"]
            for d in (wd, td):
                assert d.compression is None and d.chunks is None
                assert d.dtype == np.dtype("<f4")
                ranges.append((d.id.get_offset(), d.id.get_storage_size()))
            wd[...] = w.numpy()
            td[...] = np.full(td.shape, li["threshold"], np.float32)
    a = np.frombuffer(CNN_SOURCE.read_bytes(), np.uint8)
    c = np.frombuffer(Path(dst).read_bytes(), np.uint8)
    assert len(a) == len(c)
    keep = np.ones(len(a), bool)
    for off, size in ranges:
        keep[off:off + size] = False
    assert np.array_equal(a[keep], c[keep]), "bytes outside the datasets changed"
    graph = nir.read(str(dst))
    check = cnn_grid_check(graph, layers)
    out = OrderedDict()
    for (name, aff), li in zip(layers, info):
        c = check[name]
        assert c["saturated"] == 0 and c["max_rounding_lsb"] < 1e-3, (li, c)
        assert c["t"] == li["t"] and c["max_level"] == li["max_level"], (li, c)
        W = np.asarray(graph.nodes[aff].weight, np.float64)
        W0 = before[name] * (li["threshold"] / li["rescaled_from_threshold"])
        levels = W / li["step"]
        assert np.all(levels == np.round(levels))
        e = -int(np.round(np.log2(li["step"])))
        assert li["step"] == 2.0 ** -e
        out[name] = {
            "weights_node": aff, "kind": type(graph.nodes[aff]).__name__,
            "weights": int(W.size),
            "max_abs_weight_before": float(np.abs(before[name]).max()),
            "t": li["t"], "e": e, "step": li["step"],
            "threshold_before": li["rescaled_from_threshold"],
            "threshold": li["threshold"],
            "factor": li["threshold"] / li["rescaled_from_threshold"],
            "max_level": li["max_level"],
            "raised_to_max_level": li["raised_to_max_level"],
            "levels_used": li["levels_used"],
            "zero_weights": int((levels == 0).sum()),
            "max_rounding_error_in_steps": float(np.abs(W - W0).max() / li["step"]),
            "max_rounding_lsb": c["max_rounding_lsb"], "saturated": c["saturated"],
        }
        print(f"  {name} ({aff}): t {li['t']:.0f}, step 2^-{e}, threshold "
              f"{li['threshold']}, max level {li['max_level']}, raised "
              f"{li['raised_to_max_level']}, levels {li['levels_used']}, "
              f"max rounding {c['max_rounding_lsb']:.2e} LSB")
    return out


def cnn_q8_meta(layers, float_diff):
    return {
        "base_case": "sinabs_cnn",
        "weight_bits": 8,
        "threshold_test": "inclusive (v >= theta)",
        "fine_tuning": None,
        "fine_tuning_explained": (
            "none: there is no N-MNIST here to train on, so the float "
            "weights of cnn_sinabs.nir were only rounded to the grid"),
        "grid_rule": (
            "per IF layer, with the Conv2d / Affine node feeding it: one "
            "scale for the whole layer (all kernels / rows), levels "
            "-127..127, g = 1 (Sinabs' IF, r = 1), theta = 1 (every "
            "threshold of the file), t = floor(127*theta/(g*max(|W|,|b|))), "
            "step = theta/t; each weight rounded to the nearest level "
            "(numpy round). The largest |level| L must give the importer the "
            "same t (floor(127*t/L) = t); where the rounded L was smaller, "
            "the entries at L were raised to the smallest such L "
            "(raised_to_max_level). Biases are all 0 (level 0)."),
        "rescale": (
            "then per layer weights, threshold and min_v_mem (= -threshold, "
            "as sinabs.from_nir sets it; bias 0) times factor = t*2^-e/theta "
            "with e = round(log2 t): step 2^-e, threshold t*2^-e. An IF "
            "layer with subtractive reset and min_v_mem = -threshold spikes "
            "the same under that (exact arithmetic), t and the grid stay the "
            "same (the importer's scale t/theta becomes 2^e), and every "
            "float32 value Sinabs computes (conv / affine sums of spike "
            "counts times levels*2^-e, membranes, v/threshold) is exact, so "
            "the recorded spikes do not depend on float32 rounding or "
            "summation order"),
        "file": (
            "a copy of tests/fixtures/nir/cnn_sinabs.nir whose weight "
            "datasets of the Conv2d / Affine nodes and v_threshold datasets "
            "of the IF nodes were overwritten in place with h5py (same "
            "shape, dtype <f4, contiguous, uncompressed); every other byte "
            "of the file is identical to cnn_sinabs.nir (checked). Not "
            "exported via sinabs.to_nir"),
        "layers": layers,
        "layers_explained": (
            "per IF node: weights_node, t, e, step (= 2^-e), threshold_before "
            "(1) and threshold (t*2^-e), factor, max_abs_weight_before "
            "(cnn_sinabs.nir), max_level, raised_to_max_level, levels_used, "
            "zero_weights (level 0), max_rounding_error_in_steps (|snapped - "
            "float*factor| / step, at most 0.5 except raised entries), and "
            "max_rounding_lsb / saturated as spikegate's import at "
            "--weight-bits 8 computes them from model.nir (re-done in "
            "float64 by record_traces.py)"),
        "versus_sinabs_cnn": float_diff,
        "versus_sinabs_cnn_explained": (
            "on the same inputs, spike entries differing from sinabs_cnn's "
            "trace.npz per layer, and samples whose prediction differs"),
    }


def case_sinabs_cnn(case, data):
    """The Sinabs N-MNIST CNN from tests/fixtures/nir/cnn_sinabs.nir (not
    trained here) on N-MNIST-like events of the first CNN_SAMPLES test
    digits; Sinabs' own spikes of every IF layer.  case sinabs_cnn_q8: the
    same with the weights on the 8-bit grid (cnn_q8_file), same inputs."""
    import h5py
    import sinabs
    import sinabs.layers as sl
    import tempfile

    torch.manual_seed(SEED)
    _, _, xte, yte = digits_split()
    x, y = xte[:CNN_SAMPLES], yte[:CNN_SAMPLES]
    inp = nmnist_like_events(x)
    q8 = case.endswith(Q8_SUFFIX)
    source = CNN_SOURCE
    if q8:
        base = np.load(OUT / "sinabs_cnn" / "trace.npz")
        assert np.array_equal(base["input"], inp), "inputs differ from sinabs_cnn's"
        assert np.array_equal(base["label"], y)
        source = Path(tempfile.mkdtemp()) / "model.nir"
        qlayers = cnn_q8_file(source)
    graph = nir.read(str(source))
    with h5py.File(str(source), "r") as f:
        file_version = f["version"][()].decode()
    # As a Sinabs user would: from_nir needs batch_size or num_timesteps
    # (IAFSqueeze takes (batch*time, ...) input); num_timesteps = CNN_T.
    net = sinabs.from_nir(graph, num_timesteps=CNN_T)
    order = [n.name for n in net.execution_order]
    mods = dict(net.named_children())
    iafs = OrderedDict((n, mods[n]) for n in order
                       if isinstance(mods.get(n), sl.IAFSqueeze))
    names = list(iafs)
    assert all(type(graph.nodes[n]).__name__ == "IF" for n in names), names
    built = OrderedDict((n, describe_sinabs_module(mods[n])) for n in order if n in mods)
    shapes = {n: _ints(graph.nodes[n].input_type["input"]) for n in names}

    def run(xs):
        """xs uint8 [B, CNN_T, 2312] -> per IF layer [B, CNN_T, N]: one call
        of the imported network on input (B*CNN_T, 2, 34, 34) (time flattened
        into the batch dimension, sample-major, as IAFSqueeze expects), after
        reset_states() of every IF layer.  The layers' spikes are the module
        outputs the nirtorch GraphExecutor returns in its state's cache."""
        for m in iafs.values():
            m.reset_states()
        B = xs.shape[0]
        t = torch.from_numpy(xs.astype(np.float32)).reshape(
            B * CNN_T, 2, CNN_SIDE, CNN_SIDE)
        with torch.no_grad():
            out, state = net(t)
        assert torch.equal(out, state.cache[names[-1]])
        return [state.cache[n].reshape(B, CNN_T, -1).numpy() for n in names]

    per_sample = [run(inp[s:s + 1]) for s in range(len(inp))]
    spikes = []
    for k in range(len(names)):
        a = np.concatenate([r[k] for r in per_sample])
        assert np.all(a >= 0) and np.all(a == np.round(a)), "non-integer spikes"
        assert a.max() <= 255
        spikes.append(a.astype(np.uint8))
    # The same samples in one call (batch CNN_SAMPLES): the same spikes?
    batched = run(inp)
    batch_diff = {n: int((b != s).sum()) for n, b, s in zip(names, batched, spikes)}
    for m in iafs.values():
        m.reset_states()
    print(f"  all samples in one call: entries differing {batch_diff}")

    ev = inp.astype(np.int64).sum(2)                      # [S, T]
    on = int(inp[:, :, :CNN_SIDE * CNN_SIDE].sum())
    multi = {n: int((s > 1).sum()) for n, s in zip(names, spikes)}
    per_step_max = {n: [int(v) for v in s.max(axis=(0, 2))] for n, s in zip(names, spikes)}
    label_counts = [int(c) for c in np.bincount(y, minlength=10)]
    meta = {
        "case": case, "framework": "sinabs",
        "versions": versions(["sinabs", "h5py"]),
        "neuron": "sinabs.layers.IAFSqueeze",
        "reset": "subtract (MembraneSubtract: v -= n*threshold, same step)",
        "spike_fn": "MultiSpike: n = trunc(v/threshold) if v > 0 else 0",
        "min_v_mem": -1.0,
        "dt": 1.0,
        "dt_explained": (
            "IF has no time constant; dt does not enter. One Sinabs step = "
            "one NIR step (dt = 1 by convention)."),
        "params": {"spike_threshold": 1.0, "min_v_mem": -1.0},
        "model_source": (
            "tests/fixtures/nir/cnn_sinabs.nir copied byte for byte (the "
            "Sinabs N-MNIST CNN of the NIR paper, neuromorphs/NIR paper/, "
            "BSD-3-Clause, see tests/fixtures/nir/README.md); not trained or "
            "modified here"),
        "nir_file_format_version": file_version,
        "layer_shapes": shapes,
        "layer_shapes_explained": (
            "per IF node its neuron array; the spikes_<node> arrays flatten it "
            "in C order (channel, row, column), i.e. NIR's / PyTorch's flatten "
            "order, neuron = (c*H + y)*W + x"),
        "from_nir": {
            "call": (f"sinabs.from_nir(nir.read('model.nir'), num_timesteps={CNN_T}) "
                     "(sinabs.nir._import_sinabs_module via the deprecated "
                     "nirtorch.load; returns a nirtorch GraphExecutor)"),
            "returns": type(net).__module__ + "." + type(net).__name__,
            "execution_order": order,
            "modules": built,
        },
        "simulation": (
            f"torch float32, one torch thread, deterministic algorithms; per "
            f"sample reset_states() of every IAFSqueeze, then one call "
            f"net(x) with x of shape ({CNN_T}, 2, {CNN_SIDE}, {CNN_SIDE}) (time "
            f"flattened into the batch dimension; batch of one sample). The IF "
            f"layers' outputs were read from the GraphExecutor's returned "
            f"state.cache[node] (the final output equals cache['{names[-1]}'])."),
        "batched_check": (
            f"all {CNN_SAMPLES} samples in one call (input "
            f"({CNN_SAMPLES * CNN_T}, 2, {CNN_SIDE}, {CNN_SIDE})): spike entries "
            f"differing from the per-sample recording, per layer: {batch_diff}"),
        "input_encoding": {
            "source": (
                f"scikit-learn's 8x8 digits, x = pixel/16, the 450-sample test "
                f"split of the other cases (train_test_split(test_size=0.25, "
                f"random_state=0, stratify=y)); its first {CNN_SAMPLES} samples"),
            "image": (
                f"each 8x8 digit bilinearly upscaled to {CNN_DIGIT}x{CNN_DIGIT} "
                f"and centred in a {CNN_SIDE}x{CNN_SIDE} frame (frame pixel x "
                f"samples the digit at u = (x + 0.5 - {CNN_MARGIN} - dx)*8/"
                f"{CNN_DIGIT} - 0.5, source pixel centres at 0..7, zero outside), "
                f"float64"),
            "saccades": (
                f"the image moves by (dx, dy) pixels (x right, y down) along "
                f"three straight saccades of equal duration ({CNN_T}/3 steps "
                f"each) around the triangle {[list(v) for v in CNN_TRIANGLE]} and "
                f"back to the first vertex; offset at time k/{CNN_T}, "
                f"k = 0..{CNN_T}, on the path (sub-pixel moves of ~0.55 px a step)"),
            "events": (
                f"DVS-like: each pixel keeps a reference intensity L (at first "
                f"the still image at k = 0); in step t (image at offset k = t+1) "
                f"intensity I > L + {CNN_THETA} gives an ON event (channel 0), "
                f"I < L - {CNN_THETA} an OFF event (channel 1), and then L = I; "
                f"at most one event per pixel per step (binary input)"),
            "threshold": CNN_THETA,
            "neuron_index": "(c*34 + y)*34 + x (channel, row, column)",
            "events_per_step": {
                "mean": float(ev.mean()), "min": int(ev.min()), "max": int(ev.max()),
                "mean_per_step": [round(float(v), 2) for v in ev.mean(0)]},
            "on_fraction": on / int(inp.sum()),
            "note": ("N-MNIST-like, not N-MNIST: N-MNIST (~300 ms a sample) "
                     f"binned into {CNN_T} frames has a few hundred events a "
                     "frame, as here; the saccade geometry is not N-MNIST's."),
        },
        "samples": CNN_SAMPLES,
        "label_counts": label_counts,
        "accuracy_note": (
            "framework_accuracy is Sinabs' argmax of output spike counts against "
            "the digit labels of these samples. The network was trained on "
            "N-MNIST, not on these emulated events of 8x8 digits, so it is no "
            "measure of the network (chance is 0.1; the predictions lean to "
            "some classes, see the prediction array); the fixture is about "
            "reproducing Sinabs' spikes, not about accuracy"),
        "multi_spike_entries": multi,
        "max_spikes_per_step_by_step": per_step_max,
        "notes": (
            "The file (NIR format 0.2.0, read by nir 1.0.8) holds IF(r=1, "
            "v_threshold=1, v_reset=0) per neuron, zero biases everywhere, "
            "Conv2d input_shape, SumPool2d padding 0. sinabs.from_nir builds "
            "IAFSqueeze(spike_threshold=v_threshold, min_v_mem=-v_threshold) "
            "with the defaults MultiSpike and MembraneSubtract(subtract_value="
            "None), alpha_mem 1, no synaptic state; spike_threshold and "
            "min_v_mem become per-neuron tensors of the layer's shape "
            "(requires_grad False). It ignores r, v_reset, Conv2d input_shape "
            "and SumPool2d padding; Flatten(start_dim 0) becomes "
            "nn.Flatten(start_dim=1) (dim 0 is batch*time). It needs "
            "batch_size or num_timesteps (the file has no time dimension; "
            "without either IAFSqueeze raises TypeError). SumPool2d is "
            "LPPool2d(p=1): avg_pool2d(x)*4, exact for spike counts. "
            "min_v_mem is applied as relu(v - min_v_mem) + min_v_mem (sinabs/"
            "layers/functional/lif.py), which in float32 is not exactly "
            "max(v, min_v_mem): it rounds v to the precision of v + 1 "
            "(e.g. 0.3 -> 0.29999995, 1e-8 -> 0) every step; replay_check.py "
            "replays that form. Spike entries are counts per step (0..n)."),
    }
    if q8:
        thr = {n: qlayers[n]["threshold"] for n in names}
        meta["min_v_mem"] = {n: -v for n, v in thr.items()}
        meta["params"] = {"spike_threshold": thr, "min_v_mem": meta["min_v_mem"]}
        meta["model_source"] = (
            "tests/fixtures/nir/cnn_sinabs.nir (the network of sinabs_cnn) "
            "with its weights put on spikegate's 8-bit grid and each layer "
            "rescaled exactly (see quantization); not trained or fine-tuned "
            "here")
        meta["notes"] = meta["notes"].replace(
            "v_threshold=1", "v_threshold per layer (see quantization)") + (
            " _q8: per-layer thresholds t*2^-e (and min_v_mem = -threshold, "
            "as sinabs.from_nir sets it); min_v_mem and params are per layer "
            "here.")
        fpred = decode(base["spikes_" + names[-1]].astype(np.int64).sum(1))
        pred = decode(spikes[-1].astype(np.int64).sum(1))
        diff = {n: int((s != base["spikes_" + n]).sum()) for n, s in zip(names, spikes)}
        diff["prediction"] = int((pred != fpred).sum())
        print(f"  against sinabs_cnn: entries differing {diff}")
        meta["quantization"] = cnn_q8_meta(qlayers, diff)
    spikes_out = finish(case, graph, names, spikes, inp, y, meta,
                        nir_source=source, time_steps=CNN_T)
    print(f"  events per step: mean {ev.mean():.1f}, min {ev.min()}, max {ev.max()}")
    for n, m in multi.items():
        print(f"  {n}: {m} entries with more than one spike in a step")
    return spikes_out


FLOAT_CASES = OrderedDict([
    ("snntorch_leaky_subtract", lambda c, d: case_snntorch(c, "Leaky", "subtract", d)),
    ("snntorch_leaky_zero", lambda c, d: case_snntorch(c, "Leaky", "zero", d)),
    ("snntorch_synaptic_subtract", lambda c, d: case_snntorch(c, "Synaptic", "subtract", d)),
    ("snntorch_synaptic_zero", lambda c, d: case_snntorch(c, "Synaptic", "zero", d)),
    ("norse_lifbox", lambda c, d: case_norse(c, "LIFBoxCell", d)),
    ("norse_lifcell", lambda c, d: case_norse(c, "LIFCell", d)),
    ("sinabs_if_multispike", lambda c, d: case_sinabs(c, d)),
    ("rockpool_lif", lambda c, d: case_rockpool(c, d)),
    ("snntorch_rleaky_subtract",
     lambda c, d: case_snntorch_recurrent(c, "RLeaky", "subtract", d)),
    ("snntorch_rsynaptic_zero",
     lambda c, d: case_snntorch_recurrent(c, "RSynaptic", "zero", d)),
    ("snntorch_rleaky_zero",
     lambda c, d: case_snntorch_recurrent(c, "RLeaky", "zero", d)),
])
# The float cases first, then their _q8 versions, which start from the float
# case's model.nir (so a full rerun fine-tunes the networks it just wrote).
# Then sinabs_cnn (a published network run on generated events, not trained)
# and sinabs_cnn_q8 (its weights rounded to the 8-bit grid; needs
# sinabs_cnn/trace.npz, whose inputs it checks it reproduces).
CASES = OrderedDict(
    [(c, f) for c, f in FLOAT_CASES.items()]
    + [(c + Q8_SUFFIX, f) for c, f in FLOAT_CASES.items()]
    + [("sinabs_cnn", lambda c, d: case_sinabs_cnn(c, d)),
       ("sinabs_cnn" + Q8_SUFFIX, lambda c, d: case_sinabs_cnn(c, d))])
# Names that select a group of cases on the command line.
GROUPS = {"float": list(FLOAT_CASES),
          "q8": [c + Q8_SUFFIX for c in FLOAT_CASES] + ["sinabs_cnn" + Q8_SUFFIX]}


def main(argv):
    wanted = [c for a in (argv or list(CASES)) for c in GROUPS.get(a, [a])]
    for c in wanted:
        if c not in CASES:
            sys.exit(f"unknown case {c}; known: {', '.join(CASES)} "
                     f"(or the groups {', '.join(GROUPS)})")
    data = load_data()
    results = {}
    for c in wanted:
        print(f"== {c}")
        results[c] = CASES[c](c, data)
    print("accuracies:", json.dumps(results, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
