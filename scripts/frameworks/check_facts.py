#!/usr/bin/env python3
"""Numeric checks of the per-step neuron updates stated in FACTS.md.

Each check drives ONE neuron of a framework class with a hand-chosen input
sequence, prints the state per step, and asserts that a plain reference
implementation of the equation written in FACTS.md gives the same spikes and
(to float32 precision) the same state.  Also prints what each framework's NIR
export writes for that neuron.  Rerun:  python scripts/frameworks/check_facts.py
"""

import os
import sys
import tempfile
import warnings

warnings.filterwarnings("ignore")

import numpy as np
import torch
import nir

torch.set_num_threads(1)
FAILS = []


def table(title, cols, rows):
    print(f"\n### {title}\n")
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(fmt(v) for v in r) + " |")


def fmt(v):
    if isinstance(v, (float, np.floating)):
        return f"{v:.6g}"
    return str(v)


def agree(name, got, want, tol=1e-5):
    got, want = np.asarray(got, float), np.asarray(want, float)
    ok = got.shape == want.shape and np.allclose(got, want, atol=tol, rtol=0)
    print(f"\ncheck {name}: {'OK' if ok else 'MISMATCH'}")
    if not ok:
        FAILS.append(name)
        print("  framework:", got.tolist())
        print("  reference:", want.tolist())


def t1(v):
    return torch.tensor([[float(v)]])


# ------------------------------------------------------------ snnTorch ----

def snn_leaky(inputs, reset, beta=0.5, thr=1.0, reset_delay=True):
    import snntorch as snn
    m = snn.Leaky(beta=beta, threshold=thr, reset_mechanism=reset,
                  reset_delay=reset_delay)
    mem = torch.zeros(1, 1)
    out = []
    for x in inputs:
        spk, mem = m(t1(x), mem)
        out.append((x, float(mem), int(spk)))
    return out


def ref_leaky(inputs, reset, beta=0.5, thr=1.0, reset_delay=True):
    m, s_prev, out = 0.0, 0, []
    for x in inputs:
        if reset_delay:
            r = 1 if m > thr else 0           # reset from the STORED mem
            if reset == "subtract":
                m = beta * m + x - r * thr
            else:                             # zero: mem zeroed, input kept
                m = beta * (1 - r) * m + x
            s = 1 if m > thr else 0
        else:                                 # immediate reset (same step)
            r = 1 if m > thr else 0           # stored (post-reset) mem > thr?
            if reset == "subtract":
                # the spike test sees mem - r*thr; the r*thr is given back
                # afterwards, so the stored mem only loses s*thr
                pre = beta * m + x
                s = 1 if pre - r * thr > thr else 0
                m = pre - s * thr
            else:
                pre = beta * (1 - r) * m + x
                s = 1 if pre > thr else 0
                m = 0.0 if s else pre
        out.append((x, m, s))
    return out


def snn_synaptic(inputs, reset, alpha=0.5, beta=0.5, thr=1.0):
    import snntorch as snn
    m = snn.Synaptic(alpha=alpha, beta=beta, threshold=thr, reset_mechanism=reset)
    syn, mem = torch.zeros(1, 1), torch.zeros(1, 1)
    out = []
    for x in inputs:
        spk, syn, mem = m(t1(x), syn, mem)
        out.append((x, float(syn), float(mem), int(spk)))
    return out


def ref_synaptic(inputs, reset, alpha=0.5, beta=0.5, thr=1.0):
    i, m, out = 0.0, 0.0, []
    for x in inputs:
        r = 1 if m > thr else 0
        i = alpha * i + x                     # syn first, gets this step's input
        if reset == "subtract":
            m = beta * m + i - r * thr
        else:                                 # zero: whole new mem discarded
            m = 0.0 if r else beta * m + i    # (syn is NOT reset)
        s = 1 if m > thr else 0
        out.append((x, i, m, s))
    return out


def check_snntorch():
    print("\n## snnTorch", __import__("snntorch").__version__)
    xs = [1.5, 0.25, 0.5, 1.0, 0.0, 2.5, 0.25, 0.0, 0.75, 0.625]
    for reset in ("subtract", "zero"):
        got = snn_leaky(xs, reset)
        want = ref_leaky(xs, reset)
        table(f"snn.Leaky beta=0.5 threshold=1 reset_mechanism={reset!r} "
              "(reset_delay=True, default)",
              ["t", "input", "mem (returned)", "spk", "reference mem", "reference spk"],
              [(t, g[0], g[1], g[2], w[1], w[2]) for t, (g, w) in enumerate(zip(got, want))])
        agree(f"snntorch Leaky {reset}", [g[1:] for g in got], [w[1:] for w in want])
        got = snn_leaky(xs, reset, reset_delay=False)
        want = ref_leaky(xs, reset, reset_delay=False)
        table(f"snn.Leaky beta=0.5 threshold=1 reset_mechanism={reset!r} reset_delay=False",
              ["t", "input", "mem (returned)", "spk", "reference mem", "reference spk"],
              [(t, g[0], g[1], g[2], w[1], w[2]) for t, (g, w) in enumerate(zip(got, want))])
        agree(f"snntorch Leaky {reset} reset_delay=False",
              [g[1:] for g in got], [w[1:] for w in want])
    xs = [1.0, 0.0, 0.0, 0.5, 0.0, 0.0, 1.5, 0.25, 0.0, 0.0]
    for reset in ("subtract", "zero"):
        got = snn_synaptic(xs, reset)
        want = ref_synaptic(xs, reset)
        table(f"snn.Synaptic alpha=0.5 beta=0.5 threshold=1 reset_mechanism={reset!r}",
              ["t", "input", "syn", "mem", "spk", "ref syn", "ref mem", "ref spk"],
              [(t, *g, *w[1:]) for t, (g, w) in enumerate(zip(got, want))])
        agree(f"snntorch Synaptic {reset}", [g[1:] for g in got], [w[1:] for w in want])
    # threshold equality: mem exactly 1.0 does not spike
    got = snn_leaky([1.0, 0.0], "subtract")
    agree("snntorch threshold strict (mem == thr -> no spike)", [got[0][2]], [0])

    # what the NIR export writes
    from snntorch.export_nir import export_to_nir
    import snntorch as snn
    for cls in ("Leaky", "Synaptic"):
        if cls == "Leaky":
            n = snn.Leaky(beta=torch.full((1,), 0.9), threshold=torch.ones(1),
                          init_hidden=True)
        else:
            n = snn.Synaptic(alpha=torch.full((1,), 0.8), beta=torch.full((1,), 0.9),
                             threshold=torch.ones(1), init_hidden=True)
        net = torch.nn.Sequential(torch.nn.Linear(1, 1), n)
        g = export_to_nir(net, torch.zeros(1, 1), ignore_dims=[0])
        node = g.nodes["1"]
        print(f"\nsnntorch.export_nir of {cls}: {type(node).__name__} " +
              ", ".join(f"{k}={np.asarray(getattr(node, k)).tolist()}"
                        for k in ("tau", "tau_syn", "tau_mem", "r", "w_in",
                                  "v_leak", "v_threshold", "v_reset")
                        if hasattr(node, k)))


# ------------------------------------------- snnTorch, recurrent layers ----

W_REC = [[0.0, 0.6], [-0.5, 0.3]]      # [out][in], as nn.Linear stores it
B_REC = [0.1, -0.05]
XS_REC = [[1.2, 0.0], [0.0, 0.0], [0.4, 0.5], [0.0, 1.9], [0.0, 0.0],
          [1.5, 0.2], [0.0, 0.0], [0.3, 0.0], [0.0, 0.0], [0.0, 0.0]]


def snn_recurrent(cls, reset, alpha=0.5, beta=0.5):
    """Two neurons of snn.RLeaky / snn.RSynaptic with W_REC and B_REC."""
    import snntorch as snn
    if cls == "RLeaky":
        m = snn.RLeaky(beta=beta, linear_features=2, reset_mechanism=reset)
    else:
        m = snn.RSynaptic(alpha=alpha, beta=beta, linear_features=2,
                          reset_mechanism=reset)
    with torch.no_grad():
        m.recurrent.weight.copy_(torch.tensor(W_REC))
        m.recurrent.bias.copy_(torch.tensor(B_REC))
    spk, syn, mem = torch.zeros(1, 2), torch.zeros(1, 2), torch.zeros(1, 2)
    out = []
    with torch.no_grad():
        for x in XS_REC:
            x = torch.tensor([x])
            if cls == "RLeaky":
                spk, mem = m(x, spk, mem)
            else:
                spk, syn, mem = m(x, spk, syn, mem)
            out.append(mem[0].tolist() + spk[0].tolist())
    return out


def ref_recurrent(cls, reset, alpha=0.5, beta=0.5, thr=1.0):
    """FACTS.md's equations: rec = W_rec s(t-1) + b_rec enters where the
    input does; the reset of the spike of t - 1 acts at t."""
    w, b = np.array(W_REC), np.array(B_REC)
    s, i, m, out = np.zeros(2), np.zeros(2), np.zeros(2), []
    for x in XS_REC:
        rec = w @ s + b
        drive = np.array(x) + rec
        if cls == "RSynaptic":
            i = alpha * i + drive
            drive = i
        base = beta * m + drive
        m = base - s * thr if reset == "subtract" else (1 - s) * base
        s = (m > thr).astype(float)
        out.append(m.tolist() + s.tolist())
    return out


def check_snntorch_recurrent():
    print("\n## snnTorch recurrent layers", __import__("snntorch").__version__)
    for cls in ("RLeaky", "RSynaptic"):
        for reset in ("subtract", "zero"):
            got = snn_recurrent(cls, reset)
            want = ref_recurrent(cls, reset)
            table(f"snn.{cls} (2 neurons) alpha=0.5 beta=0.5 threshold=1 "
                  f"reset_mechanism={reset!r}, W_rec={W_REC}, b_rec={B_REC}",
                  ["t", "input", "mem", "spk", "reference mem", "reference spk"],
                  [(t, XS_REC[t], g[:2], g[2:], [round(v, 6) for v in w[:2]], w[2:])
                   for t, (g, w) in enumerate(zip(got, want))])
            agree(f"snntorch {cls} {reset}", got, want)


# --------------------------------------------------------------- Norse ----

def check_norse():
    import norse.torch as norse
    print("\n## Norse", __import__("norse").__version__)
    dt = 1e-3
    xs = [5.0, 5.0, 5.0, 0.0, 12.0, 0.0, -3.0, 20.0, 0.0, 0.0]
    p = norse.LIFBoxParameters(tau_mem_inv=torch.full((1,), 100.0), v_leak=torch.zeros(1),
                               v_th=torch.ones(1), v_reset=torch.zeros(1))
    c = norse.LIFBoxCell(p, dt=dt)
    st, got = None, []
    for x in xs:
        z, st = c(t1(x), st)
        got.append((x, float(st.v), int(z)))
    v, want = 0.0, []
    for x in xs:
        v = v + dt * 100.0 * (x + 0.0 - v)   # input enters v, scaled by dt/tau
        s = 1 if v > 1.0 else 0
        if s:
            v = 0.0                           # v_reset in the same step
        want.append((x, v, s))
    table("norse LIFBoxCell tau_mem_inv=100 dt=1e-3 v_th=1 v_reset=0 v_leak=0",
          ["t", "input", "v (after reset)", "z", "ref v", "ref z"],
          [(t, *g, *w[1:]) for t, (g, w) in enumerate(zip(got, want))])
    agree("norse LIFBoxCell", [g[1:] for g in got], [w[1:] for w in want])

    xs = [2.0, 0.0, 0.0, 0.0, 3.0, 3.0, 0.0, 0.0, 0.0, 0.0, -2.0, 0.0]
    p = norse.LIFParameters(tau_syn_inv=torch.full((1,), 200.0),
                            tau_mem_inv=torch.full((1,), 100.0), v_leak=torch.zeros(1),
                            v_th=torch.ones(1), v_reset=torch.zeros(1))
    c = norse.LIFCell(p, dt=dt)
    st, got = None, []
    for x in xs:
        z, st = c(t1(x), st)
        got.append((x, float(st.i), float(st.v), int(z)))
    i, v, want = 0.0, 0.0, []
    for x in xs:
        j = i + x                             # input jumps into i first
        v = v + dt * 100.0 * (0.0 - v + j)    # v uses the current incl. this input
        i = j * (1 - dt * 200.0)              # then i decays
        s = 1 if v > 1.0 else 0
        if s:
            v = 0.0
        want.append((x, i, v, s))
    table("norse LIFCell tau_syn_inv=200 tau_mem_inv=100 dt=1e-3 v_th=1 v_reset=0",
          ["t", "input", "i (stored, decayed)", "v", "z", "ref i", "ref v", "ref z"],
          [(t, *g, *w[1:]) for t, (g, w) in enumerate(zip(got, want))])
    agree("norse LIFCell", [g[1:] for g in got], [w[1:] for w in want])

    # threshold equality with dt*tau_inv = 1: v = input exactly
    p = norse.LIFBoxParameters(tau_mem_inv=torch.ones(1), v_th=torch.ones(1),
                               v_leak=torch.zeros(1), v_reset=torch.zeros(1))
    z, st = norse.LIFBoxCell(p, dt=1.0)(t1(1.0))
    agree("norse threshold strict (v == v_th -> no spike)", [int(z), float(st.v)], [0, 1.0])

    # what to_nir writes, at the default dt and at dt=1
    for dt_exp in (1e-3, 1.0):
        for cell in ("LIFBoxCell", "LIFCell"):
            if cell == "LIFBoxCell":
                m = norse.LIFBoxCell(norse.LIFBoxParameters(
                    tau_mem_inv=torch.full((1,), 100.0), v_leak=torch.zeros(1),
                    v_th=torch.ones(1), v_reset=torch.zeros(1)))
            else:
                m = norse.LIFCell(norse.LIFParameters(
                    tau_syn_inv=torch.full((1,), 200.0), tau_mem_inv=torch.full((1,), 100.0),
                    v_leak=torch.zeros(1), v_th=torch.ones(1), v_reset=torch.zeros(1)))
            g = norse.to_nir(norse.SequentialState(torch.nn.Linear(1, 1), m),
                             torch.zeros(1), dt=dt_exp)
            node = g.nodes["1"]
            print(f"\nnorse.torch.to_nir(dt={dt_exp}) of {cell} (tau_mem_inv=100"
                  f"{', tau_syn_inv=200' if cell == 'LIFCell' else ''}): "
                  f"{type(node).__name__} " +
                  ", ".join(f"{k}={np.asarray(getattr(node, k)).tolist()}"
                            for k in ("tau", "tau_syn", "tau_mem", "r", "w_in",
                                      "v_leak", "v_threshold", "v_reset")
                            if hasattr(node, k)))


# -------------------------------------------------------------- Sinabs ----

def check_sinabs():
    import sinabs
    import sinabs.layers as sl
    from sinabs.activation import MembraneReset
    print("\n## Sinabs", __import__("sinabs").__version__)
    xs = [0.5, 0.5, 2.7, -3.0, -3.0, 1.0, 3.25, 0.9999, 0.0001]

    def run(layer):
        out = []
        for x in xs:
            s = layer(torch.tensor([[[float(x)]]]))  # (batch, time, neuron)
            out.append((x, float(layer.v_mem.reshape(-1)[0]), int(s.reshape(-1)[0])))
        return out

    def ref(min_v, mode="subtract"):
        v, out = 0.0, []
        for x in xs:
            v = v + x
            n = int(np.trunc(v / 1.0)) if v > 0 else 0  # MultiSpike
            if mode == "subtract":
                v = v - n * 1.0
            elif n > 0:
                v = 0.0
            if min_v is not None:
                v = max(v, min_v)                     # clip AFTER the reset
            out.append((x, v, n))
        return out

    for min_v in (None, -1.0):
        got = run(sl.IAF(spike_threshold=1.0, min_v_mem=min_v))
        want = ref(min_v)
        table(f"sinabs IAF spike_threshold=1 min_v_mem={min_v} (MultiSpike, MembraneSubtract)",
              ["t", "input", "v_mem", "spikes", "ref v", "ref spikes"],
              [(t, *g, *w[1:]) for t, (g, w) in enumerate(zip(got, want))])
        agree(f"sinabs IAF min_v_mem={min_v}", [g[1:] for g in got], [w[1:] for w in want])
    got = run(sl.IAF(spike_threshold=1.0, reset_fn=MembraneReset()))
    want = ref(None, "zero")
    table("sinabs IAF spike_threshold=1 reset_fn=MembraneReset() (MultiSpike)",
          ["t", "input", "v_mem", "spikes", "ref v", "ref spikes"],
          [(t, *g, *w[1:]) for t, (g, w) in enumerate(zip(got, want))])
    agree("sinabs IAF MembraneReset", [g[1:] for g in got], [w[1:] for w in want])
    # MembraneReset adds reset_value to EVERY neuron each step (v*(n==0) + value)
    lay = sl.IAF(spike_threshold=1.0, reset_fn=MembraneReset(reset_value=0.25))
    vs = []
    for x in (0.0, 0.0, 1.5):
        lay(torch.tensor([[[x]]]))
        vs.append(float(lay.v_mem.reshape(-1)[0]))
    print("\nsinabs MembraneReset(reset_value=0.25), inputs 0, 0, 1.5 -> v_mem", vs)
    agree("sinabs MembraneReset(reset_value) adds the value to non-spiking neurons too",
          vs, [0.25, 0.5, 0.25])
    print("\nsinabs IAF default min_v_mem:", sl.IAF().min_v_mem)

    net = torch.nn.Sequential(torch.nn.Linear(1, 1), sl.IAFSqueeze(batch_size=1))
    net(torch.zeros(1, 1))
    g = sinabs.to_nir(net, torch.zeros(1, 1))
    node = g.nodes["1"]
    print("sinabs.to_nir of IAFSqueeze(spike_threshold=1):", type(node).__name__,
          {k: np.asarray(getattr(node, k)).tolist() for k in ("r", "v_threshold", "v_reset")})
    back = sinabs.from_nir(g, batch_size=1)
    imp = [m for m in back.modules() if isinstance(m, sl.IAFSqueeze)][0]
    print("sinabs.from_nir gives:", type(imp).__name__, "min_v_mem =",
          float(imp.min_v_mem), "spike_threshold =", imp.spike_threshold.tolist(),
          "spike_fn =", imp.spike_fn.__name__, "reset_fn =", imp.reset_fn)


# ------------------------------------------------------------ Rockpool ----

def check_rockpool():
    if "samna" not in sys.modules:
        sys.modules["samna"] = None   # see record_traces.import_rockpool
    import rockpool
    from rockpool.nn.modules import LinearTorch, LIFTorch, to_nir, from_nir
    from rockpool.nn.combinators import Sequential
    from rockpool.parameters import Constant
    print("\n## Rockpool", rockpool.__version__)
    dt, tm, ts = 1e-3, 0.02, 0.01

    def lif(bias=0.0, thr=1.0, **kw):
        return LIFTorch(1, tau_mem=Constant(torch.full((1,), tm)),
                        tau_syn=Constant(torch.full((1,), ts)),
                        bias=Constant(torch.full((1,), bias)),
                        threshold=Constant(torch.full((1,), thr)), dt=dt, **kw)

    def run(m, xs):
        m.reset_state()
        out, _, rec = m(torch.tensor(xs, dtype=torch.float32).reshape(1, -1, 1),
                        record=True)
        return [(x, float(i), float(v), int(n)) for x, i, v, n in
                zip(xs, rec["isyn"].reshape(-1), rec["vmem"].reshape(-1),
                    out.reshape(-1))]

    f32 = np.float32
    m = lif()
    a, b = f32(m.alpha.reshape(-1)[0]), f32(m.beta.reshape(-1)[0])
    print(f"\nLIFTorch dt={dt} tau_mem={tm} tau_syn={ts}: alpha = {float(a)!r}, "
          f"beta = {float(b)!r}; exp(-dt/tau) = {np.exp(-dt / tm)!r}, "
          f"{np.exp(-dt / ts)!r}; 1-dt/tau = {1 - dt / tm}, {1 - dt / ts}")
    agree("rockpool alpha = exp(-dt/tau_mem), beta = exp(-dt/tau_syn)",
          # Rockpool computes it in float32 torch; here float64 of the
          # float32 tau, rounded to float32 (equal for these values)
          [a, b], [f32(np.exp(-dt / np.float64(f32(tm)))),
                   f32(np.exp(-dt / np.float64(f32(ts))))], tol=0)
    print("default max_spikes_per_dt:", float(m.max_spikes_per_dt),
          " default leak_mode:", m.leak_mode, " noise_std:", m.noise_std)

    def ref(xs, bias=0.0, thr=1.0, cap=2.0 ** 16):
        i = v = f32(0)
        out = []
        for x in xs:
            i = (i + f32(x)) * b                  # add input, then decay
            v = v * a + i + f32(bias)             # decay, add current + bias
            n = f32(min(np.floor(v / f32(thr)), cap)) if v >= thr else f32(0)
            v = v - n * f32(thr)                  # subtract n thresholds
            out.append((x, float(i), float(v), int(n)))
        return out

    xs = [1.0, 0.0, 0.0, 0.0, 0.0, 3.0, 0.0, 0.0, 0.0, 0.0, -4.0, 0.0]
    for kw in ({}, {"bias": 0.25}, {"max_spikes_per_dt": 1}):
        got = run(lif(**{k: v for k, v in kw.items() if k == "bias"},
                      **({"max_spikes_per_dt": torch.tensor(1.0)}
                         if "max_spikes_per_dt" in kw else {})), xs)
        want = ref(xs, bias=kw.get("bias", 0.0),
                   cap=float(kw.get("max_spikes_per_dt", 2.0 ** 16)))
        table(f"rockpool LIFTorch tau_mem=0.02 tau_syn=0.01 dt=1e-3 threshold=1 {kw}",
              ["t", "input", "isyn", "vmem (after reset)", "spikes",
               "ref isyn", "ref vmem", "ref spikes"],
              [(t, *g, *w[1:]) for t, (g, w) in enumerate(zip(got, want))])
        agree(f"rockpool LIFTorch {kw}", [g[1:] for g in got], [w[1:] for w in want])
    # inclusive threshold: after one input 1.0 the membrane is exactly beta;
    # with threshold = beta it spikes once and returns to 0
    got = run(lif(thr=float(b)), [1.0])
    agree("rockpool threshold inclusive (v == threshold -> 1 spike, v = 0)",
          [got[0][2], got[0][3]], [0.0, 1])

    # what to_nir writes; does from_nir read it back the same?
    net = Sequential(LinearTorch((2, 3), weight=torch.tensor([[1., 2., 3.], [4., 5., 6.]])),
                     LIFTorch(3, tau_mem=Constant(torch.full((3,), tm)),
                              tau_syn=Constant(torch.full((3,), ts)),
                              bias=Constant(torch.full((3,), 0.5)), dt=dt))
    g = to_nir(net)
    lin, node = g.nodes["0_LinearTorch"], g.nodes["1_LIFTorch"]
    print(f"\nrockpool to_nir: input type {g.nodes['input'].input_type['input'].tolist()}, "
          f"output type {g.nodes['output'].output_type['output'].tolist()}; "
          f"LinearTorch((2,3)) weight [[1,2,3],[4,5,6]] -> {type(lin).__name__} "
          f"weight {np.asarray(lin.weight).tolist()}")
    print(f"LIFTorch(tau_mem={tm}, tau_syn={ts}, bias=0.5, dt={dt}) -> "
          f"{type(node).__name__} " +
          ", ".join(f"{k}={np.asarray(getattr(node, k)).ravel()[0]!r}"
                    for k in ("tau_mem", "tau_syn", "r", "w_in", "v_leak",
                              "v_threshold", "v_reset")))
    agree("rockpool to_nir: Linear weight = W.T, r = tau_mem*exp(-dt/tau_mem)/dt, "
          "v_leak = 0 (bias dropped), w_in = 1, v_reset = 0",
          [*np.asarray(lin.weight).ravel(), np.asarray(node.r)[0],
           np.asarray(node.v_leak)[0], np.asarray(node.w_in)[0],
           np.asarray(node.v_reset)[0]],
          [1, 4, 2, 5, 3, 6, tm * np.exp(-dt / tm) / dt, 0, 1, 0], tol=1e-5)
    p = os.path.join(tempfile.mkdtemp(), "m.nir")
    nir.write(p, g)
    try:
        nir.read(p)
        print("nir.read of the unmodified to_nir file: OK")
    except Exception as e:
        print(f"nir.read of the unmodified to_nir file fails: {e}")
    g.nodes["input"] = nir.Input(np.array([2]))
    g.nodes["output"] = nir.Output(np.array([3]))
    nir.write(p, g)
    back = from_nir(nir.read(p))
    imp = [mm for _, mm in back.named_modules() if type(mm).__name__ == "LIFTorch"][0]
    dtb = float(imp.dt)
    print(f"from_nir: LIFTorch dt = {dtb!r} (= min(tau_mem/(1+r)) = "
          f"{tm / (1 + tm * np.exp(-dt / tm) / dt)!r}), bias = "
          f"{imp.bias.reshape(-1).tolist()} (from v_leak), threshold = "
          f"{imp.threshold.reshape(-1).tolist()}, max_spikes_per_dt = "
          f"{float(imp.max_spikes_per_dt)}")
    agree("rockpool from_nir dt = tau_mem/(1+r) != dt", [dtb],
          [tm / (1 + tm * np.exp(-dt / tm) / dt)], tol=1e-9)


# ------------------------------------------------------------ NIR file ----

def check_nir_file():
    import h5py
    print("\n## nir", nir.version if hasattr(nir, "version") else "",
          "file layout")
    g = nir.NIRGraph.from_list(nir.Affine(np.ones((2, 2), np.float32), np.zeros(2, np.float32)),
                               nir.IF(r=np.ones(2), v_threshold=np.ones(2)))
    p = os.path.join(tempfile.mkdtemp(), "m.nir")
    nir.write(p, g)
    with h5py.File(p) as f:
        comp = set()
        f.visititems(lambda n, o: comp.add((o.compression if isinstance(o, h5py.Dataset) else None)))
    print("nir.write dataset compression filters used:", sorted(c for c in comp if c),
          "(HDF5 deflate filter on every array dataset; the file itself is plain HDF5)")


def main():
    for f in (check_snntorch, check_snntorch_recurrent, check_norse,
              check_sinabs, check_rockpool, check_nir_file):
        try:
            f()
        except ImportError as e:
            print(f"skipped {f.__name__}: {e}")
    print("\nFAILED: " + ", ".join(FAILS) if FAILS else "\nall checks OK")
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
