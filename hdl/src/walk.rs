//! The spike walk: the accumulate operations one arriving spike becomes,
//! and the [`Walker`] block that issues them, one a cycle.
//!
//! Every walk has the same shape: `rows x cols` kernel taps, and for each
//! tap `Q` operations, one per channel chunk. Operation `(iy, ix, q)` reads
//! weight row `row0 - iy * TR - ix * CR + q * RS` and neuron-memory word
//! `word0 + iy * RW + ix * CW + q`:
//!
//! * **Dense** (`rows = cols = 1`, `Q = C`, `RS = M`): the spike of `j`
//!   accumulates row `c * M + j` into chunk `c`, `C` operations.
//! * **Conv** (`RS = 1`): the spike of input `(c, iy, ix)` reaches output
//!   rows `oy0 ..` through kernel rows `dy0, dy0 - sy, ..` and likewise
//!   columns, so its valid taps form a `rows x cols` grid; the first is
//!   tap `(c, dy0, dx0)` at output position `(oy0, ox0)`. A step right
//!   in the grid is `sx` kernel columns back (`CR = sx Q` rows) and one
//!   output position on (`CW = Q` words); a step down is `sy` kernel rows
//!   back (`TR = sy kw Q`) and one output row on (`RW = W_out Q`). The
//!   cost is the valid taps times `Q`, never the dense convolution.
//! * **Pool** in front (`input_pool`): the spike is first moved to its
//!   pooled position, so the pool costs no cycle.
//! * **Recurrence** (a dense layer's own spikes, replayed from its spike
//!   list as sources `arrivals + j`): row `c * (M + N) + M + j` into chunk
//!   `c`, the layer's `N` recurrent inputs after its `M` feed-forward ones
//!   ([`CorePlan::row_inputs`]), `C` operations like any dense spike.
//!
//! A layer with maps keeps each arriving neuron's first operation and grid
//! in a decode table (one word per presynaptic neuron, read like block RAM);
//! that replaces the divisions by the map's sides with one lookup.
//!
//! The block's outputs are `reg`s in rust-hdl's module header, so its
//! Verilog drives them from `always @(*)` (iverilog refuses `assign` to a
//! `reg`).
//!
//! Timing: the beat taken in cycle `t` is looked up at the clock edge, and
//! its first operation issues in cycle `t + 1` straight from the table's
//! output, so a walker keeps the core busy back to back: `ready` is high in
//! the cycle of a walk's last operation (or when none is pending), and a
//! spike costs `max(1, operations)` cycles.

use rust_hdl::prelude::*;
use spikegate_model::SumPool;

use crate::datapath::address_bits;
use crate::plan::CorePlan;

/// Where one arriving spike's walk starts, and its grid of taps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Entry {
    /// Weight row of the first operation.
    pub row: usize,
    /// Neuron-memory word of the first operation.
    pub word: usize,
    /// Kernel rows with an output inside the map (0: the spike reaches
    /// nothing).
    pub rows: usize,
    /// Kernel columns with an output inside the map.
    pub cols: usize,
}

/// A core's walk geometry: the step sizes above and each spike's entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Walk {
    /// Channel chunks `Q` (operations a tap).
    pub chunks: usize,
    /// Weight rows from one channel chunk to the next (`RS`).
    pub chunk_rows: usize,
    /// Weight rows back for a step right in the tap grid (`CR`).
    pub col_rows: usize,
    /// Weight rows back for a step down (`TR`).
    pub row_rows: usize,
    /// Words on for a step right (`CW`).
    pub col_words: usize,
    /// Words on for a step down (`RW`).
    pub row_words: usize,
    geometry: Geometry,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Geometry {
    Dense {
        pool: Option<SumPool>,
        /// Sources from the input stream; those past them are the layer's
        /// own neurons, replayed.
        arrivals: usize,
        /// Synaptic inputs `M` (weight rows of the feed-forward inputs).
        fan_in: usize,
    },
    Conv {
        pool: Option<SumPool>,
        /// Input channels, rows, columns (after the pool).
        input: [usize; 3],
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
        out: [usize; 2],
    },
}

impl Entry {
    /// The operations (cycles of accumulation) of this walk.
    pub fn length(&self, core: &CorePlan) -> usize {
        self.rows * self.cols * core.channel_chunks
    }
}

impl Walk {
    /// The walk geometry of `core`.
    pub fn of(core: &CorePlan) -> Walk {
        let q = core.channel_chunks;
        match &core.conv {
            None => Walk {
                chunks: q,
                chunk_rows: core.row_inputs(),
                col_rows: 0,
                row_rows: 0,
                col_words: 0,
                row_words: 0,
                geometry: Geometry::Dense {
                    pool: core.pool.clone(),
                    arrivals: core.arrivals,
                    fan_in: core.fan_in,
                },
            },
            Some(conv) => {
                let [_, out_h, out_w] = conv.output().expect("validated: the kernel fits");
                let [sy, sx] = conv.strides();
                Walk {
                    chunks: q,
                    chunk_rows: 1,
                    col_rows: sx * q,
                    row_rows: sy * conv.kernel[1] * q,
                    col_words: q,
                    row_words: out_w * q,
                    geometry: Geometry::Conv {
                        pool: core.pool.clone(),
                        input: conv.input,
                        kernel: conv.kernel,
                        stride: [sy, sx],
                        padding: conv.pads(),
                        out: [out_h, out_w],
                    },
                }
            }
        }
    }

    /// Whether the walk needs a decode table (the layer has maps).
    pub fn has_table(&self) -> bool {
        !matches!(self.geometry, Geometry::Dense { pool: None, .. })
    }

    /// The widest tap grid side (the table's count fields hold it).
    pub fn max_side(&self) -> usize {
        match &self.geometry {
            Geometry::Dense { .. } => 1,
            Geometry::Conv { kernel, .. } => kernel[0].max(kernel[1]),
        }
    }

    /// The entry of a spike from source `j`: presynaptic neuron `j`, or
    /// past the arrivals the layer's own neuron `j - arrivals`, replayed.
    pub fn entry(&self, j: usize) -> Entry {
        let pooled = |pool: &Option<SumPool>| pool.as_ref().map_or(j, |p| p.pooled(j));
        match &self.geometry {
            Geometry::Dense {
                pool,
                arrivals,
                fan_in,
            } => Entry {
                row: match j.checked_sub(*arrivals) {
                    Some(own) => fan_in + own,
                    None => pooled(pool),
                },
                word: 0,
                rows: 1,
                cols: 1,
            },
            Geometry::Conv {
                pool,
                input: [_, h, w],
                kernel: [kh, kw],
                stride: [sy, sx],
                padding: [py, px],
                out: [out_h, out_w],
            } => {
                let j = pooled(pool);
                let (c, iy, ix) = (j / (h * w), j / w % h, j % w);
                let (oy0, dy0, rows) = side(iy, *kh, *sy, *py, *out_h);
                let (ox0, dx0, cols) = side(ix, *kw, *sx, *px, *out_w);
                if rows == 0 || cols == 0 {
                    return Entry::default();
                }
                Entry {
                    row: ((c * kh + dy0) * kw + dx0) * self.chunks,
                    word: (oy0 * out_w + ox0) * self.chunks,
                    rows,
                    cols,
                }
            }
        }
    }

    /// Every `(weight row, word)` the walk of a spike from `j` issues, in
    /// order (what the [`Walker`] does, written as loops).
    pub fn operations(&self, j: usize) -> Vec<(usize, usize)> {
        let e = self.entry(j);
        let mut ops = Vec::with_capacity(e.rows * e.cols * self.chunks);
        for iy in 0..e.rows {
            for ix in 0..e.cols {
                for q in 0..self.chunks {
                    let row = e.row - iy * self.row_rows - ix * self.col_rows + q * self.chunk_rows;
                    let word = e.word + iy * self.row_words + ix * self.col_words + q;
                    ops.push((row, word));
                }
            }
        }
        ops
    }
}

/// Along one side of the map: the first output index `o0` input `i`
/// reaches, its kernel offset `d0 = i + p - o0 s`, and how many outputs
/// (offsets `d0, d0 - s, ..`) lie inside `0..n` (`o s - p + d = i`).
fn side(i: usize, k: usize, s: usize, p: usize, n: usize) -> (usize, usize, usize) {
    let at = i + p;
    // The smallest o with o s >= at - (k - 1), and the largest with o s <= at.
    let first = (at + 1).saturating_sub(k).div_ceil(s);
    let last = (at / s).min(n.saturating_sub(1));
    if n == 0 || first > last {
        return (0, 0, 0);
    }
    (first, at - first * s, last - first + 1)
}

/// File name of a core's decode table image.
pub fn table_file(core: &CorePlan) -> String {
    format!("{}_walk.hex", core.module_stem())
}

/// Bit layout of a decode-table word: the first row, the first word, then
/// the two grid sides, from the least significant bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TableLayout {
    row: u32,
    word: u32,
    side: u32,
}

impl TableLayout {
    fn of(core: &CorePlan, walk: &Walk) -> Self {
        TableLayout {
            row: address_bits(core.weight_rows()),
            word: address_bits(core.chunks),
            side: usize::BITS - walk.max_side().leading_zeros(),
        }
    }

    fn bits(&self) -> u32 {
        self.row + self.word + 2 * self.side
    }
}

/// The decode table's image (`$readmemh`: one hexadecimal word a line,
/// the entry of source `j` on line `j`), or `None` for a dense
/// layer without a pool, whose spikes need no table.
pub fn table_image(core: &CorePlan) -> Option<String> {
    let walk = Walk::of(core);
    if !walk.has_table() {
        return None;
    }
    let layout = TableLayout::of(core, &walk);
    let digits = layout.bits().div_ceil(4) as usize;
    let mut out = String::new();
    for j in 0..core.sources() {
        let e = walk.entry(j);
        let value = (e.row as u128)
            | (e.word as u128) << layout.row
            | (e.rows as u128) << (layout.row + layout.word)
            | (e.cols as u128) << (layout.row + layout.word + layout.side);
        out.push_str(&format!("{value:0digits$x}\n"));
    }
    Some(out)
}

/// A core's decode table as words and bits a word (`None` without one).
pub fn table_shape(core: &CorePlan) -> Option<(usize, usize)> {
    let walk = Walk::of(core);
    walk.has_table()
        .then(|| (core.sources(), TableLayout::of(core, &walk).bits() as usize))
}

/// The walk's registers (the Rust model of the Verilog's), each kept to
/// its Verilog width: rows to the weight memory's address bits, words to
/// the neuron memory's.
#[derive(Debug, Clone, Copy, Default)]
struct Registers {
    /// The table's output holds a walk taken in the previous cycle.
    fresh: bool,
    /// The entry of the beat taken last (held until the next is taken).
    entry: Entry,
    active: bool,
    iy: usize,
    ix: usize,
    q: usize,
    row: usize,
    word: usize,
    row_x: usize,
    word_x: usize,
    row_y: usize,
    word_y: usize,
}

/// The issuing side of a walk: the registers in use this cycle (the
/// entry's start when the walk is fresh).
#[derive(Debug, Clone, Copy)]
struct Current {
    pending: bool,
    last: bool,
    last_q: bool,
    last_x: bool,
    r: Registers,
}

/// Issues one spike's walk, one operation a cycle ([`crate::walk`]).
#[derive(LogicBlock)]
pub struct Walker {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Abandon any walk (reset or start).
    pub clear: Signal<In, Bit>,
    /// A spike beat is taken this cycle.
    pub load: Signal<In, Bit>,
    /// Its presynaptic neuron.
    pub neuron: Signal<In, Bits<16>>,
    /// An accumulate operation this cycle.
    pub issue: Signal<Out, Bit>,
    /// The walker takes a beat this cycle (no walk pending, or its last
    /// operation).
    pub ready: Signal<Out, Bit>,
    /// The operation's weight row.
    pub weight_addr: Signal<Out, Bits<32>>,
    /// The operation's neuron-memory word.
    pub word: Signal<Out, Bits<32>>,
    _model: Box<WalkModel>,
}

struct WalkModel {
    walk: Walk,
    /// The decode table (empty: the entry is the neuron itself).
    table: Vec<Entry>,
    layout: Option<TableLayout>,
    /// The table's image file.
    file: String,
    /// Entries of the table: the core's sources.
    sources: usize,
    /// Bits of a weight row and of a word.
    row_bits: u32,
    word_bits: u32,
    regs: Registers,
}

impl WalkModel {
    fn current(&self) -> Current {
        let mut r = self.regs;
        let e = r.entry;
        let pending = if r.fresh && self.layout.is_none() {
            true
        } else if r.fresh {
            (r.iy, r.ix, r.q) = (0, 0, 0);
            (r.row, r.row_x, r.row_y) = (e.row, e.row, e.row);
            (r.word, r.word_x, r.word_y) = (e.word, e.word, e.word);
            e.rows != 0 && e.cols != 0
        } else {
            r.active
        };
        let last_q = r.q + 1 == self.walk.chunks;
        // A dense walk has one tap; a map walk a grid of them.
        let dense = self.layout.is_none();
        let last_x = dense || r.ix + 1 == e.cols;
        let last = last_q && (dense || (last_x && r.iy + 1 == e.rows));
        Current {
            pending,
            last,
            last_q,
            last_x,
            r,
        }
    }

    /// The registers after this cycle: moved on to the next operation if
    /// one was issued, else held (so that the model and the Verilog never
    /// drift apart while idle).
    fn advance(&self, c: Current) -> Registers {
        let w = &self.walk;
        let mut r = if c.pending { c.r } else { self.regs };
        r.active = c.pending && !c.last;
        if !c.pending {
            return r;
        }
        let rows = |v: usize, d: usize, up: bool| {
            let v = if up {
                v.wrapping_add(d)
            } else {
                v.wrapping_sub(d)
            };
            v & mask(self.row_bits)
        };
        let words = |v: usize, d: usize| v.wrapping_add(d) & mask(self.word_bits);
        if !c.last_q {
            r.q += 1;
            r.row = rows(r.row, w.chunk_rows, true);
            r.word = words(r.word, 1);
        } else if self.layout.is_none() {
            // A dense walk without a table runs its row on (the next beat
            // loads it); its words are its chunks.
            r.q = 0;
            r.row = rows(r.row, w.chunk_rows, true);
            r.word = 0;
        } else if !c.last_x {
            r.q = 0;
            r.ix += 1;
            r.row_x = rows(r.row_x, w.col_rows, false);
            r.word_x = words(r.word_x, w.col_words);
            (r.row, r.word) = (r.row_x, r.word_x);
        } else {
            (r.q, r.ix) = (0, 0);
            r.iy += 1;
            r.row_y = rows(r.row_y, w.row_rows, false);
            r.word_y = words(r.word_y, w.row_words);
            (r.row, r.row_x) = (r.row_y, r.row_y);
            (r.word, r.word_x) = (r.word_y, r.word_y);
        }
        r
    }
}

/// The low `bits` bits.
fn mask(bits: u32) -> usize {
    (1usize << bits) - 1
}

impl Walker {
    /// The walker of `core`.
    pub fn new(core: &CorePlan) -> Self {
        let walk = Walk::of(core);
        let (table, layout) = if walk.has_table() {
            let table = (0..core.sources()).map(|j| walk.entry(j)).collect();
            (table, Some(TableLayout::of(core, &walk)))
        } else {
            (Vec::new(), None)
        };
        Walker {
            clock: Default::default(),
            clear: Default::default(),
            load: Default::default(),
            neuron: Default::default(),
            issue: Default::default(),
            ready: Default::default(),
            weight_addr: Default::default(),
            word: Default::default(),
            _model: Box::new(WalkModel {
                walk,
                table,
                layout,
                file: table_file(core),
                sources: core.sources(),
                row_bits: address_bits(core.weight_rows()),
                word_bits: address_bits(core.chunks),
                regs: Registers::default(),
            }),
        }
    }
}

impl Logic for Walker {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            let m = &mut self._model;
            let mut next = m.advance(m.current());
            if self.load.val() {
                let j = self.neuron.val().index();
                if m.layout.is_some() {
                    next.entry = m.table.get(j).copied().unwrap_or(m.regs.entry);
                } else {
                    // The dense walker loads its row and chunk directly.
                    (next.row, next.q, next.word) = (j & mask(m.row_bits), 0, 0);
                }
            }
            next.fresh = self.load.val() && !self.clear.val();
            if self.clear.val() {
                next.active = false;
            }
            m.regs = next;
        }
        let c = self._model.current();
        self.issue.next = c.pending;
        self.ready.next = !c.pending || c.last;
        self.weight_addr.next = (c.r.row as u64).into();
        self.word.next = (c.r.word as u64).into();
    }

    fn connect(&mut self) {
        self.issue.connect();
        self.ready.connect();
        self.weight_addr.connect();
        self.word.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(match self._model.layout {
            Some(layout) => map_walker_verilog(&self._model, layout),
            None => dense_walker_verilog(&self._model),
        })
    }
}

/// A dense layer without a pool: the walk is row `j`, `j + M`, ... into
/// words `0, 1, ...`, so the word is the chunk counter `q`, and the beat
/// taken loads the row and clears `q` directly.
fn dense_walker_verilog(m: &WalkModel) -> String {
    let (rb, wb) = (m.row_bits, m.word_bits);
    let qb = address_bits(m.walk.chunks);
    // A dense layer's words are its chunks, `Q = C`: the word is `q`.
    debug_assert_eq!(qb, wb, "a dense walk has one word per chunk");
    let (neuron, unused) = match rb {
        16 => ("neuron".to_owned(), String::new()),
        17.. => (format!("{{{}'d0, neuron}}", rb - 16), String::new()),
        _ => (
            format!("neuron[{}:0]", rb - 1),
            format!("wire unused_neuron = &{{1'b0, neuron[15:{rb}], 1'b0}};\n"),
        ),
    };
    format!(
        r#"
{unused}reg fresh;
reg active;
reg [{qt}:0] q;
reg [{rt}:0] row;
wire pending = fresh || active;
wire last = q == {qb}'d{lq};
always @(*) issue = pending;
always @(*) ready = !pending || last;
always @(*) weight_addr = {{{rpad}'d0, row}};
always @(*) word = {{{wpad}'d0, q}};

always @(posedge clock) begin
  fresh <= load && !clear;
  active <= pending && !last && !clear;
  if (load) begin
    q <= {qb}'d0;
    row <= {neuron};
  end else if (pending) begin
    q <= last ? {qb}'d0 : q + {qb}'d1;
    row <= row + {rb}'d{m_rows};
  end
end
"#,
        qt = qb - 1,
        rt = rb - 1,
        lq = m.walk.chunks - 1,
        rpad = 32 - rb,
        wpad = 32 - wb,
        m_rows = m.walk.chunk_rows,
    )
}

/// A layer with maps: the decode table, then the tap-grid walk, mirroring
/// [`WalkModel`].
fn map_walker_verilog(m: &WalkModel, layout: TableLayout) -> String {
    let w = &m.walk;
    let side = layout.side;
    let (rb, wb) = (m.row_bits, m.word_bits);
    let qb = address_bits(w.chunks);
    let (st, qt, rt, wt) = (side - 1, qb - 1, rb - 1, wb - 1);
    format!(
        r#"
{entry}
reg fresh;
reg active;
reg [{st}:0] iy, ix;
reg [{qt}:0] q;
reg [{rt}:0] row, row_x, row_y;
reg [{wt}:0] word_r, word_x, word_y;
wire [{st}:0] c_iy = fresh ? {side}'d0 : iy;
wire [{st}:0] c_ix = fresh ? {side}'d0 : ix;
wire [{qt}:0] c_q = fresh ? {qb}'d0 : q;
wire [{rt}:0] c_row = fresh ? e_row : row;
wire [{wt}:0] c_word = fresh ? e_word : word_r;
wire [{rt}:0] c_row_x = fresh ? e_row : row_x;
wire [{wt}:0] c_word_x = fresh ? e_word : word_x;
wire [{rt}:0] c_row_y = fresh ? e_row : row_y;
wire [{wt}:0] c_word_y = fresh ? e_word : word_y;
wire pending = fresh ? (e_rows != {side}'d0 && e_cols != {side}'d0) : active;
wire last_q = c_q == {qb}'d{lq};
wire last_x = c_ix + {side}'d1 == e_cols;
wire last = last_q && last_x && c_iy + {side}'d1 == e_rows;
always @(*) issue = pending;
always @(*) ready = !pending || last;
always @(*) weight_addr = {{{rpad}'d0, c_row}};
always @(*) word = {{{wpad}'d0, c_word}};
wire [{rt}:0] next_row_x = c_row_x - {rb}'d{col_rows};
wire [{wt}:0] next_word_x = c_word_x + {wb}'d{col_words};
wire [{rt}:0] next_row_y = c_row_y - {rb}'d{row_rows};
wire [{wt}:0] next_word_y = c_word_y + {wb}'d{row_words};

always @(posedge clock) begin
  fresh <= load && !clear;
  active <= pending && !last && !clear;
  if (pending) begin
    if (!last_q) begin
      q <= c_q + {qb}'d1;
      ix <= c_ix;
      iy <= c_iy;
      row <= c_row + {rb}'d{chunk_rows};
      word_r <= c_word + {wb}'d1;
      row_x <= c_row_x;
      word_x <= c_word_x;
      row_y <= c_row_y;
      word_y <= c_word_y;
    end else if (!last_x) begin
      q <= {qb}'d0;
      ix <= c_ix + {side}'d1;
      iy <= c_iy;
      row <= next_row_x;
      word_r <= next_word_x;
      row_x <= next_row_x;
      word_x <= next_word_x;
      row_y <= c_row_y;
      word_y <= c_word_y;
    end else begin
      q <= {qb}'d0;
      ix <= {side}'d0;
      iy <= c_iy + {side}'d1;
      row <= next_row_y;
      word_r <= next_word_y;
      row_x <= next_row_y;
      word_x <= next_word_y;
      row_y <= next_row_y;
      word_y <= next_word_y;
    end
  end
end
"#,
        entry = table_verilog(m, layout),
        lq = w.chunks - 1,
        rpad = 32 - rb,
        wpad = 32 - wb,
        chunk_rows = w.chunk_rows,
        col_rows = w.col_rows,
        col_words = w.col_words,
        row_rows = w.row_rows,
        row_words = w.row_words,
    )
}

/// The decode table: one word per presynaptic neuron, read synchronously.
fn table_verilog(m: &WalkModel, layout: TableLayout) -> String {
    let ab = address_bits(m.sources);
    let bits = layout.bits();
    let unused = if ab < 16 {
        format!("wire unused_neuron = &{{1'b0, neuron[15:{ab}], 1'b0}};\n")
    } else {
        String::new()
    };
    let (r, wd, s) = (layout.row, layout.word, layout.side);
    format!(
        r#"// Decode table: presynaptic neuron -> first weight row, first word, tap rows, tap columns.
reg [{bt}:0] table_mem [0:{at}];
initial $readmemh("{file}", table_mem);
reg [{bt}:0] entry_q;
always @(posedge clock) if (load) entry_q <= table_mem[neuron[{abt}:0]];
{unused}wire [{rt}:0] e_row = entry_q[{rt}:0];
wire [{wdt}:0] e_word = entry_q[{wt}:{r}];
wire [{st}:0] e_rows = entry_q[{yt}:{yb}];
wire [{st}:0] e_cols = entry_q[{xt}:{xb}];
"#,
        bt = bits - 1,
        at = m.sources - 1,
        file = m.file,
        abt = ab - 1,
        rt = r - 1,
        wdt = wd - 1,
        wt = r + wd - 1,
        st = s - 1,
        yb = r + wd,
        yt = r + wd + s - 1,
        xb = r + wd + s,
        xt = r + wd + 2 * s - 1,
    )
}

#[cfg(test)]
mod tests {
    use super::{side, Walk};
    use crate::plan::{plan, BuildOptions};
    use spikegate_sim::maps::ConvTaps;
    use spikegate_sim::random_maps::random_map_network;
    use spikegate_sim::rng::SplitMix64;

    /// Every walk of every conv layer of random map networks against the
    /// reference's own scatter (`ConvTaps`, written independently): the
    /// same (tap, position) pairs, each once, for every channel chunk.
    #[test]
    fn walks_reach_exactly_the_taps_the_reference_scatters_to() {
        let mut checked = 0;
        for seed in 0..300 {
            let mut rng = SplitMix64::new(0x3a1c_0000 + seed);
            let network = random_map_network(&mut rng, 3);
            let pe = 1 + rng.below(4);
            let options = BuildOptions {
                pe,
                ..BuildOptions::default()
            };
            let Ok(hw) = plan(&network, options) else {
                continue;
            };
            for core in hw.cores.iter() {
                for n in 0..core.neurons {
                    let (word, lane) = (core.word_of(n), core.lane_of(n));
                    assert_eq!(core.neuron_of(word, lane), n, "seed {seed}: neuron {n}");
                }
                let Some(conv) = &core.conv else { continue };
                let (walk, taps, q) = (Walk::of(core), ConvTaps::new(conv), core.channel_chunks);
                for j in 0..core.arrivals {
                    let mut got = walk.operations(j);
                    let pooled = core.pool.as_ref().map_or(j, |p| p.pooled(j));
                    let mut want = Vec::new();
                    taps.for_each_target(pooled, |tap, at| {
                        want.extend((0..q).map(|c| (tap * q + c, at * q + c)));
                    });
                    assert_eq!(
                        got.len(),
                        walk.entry(j).length(core),
                        "seed {seed}, layer {}, input {j}: the walk's length",
                        core.index
                    );
                    got.sort_unstable();
                    want.sort_unstable();
                    assert_eq!(got, want, "seed {seed}, layer {}, input {j}", core.index);
                    checked += 1;
                }
            }
        }
        assert!(checked > 1000, "only {checked} walks checked");
    }

    #[test]
    fn a_side_lists_the_outputs_an_input_reaches() {
        // Kernel 3, stride 1, no padding, 5 outputs: input 0 reaches only
        // output 0 (offset 0); input 4 reaches outputs 2, 3, 4 (offsets 2,
        // 1, 0).
        assert_eq!(side(0, 3, 1, 0, 5), (0, 0, 1));
        assert_eq!(side(4, 3, 1, 0, 5), (2, 2, 3));
        // Stride 2, kernel 1: odd inputs reach nothing.
        assert_eq!(side(3, 1, 2, 0, 4).2, 0);
        assert_eq!(side(4, 1, 2, 0, 4), (2, 0, 1));
        // Padding 1, kernel 3, stride 2, 3 outputs: input 0 is at padded
        // 1, reached by output 0 with offset 1.
        assert_eq!(side(0, 3, 2, 1, 3), (0, 1, 1));
    }
}
