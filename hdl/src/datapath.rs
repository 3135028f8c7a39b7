//! A core's datapath: the weight memory (P weights a word, block RAM,
//! initialised from the model), the neuron-state memory (P lanes a word)
//! and the P processing elements between them.
//!
//! ```text
//!   weight_addr ─► weights[C*M + C rows] ─► weight_r ─► weight_q ─────────┐
//!   op, chunk ──► state[C words] ─► state_r ─► state_q ─┐                │
//!           mid_word, forward1, forward2 ───────────────┴► current ──► PE stage 1 ─► mid, v_sum_q
//!                                                                                      │
//!           state[s2_chunk], forward1 ◄── next_word ◄── PE stage 2 ◄──────────────────┘
//!                                                          └► fired_q
//! ```
//!
//! It is a four-stage pipeline. In the cycle an operation is issued, both
//! memories are read into their read registers (block RAM); in the next
//! the words pass to output registers (`weight_q`, `state_q`), so a block
//! RAM's slow clock-to-out (about 5.8 ns on ECP5) feeds nothing but a
//! register. The PEs then take two cycles ([`crate::pe`]): stage 1 adds an
//! accumulate's weight and takes a sweep as far as the exact membrane sum,
//! stage 2 finishes the sweep (saturation, threshold, reset) and the word
//! is written back at the end of it.
//!
//! A read issued in any of the three cycles before that write lands misses
//! it, so stage 1 takes the newest of three words of its chunk: stage 2's
//! (`mid_word`, the PEs' stage register), then those written at the last
//! two edges. `mid_word` is final for an accumulate and a clear, so
//! back-to-back operations on one chunk (a layer of one chunk receiving
//! spikes every cycle, a sweep directly after the last accumulate) stay
//! exact; it is not final for a sweep or a repeat, and the control never
//! issues an operation on a chunk in the cycle after a sweep or a repeat
//! of it (the step ends, or the repeat issues, only when the results are
//! in). The result of a sweep or a repeat (`fired`, `more`, and the `tag`
//! it was issued with) is registered at the end of stage 2: the control
//! sees it [`RESULT_LATENCY`] cycles after the issue, and no path runs
//! from the PEs' arithmetic into the control.
//!
//! ```text
//!  clock      _/‾\_/‾\_/‾\_/‾\_/‾\_/‾\_
//!  op, chunk  < A0 >< A0 >< A0 ><SW0 >              three accumulates on chunk 0, then its sweep
//!  state_q                < w  >< w  >< w  >< w  >  every read after the first is stale...
//!  mid                          < A0'>< A0"><A0"'>  ...so stage 1 takes stage 2's word
//! ```
//!
//! rust-hdl types its ports with compile-time widths, but a model's widths
//! and P are known only at run time, so this block is a rust-hdl custom
//! block: narrow fixed-width control ports, a Rust model for simulation
//! (`update`) and Verilog generated from the plan (`hdl`).

use std::sync::Arc;

use rust_hdl::prelude::*;

pub use crate::memory::address_bits;
use crate::memory::{Ram, Rom};
use crate::pe::{self, LaneInput, LaneState, Op, OP_BITS};
use crate::plan::CorePlan;

/// The datapath block of one core.
#[derive(LogicBlock)]
pub struct Datapath {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Operation issued this cycle (an [`Op`]'s code).
    pub op: Signal<In, Bits<OP_BITS>>,
    /// Weight-memory row read this cycle.
    pub weight_addr: Signal<In, Bits<32>>,
    /// Neuron chunk read this cycle (and written back in the next).
    pub chunk: Signal<In, Bits<32>>,
    /// Delay slot of the current step, `t mod S` (layers with delays).
    pub slot: Signal<In, Bits<16>>,
    /// The sweep issued this cycle is the sample's last step (a readout
    /// core then hands every lane of the chunk to the emitter).
    pub final_step: Signal<In, Bit>,
    /// A tag that travels with the operation issued this cycle and comes
    /// back on `fired_tag` with its result (the core's neuron base).
    pub tag: Signal<In, Bits<16>>,
    /// The result of a sweep or a repeat shows this cycle on `fired`,
    /// `more` and `fired_tag`: [`RESULT_LATENCY`] cycles after its issue.
    pub fired_valid: Signal<Out, Bit>,
    /// The tag the operation whose result shows was issued with.
    pub fired_tag: Signal<Out, Bits<16>>,
    /// Lanes that spike, [`RESULT_LATENCY`] cycles after a sweep was
    /// issued (bit `k` is lane `k`); zero otherwise. A readout core never spikes: in its last
    /// step every lane of the swept chunk that holds a neuron is set.
    pub fired: Signal<Out, Bits<64>>,
    /// Bit `g`: some lane of `fired` in `4g..4g + 4` is set. Registered, so
    /// that the core's control reads flip-flops rather than an OR over the
    /// lanes, and in groups of four, so that no OR over every lane (whose
    /// lanes lie far apart in a wide design) stands before the register.
    pub fired_any: Signal<Out, Bits<16>>,
    /// [`RESULT_LATENCY`] cycles after a sweep or a repeat was issued: some lane of the
    /// chunk still has spikes to fire in this step (multi-spike layers),
    /// so the core repeats the chunk.
    pub more: Signal<Out, Bit>,
    /// Lane whose membrane `value` shows.
    pub value_lane: Signal<In, Bits<16>>,
    /// A readout core: the membrane (sign-extended) of lane `value_lane`
    /// of the chunk swept last. Zero in spiking cores.
    pub value: Signal<Out, Bits<32>>,
    _model: Box<Model>,
}

/// An operation on its way through the datapath: what the core issued
/// with it, and the memory words read for it.
#[derive(Clone)]
struct Issued {
    op: Op,
    chunk: usize,
    final_step: bool,
    slot: u32,
    tag: u16,
    state: Vec<LaneState>,
    weight: Vec<i64>,
    delay: Vec<u32>,
}

/// An operation leaving stage 1: what was issued, its new word and its
/// spike mask.
struct Computed {
    issued: Issued,
    word: Vec<LaneState>,
    mask: u64,
}

/// The Rust model behind [`Datapath`]: the memories and the pipeline
/// registers.
struct Model {
    core: Arc<CorePlan>,
    weights: Vec<Vec<i64>>,
    delays: Vec<Vec<u32>>,
    state: Vec<Vec<LaneState>>,
    /// The operation read at the last edge (the block RAMs' read
    /// registers).
    read: Issued,
    /// The operation the PEs' first stage computes this cycle (after the
    /// memories' output registers): stage 1.
    s1: Issued,
    /// The operation in the PEs' second stage, with its new word and spike
    /// mask (the model computes both in stage 1; the hardware finishes a
    /// sweep and a repeat here).
    s2: Option<Computed>,
    /// The words written at the last two edges, newest first, with their
    /// chunks: a stage-1 read that missed them is served from here.
    forward: [Option<(usize, Vec<LaneState>)>; 2],
    /// The registered result of the operation that left stage 2 at the
    /// last edge: a sweep or a repeat, its spike mask, whether some lane
    /// has spikes left (see `more`), and its tag.
    result_valid: bool,
    fired: u64,
    more: bool,
    result_tag: u16,
    /// Membranes of the chunk swept last (readout cores).
    values: Vec<i64>,
}

impl Model {
    /// The word of the chunk in stage 1, the newest in flight first: stage
    /// 2's, then those written at the last two edges, then the one read.
    ///
    /// The hardware forwards stage 2's word from the PEs' stage register,
    /// which holds the final word of every operation but a sweep and a
    /// repeat; the control must never issue an operation on a chunk
    /// directly after a sweep or a repeat of it (it waits for their
    /// results), and this model stops at a control that does.
    fn current(&self) -> &[LaneState] {
        let s1 = &self.s1;
        if let Some(s2) = &self.s2 {
            // A clear reads nothing (a start may follow a sweep at once).
            let reads = !matches!(s1.op, Op::Idle | Op::Clear);
            if s2.issued.op != Op::Idle && s2.issued.chunk == s1.chunk && reads {
                assert!(
                    !matches!(s2.issued.op, Op::Sweep | Op::Repeat),
                    "datapath hazard: {:?} of chunk {} directly after a {:?} of it",
                    s1.op,
                    s1.chunk,
                    s2.issued.op
                );
                return &s2.word;
            }
        }
        self.forward
            .iter()
            .flatten()
            .find(|(chunk, _)| *chunk == s1.chunk)
            .map_or(&s1.state, |(_, word)| word)
    }

    /// Stage 1: the new word of the chunk in stage 1, and its spike mask.
    fn stage1(&self) -> (Vec<LaneState>, u64) {
        let s1 = &self.s1;
        let current = self.current();
        let mut mask = 0u64;
        let word = current
            .iter()
            .zip(s1.weight.iter().zip(&s1.delay))
            .enumerate()
            .map(|(k, (s, (&weight, &delay)))| {
                let input = LaneInput {
                    weight,
                    delay,
                    slot: s1.slot,
                };
                let (next, spike) = pe::apply(&self.core, s1.op, s, input);
                if spike {
                    mask |= 1 << k;
                }
                next
            })
            .collect();
        if self.core.readout {
            // Every lane holding a neuron, in the last step only.
            mask = 0;
            if s1.op == Op::Sweep && s1.final_step {
                let first = s1.chunk * self.core.lanes;
                let held = self.core.neurons.saturating_sub(first).min(self.core.lanes);
                mask = if held == 64 {
                    u64::MAX
                } else {
                    (1u64 << held) - 1
                };
            }
        }
        (word, mask)
    }
}

impl Datapath {
    /// The datapath of `core`, its weight memory filled from the model.
    pub fn new(core: Arc<CorePlan>) -> Self {
        let weights = (0..core.weight_rows())
            .map(|r| core.weight_row(r))
            .collect();
        let delays = (0..core.weight_rows()).map(|r| core.delay_row(r)).collect();
        let zero = LaneState::zero(core.lane.slots);
        let lanes = core.lanes;
        let idle = Issued {
            op: Op::Idle,
            chunk: 0,
            final_step: false,
            slot: 0,
            tag: 0,
            state: vec![zero.clone(); lanes],
            weight: vec![0; lanes],
            delay: vec![0; lanes],
        };
        let model = Model {
            state: vec![vec![zero; lanes]; core.chunks],
            read: idle.clone(),
            s1: idle,
            s2: None,
            weights,
            delays,
            core,
            forward: [None, None],
            result_valid: false,
            fired: 0,
            more: false,
            result_tag: 0,
            values: vec![0; lanes],
        };
        Datapath {
            clock: Default::default(),
            op: Default::default(),
            weight_addr: Default::default(),
            chunk: Default::default(),
            slot: Default::default(),
            final_step: Default::default(),
            tag: Default::default(),
            fired_valid: Default::default(),
            fired_tag: Default::default(),
            fired: Default::default(),
            fired_any: Default::default(),
            more: Default::default(),
            value_lane: Default::default(),
            value: Default::default(),
            _model: Box::new(model),
        }
    }

    /// The lane states of chunk `c` (for tests and debugging).
    pub fn chunk_state(&self, c: usize) -> &[LaneState] {
        &self._model.state[c]
    }
}

impl Logic for Datapath {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            let m = &mut self._model;
            let (word, mask) = m.stage1();
            // The read registers' words pass to the output registers; the
            // memories are read before this edge's write.
            let chunk = self.chunk.val().index();
            let row = self.weight_addr.val().index();
            let read = Issued {
                op: Op::from_code(self.op.val().to_u64()),
                chunk,
                final_step: self.final_step.val(),
                slot: self.slot.val().index() as u32,
                tag: self.tag.val().to_u64() as u16,
                state: m
                    .state
                    .get(chunk)
                    .cloned()
                    .unwrap_or_else(|| m.read.state.clone()),
                weight: m
                    .weights
                    .get(row)
                    .cloned()
                    .unwrap_or_else(|| m.read.weight.clone()),
                delay: m
                    .delays
                    .get(row)
                    .cloned()
                    .unwrap_or_else(|| m.read.delay.clone()),
            };
            // The result of the operation leaving stage 2 is registered,
            // and its word written.
            let leaving = m.s2.take();
            m.result_valid = false;
            m.fired = 0;
            m.more = false;
            m.forward[1] = m.forward[0].take();
            if let Some(done) = leaving {
                let op = done.issued.op;
                m.result_valid = matches!(op, Op::Sweep | Op::Repeat);
                m.fired = if m.result_valid { done.mask } else { 0 };
                m.more = m.result_valid && done.word.iter().any(|lane| lane.rem > 0);
                m.result_tag = done.issued.tag;
                if op == Op::Sweep && m.core.readout {
                    m.values = done.word.iter().map(|s| s.v).collect();
                }
                if op != Op::Idle {
                    m.state[done.issued.chunk] = done.word.clone();
                    m.forward[0] = Some((done.issued.chunk, done.word));
                }
            }
            let s1 = std::mem::replace(&mut m.s1, std::mem::replace(&mut m.read, read));
            m.s2 = Some(Computed {
                issued: s1,
                word,
                mask,
            });
        }
        self.fired_valid.next = self._model.result_valid;
        self.fired_tag.next = u64::from(self._model.result_tag).into();
        self.fired.next = self._model.fired.into();
        self.fired_any.next = fired_groups(self._model.fired).into();
        self.more.next = self._model.more;
        let lane = self.value_lane.val().index();
        let value = self._model.values.get(lane).copied().unwrap_or(0);
        self.value.next = (value as u64 & 0xffff_ffff).into();
    }

    fn connect(&mut self) {
        self.fired_valid.connect();
        self.fired_tag.connect();
        self.fired.connect();
        self.fired_any.connect();
        self.more.connect();
        self.value.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Wrapper(Wrapper {
            code: verilog_body(&self._model.core),
            cores: format!(
                "{}{}",
                forward_select_verilog(&self._model.core),
                pe::verilog(&self._model.core)
            ),
        })
    }
}

/// The groups of four lanes of `fired` that hold a spike, bit `g` for
/// lanes `4g..4g + 4` ([`Datapath::fired_any`]).
fn fired_groups(fired: u64) -> u64 {
    (0..16).fold(0, |groups, g| {
        groups | (u64::from((fired >> (4 * g)) & 0xf != 0) << g)
    })
}

/// [`fired_groups`] of `fired_now` in Verilog, group 15 first.
fn fired_groups_verilog() -> String {
    let groups: Vec<String> = (0..16)
        .rev()
        .map(|g| format!("|fired_now[{}:{}]", 4 * g + 3, 4 * g))
        .collect();
    format!("{{{}}}", groups.join(", "))
}

/// Name of the module that registers one lane's forwarding selects.
fn forward_select_name(core: &CorePlan) -> String {
    format!("{}_forward_select", core.module_stem())
}

/// The module that registers one lane's forwarding selects. Every lane
/// has one, with the same inputs, and `keep_hierarchy` stops synthesis
/// from merging the copies into one flip-flop, whose fan-out to every bit
/// of every lane's mux was the longest net of a wide design (3.2 to 4.2 ns
/// of routing at P = 16 on ECP5). Simulators ignore the attribute.
fn forward_select_verilog(core: &CorePlan) -> String {
    format!(
        "
// One lane's forwarding selects, registered (kept apart from the other
// lanes' copies in synthesis).
(* keep_hierarchy *)
module {} (
  input wire clock,
  input wire [2:0] hit_next,
  output reg [2:0] hit
);
  always @(posedge clock) hit <= hit_next;
endmodule
",
        forward_select_name(core)
    )
}

/// Cycles from the issue of a sweep or a repeat to its result on `fired`,
/// `more` and `fired_tag`: the block RAMs' read and output registers, the
/// PEs' stage register, then the PEs' result registered before the core's
/// control sees it.
pub const RESULT_LATENCY: u64 = 4;

/// File name of the weight memory's `$readmemh` image for `core`.
pub fn weight_file(core: &CorePlan) -> String {
    format!("{}_weights.hex", core.module_stem())
}

/// The weight memory's words, one bit vector a row (least significant
/// first): lane 0 in the low bits, each weight in two's complement with, in
/// a layer with delays, the synapse's delay above it.
pub fn weight_words(core: &CorePlan) -> Vec<Vec<bool>> {
    let ww = core.weight_width as usize;
    let lane = core.weight_lane_bits() as usize;
    (0..core.weight_rows())
        .map(|row| {
            let mut bits = vec![false; core.weight_word_bits()];
            let delays = core.delay_row(row);
            for (k, w) in core.weight_row(row).into_iter().enumerate() {
                for b in 0..ww {
                    bits[k * lane + b] = (w >> b) & 1 == 1;
                }
                for b in 0..core.delay_bits() as usize {
                    bits[k * lane + ww + b] = (delays[k] >> b) & 1 == 1;
                }
            }
            bits
        })
        .collect()
}

/// The weight memory's `$readmemh` image: [`weight_words`], one
/// hexadecimal word a line.
pub fn weight_image(core: &CorePlan) -> String {
    let digits = core.weight_word_bits().div_ceil(4);
    let mut out = String::new();
    for mut bits in weight_words(core) {
        bits.resize(digits * 4, false);
        for d in (0..digits).rev() {
            let nibble = (0..4).fold(0u32, |acc, b| acc | (u32::from(bits[d * 4 + b]) << b));
            out.push(char::from_digit(nibble, 16).expect("nibble < 16"));
        }
        out.push('\n');
    }
    out
}

fn verilog_body(core: &CorePlan) -> String {
    let p = core.lanes;
    let wb = core.weight_word_bits();
    let sb = core.state_word_bits();
    let lb = core.lane.bits();
    let ww = core.weight_width;
    let lw = core.weight_lane_bits();
    let db = core.delay_bits();
    let rows = core.weight_rows();
    let wa = address_bits(rows);
    let ca = address_bits(core.chunks);
    let unused = |name: &str, used: u32| -> String {
        if used < 32 {
            format!("{name}[31:{used}], ")
        } else {
            String::new()
        }
    };
    let fired = if p < 64 {
        format!("{{{}'d0, fire}}", 64 - p)
    } else {
        "fire".to_string()
    };
    let readout = readout_verilog(core);
    let words = weight_words(core);
    let weight_memory = core.block_ram.rom(&Rom {
        name: "weights",
        width: wb,
        words: &words,
        file: &weight_file(core),
        addr: "weight_addr",
        out: "weight_q",
    });
    let idle_op = Op::Idle.verilog();
    let state_memory = core.block_ram.ram(&Ram {
        name: "state",
        width: sb,
        depth: core.chunks,
        read_addr: "chunk",
        out: "state_q",
        write_enable: &format!("s2_op != {idle_op}"),
        write_addr: "s2_chunk",
        write_data: "next_word",
    });
    format!(
        r#"
// Weight memory: {rows} rows of {p} x {lw}-bit lanes (weight, delay; block
// RAM). A word is read into the RAM's read register, then into an output
// register (weight_q), so the RAM's slow clock-to-out feeds no logic.
// The memories are built for the target's family (memory.rs).
{weight_memory}
// Neuron memory: {chunks} words of {p} lanes x {lb} bits, read the same way.
{state_memory}reg [{opt}:0] s0_op;
reg [{cat}:0] s0_chunk;
reg s0_final;
reg [15:0] s0_tag;
reg [{opt}:0] s1_op;
reg [{cat}:0] s1_chunk;
reg s1_final;
reg [15:0] s1_tag;
reg [{opt}:0] s2_op;
reg [{cat}:0] s2_chunk;
reg s2_final;
reg [15:0] s2_tag;{slot_reg}
// Stage 1's read missed three words of its chunk that may be newer: the
// one in stage 2 (complete in the PEs' stage register, `mid_word`, for
// every operation but a sweep and a repeat, which the control never
// issues directly before an operation on the same chunk) and the words
// written at the last two edges. Whether stage 1's chunk is theirs is
// known a cycle ahead (stage 0's chunk against stage 1's, stage 2's and
// the word written at the last edge), so the selects are registers and no
// chunk comparison heads the PEs' path. Each lane registers its own copy
// of the selects (in a module synthesis keeps apart), so that no one
// flip-flop drives every lane's mux.
reg forward1_valid;
reg [{cat}:0] forward1_chunk;
reg [{sbt}:0] forward1_word;
reg [{sbt}:0] forward2_word;
wire [2:0] forward_hit_next = {{
  forward1_valid && forward1_chunk == s0_chunk,
  (s2_op != {idle}) && s2_chunk == s0_chunk,
  (s1_op != {idle}) && s1_chunk == s0_chunk
}};
wire [{sbt}:0] mid_word;
wire [{sbt}:0] next_word;
wire [{pt}:0] fire;
wire [63:0] fired_now;
wire more_now;{more_wires}

genvar k;
generate
  for (k = 0; k < {p}; k = k + 1) begin : lane
    wire [2:0] hit;
    {select} select (
      .clock(clock),
      .hit_next(forward_hit_next),
      .hit(hit)
    );
    wire [{lbt}:0] current = hit[0] ? mid_word[k*{lb} +: {lb}]
                          : hit[1] ? forward1_word[k*{lb} +: {lb}]
                          : hit[2] ? forward2_word[k*{lb} +: {lb}]
                          : state_q[k*{lb} +: {lb}];
    {pe} pe (
      .clock(clock),
      .op(s1_op),
      .weight(weight_q[k*{lw} +: {ww}]),{delay_ports}
      .state_in(current),
      .mid(mid_word[k*{lb} +: {lb}]),
      .state_out(next_word[k*{lb} +: {lb}]),
      .fire(fire[k]){more_port}
    );
  end
endgenerate

always @(posedge clock) begin
  s0_op <= op;
  s0_chunk <= chunk[{cat}:0];
  s0_final <= final_step;
  s0_tag <= tag;
  s1_op <= s0_op;
  s1_chunk <= s0_chunk;
  s1_final <= s0_final;
  s1_tag <= s0_tag;
  s2_op <= s1_op;
  s2_chunk <= s1_chunk;
  s2_final <= s1_final;
  s2_tag <= s1_tag;{slot_next}
  forward1_valid <= s2_op != {idle};
  forward1_chunk <= s2_chunk;
  forward1_word <= next_word;
  forward2_word <= forward1_word;
end

// The result of a sweep or a repeat, registered before the control sees it.
wire result = (s2_op == {sweep_op}) || (s2_op == {repeat_op});
reg fired_valid_q;
reg [15:0] fired_tag_q;
reg [63:0] fired_q;
reg [15:0] fired_any_q;
reg more_q;
always @(posedge clock) begin
  fired_valid_q <= result;
  fired_tag_q <= s2_tag;
  fired_q <= result ? fired_now : 64'd0;
  fired_any_q <= result ? {fired_groups} : 16'd0;
  more_q <= result && more_now;
end
assign fired_valid = fired_valid_q;
assign fired_tag = fired_tag_q;
assign fired = fired_q;
assign fired_any = fired_any_q;
assign more = more_q;

{readout}wire unused_datapath = &{{1'b0, {uw}{uc}{us}1'b0}};
"#,
        opt = OP_BITS - 1,
        idle = Op::Idle.verilog(),
        sweep_op = Op::Sweep.verilog(),
        fired_groups = fired_groups_verilog(),
        repeat_op = Op::Repeat.verilog(),
        chunks = core.chunks,
        sbt = sb - 1,
        cat = ca - 1,
        pt = p - 1,
        pe = pe::module_name(core),
        select = forward_select_name(core),
        lbt = lb - 1,
        uw = unused("weight_addr", wa),
        uc = unused("chunk", ca),
        us = if db == 0 {
            "slot, ".to_string()
        } else if db < 16 {
            format!("slot[15:{db}], ")
        } else {
            String::new()
        },
        readout = readout.replace("{fired}", &fired),
        more_port = if core.lane.rem > 0 {
            ",\n      .more(more_lanes[k])"
        } else {
            ""
        },
        more_wires = if core.lane.rem > 0 {
            format!(
                "\nwire [{}:0] more_lanes;\nassign more_now = |more_lanes;",
                p - 1
            )
        } else {
            "\nassign more_now = 1'b0;".to_string()
        },
        delay_ports = if db > 0 {
            format!("\n      .delay(weight_q[k*{lw} + {ww} +: {db}]),\n      .slot(s1_slot),")
        } else {
            String::new()
        },
        slot_reg = if db > 0 {
            format!("\nreg [{0}:0] s0_slot;\nreg [{0}:0] s1_slot;", db - 1)
        } else {
            String::new()
        },
        slot_next = if db > 0 {
            format!("\n  s0_slot <= slot[{}:0];\n  s1_slot <= s0_slot;", db - 1)
        } else {
            String::new()
        },
    )
}

/// The fired mask and the value port: a spiking core passes its PEs'
/// spikes and shows no value; a readout core's PEs never spike, and in the
/// last step every lane holding a neuron goes to the emitter with its
/// membrane, latched when the chunk is swept.
fn readout_verilog(core: &CorePlan) -> String {
    if !core.readout {
        return "assign fired_now = {fired};
assign value = 32'd0;
                wire unused_readout = &{1'b0, s2_final, value_lane, 1'b0};
"
        .into();
    }
    // `v` sits above every accumulator slot of the lane.
    let (p, lb, vw, a) = (
        core.lanes,
        core.lane.bits(),
        core.lane.membrane,
        core.lane.slots * core.lane.acc,
    );
    let ca = address_bits(core.chunks);
    let lane_bits = address_bits(p);
    // Lanes that hold a neuron in each chunk: all but the last chunk's tail.
    let tail = core.neurons - (core.chunks - 1) * p;
    let full = format!("{p}'b{}", "1".repeat(p));
    let last = format!("{p}'b{}{}", "0".repeat(p - tail), "1".repeat(tail));
    let sext = if vw < 32 {
        format!(
            "{{{{{}{{value_q[value_lane[{lt}:0]][{}]}}}}, value_q[value_lane[{lt}:0]]}}",
            32 - vw,
            vw - 1,
            lt = lane_bits - 1
        )
    } else {
        format!("value_q[value_lane[{}:0]]", lane_bits - 1)
    };
    let unused_lane = if lane_bits < 16 {
        format!("value_lane[15:{lane_bits}], ")
    } else {
        String::new()
    };
    format!(
        r#"// Readout: no spikes; in the last step every lane holding a neuron goes
// to the emitter, and the swept chunk's membranes are latched for it.
wire [{pt}:0] held = (s2_chunk == {cat1}'d{lastc}) ? {last} : {full};
wire unused_fire = &{{1'b0, fire, 1'b0}};
assign fired_now = (s2_op == {sweep} && s2_final) ? {{{pad}held}} : 64'd0;
reg [{vt}:0] value_q [0:{pt}];
integer m;
always @(posedge clock)
  if (s2_op == {sweep})
    for (m = 0; m < {p}; m = m + 1)
      value_q[m] <= next_word[m*{lb} + {a} +: {vw}];
assign value = {sext};
wire unused_readout = &{{1'b0, {unused_lane}1'b0}};
"#,
        sweep = Op::Sweep.verilog(),
        pt = p - 1,
        cat1 = ca,
        lastc = core.chunks - 1,
        pad = if p < 64 {
            format!("{}'d0, ", 64 - p)
        } else {
            String::new()
        },
        vt = vw - 1,
    )
}
