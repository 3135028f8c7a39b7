// spikegate co-simulation shim: a C ABI over one Verilated accelerator.
// shim.rs prepends SG_ABI, SG_TAPS, SG_TRACE and the port code it generates
// from the port table: the structs SgInputs and SgOutputs (SG_PORT_STRUCTS,
// expanded after the includes), SG_DRIVE (the inputs onto the model),
// SG_READ (the outputs off it) and SG_READ_TAPS (one line per tapped
// layer); everything else is this file as it stands.
//
// Two ways to run a cycle:
// - Harness builds (SG_TRACE 0): the model's top is sg_harness
//   (harness.rs), which registers the accelerator's inputs. A cycle drives
//   its inputs on the next_* ports and clocks the edge that ends the
//   previous cycle: the design's state and its inputs advance together and
//   one pass of its logic settles the new cycle, whose outputs are then
//   read. The edge that ends a cycle waits for the next call.
// - Waveform builds (SG_TRACE 1): the top is spikegate_top itself, so the
//   waveform shows the design's own hierarchy. A cycle drives the inputs
//   with the clock low, evaluates, reads, raises the clock and evaluates.

#include <cstdint>
#include <utility>
#include "verilated.h"
#if SG_TRACE
#include "Vspikegate_top.h"
#include "Vspikegate_top___024root.h"
#include "verilated_vcd_c.h"
typedef Vspikegate_top SgTop;
typedef Vspikegate_top___024root SgRoot;
#define SG_IN(port) port
#else
#include "Vsg_harness.h"
#include "Vsg_harness___024root.h"
typedef Vsg_harness SgTop;
typedef Vsg_harness___024root SgRoot;
#define SG_IN(port) next_##port
// The model's scheduler, which eval() calls after per-call bookkeeping
// (first-eval initialisation, thread ids, the message queue of
// multi-threaded models) that a single-threaded model past its first eval
// does not need. Weak: where this Verilator names it otherwise it is null
// and the shim calls eval().
void Vsg_harness___024root___eval(SgRoot *) __attribute__((weak));
#endif

SG_PORT_STRUCTS

// Verilator finds a rising edge by comparing the clock with the value it
// had at the previous eval. SgEdge tells it "the clock was low" without an
// eval of its own, where this Verilator's model exposes that value (5.006
// names it __Vtrigrprev__TOP__clock); elsewhere `known` is false and the
// shim evaluates with the clock low first.
template <typename R, typename = void>
struct SgEdge {
    static constexpr bool known = false;
    static void mark_low(R *) {}
};
template <typename R>
struct SgEdge<R, decltype((void)std::declval<R &>().__Vtrigrprev__TOP__clock)> {
    static constexpr bool known = true;
    static void mark_low(R *r) { r->__Vtrigrprev__TOP__clock = 0; }
};
typedef SgEdge<SgRoot> Edge;

struct SgModel {
    VerilatedContext context;
    SgTop *top = nullptr;
    uint64_t time = 0;
    // Harness builds: whether the first cycle has run (it has no edge
    // before it; its inputs enter the registers at the first eval).
    bool started = false;
    // Whether a cycle takes one eval (see SgEdge); sg_two_evals clears it.
    bool one_eval = Edge::known;
#if SG_TRACE
    VerilatedVcdC *vcd = nullptr;
#endif
};

static inline void sg_read(const SgTop *t, SgOutputs *out, uint32_t *taps) {
    SG_READ(t, out)
    (void)taps;
    SG_READ_TAPS(t, taps)
}

static inline void sg_drive(SgTop *t, const SgInputs *in) { SG_DRIVE(t, in) }

#define SG_EXPORT __attribute__((visibility("default")))
extern "C" {

SG_EXPORT uint32_t sg_abi(void) { return SG_ABI; }

// 1 when a cycle takes one eval: a harness build whose Verilator's edge
// detector the shim knows.
SG_EXPORT uint32_t sg_single_eval(void) { return Edge::known && !SG_TRACE; }

// Makes every cycle of `model` evaluate with the clock low before its
// edge, as on a Verilator whose edge detector the shim does not know (so
// that this path can be tested anywhere).
SG_EXPORT void sg_two_evals(void *p) { static_cast<SgModel *>(p)->one_eval = false; }

SG_EXPORT void *sg_new(const char *vcd_path) {
    SgModel *m = new SgModel();
#if SG_TRACE
    if (vcd_path) m->context.traceEverOn(true);
#else
    (void)vcd_path;
#endif
    m->top = new SgTop(&m->context, "spikegate_top");
#if SG_TRACE
    if (vcd_path) {
        m->vcd = new VerilatedVcdC();
        m->top->trace(m->vcd, 99);
        m->vcd->open(vcd_path);
    }
    m->top->clock = 0;
    m->top->eval();
#endif
    return m;
}

SG_EXPORT void sg_free(void *p) {
    SgModel *m = static_cast<SgModel *>(p);
    m->top->final();
#if SG_TRACE
    if (m->vcd) {
        m->vcd->close();
        delete m->vcd;
    }
#endif
    delete m->top;
    delete m;
}

#if !SG_TRACE
// A harness cycle with its inputs already on the next_* ports: the edge
// that ends the previous cycle (none before the first), then the outputs.
static inline void sg_harness_cycle(SgModel *m, SgOutputs *out, uint32_t *taps) {
    SgTop *t = m->top;
    if (!m->started) {
        m->started = true;
        t->clock = 0;
        t->eval();
    } else if (m->one_eval) {
        t->clock = 1;
        Edge::mark_low(t->rootp);
        if (Vsg_harness___024root___eval) {
            Vsg_harness___024root___eval(t->rootp);
        } else {
            t->eval();
        }
    } else {
        t->clock = 0;
        t->eval();
        t->clock = 1;
        t->eval();
    }
    sg_read(t, out, taps);
    m->time++;
}
#endif

// One clock cycle with inputs `in`. `out` and `taps` receive the outputs
// the rising edge will sample.
SG_EXPORT void sg_cycle(void *p, const SgInputs *in, SgOutputs *out, uint32_t *taps,
                        uint8_t dump) {
    SgModel *m = static_cast<SgModel *>(p);
    SgTop *t = m->top;
    sg_drive(t, in);
#if SG_TRACE
    t->clock = 0;
    t->eval();
    if (dump && m->vcd) m->vcd->dump(m->time * 10);
    sg_read(t, out, taps);
    t->clock = 1;
    t->eval();
    if (dump && m->vcd) m->vcd->dump(m->time * 10 + 5);
    m->time++;
#else
    (void)dump;
    sg_harness_cycle(m, out, taps);
#endif
}

// Cycles with the inputs `in` until one whose outputs show something for
// the host: the input beat taken, an output or tap beat offered, or done.
// Runs at most `max` cycles (at least one) and returns how many; `out` and
// `taps` receive the last one's outputs, as sg_cycle would have. A reset or
// start cycle, and any cycle of a waveform build, runs alone.
SG_EXPORT uint32_t sg_run_quiet(void *p, const SgInputs *in, uint32_t max, SgOutputs *out,
                                uint32_t *taps) {
#if SG_TRACE
    (void)max;
    sg_cycle(p, in, out, taps, 0);
    return 1;
#else
    if (in->reset || in->start) {
        sg_cycle(p, in, out, taps, 0);
        return 1;
    }
    SgModel *m = static_cast<SgModel *>(p);
    sg_drive(m->top, in);
    for (uint32_t n = 1;; n++) {
        sg_harness_cycle(m, out, taps);
        uint32_t tapped = 0;
        for (int i = 0; i < SG_TAPS; i++) tapped |= taps[i] >> 31;
        bool event = (in->in_valid && out->in_ready) || out->out_valid || out->done || tapped;
        if (event || n >= max) return n;
    }
#endif
}

#ifdef SG_PROFILE_GENERATE
extern void __gcov_dump(void);
// Writes the profile counters (profile-guided builds: the training run).
SG_EXPORT void sg_profile_dump(void) { __gcov_dump(); }
#endif
}
