//! Sample control: `busy` from `start` until the last core has sent the
//! end-of-step marker of step `T-1`, then `done` until the next `start`.

use rust_hdl::prelude::*;

/// Counts the end-of-step beats leaving the accelerator.
#[derive(LogicBlock)]
pub struct SampleControl {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: Signal<In, Bit>,
    /// Start of a sample.
    pub start: Signal<In, Bit>,
    /// An end-of-step beat leaves the last core this cycle.
    pub step_done: Signal<In, Bit>,
    /// A sample is running.
    pub busy: Signal<Out, Bit>,
    /// The last sample has finished.
    pub done: Signal<Out, Bit>,
    steps_seen: DFF<Bits<32>>,
    running: DFF<Bit>,
    finished: DFF<Bit>,
    last_step: Constant<Bits<32>>,
}

impl SampleControl {
    /// Control for samples of `steps` time steps.
    pub fn new(steps: u32) -> Self {
        SampleControl {
            clock: Default::default(),
            reset: Default::default(),
            start: Default::default(),
            step_done: Default::default(),
            busy: Default::default(),
            done: Default::default(),
            steps_seen: Default::default(),
            running: Default::default(),
            finished: Default::default(),
            last_step: Constant::new(u64::from(steps - 1).into()),
        }
    }
}

impl Logic for SampleControl {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, steps_seen, running, finished);
        self.busy.next = self.running.q.val();
        self.done.next = self.finished.q.val();
        if self.running.q.val() & self.step_done.val() {
            self.steps_seen.d.next = self.steps_seen.q.val() + 1;
            if self.steps_seen.q.val() == self.last_step.val() {
                self.running.d.next = false;
                self.finished.d.next = true;
            }
        }
        if self.start.val() {
            self.steps_seen.d.next = 0.into();
            self.running.d.next = true;
            self.finished.d.next = false;
        }
        if self.reset.val() {
            self.running.d.next = false;
            self.finished.d.next = false;
        }
    }
}
