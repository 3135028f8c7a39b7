//! Driving any generated design through its fixed top-level ports in the
//! rust-hdl simulation: a driver that feeds input spikes step by step with
//! end-of-step markers (with optional gaps), a monitor that collects the
//! output and tap streams with their step (with optional back-pressure),
//! and a single `tick`.

use spikegate_model::Spike;

use rust_hdl::prelude::*;

use crate::plan::HardwarePlan;
use crate::top::Accelerator;

/// Most delta iterations one clock edge may take to settle.
const SETTLE_ITERATIONS: usize = 10_000;

/// One sample as the hardware ran it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleRun {
    /// Spikes of every observed layer, in arrival order: the hidden layers
    /// (with taps) and the last layer. Without taps, only the last layer's
    /// entry is filled; the others are empty.
    pub layers: Vec<Vec<Spike>>,
    /// Cycles from `start` to `done`.
    pub cycles: u64,
    /// A readout network: the last layer's final membranes, by neuron
    /// (its beats carry them instead of spikes); empty otherwise.
    pub membranes: Vec<i64>,
}

/// Why a run failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HarnessError {
    /// The design did not finish within the cycle budget.
    #[error("the design did not raise `done` within {0} cycles")]
    Timeout(u64),
    /// The combinational logic did not settle.
    #[error("the simulation did not settle at cycle {0}")]
    NoSettle(u64),
    /// An output stream carried more end-of-step markers than steps.
    #[error("layer {layer} sent more than {steps} end-of-step markers")]
    ExtraSteps {
        /// Observed layer.
        layer: usize,
        /// Steps per sample.
        steps: u32,
    },
}

/// Per-cycle choices of the driver and monitor: whether the driver offers
/// its next beat, and whether the monitor is ready. Both default to always.
pub struct Pacing<'a> {
    /// Called once a cycle while beats remain; `false` leaves a gap.
    pub offer: Box<dyn FnMut() -> bool + 'a>,
    /// Called once a cycle; `false` holds `out_ready` low.
    pub ready: Box<dyn FnMut() -> bool + 'a>,
}

impl Default for Pacing<'_> {
    fn default() -> Self {
        Pacing {
            offer: Box::new(|| true),
            ready: Box::new(|| true),
        }
    }
}

/// The rust-hdl simulation of one accelerator.
pub struct Harness {
    dut: Box<Accelerator>,
    steps: u32,
    layers: usize,
    taps: bool,
    /// Neurons of the last layer, when it is a readout layer.
    readout: Option<usize>,
    cycle: u64,
    budget_base: u64,
    budget_per_beat: u64,
}

impl Harness {
    /// Builds the accelerator of `plan` and resets it.
    pub fn new(plan: &HardwarePlan) -> Result<Self, HarnessError> {
        let mut dut = Box::new(Accelerator::new(plan));
        dut.connect_all();
        let mut h = Harness {
            dut,
            steps: plan.time_steps,
            layers: plan.cores.len(),
            taps: plan.options.taps,
            readout: plan.cores.last().filter(|c| c.readout).map(|c| c.neurons),
            cycle: 0,
            // Far above the cycle formula: a beat costs at most the largest
            // core's chunks, a step every core's sweep and spikes.
            budget_base: 10_000,
            budget_per_beat: plan
                .cores
                .iter()
                .map(|c| 4 * (c.chunks + c.neurons) as u64 + 16)
                .sum(),
        };
        h.dut.reset.next = true;
        h.tick()?;
        h.tick()?;
        h.dut.reset.next = false;
        Ok(h)
    }

    /// The design (tests read its state).
    pub fn dut(&self) -> &Accelerator {
        &self.dut
    }

    /// One clock cycle: settle the inputs set so far, rising edge, falling
    /// edge.
    fn tick(&mut self) -> Result<(), HarnessError> {
        for level in [true, false] {
            self.dut.clock.next = Clock { clk: level };
            self.settle()?;
        }
        self.cycle += 1;
        Ok(())
    }

    fn settle(&mut self) -> Result<(), HarnessError> {
        if simulate(&mut *self.dut, SETTLE_ITERATIONS) {
            Ok(())
        } else {
            Err(HarnessError::NoSettle(self.cycle))
        }
    }

    /// Runs one sample: `start`, then every step's input spikes followed by
    /// an end-of-step beat, until `done`. `input` holds the sample's spikes
    /// in any order.
    pub fn run(&mut self, input: &[Spike], pacing: &mut Pacing) -> Result<SampleRun, HarnessError> {
        let mut beats: Vec<(bool, u32)> = Vec::new();
        let mut sorted = input.to_vec();
        sorted.sort();
        for t in 0..self.steps {
            beats.extend(
                sorted
                    .iter()
                    .filter(|s| s.step == t)
                    .map(|s| (false, s.neuron)),
            );
            beats.push((true, 0));
        }
        let mut layers = vec![Vec::new(); self.layers];
        let mut step_of = vec![0u32; self.layers];
        let mut membranes = vec![0i64; self.readout.unwrap_or(0)];
        let budget = self.budget_base + (beats.len() as u64 + 1) * self.budget_per_beat;

        self.dut.start.next = true;
        self.tick()?;
        self.dut.start.next = false;
        let first = self.cycle;
        let mut next = 0usize;
        loop {
            let offer = next < beats.len() && (pacing.offer)();
            let (eos, neuron) = beats.get(next).copied().unwrap_or((false, 0));
            self.dut.in_valid.next = offer;
            self.dut.in_eos.next = eos;
            self.dut.in_neuron.next = u64::from(neuron).into();
            self.dut.out_ready.next = (pacing.ready)();
            self.settle()?;
            if offer && self.dut.in_ready.val() {
                next += 1;
            }
            let last = self.layers - 1;
            if self.dut.out_valid.val() && self.dut.out_ready.val() {
                let (eos, neuron) = (self.dut.out_eos.val(), self.dut.out_neuron.val());
                if self.readout.is_some() && !eos {
                    // A 32-bit two's-complement membrane.
                    let value = self.dut.out_value.val().to_u64() as u32 as i32;
                    if let Some(m) = membranes.get_mut(neuron.index()) {
                        *m = i64::from(value);
                    }
                } else {
                    self.observe(last, eos, neuron.index(), &mut layers, &mut step_of)?;
                }
            }
            if self.taps {
                for l in 0..last {
                    let tap = &self.dut.tap[l];
                    if tap.valid.val() {
                        let (eos, neuron) = (tap.eos.val(), tap.neuron.val().index());
                        self.observe(l, eos, neuron, &mut layers, &mut step_of)?;
                    }
                }
            }
            if self.dut.done.val() {
                break;
            }
            if self.cycle - first > budget {
                return Err(HarnessError::Timeout(budget));
            }
            self.tick()?;
        }
        self.dut.in_valid.next = false;
        Ok(SampleRun {
            layers,
            cycles: self.cycle - first,
            membranes,
        })
    }

    fn observe(
        &self,
        layer: usize,
        eos: bool,
        neuron: usize,
        layers: &mut [Vec<Spike>],
        step_of: &mut [u32],
    ) -> Result<(), HarnessError> {
        if step_of[layer] >= self.steps {
            return Err(HarnessError::ExtraSteps {
                layer,
                steps: self.steps,
            });
        }
        if eos {
            step_of[layer] += 1;
        } else {
            layers[layer].push(Spike::new(step_of[layer], neuron as u32));
        }
        Ok(())
    }
}
