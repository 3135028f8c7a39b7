//! The board wrapper (`spikegate_board.v`) end to end over its UART, in an
//! independent Verilog simulator (iverilog): a testbench plays the host,
//! sends each golden sample as bytes (honouring the credit protocol),
//! collects every byte the board sends, and the host-side decoder's spikes
//! and readout values must equal the golden expected outputs, step by
//! step. The board's UART runs at 4 clocks a bit here so that the
//! simulation is short; the logic is the same at any divisor.

use spikegate_fpga::board::protocol::{decode, encode_sample, CREDIT_BYTES, RX_FIFO_BYTES};
use spikegate_fpga::board::{wrapper_verilog, BOARD_FILE};
use spikegate_fpga::targets::find;
use spikegate_gen::generate::{generate, write_folder};
use spikegate_hdl::memory::SIM_MODELS;
use spikegate_hdl::BuildOptions;
use spikegate_model::Spike;
use spikegate_tests::{cells_sim, cells_without_dp16kd, load_golden, require_tool, run_ok};

const CLOCKS_PER_BIT: u32 = 4;

/// The host side, in Verilog: sends `host.hex` byte by byte while it has
/// credit, receives into `board.hex`, stops after `samples` sample ends.
fn testbench(bytes: usize, samples: usize, button_idle: u8) -> String {
    format!(
        r#"`timescale 1ns/1ns
module tb;
    localparam integer CPB = {CLOCKS_PER_BIT};
    reg clock = 1'b0;
    always #1 clock = ~clock;
    reg host_tx = 1'b1;
    wire board_tx;
    spikegate_board dut (
        .clock(clock), .reset_button(1'b{button_idle}), .uart_rx(host_tx),
        .uart_tx(board_tx), .led_done(), .led_busy()
    );
    reg [7:0] host [0:{last}];
    integer credit = {RX_FIFO_BYTES};
    integer i, b, k, j, remaining, done_count, out;
    reg [7:0] rx;
    initial begin
        $readmemh("host.hex", host);
        repeat (40) @(posedge clock);
        for (i = 0; i < {bytes}; i = i + 1) begin
            while (credit == 0) @(posedge clock);
            credit = credit - 1;
            b = host[i];
            host_tx = 1'b0;
            repeat (CPB) @(posedge clock);
            for (k = 0; k < 8; k = k + 1) begin
                host_tx = b[k];
                repeat (CPB) @(posedge clock);
            end
            host_tx = 1'b1;
            repeat (CPB) @(posedge clock);
        end
    end
    initial begin
        out = $fopen("board.hex", "w");
        remaining = 0;
        done_count = 0;
        repeat (40) @(posedge clock);
        forever begin
            @(negedge board_tx);
            repeat (CPB / 2) @(posedge clock);
            for (j = 0; j < 8; j = j + 1) begin
                repeat (CPB) @(posedge clock);
                rx[j] = board_tx;
            end
            repeat (CPB) @(posedge clock);
            $fwrite(out, "%02x\n", rx);
            if (remaining > 0) remaining = remaining - 1;
            else begin
                case (rx)
                    8'h00: remaining = 2;
                    8'h03: remaining = 6;
                    8'h04: credit = credit + {CREDIT_BYTES};
                    8'h02: done_count = done_count + 1;
                    default: ;
                endcase
            end
            if (done_count == {samples}) begin
                $fclose(out);
                $finish;
            end
        end
    end
    initial begin
        #20000000;
        $display("TIMEOUT");
        $finish;
    end
endmodule
"#,
        last = bytes - 1
    )
}

/// Runs golden `name` through the board wrapper of `board` at `pe` and
/// checks every output step against the expected file. Returns the credit
/// messages the board sent.
fn check_case(name: &str, board: &str, pe: usize, max_samples: usize) -> usize {
    check_on(name, board, pe, max_samples, false)
}

/// [`check_case`] on the RTL, or with `netlist` on what yosys synthesised
/// for the board (`synth_<family> -abc9`, as `spikegate synth` runs it),
/// simulated with yosys's models of the family's cells.
fn check_on(name: &str, board: &str, pe: usize, max_samples: usize, netlist: bool) -> usize {
    let case = load_golden(name);
    let target = find(board).unwrap();
    let options = BuildOptions {
        pe,
        ..BuildOptions::default()
    };
    let mut output = generate(&case.network, options, Some(target)).unwrap();
    // The same wrapper, with a fast UART for simulation.
    let wrapper = wrapper_verilog(&output.plan, target, CLOCKS_PER_BIT);
    for (file, text) in &mut output.files {
        if file == BOARD_FILE {
            *text = wrapper.clone();
        }
    }
    let dir = std::env::temp_dir().join(format!(
        "spikegate-board-{name}-{board}-p{pe}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    write_folder(&dir, &output.files).unwrap();
    let mut samples = case.samples();
    samples.truncate(max_samples);
    let t = case.network.network().time_steps;
    let host: Vec<u8> = samples.iter().flat_map(|s| encode_sample(s, t)).collect();
    let hex: String = host.iter().map(|b| format!("{b:02x}\n")).collect();
    std::fs::write(dir.join("host.hex"), hex).unwrap();
    let button_idle = u8::from(target.reset_active_low);
    std::fs::write(
        dir.join("tb.v"),
        testbench(host.len(), samples.len(), button_idle),
    )
    .unwrap();
    let family = target.family.yosys_name();
    // What the design instantiates is simulated by a model: spikegate's
    // DP16KD (beside an ECP5 design), yosys's SB_RAM40_4K.
    let mut models: Vec<String> = Vec::new();
    if dir.join(SIM_MODELS).is_file() {
        models.push(SIM_MODELS.into());
    }
    let cells = cells_sim(family);
    let include = format!("-I{}", cells.display());
    let mut sources: Vec<String> = vec!["tb.v".into()];
    // spikegate's own Verilog is Verilog-2005; yosys's models need more.
    let mut standard = "-g2005";
    if netlist {
        let script = format!(
            "read_verilog spikegate_top.v {BOARD_FILE}; synth_{family} -abc9 -top spikegate_board; \
             write_verilog -noattr netlist.v"
        );
        run_ok(&dir, "yosys", &["-q", "-p", &script]);
        sources.push("netlist.v".into());
        standard = "-g2012";
        sources.push(cells_without_dp16kd(&cells, &dir));
        sources.extend(models);
    } else {
        sources.extend([BOARD_FILE.to_string(), "spikegate_top.v".to_string()]);
        let verilog = std::fs::read_to_string(dir.join("spikegate_top.v")).unwrap();
        if verilog.contains("SB_RAM40_4K #(") {
            sources.push(cells.join("cells_sim.v").display().to_string());
            standard = "-g2012";
        }
        sources.extend(models);
    }
    let mut args: Vec<&str> = vec![
        standard,
        // iverilog 11 does not take default port values.
        "-DNO_ICE40_DEFAULT_ASSIGNMENTS",
        &include,
        "-o",
        "tb.vvp",
    ];
    args.extend(sources.iter().map(String::as_str));
    run_ok(&dir, "iverilog", &args);
    let log = run_ok(&dir, "vvp", &["-n", "tb.vvp"]);
    assert!(!log.contains("TIMEOUT"), "golden/{name} on {board}: {log}");
    let received: Vec<u8> = std::fs::read_to_string(dir.join("board.hex"))
        .unwrap()
        .lines()
        .map(|l| u8::from_str_radix(l.trim(), 16).unwrap())
        .collect();
    let got = decode(&received).unwrap_or_else(|e| panic!("golden/{name}: {e}"));
    assert_eq!(got.samples.len(), samples.len(), "golden/{name}");
    for (s, (board_sample, want)) in got.samples.iter().zip(&case.expected.samples).enumerate() {
        let context = format!("golden/{name} on {board}, P = {pe}, sample {s}");
        assert_eq!(board_sample.steps, t, "{context}: end-of-step messages");
        let want_spikes: Vec<Spike> = want.layers.last().unwrap().events.clone();
        assert_eq!(board_sample.spikes, want_spikes, "{context}: output spikes");
        let want_values: Vec<(u32, i32)> = want
            .output
            .membranes()
            .iter()
            .enumerate()
            .map(|(n, &v)| (n as u32, i32::try_from(v).unwrap()))
            .collect();
        assert_eq!(
            board_sample.values, want_values,
            "{context}: readout values"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
    got.credits
}

#[test]
fn board_wrapper_runs_golden_cases_over_its_uart() {
    if !require_tool("iverilog", "board wrapper simulation") {
        return;
    }
    // Spikes on an active-low-button board, readout values on an
    // active-high one.
    check_case("ttfs", "icebreaker", 1, usize::MAX);
    check_case("readout", "ulx3s_85f", 2, usize::MAX);
    check_case("delays", "arty_a7_35t", 1, usize::MAX);
    // Several samples back to back: each start waits for the sample before.
    check_case("large_ttfs", "ulx3s_85f", 4, usize::MAX);
    // Memories in instantiated block RAMs: DP16KD (spikegate's model) and
    // SB_RAM40_4K (yosys's), deep enough for several block rows.
    check_case("digits_ttfs", "ulx3s_85f", 1, 3);
    check_case("digits_ttfs", "icebreaker", 2, 3);
}

#[test]
fn board_wrapper_returns_credit_when_a_sample_is_longer_than_its_fifo() {
    if !require_tool("iverilog", "board wrapper simulation") {
        return;
    }
    // Rate-coded digits: about 1,900 bytes a sample, so the host must wait
    // for credit several times.
    let credits = check_case("digits_if", "ulx3s_85f", 4, 2);
    assert!(
        credits * CREDIT_BYTES >= 3000,
        "the board returned only {credits} credits"
    );
}

#[test]
fn the_synthesised_netlists_run_golden_cases_over_the_uart() {
    if !require_tool("iverilog", "netlist simulation")
        || !require_tool("yosys", "netlist simulation")
    {
        return;
    }
    // What goes on the board, not the RTL: yosys's ECP5 and iCE40 netlists
    // (block RAMs with their initial contents, LUTs, carries, flip-flops)
    // must give the golden outputs too.
    check_on("ttfs", "ulx3s_85f", 2, usize::MAX, true);
    check_on("readout", "icebreaker", 1, usize::MAX, true);
    // Adaptation products (in logic on iCE40; yosys 0.23 has no simulation
    // model of ECP5's MULT18X18D); delay slots.
    check_on("adlif", "icebreaker", 2, usize::MAX, true);
    check_on("delays", "ulx3s_85f", 2, usize::MAX, true);
    // Instantiated block RAMs after synthesis (output register on).
    check_on("digits_ttfs", "ulx3s_85f", 4, 2, true);
}
