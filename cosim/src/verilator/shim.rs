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
//!
//! The port code is generated from the port table
//! ([`spikegate_hdl::interface`]): the structs `SgInputs` and `SgOutputs`
//! (one field a port but the clock and the taps, narrowest first, see
//! `c_fields`), the copies between them and the model (`SG_DRIVE`,
//! `SG_READ`) and the packing of the tap words (`SG_READ_TAPS`, as
//! [`crate::ports::TapBeat::pack`]). The Rust mirror of the structs (`model.rs`) is
//! checked against `c_fields` by a test there.

use spikegate_hdl::interface::{self, Direction, Port};
use spikegate_hdl::stream::EOS_BIT;

use crate::ports::TAP_VALID_BIT;

/// Version of the C ABI; a library whose `sg_abi` differs is rebuilt.
pub const SHIM_ABI: u32 = 6;

/// The shim's C++ with its placeholders.
const TEMPLATE: &str = include_str!("shim.cpp");

/// The fields of the shim's struct for the ports pointing `direction`
/// (all but the clock and the taps), each with its size in bytes (the
/// smallest C unsigned type that holds the port). Ordered by size, stable
/// in the table's order, so that the struct packs without padding but
/// what a wider field's alignment asks.
pub(crate) fn c_fields(direction: Direction) -> Vec<(Port, usize)> {
    let mut fields: Vec<(Port, usize)> = interface::ports(0)
        .into_iter()
        .filter(|p| p.direction() == direction && !p.is_clock())
        .map(|p| (p, p.width().div_ceil(8).next_power_of_two()))
        .collect();
    fields.sort_by_key(|&(_, bytes)| bytes);
    fields
}

/// The C definition of struct `name` for the ports pointing `direction`.
fn c_struct(name: &str, direction: Direction) -> String {
    let fields: String = c_fields(direction)
        .iter()
        .map(|(p, bytes)| format!(" uint{}_t {};", bytes * 8, p.name()))
        .collect();
    format!(" struct {name} {{{fields} }};")
}

/// A macro `name(t, s)` of one statement a port pointing `direction`,
/// each `copy(port)`.
fn c_copies(name: &str, direction: Direction, copy: impl Fn(&str) -> String) -> String {
    let copies: String = c_fields(direction)
        .iter()
        .map(|(p, _)| format!(" {}", copy(&p.name())))
        .collect();
    format!("#define {name}(t, s){copies}\n")
}

/// The shim for a design with `taps` tapped layers, with or without
/// waveform support.
pub fn source(taps: usize, trace: bool) -> String {
    let mut read_taps = String::new();
    for l in 0..taps {
        let tap = |field| interface::tap_name(l, field);
        read_taps.push_str(&format!(
            " taps[{l}] = ((uint32_t)t->{} << {TAP_VALID_BIT}) | ((uint32_t)t->{} << {EOS_BIT}) \
             | (uint32_t)t->{};",
            tap("valid"),
            tap("eos"),
            tap("neuron"),
        ));
    }
    format!(
        "#define SG_ABI {SHIM_ABI}\n#define SG_TAPS {taps}\n#define SG_TRACE {}\n\
         #define SG_PORT_STRUCTS{}{}\n{}{}#define SG_READ_TAPS(t, taps){read_taps}\n{TEMPLATE}",
        u8::from(trace),
        c_struct("SgInputs", Direction::In),
        c_struct("SgOutputs", Direction::Out),
        c_copies("SG_DRIVE", Direction::In, |p| format!(
            "t->SG_IN({p}) = s->{p};"
        )),
        c_copies("SG_READ", Direction::Out, |p| format!("s->{p} = t->{p};")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tap_is_packed() {
        let s = source(2, false);
        assert!(s.contains(
            "#define SG_PORT_STRUCTS struct SgInputs { uint8_t reset; uint8_t start; uint8_t in_valid; uint8_t in_eos; \
             uint8_t out_ready; uint16_t in_neuron; };"
        ));
        assert!(s.contains("#define SG_DRIVE(t, s) t->SG_IN(reset) = s->reset;"));
        assert!(s.contains("s->out_value = t->out_value;"));
        assert!(s.contains("taps[1] = ((uint32_t)t->tap1_valid << 31)"));
        assert!(!s.contains("taps[2]"));
        assert!(s.contains("#define SG_TRACE 0"));
        let s = source(0, true);
        assert!(s.contains("#define SG_TRACE 1") && s.contains("#define SG_READ_TAPS(t, taps)\n"));
    }
}
