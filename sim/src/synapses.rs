//! A layer's synapses in the form the event-driven loop wants: weights as
//! flat fan-out rows in the narrowest integer type that holds them, delays
//! beside them, and accumulator banks just wide enough for any input.

use spikegate_model::{Layer, SumPool};

use crate::lane::Lane;
use crate::maps::ConvTaps;
use crate::simd::Simd;

/// Weights as fan-out rows, row `j` at `[j * size .. (j + 1) * size]`.
#[derive(Debug, Clone)]
enum Weights {
    W8(Vec<i8>),
    W16(Vec<i16>),
    W32(Vec<i32>),
}

impl Weights {
    /// `values` in the narrowest type that holds `width` bits (validation
    /// guarantees every value fits its declared width, at most 32).
    fn narrowest(values: &[i64], width: u32) -> Self {
        let flat = || values.iter().copied();
        match width {
            0..=8 => Weights::W8(flat().map(|w| w as i8).collect()),
            9..=16 => Weights::W16(flat().map(|w| w as i16).collect()),
            _ => Weights::W32(flat().map(|w| w as i32).collect()),
        }
    }
}

/// Accumulator banks: one row of `size` sums per delay slot.
#[derive(Debug, Clone)]
enum Banks {
    A32(Vec<i32>),
    A64(Vec<i64>),
}

/// Adds the fan-out row `row` into the accumulator row `acc`: one synaptic
/// operation per element. This is the reference model's hot loop.
#[inline(always)]
fn add_row<W: Copy + Into<A>, A: Copy + std::ops::AddAssign>(acc: &mut [A], row: &[W]) {
    for (a, &w) in acc.iter_mut().zip(row) {
        *a += w.into();
    }
}

/// Scatters the events `events` into a conv layer's accumulators through
/// its tap rows `w` (`c_out` weights each): every valid tap adds its row
/// to the `c_out` contiguous sums of its output position, since a conv
/// layer's accumulators are kept position-major (`n * c_out + o`; see
/// [`Synapses::take`]). Returns the synaptic operations done.
#[inline(always)]
fn scatter_taps<W: Copy + Into<A>, A: Copy + std::ops::AddAssign>(
    acc: &mut [A],
    w: &[W],
    conv: &ConvTaps,
    events: &[u32],
) -> u64 {
    let c_out = conv.out_channels;
    let mut taps = 0;
    for &j in events {
        conv.for_each_target(j as usize, |tap, at| {
            add_row(
                &mut acc[at * c_out..(at + 1) * c_out],
                &w[tap * c_out..(tap + 1) * c_out],
            );
            taps += 1;
        });
    }
    taps * c_out as u64
}

crate::simd_dispatch!(
    /// [`Synapses::scatter`], compiled for the CPU's widest vector tier.
    fn scatter_fast(synapses: &mut Synapses, events: &[u32]) -> u64 = Synapses::scatter
);

/// Moves a conv layer's position-major sums (`acc[n * C_out + o]`) into
/// the channel-major neuron order of the semantics (`xs[o * plane + n]`)
/// and clears them. Conv layers have no delays: one bank. Blocks of
/// positions small enough for the first-level cache are transposed one
/// at a time, so that every store is contiguous (stores a plane apart
/// would fall into the same few cache sets).
#[inline(always)]
fn untangle<A: Copy + Default + Into<i64>, S: Lane>(acc: &mut [A], plane: usize, xs: &mut [S]) {
    const BLOCK: usize = 64;
    let c_out = xs.len() / plane;
    for n0 in (0..plane).step_by(BLOCK) {
        let n1 = (n0 + BLOCK).min(plane);
        let sums = &acc[n0 * c_out..n1 * c_out];
        for o in 0..c_out {
            let out = &mut xs[o * plane + n0..o * plane + n1];
            for (x, sum) in out.iter_mut().zip(sums.chunks_exact(c_out)) {
                *x = S::from_i64(sum[o].into());
            }
        }
    }
    acc.fill(A::default());
}

/// Where the spikes emitted in one step land: bank `(base + d) mod banks`
/// for a synapse of delay `d`, if `d <= room` (arrival before `T`).
#[derive(Clone, Copy)]
struct Landing {
    size: usize,
    banks: usize,
    base: usize,
    room: usize,
}

/// Adds row `row` into the bank each synapse's delay selects (layers with
/// delays); returns the synaptic operations delivered.
#[inline(always)]
fn add_row_delayed<W: Copy + Into<A>, A: Copy + std::ops::AddAssign>(
    acc: &mut [A],
    row: &[W],
    delays: &[u16],
    at: Landing,
) -> u64 {
    let mut delivered = 0;
    for (i, (&w, &d)) in row.iter().zip(delays).enumerate() {
        let d = usize::from(d);
        // Arrivals at or past T are dropped.
        if d <= at.room {
            acc[((at.base + d) % at.banks) * at.size + i] += w.into();
            delivered += 1;
        }
    }
    delivered
}

/// The synapses into one layer and the accumulators they add into.
#[derive(Debug, Clone)]
pub struct Synapses {
    size: usize,
    weights: Weights,
    /// Per-synapse delays, same layout as the weights; empty without delays.
    delays: Vec<u16>,
    /// `D_max + 1` (1 without delays): arrivals at `t + d` land in bank
    /// `(t + d) mod banks`.
    banks: usize,
    acc: Banks,
    /// The sum pool the arriving spikes pass first, if any.
    pool: Option<SumPool>,
    /// A conv layer's geometry; its weights are then tap rows of
    /// `C_out` values (see [`ConvTaps::tap_rows`]).
    conv: Option<ConvTaps>,
    /// The layer's recurrent fan-out rows (`N x N`), if it has any.
    recurrent: Option<Weights>,
}

/// Runs `body` with `acc` bound to the accumulator banks `$banks` and
/// `w` to the weights `$weights`, whatever their integer types.
macro_rules! with_pair {
    ($banks:expr, $weights:expr, |$acc:ident, $w:ident| $body:expr) => {
        match (&mut $banks, $weights) {
            (Banks::A32($acc), Weights::W8($w)) => $body,
            (Banks::A32($acc), Weights::W16($w)) => $body,
            (Banks::A32($acc), Weights::W32($w)) => $body,
            (Banks::A64($acc), Weights::W8($w)) => $body,
            (Banks::A64($acc), Weights::W16($w)) => $body,
            (Banks::A64($acc), Weights::W32($w)) => $body,
        }
    };
}

/// Adds the fan-out row of every source in `sources` (rows of `size`
/// weights in `w`) into the accumulator row `acc`.
#[inline(always)]
fn add_rows<W: Copy + Into<A>, A: Copy + std::ops::AddAssign>(
    acc: &mut [A],
    w: &[W],
    sources: &[u32],
    size: usize,
) {
    for &j in sources {
        let j = j as usize;
        add_row(acc, &w[j * size..(j + 1) * size]);
    }
}

impl Synapses {
    /// Lays out `layer`'s synapses; `accumulator_width` is the width that
    /// holds the layer's largest possible input (from validation).
    pub fn new(layer: &Layer, accumulator_width: u32) -> Self {
        let size = layer.size;
        let values = match &layer.conv2d {
            Some(conv) => ConvTaps::tap_rows(conv),
            None => layer.weights.as_flat().to_vec(),
        };
        let weights = Weights::narrowest(&values, layer.widths.weight);
        let recurrent = layer
            .recurrent
            .as_ref()
            .map(|r| Weights::narrowest(r.weights.as_flat(), r.width));
        // Delays of at most 0 steps are none (validation keeps every value
        // within `max`): the undelayed rows are the fast path.
        let (delays, banks) = match &layer.delays {
            Some(d) if d.max > 0 => (
                d.values.iter().flatten().map(|&v| v as u16).collect(),
                d.max as usize + 1,
            ),
            _ => (Vec::new(), 1),
        };
        let acc = if accumulator_width <= 32 {
            Banks::A32(vec![0; banks * size])
        } else {
            Banks::A64(vec![0; banks * size])
        };
        Synapses {
            size,
            weights,
            delays,
            banks,
            acc,
            pool: layer.input_pool.clone(),
            conv: layer.conv2d.as_ref().map(ConvTaps::new),
            recurrent,
        }
    }

    /// Feeds the spikes the layer itself fired in step `t` (`fired`, a
    /// neuron once per spike) back through its recurrent rows: they
    /// arrive in step `t + 1`, in that step's bank, and are dropped in
    /// the last step. Returns the synaptic operations done.
    #[inline(always)]
    pub fn feed_back(&mut self, fired: &[u32], t: usize, steps: usize) -> u64 {
        let Some(recurrent) = &self.recurrent else {
            return 0;
        };
        if fired.is_empty() || t + 1 >= steps {
            return 0;
        }
        let (size, bank) = (self.size, self.bank(t + 1));
        with_pair!(self.acc, recurrent, |acc, w| add_rows(
            &mut acc[bank.clone()],
            w,
            fired,
            size
        ));
        (fired.len() * size) as u64
    }

    /// Delivers the spikes of presynaptic neurons `sources`, emitted in step
    /// `t`, to their arrival steps. Returns the synaptic operations done.
    #[inline(always)]
    pub fn deliver(&mut self, sources: &[u32], t: usize, steps: usize, simd: Simd) -> u64 {
        if self.pool.is_some() || self.conv.is_some() {
            return self.deliver_mapped(sources, t, steps, simd);
        }
        self.deliver_rows(sources, t, steps)
    }

    /// Spikes through a sum pool, a convolution or both: each spike is an
    /// event at its pooled position, which a dense layer adds the row of
    /// and a conv layer scatters through its kernel taps. Kept out of line
    /// so that the dense path stays small where it is inlined; the scatter
    /// runs in the vector tier `simd`.
    #[inline(never)]
    fn deliver_mapped(&mut self, sources: &[u32], t: usize, steps: usize, simd: Simd) -> u64 {
        // Without a pool the spikes are the events: no copy.
        let events: std::borrow::Cow<[u32]> = match &self.pool {
            Some(pool) => sources
                .iter()
                .map(|&j| pool.pooled(j as usize) as u32)
                .collect(),
            None => sources.into(),
        };
        if self.conv.is_none() {
            return self.deliver_rows(&events, t, steps);
        }
        scatter_fast(simd, self, &events)
    }

    /// A conv layer's scatter (see [`scatter_taps`]) for every weight and
    /// accumulator type.
    #[inline(always)]
    fn scatter(&mut self, events: &[u32]) -> u64 {
        let conv = self.conv.as_ref().expect("called for conv layers only");
        with_pair!(self.acc, &self.weights, |acc, w| scatter_taps(
            acc, w, conv, events
        ))
    }

    /// Spikes of presynaptic (or pooled) neurons `sources` through the
    /// dense fan-out rows. Inlined, like [`Synapses::deliver`], into the
    /// vector tier's compiled loop (`crate::simd`).
    #[inline(always)]
    fn deliver_rows(&mut self, sources: &[u32], t: usize, steps: usize) -> u64 {
        let size = self.size;
        if self.delays.is_empty() {
            let bank = self.bank(t);
            with_pair!(self.acc, &self.weights, |acc, w| add_rows(
                &mut acc[bank.clone()],
                w,
                sources,
                size
            ));
            return (sources.len() * size) as u64;
        }
        let at = Landing {
            size,
            banks: self.banks,
            base: t % self.banks,
            room: steps - 1 - t,
        };
        let delays = &self.delays;
        let mut ops = 0;
        with_pair!(self.acc, &self.weights, |acc, w| {
            for &j in sources {
                let row = j as usize * size..(j as usize + 1) * size;
                ops += add_row_delayed(acc, &w[row.clone()], &delays[row], at);
            }
        });
        ops
    }

    /// Takes the sums arriving in step `t`, adds `bias`, writes them to `xs`
    /// and clears their bank for reuse by step `t + banks`. `S` must hold
    /// the layer's accumulator width (see [`crate::lane::fits_in_i32`]).
    #[inline(always)]
    pub fn take<S: Lane>(&mut self, t: usize, bias: &[S], xs: &mut [S]) {
        let bank = self.bank(t);
        macro_rules! drain {
            ($acc:expr) => {{
                let row = &mut $acc[bank];
                if bias.is_empty() {
                    for (x, a) in xs.iter_mut().zip(row.iter_mut()) {
                        *x = S::from_i64(i64::from(*a));
                        *a = 0;
                    }
                } else {
                    for ((x, a), &b) in xs.iter_mut().zip(row.iter_mut()).zip(bias) {
                        *x = S::from_i64(i64::from(*a)) + b;
                        *a = 0;
                    }
                }
            }};
        }
        if let Some(conv) = &self.conv {
            let plane = conv.plane();
            match &mut self.acc {
                Banks::A32(acc) => untangle(acc, plane, xs),
                Banks::A64(acc) => untangle(acc, plane, xs),
            }
            for (x, &b) in xs.iter_mut().zip(bias) {
                *x = *x + b;
            }
            return;
        }
        match &mut self.acc {
            Banks::A32(acc) => drain!(acc),
            Banks::A64(acc) => drain!(acc),
        }
    }

    /// The accumulators of the bank that step `t`'s arrivals land in.
    #[inline(always)]
    fn bank(&self, t: usize) -> std::ops::Range<usize> {
        let slot = t % self.banks;
        slot * self.size..(slot + 1) * self.size
    }

    /// Clears every bank (start of a sample).
    pub fn clear(&mut self) {
        match &mut self.acc {
            Banks::A32(acc) => acc.fill(0),
            Banks::A64(acc) => acc.fill(0),
        }
    }
}
