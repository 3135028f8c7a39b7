//! The generated Verilog faces independent tools: Verilator's linter with
//! every warning class on (the generated file's header waives two, each
//! with its reason; logic looping between blocks, UNOPTFLAT, is not one of
//! them), and yosys synthesis for iCE40 and ECP5 with no latches, no
//! undriven or multiply-driven nets, and the weight memories in block RAM.

use spikegate_fpga::yosys::cell_count;
use spikegate_gen::generate::{generate, write_folder};
use spikegate_hdl::memory::SIM_MODELS;
use spikegate_hdl::BuildOptions;
use spikegate_tests::{generate_case, load_golden, require_tool, run_in, HARDWARE_CASES};

fn options(pe: usize, taps: bool) -> BuildOptions {
    BuildOptions {
        pe,
        taps,
        ..BuildOptions::default()
    }
}

/// Verilator's linter, every warning class on, over the design in `dir`:
/// whether it passed, and what it printed.
fn lint(dir: &std::path::Path) -> (bool, String) {
    lint_with(dir, &[])
}

/// [`lint`], with `extra` files of the folder (simulation models).
fn lint_with(dir: &std::path::Path, extra: &[&str]) -> (bool, String) {
    let mut args = vec![
        "--lint-only",
        "-Wall",
        "--top-module",
        "spikegate_top",
        "spikegate_top.v",
    ];
    args.extend(extra);
    run_in(dir, "verilator", &args)
}

#[test]
fn verilator_lint_is_clean_on_every_hardware_golden_case() {
    if !require_tool("verilator", "verilator lint") {
        return;
    }
    for name in HARDWARE_CASES {
        let case = load_golden(name);
        for (pe, taps) in [(1, false), (3, true)] {
            let dir = generate_case(&case, options(pe, taps), "lint");
            let (ok, text) = lint(&dir);
            assert!(
                ok && text.trim().is_empty(),
                "golden/{name}, P = {pe}, taps {taps}: verilator -Wall reports:\n{text}"
            );
            std::fs::remove_dir_all(&dir).ok();
        }
    }
}

#[test]
fn verilator_lint_is_clean_on_designs_with_instantiated_block_rams() {
    if !require_tool("verilator", "verilator lint") {
        return;
    }
    // An ECP5 design: DP16KD tiles (several block rows at P = 1, several
    // columns at P = 4), linted with the model beside it.
    let case = load_golden("digits_ttfs");
    let target = spikegate_fpga::targets::find("ulx3s_85f").unwrap();
    for pe in [1, 4] {
        let out = generate(&case.network, options(pe, false), Some(target)).unwrap();
        let dir =
            std::env::temp_dir().join(format!("spikegate-lint-ecp5-{pe}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        write_folder(&dir, &out.files).unwrap();
        let verilog = std::fs::read_to_string(dir.join("spikegate_top.v")).unwrap();
        assert!(
            verilog.contains("DP16KD #("),
            "P = {pe}: no DP16KD instantiated"
        );
        let (ok, text) = lint_with(&dir, &[SIM_MODELS]);
        assert!(
            ok && text.trim().is_empty(),
            "digits_ttfs on ulx3s_85f, P = {pe}: verilator -Wall reports:\n{text}"
        );
        std::fs::remove_dir_all(&dir).ok();
    }
}

/// Synthesises large_ttfs (100-300-10, weights of 240 Kbit at P = 4) and
/// returns yosys's statistics.
fn synthesise(family: &str) -> Option<String> {
    synthesise_case("large_ttfs", 4, family)
}

/// Synthesises golden case `name` at `pe` lanes for `family`, checking for
/// latches, undriven and multiply-driven nets and logic loops; returns
/// yosys's statistics.
fn synthesise_case(name: &str, pe: usize, family: &str) -> Option<String> {
    if !require_tool("yosys", &format!("yosys synth_{family}")) {
        return None;
    }
    let case = load_golden(name);
    let dir = generate_case(&case, options(pe, false), family);
    // Latches are looked for right after `proc`, before technology mapping
    // could hide them; `check -assert` fails on undriven and multiply-driven
    // nets and on logic loops.
    let script = format!(
        "read_verilog spikegate_top.v; hierarchy -top spikegate_top; proc; \
         select -assert-none t:$dlatch t:$adlatch t:$dlatchsr; \
         synth_{family} -top spikegate_top; check -assert; tee -q -o stat.txt stat"
    );
    let (ok, text) = run_in(&dir, "yosys", &["-q", "-p", &script]);
    assert!(
        ok,
        "golden/{name}, P = {pe}: yosys synth_{family} failed:\n{text}"
    );
    let stat = std::fs::read_to_string(dir.join("stat.txt")).expect("yosys wrote stat.txt");
    std::fs::remove_dir_all(&dir).ok();
    Some(stat)
}

#[test]
fn yosys_ice40_maps_the_weights_to_block_ram() {
    let Some(stat) = synthesise("ice40") else {
        return;
    };
    let brams = cell_count(&stat, "SB_RAM40_4K");
    // 240,000 weight bits need at least 59 blocks of 4 Kbit.
    assert!(brams >= 59, "only {brams} SB_RAM40_4K:\n{stat}");
}

#[test]
fn yosys_ecp5_maps_the_weights_to_block_ram() {
    let Some(stat) = synthesise("ecp5") else {
        return;
    };
    let brams = cell_count(&stat, "DP16KD");
    // 240,000 weight bits need at least 14 blocks of 18 Kbit.
    assert!(brams >= 14, "only {brams} DP16KD:\n{stat}");
}

#[test]
fn yosys_synthesises_every_neuron_kind_delays_and_readout_cleanly() {
    // The kinds whose processing elements differ most: multiplier leak,
    // two decays, the adaptation with its products; delay slots; the
    // readout's membrane latch; a recurrent core's spike list.
    for name in [
        "lif_multiply",
        "cuba",
        "adlif",
        "delays",
        "readout",
        "recurrent",
    ] {
        let Some(stat) = synthesise_case(name, 2, "ecp5") else {
            return;
        };
        assert!(
            cell_count(&stat, "TRELLIS_FF") > 0,
            "golden/{name}: no flip-flops?\n{stat}"
        );
    }
}

#[test]
fn the_board_wrapper_is_lint_clean_and_synthesises_without_latches() {
    if !require_tool("verilator", "verilator lint of the board wrapper")
        || !require_tool("yosys", "yosys check of the board wrapper")
    {
        return;
    }
    // Spikes on an active-low board; readout values on an active-high one.
    for (name, board) in [("ttfs", "icebreaker"), ("readout", "ulx3s_85f")] {
        let case = load_golden(name);
        let target = spikegate_fpga::targets::find(board).unwrap();
        let output =
            spikegate_gen::generate::generate(&case.network, options(2, false), Some(target))
                .unwrap();
        let dir = std::env::temp_dir().join(format!(
            "spikegate-board-lint-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        spikegate_gen::generate::write_folder(&dir, &output.files).unwrap();
        let files = ["spikegate_board.v", "spikegate_top.v"];
        let (ok, text) = run_in(
            &dir,
            "verilator",
            &[
                &["--lint-only", "-Wall", "--top-module", "spikegate_board"][..],
                &files[..],
            ]
            .concat(),
        );
        assert!(
            ok && text.trim().is_empty(),
            "golden/{name} on {board}: verilator -Wall reports:\n{text}"
        );
        let script = "read_verilog spikegate_board.v spikegate_top.v; \
             hierarchy -top spikegate_board; proc; \
             select -assert-none t:$dlatch t:$adlatch t:$dlatchsr; \
             synth -top spikegate_board; check -assert";
        let (ok, text) = run_in(&dir, "yosys", &["-q", "-p", script]);
        assert!(ok, "golden/{name} on {board}: yosys:\n{text}");
        std::fs::remove_dir_all(&dir).ok();
    }
}

/// Random designs mix what the golden cases hold one at a time: deferred
/// resets, several spikes a step, membrane floors, delays and readouts, in
/// every kind. Each must lint as clean as the golden cases.
#[test]
fn verilator_lint_is_clean_on_random_designs() {
    use spikegate_sim::rng::SplitMix64;
    use spikegate_tests::{generate_network, random_hardware_network_up_to};
    if !require_tool("verilator", "verilator lint of random designs") {
        return;
    }
    let mut multi = 0;
    for seed in 0..16u64 {
        let mut rng = SplitMix64::new(0x11a7 + seed);
        let network = random_hardware_network_up_to(&mut rng, 9, 6, 6);
        multi += network
            .network()
            .layers
            .iter()
            .filter(|l| l.spikes_per_step() > 1)
            .count();
        let dir = generate_network(&format!("random{seed}"), &network, options(2, true), "lint");
        let (ok, text) = lint(&dir);
        assert!(
            ok && text.trim().is_empty(),
            "random design {seed}: verilator -Wall reports:\n{text}"
        );
        std::fs::remove_dir_all(&dir).ok();
    }
    assert!(multi > 0, "no random design had a multi-spike layer");
}
