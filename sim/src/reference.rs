//! The reference model: `docs/semantics.md` made executable.
//!
//! Event-driven: a spike costs one fan-out row of additions (synaptic work
//! is spikes x fan-out, never the size of the weight matrix); once per step
//! every layer sweeps its neurons (leak, threshold, reset).

use spikegate_model::spikes::check_events;
use spikegate_model::width::width_for_range;
use spikegate_model::{DecodedOutput, LayerSpikes, SampleResult, Spike, ValidNetwork};

use crate::decode::decode;
use crate::lane::{fits_in_i32, Lane};
use crate::neuron::{Bounds, Dynamics, Firing, LayerState};
use crate::simd::{best_simd, Simd};
use crate::synapses::Synapses;

/// Input that the reference refuses (out of range or repeated events).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("input event {index}: {message}")]
pub struct InputError {
    /// Index of the offending event in the input slice.
    pub index: usize,
    /// What is wrong with it.
    pub message: String,
}

/// Everything one sample produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// Spikes of every layer, sorted by `(step, neuron)`; empty for a
    /// readout layer.
    pub layers: Vec<Vec<Spike>>,
    /// The decoded answer.
    pub output: DecodedOutput,
    /// Synaptic operations performed (weight additions actually delivered).
    pub synaptic_ops: u64,
}

impl Run {
    /// This run as a result-file sample, layers named as in `network`.
    pub fn into_sample(self, network: &ValidNetwork) -> SampleResult {
        sample_result(network, self.layers, self.output)
    }
}

/// A result-file sample from every layer's spikes and the decoded output,
/// layers named and sized as in `network`.
pub fn sample_result(
    network: &ValidNetwork,
    layers: Vec<Vec<Spike>>,
    output: DecodedOutput,
) -> SampleResult {
    SampleResult {
        layers: layers
            .into_iter()
            .enumerate()
            .map(|(i, events)| LayerSpikes {
                name: network.layer_name(i),
                neurons: network.network().layers[i].size,
                events,
            })
            .collect(),
        output,
    }
}

/// The state of every neuron of one layer after one step, for traces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceRow {
    /// Step.
    pub step: u32,
    /// Layer index.
    pub layer: usize,
    /// Neuron index.
    pub neuron: usize,
    /// Synaptic input `x` (bias included) of this step, in state units
    /// (times `2^weight_shift`).
    pub input: i64,
    /// Synaptic current `i` after the step, if the kind has one.
    pub current: Option<i64>,
    /// Adaptation `w` after the step, if the kind has one.
    pub adaptation: Option<i64>,
    /// Membrane `v` after the step (after reset).
    pub membrane: i64,
    /// How many spikes the neuron fired in this step (0 or 1 but for a
    /// layer with `max_spikes` above 1).
    pub spikes: u32,
}

/// One layer's neurons, computed in lanes of type `S`.
struct Engine<S> {
    bias: Vec<S>,
    /// `2^weight_shift`: state units per weight unit (1 without a shift).
    gain: S,
    dynamics: Dynamics<S>,
    state: LayerState<S>,
    /// Synaptic input of the current step.
    xs: Vec<S>,
    /// Which neurons fired in the current step (1 or 0).
    spiked: Vec<u8>,
}

impl<S: Lane> Engine<S> {
    fn new(network: &ValidNetwork, index: usize) -> Self {
        let layer = &network.network().layers[index];
        let w = layer.widths;
        let firing = network.is_spiking(index).then(|| Firing {
            theta: S::from_i64(
                layer
                    .threshold
                    .expect("validated: spiking layers have a threshold"),
            ),
            reset: layer.reset.expect("validated: spiking layers have a reset"),
            timing: layer.timing(),
            max_spikes: S::from_i64(i64::from(layer.spikes_per_step())),
        });
        Engine {
            gain: S::from_i64(1 << layer.shift()),
            bias: layer
                .neuron_bias()
                .iter()
                .flatten()
                .map(|&b| S::from_i64(b))
                .collect(),
            dynamics: Dynamics {
                neuron: layer.neuron.clone(),
                membrane: Bounds::of(w.membrane),
                current: Bounds::of(w.current.unwrap_or(32)),
                adaptation: Bounds::of(w.adaptation.unwrap_or(32)),
                firing,
                floor: layer.membrane_floor.map(S::from_i64),
            },
            state: LayerState::new(&layer.neuron, layer.size),
            xs: vec![S::default(); layer.size],
            spiked: vec![0; layer.size],
        }
    }

    /// Steps 1-4 of the semantics for step `t`: take the arriving input,
    /// update, fire; appends the neurons that fired to `fired`.
    #[inline(always)]
    fn step(&mut self, synapses: &mut Synapses, t: usize, fired: &mut Vec<u32>) {
        synapses.take(t, &self.bias, &mut self.xs);
        if self.gain != S::from_i64(1) {
            for x in &mut self.xs {
                *x = *x * self.gain;
            }
        }
        if self
            .dynamics
            .step(&mut self.state, &self.xs, &mut self.spiked)
        {
            collect_spiked(&self.spiked, fired);
        }
    }

    fn record(&self, trace: &mut Vec<TraceRow>, t: usize, l: usize) {
        let s = &self.state;
        for (i, &x) in self.xs.iter().enumerate() {
            trace.push(TraceRow {
                step: t as u32,
                layer: l,
                neuron: i,
                input: x.to_i64(),
                current: s.current.get(i).map(|c| c.to_i64()),
                adaptation: s.adaptation.get(i).map(|w| w.to_i64()),
                membrane: s.membrane[i].to_i64(),
                spikes: if self.dynamics.firing.is_some() {
                    u32::from(self.spiked[i])
                } else {
                    0
                },
            });
        }
    }
}

/// Appends the index of every non-zero count in `spiked` to `fired`, in
/// order, as many times as the count says. Spikes are sparse: counts are
/// read as 64-bit words, 32 tested at once, and only the set bytes of a
/// word are visited.
#[inline(always)]
fn collect_spiked(spiked: &[u8], fired: &mut Vec<u32>) {
    let word = |bytes: &[u8]| u64::from_le_bytes(bytes.try_into().expect("8 bytes"));
    let mut groups = spiked.chunks_exact(32);
    let mut base = 0u32;
    for group in &mut groups {
        let words = [
            word(&group[0..8]),
            word(&group[8..16]),
            word(&group[16..24]),
            word(&group[24..32]),
        ];
        if words.iter().fold(0, |a, &w| a | w) != 0 {
            for (k, &w) in words.iter().enumerate() {
                let mut w = w;
                while w != 0 {
                    let byte = w.trailing_zeros() / 8;
                    let neuron = base + 8 * k as u32 + byte;
                    let count = (w >> (8 * byte)) as u8;
                    fired.extend(std::iter::repeat_n(neuron, usize::from(count)));
                    w &= !(0xff << (8 * byte));
                }
            }
        }
        base += 32;
    }
    for (k, &s) in groups.remainder().iter().enumerate() {
        fired.extend(std::iter::repeat_n(base + k as u32, usize::from(s)));
    }
}

/// A layer's neurons in the narrowest lanes that are exact for it.
enum Neurons {
    Narrow(Engine<i32>),
    Wide(Engine<i64>),
}

macro_rules! with_engine {
    ($neurons:expr, |$e:ident| $body:expr) => {
        match $neurons {
            Neurons::Narrow($e) => $body,
            Neurons::Wide($e) => $body,
        }
    };
}

struct CompiledLayer {
    synapses: Synapses,
    neurons: Neurons,
}

/// One layer's work in step `t`: deliver the spikes `incoming` from the
/// layer before (or the input), then take this step's input, update and
/// fire, appending the neurons that fired to `fired`, and feed those back
/// through the layer's recurrent synapses to step `t + 1`. Returns the
/// synaptic operations done.
#[inline(always)]
fn step_layer(
    simd: Simd,
    layer: &mut CompiledLayer,
    incoming: &[u32],
    t: usize,
    steps: usize,
    fired: &mut Vec<u32>,
) -> u64 {
    let ops = layer.synapses.deliver(incoming, t, steps, simd);
    with_engine!(&mut layer.neurons, |e| e.step(
        &mut layer.synapses,
        t,
        fired
    ));
    ops + layer.synapses.feed_back(fired, t, steps)
}

crate::simd_dispatch!(
    /// [`step_layer`], compiled for the CPU's widest vector tier.
    fn step_layer_fast(tier: Simd, layer: &mut CompiledLayer, incoming: &[u32], t: usize, steps: usize, fired: &mut Vec<u32>) -> u64 = step_layer
);

/// A network compiled for repeated runs; holds all scratch memory, so runs
/// after the first allocate only their results.
pub struct Reference {
    steps: usize,
    inputs: usize,
    decode: spikegate_model::Decode,
    layers: Vec<CompiledLayer>,
    by_step: Vec<Vec<u32>>,
    incoming: Vec<u32>,
    fired: Vec<u32>,
    /// The vector tier the hot loops run in.
    simd: Simd,
}

impl Reference {
    /// Compiles `network` for running.
    pub fn new(network: &ValidNetwork) -> Self {
        let net = network.network();
        let layers = (0..net.layers.len())
            .map(|index| {
                let layer = &net.layers[index];
                let acc_width = network.accumulator_width(index);
                let (lo, hi) = network.input_range(index);
                let input_width = acc_width.max(width_for_range(lo, hi));
                let neurons = if fits_in_i32(layer, input_width) {
                    Neurons::Narrow(Engine::new(network, index))
                } else {
                    Neurons::Wide(Engine::new(network, index))
                };
                CompiledLayer {
                    synapses: Synapses::new(layer, acc_width),
                    neurons,
                }
            })
            .collect();
        Reference {
            steps: net.time_steps as usize,
            inputs: net.inputs,
            decode: net.output.decode,
            layers,
            by_step: vec![Vec::new(); net.time_steps as usize],
            incoming: Vec::new(),
            fired: Vec::new(),
            simd: best_simd(),
        }
    }

    /// The same reference running its hot loops in vector tier `simd`, which
    /// is capped at what this CPU has ([`best_simd`]). Results never depend
    /// on the tier; tests use this to show it.
    pub fn with_simd(network: &ValidNetwork, simd: Simd) -> Self {
        let best = best_simd();
        let rank = |s: Simd| match s {
            Simd::Baseline => 0,
            Simd::Avx2 => 1,
            Simd::Avx512 => 2,
        };
        Reference {
            simd: if rank(simd) <= rank(best) { simd } else { best },
            ..Self::new(network)
        }
    }

    /// Runs one sample from the zero state.
    pub fn run(&mut self, input: &[Spike]) -> Result<Run, InputError> {
        self.run_inner(input, None)
    }

    /// Runs one sample and records every neuron's state after every step.
    /// Meant for small networks (docs, debugging): the trace has
    /// `steps x neurons` rows.
    pub fn run_traced(&mut self, input: &[Spike]) -> Result<(Run, Vec<TraceRow>), InputError> {
        let mut trace = Vec::new();
        let run = self.run_inner(input, Some(&mut trace))?;
        Ok((run, trace))
    }

    /// Sorts the input into per-step buckets, refusing events out of range
    /// or repeated (checked without hashing: each bucket is sorted).
    fn bucket_input(&mut self, input: &[Spike]) -> Result<(), InputError> {
        for bucket in &mut self.by_step {
            bucket.clear();
        }
        let refuse = || {
            let (index, message) = check_events(input, self.inputs, self.steps as u32)
                .expect_err("an event was found out of range or repeated");
            InputError { index, message }
        };
        for s in input {
            if s.step as usize >= self.steps || s.neuron as usize >= self.inputs {
                return Err(refuse());
            }
            self.by_step[s.step as usize].push(s.neuron);
        }
        for bucket in &mut self.by_step {
            bucket.sort_unstable();
            if bucket.windows(2).any(|w| w[0] == w[1]) {
                return Err(refuse());
            }
        }
        Ok(())
    }

    fn run_inner(
        &mut self,
        input: &[Spike],
        mut trace: Option<&mut Vec<TraceRow>>,
    ) -> Result<Run, InputError> {
        self.bucket_input(input)?;
        for layer in &mut self.layers {
            layer.synapses.clear();
            with_engine!(&mut layer.neurons, |e| e.state.clear());
        }
        let mut spikes = vec![Vec::new(); self.layers.len()];
        let mut synaptic_ops = 0;
        for t in 0..self.steps {
            self.incoming.clear();
            self.incoming.extend_from_slice(&self.by_step[t]);
            for (l, layer) in self.layers.iter_mut().enumerate() {
                self.fired.clear();
                // The tier picks the compiled copy, and travels on into
                // it for the conv scatter's own copies.
                synaptic_ops += step_layer_fast(
                    self.simd,
                    self.simd,
                    layer,
                    &self.incoming,
                    t,
                    self.steps,
                    &mut self.fired,
                );
                if let Some(trace) = trace.as_deref_mut() {
                    with_engine!(&layer.neurons, |e| e.record(trace, t, l));
                }
                spikes[l].extend(self.fired.iter().map(|&i| Spike::new(t as u32, i)));
                std::mem::swap(&mut self.incoming, &mut self.fired);
            }
        }
        let last = self.layers.last().expect("validated: at least one layer");
        let membranes: Vec<i64> = with_engine!(&last.neurons, |e| e
            .state
            .membrane
            .iter()
            .map(|v| v.to_i64())
            .collect());
        let output = decode(
            self.decode,
            &membranes,
            &spikes[spikes.len() - 1],
            self.steps as u32,
        );
        Ok(Run {
            layers: spikes,
            output,
            synaptic_ops,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::collect_spiked;

    #[test]
    fn collects_every_flag_in_order() {
        for n in [0usize, 1, 7, 8, 9, 17, 63, 64, 65, 100, 129, 400] {
            for pattern in [
                0u64,
                1,
                0xAAAA_AAAA_AAAA_AAAA,
                u64::MAX,
                0x8000_0000_0000_0001,
            ] {
                let flags: Vec<u8> = (0..n).map(|i| ((pattern >> (i % 64)) & 1) as u8).collect();
                let want: Vec<u32> = (0..n as u32).filter(|&i| flags[i as usize] == 1).collect();
                let mut got = Vec::new();
                collect_spiked(&flags, &mut got);
                assert_eq!(got, want, "n = {n}, pattern {pattern:x}");
            }
        }
    }
}
