//! The C++ shim compiled with the Verilated model: a C ABI of four
//! functions, so Rust drives the model through one call per cycle with
//! plain structs (no text, no files in the hot loop).
//!
//! ```c
//! void *sg_new(const char *vcd_path);      // NULL: no waveform
//! void  sg_free(void *model);
//! void  sg_cycle(void *model, const SgInputs *in, SgOutputs *out,
//!                uint32_t *taps, uint8_t dump);
//! uint32_t sg_abi(void);                   // SHIM_ABI
//! ```
//!
//! A cycle drives the inputs with the clock low, evaluates, reads the
//! outputs, then raises the clock and evaluates again. With a waveform,
//! `dump` writes both halves of the cycle (times `10c` and `10c + 5`).

/// Version of the C ABI; a library whose `sg_abi` differs is rebuilt.
pub const SHIM_ABI: u32 = 2;

/// The shim for a design with `taps` tapped layers, with or without
/// waveform support.
pub fn source(taps: usize, trace: bool) -> String {
    let mut s = String::new();
    s.push_str("// spikegate co-simulation shim (generated; C ABI for Rust)\n");
    s.push_str("#include <cstdint>\n#include \"verilated.h\"\n#include \"Vspikegate_top.h\"\n");
    if trace {
        s.push_str("#include \"verilated_vcd_c.h\"\n");
    }
    s.push_str(
        r#"
struct SgInputs { uint8_t reset, start, in_valid, in_eos, out_ready, pad; uint16_t in_neuron; };
struct SgOutputs { uint8_t in_ready, out_valid, out_eos, busy, done, pad; uint16_t out_neuron; uint32_t out_value; };

struct SgModel {
    VerilatedContext context;
    Vspikegate_top *top;
    uint64_t time = 0;
"#,
    );
    if trace {
        s.push_str("    VerilatedVcdC *vcd = nullptr;\n");
    }
    s.push_str(
        "};\n\n#define SG_EXPORT __attribute__((visibility(\"default\")))\nextern \"C\" {\n",
    );
    s.push_str(&format!(
        "SG_EXPORT uint32_t sg_abi(void) {{ return {SHIM_ABI}; }}\n\n"
    ));
    s.push_str("SG_EXPORT void *sg_new(const char *vcd_path) {\n    SgModel *m = new SgModel();\n");
    if trace {
        s.push_str("    if (vcd_path) m->context.traceEverOn(true);\n");
    } else {
        s.push_str("    (void)vcd_path;\n");
    }
    s.push_str("    m->top = new Vspikegate_top(&m->context, \"spikegate_top\");\n");
    if trace {
        s.push_str(
            "    if (vcd_path) {\n        m->vcd = new VerilatedVcdC();\n        \
             m->top->trace(m->vcd, 99);\n        m->vcd->open(vcd_path);\n    }\n",
        );
    }
    s.push_str("    m->top->clock = 0;\n    m->top->eval();\n    return m;\n}\n\n");
    s.push_str("SG_EXPORT void sg_free(void *p) {\n    SgModel *m = static_cast<SgModel *>(p);\n    m->top->final();\n");
    if trace {
        s.push_str("    if (m->vcd) { m->vcd->close(); delete m->vcd; }\n");
    }
    s.push_str("    delete m->top;\n    delete m;\n}\n\n");
    s.push_str(
        r#"SG_EXPORT void sg_cycle(void *p, const SgInputs *in, SgOutputs *out, uint32_t *taps, uint8_t dump) {
    SgModel *m = static_cast<SgModel *>(p);
    Vspikegate_top *t = m->top;
    t->clock = 0;
    t->reset = in->reset;
    t->start = in->start;
    t->in_valid = in->in_valid;
    t->in_eos = in->in_eos;
    t->in_neuron = in->in_neuron;
    t->out_ready = in->out_ready;
    t->eval();
"#,
    );
    if trace {
        s.push_str("    if (dump && m->vcd) m->vcd->dump(m->time * 10);\n");
    } else {
        s.push_str("    (void)dump;\n");
    }
    s.push_str(
        "    out->in_ready = t->in_ready;\n    out->out_valid = t->out_valid;\n    \
         out->out_eos = t->out_eos;\n    out->out_neuron = t->out_neuron;\n    \
         out->busy = t->busy;\n    out->done = t->done;\n    out->out_value = t->out_value;\n",
    );
    if taps == 0 {
        s.push_str("    (void)taps;\n");
    }
    for l in 0..taps {
        s.push_str(&format!(
            "    taps[{l}] = ((uint32_t)t->tap{l}_valid << 31) | ((uint32_t)t->tap{l}_eos << 16) \
             | (uint32_t)t->tap{l}_neuron;\n"
        ));
    }
    s.push_str("    t->clock = 1;\n    t->eval();\n");
    if trace {
        s.push_str("    if (dump && m->vcd) { m->vcd->dump(m->time * 10 + 5); }\n");
    }
    s.push_str("    m->time++;\n}\n}\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tap_is_packed() {
        let s = source(2, false);
        assert!(s.contains("taps[1] = ((uint32_t)t->tap1_valid << 31)"));
        assert!(!s.contains("taps[2]"));
        assert!(!s.contains("VerilatedVcdC"));
        let s = source(0, true);
        assert!(s.contains("(void)taps;") && s.contains("m->vcd->open(vcd_path)"));
    }
}
