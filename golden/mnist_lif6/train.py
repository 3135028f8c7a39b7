#!/usr/bin/env python3
"""Trains golden/mnist_lif6 (6-bit weights) and rewrites its files: see
golden/mnist_lif_common.py for every step.

    pip install --no-deps -r golden/mnist_requirements.txt
    python golden/mnist_lif6/train.py
"""
import sys
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mnist_lif_common import main  # noqa: E402

if __name__ == "__main__":
    main(weight_bits=6)
