#!/usr/bin/env python3
"""Train small spiking networks in real frameworks, export them to NIR with the
framework's own export call, and record the framework's own spikes of every
neuron layer on the 450 test digits.

Writes tests/fixtures/frameworks/<case>/{model.nir, trace.npz, case.json}.
See scripts/frameworks/README.md (how to rerun) and FACTS.md (the per-step
update each framework performs).  CI never runs this script.

Usage:  python scripts/frameworks/record_traces.py [case ...]
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


def load_data():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    X = d.data.astype(np.float64) / 16.0
    y = d.target.astype(np.int64)
    xtr, xte, ytr, yte = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y
    )
    assert xtr.shape == (1347, 64) and xte.shape == (450, 64)
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


def write_case(case, graph, inp, label, pred, spikes, meta):
    """spikes: OrderedDict node name -> uint8 [450, T, N]."""
    d = OUT / case
    d.mkdir(parents=True, exist_ok=True)
    path = d / "model.nir"
    if path.exists():
        path.unlink()
    nir.write(str(path), graph)  # nir's default: HDF5 datasets gzip-compressed
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
    meta["time_steps"] = T
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

def train(run, params, xtr, ytr, epochs, lr, batch=32, seed=SEED):
    """run(x[B,T,64] float) -> list of spike tensors [B,T,N] (last = output).
    Loss: cross entropy on the output spike counts."""
    opt = torch.optim.Adam(params, lr=lr)
    rng = np.random.default_rng(seed)
    X = torch.from_numpy(xtr.astype(np.float32))
    Y = torch.from_numpy(ytr)
    for ep in range(epochs):
        perm = rng.permutation(len(X))
        tot, correct = 0.0, 0
        for i in range(0, len(X), batch):
            idx = torch.from_numpy(perm[i:i + batch])
            out = run(X[idx])[-1]
            counts = out.sum(1)
            loss = torch.nn.functional.cross_entropy(counts, Y[idx])
            opt.zero_grad()
            loss.backward()
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


def finish(case, graph, names, spikes, xte, yte, meta):
    counts = spikes[-1].astype(np.int64).sum(1)
    pred = decode(counts)
    acc = float((pred == yte).mean())
    meta["framework_accuracy"] = acc
    print(f"  test accuracy {acc:.4f}")
    sp = OrderedDict(zip(names, spikes))
    write_case(case, graph, xte, yte, pred, sp, meta)
    for n, s in sp.items():
        print(f"  {n}: {s.sum() / s.shape[0]:.1f} spikes/sample, "
              f"max {s.max()} per step")
    return acc


# ------------------------------------------------------------ snnTorch ----

def scale_init(layers, factor):
    """Scale the initial weights and biases (before training) so the first
    epochs see a useful number of spikes."""
    with torch.no_grad():
        for fc in layers:
            fc.weight.mul_(factor)
            fc.bias.mul_(factor)


def case_snntorch(case, neuron, reset, data):
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
    return finish(case, graph, ["lif1", "lif2"], spikes, xte, yte, meta)


# --------------------------------------------------------------- Norse ----

def case_norse(case, neuron, data):
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

    train(run, net.parameters(), xtr, ytr, epochs=12, lr=1e-2)
    spikes = record(run, xte)
    # norse.torch.to_nir writes tau = dt_export / tau_inv.  Exporting with
    # dt=1.0 makes the file's tau the true time constant 1/tau_inv in seconds
    # (0.01 s, 0.005 s); the network is simulated with dt = 1e-3 s.
    export_dt = 1.0
    graph = norse.to_nir(net, torch.zeros(N_IN), dt=export_dt)
    names = ["1", "3"]
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
    return finish(case, graph, names, spikes, xte, yte, meta)


# -------------------------------------------------------------- Sinabs ----

def case_sinabs(case, data):
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


CASES = OrderedDict([
    ("snntorch_leaky_subtract", lambda d: case_snntorch("snntorch_leaky_subtract", "Leaky", "subtract", d)),
    ("snntorch_leaky_zero", lambda d: case_snntorch("snntorch_leaky_zero", "Leaky", "zero", d)),
    ("snntorch_synaptic_subtract", lambda d: case_snntorch("snntorch_synaptic_subtract", "Synaptic", "subtract", d)),
    ("snntorch_synaptic_zero", lambda d: case_snntorch("snntorch_synaptic_zero", "Synaptic", "zero", d)),
    ("norse_lifbox", lambda d: case_norse("norse_lifbox", "LIFBoxCell", d)),
    ("norse_lifcell", lambda d: case_norse("norse_lifcell", "LIFCell", d)),
    ("sinabs_if_multispike", lambda d: case_sinabs("sinabs_if_multispike", d)),
    ("rockpool_lif", lambda d: case_rockpool("rockpool_lif", d)),
])


def main(argv):
    wanted = argv or list(CASES)
    for c in wanted:
        if c not in CASES:
            sys.exit(f"unknown case {c}; known: {', '.join(CASES)}")
    data = load_data()
    results = {}
    for c in wanted:
        print(f"== {c}")
        results[c] = CASES[c](data)
    print("accuracies:", json.dumps(results, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
