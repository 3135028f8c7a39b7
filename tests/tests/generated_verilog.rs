//! The generator's output: pinned by snapshots (every change in the
//! Verilog is a reviewable diff), deterministic, written completely or not
//! at all, and refused with clear errors before anything is written.

use spikegate_hdl::BuildOptions;
use spikegate_tests::load_golden;

fn verilog_of(name: &str, pe: usize, taps: bool) -> String {
    let case = load_golden(name);
    let options = BuildOptions {
        pe,
        taps,
        ..BuildOptions::default()
    };
    let out = spikegate_gen::generate::generate(&case.network, options, None)
        .unwrap_or_else(|e| panic!("golden/{name}: {e:#}"));
    out.files
        .into_iter()
        .filter(|(n, _)| n.ends_with(".v") || n.ends_with(".hex"))
        .map(|(n, text)| format!("==> {n} <==\n{text}"))
        .collect()
}

#[test]
fn snapshots_of_the_small_golden_designs() {
    insta::assert_snapshot!("ttfs_p1", verilog_of("ttfs", 1, false));
    insta::assert_snapshot!("if_subtract_p2", verilog_of("if_subtract", 2, false));
    insta::assert_snapshot!("lif_multiply_p1", verilog_of("lif_multiply", 1, false));
    insta::assert_snapshot!("lif_shift_p3_taps", verilog_of("lif_shift", 3, true));
    insta::assert_snapshot!("bias_p1", verilog_of("bias", 1, false));
    insta::assert_snapshot!("cuba_p2", verilog_of("cuba", 2, false));
    insta::assert_snapshot!("adlif_p1", verilog_of("adlif", 1, false));
    insta::assert_snapshot!("delays_p2", verilog_of("delays", 2, false));
    insta::assert_snapshot!("lif_deferred_p2", verilog_of("lif_deferred", 2, false));
    insta::assert_snapshot!(
        "if_multispike_p2_taps",
        verilog_of("if_multispike", 2, true)
    );
    insta::assert_snapshot!(
        "lif_weight_shift_p1",
        verilog_of("lif_weight_shift", 1, false)
    );
    // A conv core with a pool in front (the decode table, the tap walk,
    // the channel-strided emitter).
    insta::assert_snapshot!(
        "conv_stride_pad_pool_p2",
        verilog_of("conv_stride_pad_pool", 2, false)
    );
    // A recurrent core: the spike list and its replay into the walker.
    insta::assert_snapshot!("recurrent_p2", verilog_of("recurrent", 2, false));
}

#[test]
fn snapshots_of_the_instantiated_block_rams() {
    use spikegate_hdl::memory::{BlockRam, Ram, Rom};
    // 40 words of 21 bits: two block columns on ECP5 (18 + 3 bits) and on
    // iCE40 (16 + 5); a 300-word RAM takes three iCE40 blocks of 512 x 8.
    let words: Vec<Vec<bool>> = (0..40)
        .map(|i| (0..21).map(|b| (i * 7 + b) % 5 == 0).collect())
        .collect();
    let rom = Rom {
        name: "weights",
        width: 21,
        words: &words,
        file: "w.hex",
        addr: "weight_addr",
        out: "weight_q",
    };
    let ram = Ram {
        name: "state",
        width: 21,
        depth: 300,
        read_addr: "chunk",
        out: "state_q",
        write_enable: "we",
        write_addr: "s1_chunk",
        write_data: "next_word",
    };
    for (style, name) in [
        (BlockRam::Ecp5, "block_ram_ecp5"),
        (BlockRam::Ice40, "block_ram_ice40"),
    ] {
        insta::assert_snapshot!(name, style.rom(&rom) + &style.ram(&ram));
    }
}
