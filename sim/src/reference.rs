//! The reference model: `docs/semantics.md` made executable.
//!
//! Event-driven: a spike costs one fan-out row of additions (synaptic work
//! is spikes x fan-out, never the size of the weight matrix); once per step
//! every layer sweeps its neurons (leak, threshold, reset).

use spikegate_model::spikes::check_events;
use spikegate_model::{DecodedOutput, Spike, ValidNetwork};

use crate::decode::decode;
use crate::neuron::{Bounds, Dynamics, LayerState};
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

/// The state of every neuron of one layer after one step, for traces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceRow {
    /// Step.
    pub step: u32,
    /// Layer index.
    pub layer: usize,
    /// Neuron index.
    pub neuron: usize,
    /// Synaptic input `x` (bias included) of this step.
    pub input: i64,
    /// Synaptic current `i` after the step, if the kind has one.
    pub current: Option<i64>,
    /// Adaptation `w` after the step, if the kind has one.
    pub adaptation: Option<i64>,
    /// Membrane `v` after the step (after reset).
    pub membrane: i64,
    /// Whether the neuron fired in this step.
    pub spike: bool,
}

struct CompiledLayer {
    synapses: Synapses,
    bias: Vec<i64>,
    dynamics: Dynamics,
    state: LayerState,
}

/// A network compiled for repeated runs; holds all scratch memory, so runs
/// after the first allocate only their results.
pub struct Reference {
    steps: usize,
    inputs: usize,
    decode: spikegate_model::Decode,
    layers: Vec<CompiledLayer>,
    xs: Vec<i64>,
    by_step: Vec<Vec<u32>>,
    incoming: Vec<u32>,
    fired: Vec<u32>,
}

impl Reference {
    /// Compiles `network` for running.
    pub fn new(network: &ValidNetwork) -> Self {
        let net = network.network();
        let layers = net
            .layers
            .iter()
            .enumerate()
            .map(|(index, layer)| {
                let w = layer.widths;
                let firing = if network.is_spiking(index) {
                    Some((
                        layer.threshold.expect("validated: spiking layers have a threshold"),
                        layer.reset.expect("validated: spiking layers have a reset"),
                    ))
                } else {
                    None
                };
                CompiledLayer {
                    synapses: Synapses::new(layer, network.accumulator_width(index)),
                    bias: layer.bias.clone().unwrap_or_default(),
                    dynamics: Dynamics {
                        neuron: layer.neuron.clone(),
                        membrane: Bounds::of(w.membrane),
                        current: Bounds::of(w.current.unwrap_or(32)),
                        adaptation: Bounds::of(w.adaptation.unwrap_or(32)),
                        firing,
                    },
                    state: LayerState::new(&layer.neuron, layer.size),
                }
            })
            .collect();
        let widest = net.layers.iter().map(|l| l.size).max().unwrap_or(0);
        Reference {
            steps: net.time_steps as usize,
            inputs: net.inputs,
            decode: net.output.decode,
            layers,
            xs: vec![0; widest],
            by_step: vec![Vec::new(); net.time_steps as usize],
            incoming: Vec::new(),
            fired: Vec::new(),
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

    fn bucket_input(&mut self, input: &[Spike]) -> Result<(), InputError> {
        check_events(input, self.inputs, self.steps as u32)
            .map_err(|(index, message)| InputError { index, message })?;
        for bucket in &mut self.by_step {
            bucket.clear();
        }
        for s in input {
            self.by_step[s.step as usize].push(s.neuron);
        }
        Ok(())
    }

    fn run_inner(&mut self, input: &[Spike], mut trace: Option<&mut Vec<TraceRow>>) -> Result<Run, InputError> {
        self.bucket_input(input)?;
        for layer in &mut self.layers {
            layer.synapses.clear();
            layer.state.clear();
        }
        let mut spikes = vec![Vec::new(); self.layers.len()];
        let mut synaptic_ops = 0;
        for t in 0..self.steps {
            self.incoming.clear();
            self.incoming.extend_from_slice(&self.by_step[t]);
            for (l, layer) in self.layers.iter_mut().enumerate() {
                synaptic_ops += layer.synapses.deliver(&self.incoming, t, self.steps);
                let xs = &mut self.xs[..layer.state.membrane.len()];
                layer.synapses.take(t, &layer.bias, xs);
                self.fired.clear();
                layer.dynamics.step(&mut layer.state, xs, &mut self.fired);
                spikes[l].extend(self.fired.iter().map(|&i| Spike::new(t as u32, i)));
                if let Some(trace) = trace.as_deref_mut() {
                    record(trace, t, l, xs, &layer.state, &self.fired);
                }
                std::mem::swap(&mut self.incoming, &mut self.fired);
            }
        }
        let last = self.layers.last().expect("validated: at least one layer");
        let output = decode(self.decode, &last.state.membrane, &spikes[spikes.len() - 1], self.steps as u32);
        Ok(Run {
            layers: spikes,
            output,
            synaptic_ops,
        })
    }
}

fn record(trace: &mut Vec<TraceRow>, t: usize, l: usize, xs: &[i64], s: &LayerState, fired: &[u32]) {
    for (i, &x) in xs.iter().enumerate() {
        trace.push(TraceRow {
            step: t as u32,
            layer: l,
            neuron: i,
            input: x,
            current: s.current.get(i).copied(),
            adaptation: s.adaptation.get(i).copied(),
            membrane: s.membrane[i],
            spike: fired.contains(&(i as u32)),
        });
    }
}
