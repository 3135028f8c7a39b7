//! A layer's synapses in the form the event-driven loop wants: weights as
//! flat fan-out rows in the narrowest integer type that holds them, delays
//! beside them, and accumulator banks just wide enough for any input.

use spikegate_model::{Layer, SumPool};

use crate::lane::Lane;
use crate::maps::ConvTaps;

/// Weights as fan-out rows, row `j` at `[j * size .. (j + 1) * size]`.
#[derive(Debug, Clone)]
enum Weights {
    W8(Vec<i8>),
    W16(Vec<i16>),
    W32(Vec<i32>),
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

/// Adds the tap row `row` (one weight per output channel) into the
/// neurons `at`, `at + plane`, `at + 2 plane`, ...: one output position
/// of every channel of a conv layer.
#[inline(always)]
fn add_strided<W: Copy + Into<A>, A: Copy + std::ops::AddAssign>(
    acc: &mut [A],
    row: &[W],
    at: usize,
    plane: usize,
) {
    for (o, &w) in row.iter().enumerate() {
        acc[o * plane + at] += w.into();
    }
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
}

macro_rules! with_pair {
    ($self:ident, |$acc:ident, $w:ident| $body:expr) => {
        match (&mut $self.acc, &$self.weights) {
            (Banks::A32($acc), Weights::W8($w)) => $body,
            (Banks::A32($acc), Weights::W16($w)) => $body,
            (Banks::A32($acc), Weights::W32($w)) => $body,
            (Banks::A64($acc), Weights::W8($w)) => $body,
            (Banks::A64($acc), Weights::W16($w)) => $body,
            (Banks::A64($acc), Weights::W32($w)) => $body,
        }
    };
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
        let flat = || values.iter().copied();
        // Validation guarantees every weight fits its declared width (<= 32).
        let weights = match layer.widths.weight {
            0..=8 => Weights::W8(flat().map(|w| w as i8).collect()),
            9..=16 => Weights::W16(flat().map(|w| w as i16).collect()),
            _ => Weights::W32(flat().map(|w| w as i32).collect()),
        };
        let (delays, banks) = match &layer.delays {
            Some(d) => (
                d.values.iter().flatten().map(|&v| v as u16).collect(),
                d.max as usize + 1,
            ),
            None => (Vec::new(), 1),
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
        }
    }

    /// Delivers the spikes of presynaptic neurons `sources`, emitted in step
    /// `t`, to their arrival steps. Returns the synaptic operations done.
    #[inline(always)]
    pub fn deliver(&mut self, sources: &[u32], t: usize, steps: usize) -> u64 {
        if self.pool.is_some() || self.conv.is_some() {
            return self.deliver_mapped(sources, t, steps);
        }
        self.deliver_rows(sources, t, steps)
    }

    /// Spikes through a sum pool, a convolution or both: each spike is an
    /// event at its pooled position, which a dense layer adds the row of
    /// and a conv layer scatters through its kernel taps. Kept out of line
    /// so that the dense path stays small where it is inlined.
    #[inline(never)]
    fn deliver_mapped(&mut self, sources: &[u32], t: usize, steps: usize) -> u64 {
        // Without a pool the spikes are the events: no copy.
        let events: std::borrow::Cow<[u32]> = match &self.pool {
            Some(pool) => sources
                .iter()
                .map(|&j| pool.pooled(j as usize) as u32)
                .collect(),
            None => sources.into(),
        };
        let Some(conv) = &self.conv else {
            return self.deliver_rows(&events, t, steps);
        };
        let (plane, c_out) = (conv.plane(), conv.out_channels);
        let mut ops = 0;
        with_pair!(self, |acc, w| {
            for &j in events.iter() {
                conv.for_each_target(j as usize, |tap, at| {
                    add_strided(acc, &w[tap * c_out..(tap + 1) * c_out], at, plane);
                    ops += c_out as u64;
                });
            }
        });
        ops
    }

    /// Spikes of presynaptic (or pooled) neurons `sources` through the
    /// dense fan-out rows. Inlined, like [`Synapses::deliver`], into the
    /// vector tier's compiled loop (`crate::simd`).
    #[inline(always)]
    fn deliver_rows(&mut self, sources: &[u32], t: usize, steps: usize) -> u64 {
        let size = self.size;
        if self.delays.is_empty() {
            let bank = 0;
            with_pair!(self, |acc, w| {
                let acc = &mut acc[bank * size..(bank + 1) * size];
                for &j in sources {
                    let j = j as usize;
                    add_row(acc, &w[j * size..(j + 1) * size]);
                }
            });
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
        with_pair!(self, |acc, w| {
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
        let size = self.size;
        let bank = (t % self.banks) * size..(t % self.banks + 1) * size;
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
        match &mut self.acc {
            Banks::A32(acc) => drain!(acc),
            Banks::A64(acc) => drain!(acc),
        }
    }

    /// Clears every bank (start of a sample).
    pub fn clear(&mut self) {
        match &mut self.acc {
            Banks::A32(acc) => acc.fill(0),
            Banks::A64(acc) => acc.fill(0),
        }
    }
}
