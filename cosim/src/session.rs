//! A session: one back end, reset once, then samples run one after the
//! other, each from a `start` pulse to `done` (docs/hardware.md, section 3).

use spikegate_model::Spike;

use crate::backend::{Backend, BackendError};
use crate::design::DesignInfo;
use crate::driver::{beats, DriverError, SamplePacing};
use crate::monitor::{ExtraSteps, Monitor};
use crate::ports::{Inputs, Outputs};

/// One sample as the hardware ran it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleRun {
    /// Spikes of every layer in arrival order (a multi-spike layer's sorted
    /// by step, then neuron: it sends them in rounds); a layer the host
    /// cannot see (a hidden layer of a design without taps) is empty.
    pub layers: Vec<Vec<Spike>>,
    /// Per layer, the cycle (from `start`) at which each step ended.
    pub step_ends: Vec<Vec<u64>>,
    /// Cycles from the cycle after `start` to the one in which `done`
    /// rose.
    pub cycles: u64,
    /// A readout network: the last layer's final membranes, by neuron;
    /// empty otherwise.
    pub membranes: Vec<i64>,
}

/// Why a sample could not be run to its end.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// The back end failed (did not settle, or lockstep disagreement).
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// The input cannot be given to the hardware.
    #[error(transparent)]
    Input(#[from] DriverError),
    /// A stream carried too many end-of-step markers.
    #[error(transparent)]
    ExtraSteps(#[from] ExtraSteps),
    /// The design did not finish.
    #[error("the design did not raise `done` within {0} cycles")]
    Timeout(u64),
    /// The back end could not be created.
    #[error(transparent)]
    Create(#[from] crate::verilator::LoadError),
    /// The sample was never run (its thread ended first).
    #[error("the sample was not run")]
    NotRun,
}

/// Called on every cycle with the cycle (from `start`), the inputs and the
/// outputs: a waveform writer, or nothing.
pub type Observer<'a> = &'a mut dyn FnMut(u64, &Inputs, &Outputs);

/// A back end driven sample by sample.
pub struct Session<B> {
    backend: B,
    info: DesignInfo,
    inputs: Inputs,
    outputs: Outputs,
}

impl<B: Backend> Session<B> {
    /// Takes a back end in its power-on state and resets it (two cycles).
    pub fn new(backend: B, info: DesignInfo) -> Result<Self, SessionError> {
        let mut s = Session {
            outputs: Outputs::with_taps(info.tap_count()),
            backend,
            info,
            inputs: Inputs::default(),
        };
        s.inputs.reset = true;
        for _ in 0..2 {
            s.backend.cycle(&s.inputs, &mut s.outputs)?;
        }
        s.inputs.reset = false;
        Ok(s)
    }

    /// The back end.
    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// Runs one sample (`input` in any order) to `done`.
    pub fn run(
        &mut self,
        input: &[Spike],
        pacing: &mut SamplePacing,
    ) -> Result<SampleRun, SessionError> {
        self.run_inner(input, pacing, None)
    }

    /// Runs one sample, showing every cycle to `observer`.
    pub fn run_observed(
        &mut self,
        input: &[Spike],
        pacing: &mut SamplePacing,
        observer: Observer,
    ) -> Result<SampleRun, SessionError> {
        self.run_inner(input, pacing, Some(observer))
    }

    fn run_inner(
        &mut self,
        input: &[Spike],
        pacing: &mut SamplePacing,
        mut observer: Option<Observer>,
    ) -> Result<SampleRun, SessionError> {
        let info = &self.info;
        let beats = beats(input, info.time_steps, info.inputs)?;
        let budget = 10_000 + (beats.len() as u64 + 1) * info.beat_cost;
        let last = info.layers - 1;
        let mut monitor = Monitor::new(info.layers, info.time_steps);
        let readout = info.readout;
        let mut membranes = vec![0i64; readout.unwrap_or(0)];

        self.inputs = Inputs {
            start: true,
            ..Inputs::default()
        };
        self.backend.cycle(&self.inputs, &mut self.outputs)?;
        self.inputs.start = false;
        let mut next = 0usize;
        let mut cycle = 0u64;
        loop {
            let offer = next < beats.len() && pacing.offer();
            let beat = beats.get(next).copied();
            self.inputs.in_valid = offer;
            self.inputs.in_eos = beat.is_some_and(|b| b.eos);
            self.inputs.in_neuron = beat.map_or(0, |b| b.neuron);
            self.inputs.out_ready = pacing.ready();
            if observer.is_none() && pacing.is_steady() {
                // The inputs change only when a beat is taken, so the
                // back end may run the cycles in which nothing happens at
                // the ports without showing them (Backend::run_quiet).
                let most = budget + 1 - cycle;
                cycle += self
                    .backend
                    .run_quiet(&self.inputs, &mut self.outputs, most)?
                    - 1;
            } else {
                self.backend.cycle(&self.inputs, &mut self.outputs)?;
            }
            if let Some(observer) = observer.as_mut() {
                observer(cycle, &self.inputs, &self.outputs);
            }
            let out = &self.outputs;
            if offer && out.in_ready {
                next += 1;
            }
            if out.out_valid && self.inputs.out_ready {
                if readout.is_some() && !out.out_eos {
                    // A membrane, not a spike.
                    if let Some(m) = membranes.get_mut(usize::from(out.out_neuron)) {
                        *m = i64::from(out.out_value as i32);
                    }
                } else {
                    monitor.observe(last, out.out_eos, out.out_neuron, cycle)?;
                }
            }
            for (l, tap) in out.taps.iter().enumerate() {
                if tap.valid {
                    monitor.observe(l, tap.eos, tap.neuron, cycle)?;
                }
            }
            if out.done {
                break;
            }
            cycle += 1;
            if cycle > budget {
                return Err(SessionError::Timeout(budget));
            }
        }
        self.inputs = Inputs::default();
        let mut layers = monitor.spikes;
        // A multi-spike or conv layer's order within a step follows its
        // rounds or words, not the neurons: list it by neuron, as the
        // reference does.
        for (spikes, &multi) in layers.iter_mut().zip(&info.unordered) {
            if multi {
                spikes.sort_unstable();
            }
        }
        Ok(SampleRun {
            layers,
            step_ends: monitor.step_ends,
            cycles: cycle,
            membranes,
        })
    }
}
