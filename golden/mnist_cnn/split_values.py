#!/usr/bin/env python3
"""Writes the 1,000-digit MNIST test split (test_split.u8.gz beside this
file) as a spikegate values file, x = pixel / 255 with its label, for
`spikegate encode`:

    python3 golden/mnist_cnn/split_values.py split_values.json
    spikegate encode --code rate golden/mnist_lif6/model.json split_values.json --out split.json

Python's standard library only.
"""
import gzip
import json
import sys
from pathlib import Path

RECORD = 785  # a label byte and 784 pixel bytes


def main():
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} OUT.json")
    raw = gzip.decompress((Path(__file__).resolve().parent / "test_split.u8.gz").read_bytes())
    assert len(raw) == 1000 * RECORD, "1,000 records of a label and 784 pixels"
    samples = [{"values": [p / 255 for p in raw[k + 1:k + RECORD]], "label": raw[k]}
               for k in range(0, len(raw), RECORD)]
    Path(sys.argv[1]).write_text(json.dumps({"samples": samples}))
    print(f"wrote {len(samples)} samples to {sys.argv[1]}")


if __name__ == "__main__":
    main()
