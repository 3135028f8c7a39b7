// spikegate co-simulation shim: a C ABI over one Verilated accelerator.
// shim.rs prepends SG_TAPS, SG_TRACE and SG_READ_TAPS (one line per tapped
// layer); everything else is this file as it stands.

#include <cstdint>
#include <utility>
#include "verilated.h"
#include "Vspikegate_top.h"
#include "Vspikegate_top___024root.h"
#if SG_TRACE
#include "verilated_vcd_c.h"
#endif

struct SgInputs { uint8_t reset, start, in_valid, in_eos, out_ready, pad; uint16_t in_neuron; };
struct SgOutputs { uint8_t in_ready, out_valid, out_eos, busy, done, pad; uint16_t out_neuron; uint32_t out_value; };

// Verilator finds a rising edge by comparing the clock with the value it
// had at the previous eval. SgEdge tells it "the clock was low" without an
// eval of its own, where this Verilator's model exposes that value (5.006
// names it __Vtrigrprev__TOP__clock); elsewhere `known` is false and every
// cycle takes the two-eval path.
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
typedef SgEdge<Vspikegate_top___024root> Edge;

// The model's scheduler, which eval() calls after per-call bookkeeping
// (first-eval initialisation, thread ids, the message queue of
// multi-threaded models) that a single-threaded model past its first eval
// does not need. Weak: where this Verilator names it otherwise it is null
// and the fast paths call eval().
void Vspikegate_top___024root___eval(Vspikegate_top___024root *) __attribute__((weak));

static inline void sg_eval_fast(Vspikegate_top *t) {
    if (Vspikegate_top___024root___eval) {
        Vspikegate_top___024root___eval(t->rootp);
    } else {
        t->eval();
    }
}

struct SgModel {
    VerilatedContext context;
    Vspikegate_top *top = nullptr;
    uint64_t time = 0;
    // The outputs after the last rising edge, with reset and start low:
    // what the next cycle sees before its edge (see sg_cycle).
    SgOutputs after = {};
    uint32_t after_taps[SG_TAPS + 1] = {};
#if SG_TRACE
    VerilatedVcdC *vcd = nullptr;
#endif
};

static inline void sg_read(const Vspikegate_top *t, SgOutputs *out, uint32_t *taps) {
    out->in_ready = t->in_ready;
    out->out_valid = t->out_valid;
    out->out_eos = t->out_eos;
    out->out_neuron = t->out_neuron;
    out->busy = t->busy;
    out->done = t->done;
    out->out_value = t->out_value;
    (void)taps;
    SG_READ_TAPS(t, taps)
}

static inline void sg_drive(Vspikegate_top *t, const SgInputs *in) {
    t->reset = in->reset;
    t->start = in->start;
    t->in_valid = in->in_valid;
    t->in_eos = in->in_eos;
    t->in_neuron = in->in_neuron;
    t->out_ready = in->out_ready;
}

#define SG_EXPORT __attribute__((visibility("default")))
extern "C" {

SG_EXPORT uint32_t sg_abi(void) { return SG_ABI; }

// 1 when cycles without reset or start take one eval (the fast path).
SG_EXPORT uint32_t sg_single_eval(void) { return Edge::known && !SG_TRACE; }

SG_EXPORT void *sg_new(const char *vcd_path) {
    SgModel *m = new SgModel();
#if SG_TRACE
    if (vcd_path) m->context.traceEverOn(true);
#else
    (void)vcd_path;
#endif
    m->top = new Vspikegate_top(&m->context, "spikegate_top");
#if SG_TRACE
    if (vcd_path) {
        m->vcd = new VerilatedVcdC();
        m->top->trace(m->vcd, 99);
        m->vcd->open(vcd_path);
    }
#endif
    m->top->clock = 0;
    m->top->eval();
    sg_read(m->top, &m->after, m->after_taps);
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

// Whether a cycle with inputs `in` may take the one-eval path: no top-level
// output depends combinationally on in_valid, in_eos, in_neuron or
// out_ready (docs/hardware.md), so with reset and start low the outputs
// before this edge are those left by the previous edge. Cycles with reset
// or start high (their outputs do depend on them), waveform builds and
// Verilators whose edge detector the shim does not know take the exact
// two-eval path.
static inline bool sg_one_eval(const SgInputs *in) {
    return Edge::known && !SG_TRACE && !in->reset && !in->start;
}

// The one-eval cycle, with the inputs already driven: the outputs the
// previous edge left into `out` and `taps`, then one eval with the clock
// high applies the inputs and the edge together.
static inline void sg_cycle_one_eval(SgModel *m, SgOutputs *out, uint32_t *taps) {
    Vspikegate_top *t = m->top;
    *out = m->after;
    for (int i = 0; i < SG_TAPS; i++) taps[i] = m->after_taps[i];
    t->clock = 1;
    Edge::mark_low(t->rootp);
    sg_eval_fast(t);
    sg_read(t, &m->after, m->after_taps);
    m->time++;
}

// One clock cycle. `out` and `taps` receive the outputs before the rising
// edge.
SG_EXPORT void sg_cycle(void *p, const SgInputs *in, SgOutputs *out, uint32_t *taps,
                        uint8_t dump) {
    SgModel *m = static_cast<SgModel *>(p);
    Vspikegate_top *t = m->top;
    (void)dump;
    if (sg_one_eval(in)) {
        sg_drive(t, in);
        sg_cycle_one_eval(m, out, taps);
        return;
    }
    t->clock = 0;
    sg_drive(t, in);
    t->eval();
#if SG_TRACE
    if (dump && m->vcd) m->vcd->dump(m->time * 10);
#endif
    sg_read(t, out, taps);
    t->clock = 1;
    t->eval();
#if SG_TRACE
    if (dump && m->vcd) m->vcd->dump(m->time * 10 + 5);
#endif
    if (Edge::known && !SG_TRACE) {
        // What the next cycle sees before its edge if it drives reset and
        // start low.
        if (in->reset || in->start) {
            t->reset = 0;
            t->start = 0;
            t->eval();
        }
        sg_read(t, &m->after, m->after_taps);
    }
    m->time++;
}

// Cycles with the inputs `in` (reset and start low) until one whose
// outputs before its edge show something for the host: the input beat
// taken, an output or tap beat offered, or done. Runs at most `max`
// cycles (at least one) and returns how many; `out` and `taps` receive
// the last one's outputs, as sg_cycle would have. Without the one-eval
// path it runs exactly one sg_cycle.
SG_EXPORT uint32_t sg_run_quiet(void *p, const SgInputs *in, uint32_t max, SgOutputs *out,
                                uint32_t *taps) {
    SgModel *m = static_cast<SgModel *>(p);
    if (!sg_one_eval(in)) {
        sg_cycle(p, in, out, taps, 0);
        return 1;
    }
    sg_drive(m->top, in);
    for (uint32_t n = 1;; n++) {
        sg_cycle_one_eval(m, out, taps);
        uint32_t tapped = 0;
        for (int i = 0; i < SG_TAPS; i++) tapped |= taps[i] >> 31;
        bool event = (in->in_valid && out->in_ready) || out->out_valid || out->done || tapped;
        if (event || n >= max) return n;
    }
}

#ifdef SG_PROFILE_GENERATE
extern void __gcov_dump(void);
// Writes the profile counters (profile-guided builds: the training run).
SG_EXPORT void sg_profile_dump(void) { __gcov_dump(); }
#endif
}
