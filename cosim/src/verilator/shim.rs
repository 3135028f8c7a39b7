//! The C++ shim compiled with the Verilated model (`shim.cpp`): a C ABI,
//! so Rust drives the model through one call per cycle with plain structs
//! (no text, no files in the hot loop).
//!
//! ```c
//! void *sg_new(const char *vcd_path);      // NULL: no waveform
//! void  sg_free(void *model);
//! void  sg_cycle(void *model, const SgInputs *in, SgOutputs *out,
//!                uint32_t *taps, uint8_t dump);
//! uint32_t sg_abi(void);                   // SHIM_ABI
//! uint32_t sg_single_eval(void);           // 1: one eval a cycle
//! void  sg_two_evals(void *model);         // this model: two evals a cycle
//! uint32_t sg_run_quiet(void *model, const SgInputs *in, uint32_t max,
//!                       SgOutputs *out, uint32_t *taps);  // cycles run
//! void  sg_profile_dump(void);             // profile-generating builds only
//! ```
//!
//! A cycle returns the outputs the rising edge will sample. Ordinary
//! builds verilate the design under the harness ([`super::harness`]),
//! which registers the inputs: a cycle drives its inputs on the harness's
//! `next_*` ports and clocks the edge that ends the previous cycle, and
//! one `eval` settles the new cycle (Verilator would otherwise evaluate the
//! logic that reads an input twice a cycle, once for the new inputs and
//! once after the edge). One eval needs telling Verilator the clock was
//! low, which `shim.cpp` does where the model exposes its edge detector
//! (Verilator 5.006); elsewhere a cycle evaluates with the clock low
//! first, which costs the scheduler's checks only. Waveform builds
//! verilate `spikegate_top` itself, so the waveform shows the design's
//! hierarchy, and take the plain way: drive the inputs with the clock low,
//! evaluate, read, raise the clock, evaluate again; `dump` writes both
//! halves of the cycle (times `10c` and `10c + 5`). The lockstep tests
//! compare every output on every cycle with rust-hdl.

/// Version of the C ABI; a library whose `sg_abi` differs is rebuilt.
pub const SHIM_ABI: u32 = 6;

/// The shim's C++ with its placeholders.
const TEMPLATE: &str = include_str!("shim.cpp");

/// The shim for a design with `taps` tapped layers, with or without
/// waveform support.
pub fn source(taps: usize, trace: bool) -> String {
    let mut read_taps = String::new();
    for l in 0..taps {
        read_taps.push_str(&format!(
            " taps[{l}] = ((uint32_t)t->tap{l}_valid << 31) | ((uint32_t)t->tap{l}_eos << 16) \
             | (uint32_t)t->tap{l}_neuron;"
        ));
    }
    format!(
        "#define SG_ABI {SHIM_ABI}\n#define SG_TAPS {taps}\n#define SG_TRACE {}\n\
         #define SG_READ_TAPS(t, taps){read_taps}\n{TEMPLATE}",
        u8::from(trace)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tap_is_packed() {
        let s = source(2, false);
        assert!(s.contains("taps[1] = ((uint32_t)t->tap1_valid << 31)"));
        assert!(!s.contains("taps[2]"));
        assert!(s.contains("#define SG_TRACE 0"));
        let s = source(0, true);
        assert!(s.contains("#define SG_TRACE 1") && s.contains("#define SG_READ_TAPS(t, taps)\n"));
    }
}
