//! The values on the fixed top-level ports in one cycle (docs/hardware.md,
//! section 2): what the host drives and what the design answers.

/// What the host drives in one cycle (the clock is the back end's).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Inputs {
    /// Synchronous reset, active high.
    pub reset: bool,
    /// One-cycle pulse: clear all state and begin a sample.
    pub start: bool,
    /// An input beat is offered.
    pub in_valid: bool,
    /// The input beat ends the current step.
    pub in_eos: bool,
    /// The input spike's neuron index.
    pub in_neuron: u16,
    /// The host takes the output beat.
    pub out_ready: bool,
}

/// One hidden layer's observed stream in one cycle (`tap<l>_*`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TapBeat {
    /// A beat moved this cycle.
    pub valid: bool,
    /// It ends a step.
    pub eos: bool,
    /// Its neuron index.
    pub neuron: u16,
}

impl TapBeat {
    /// Packs the beat as the Verilator shim does: bit 31 valid, bit 16 end
    /// of step, bits 15..0 the neuron.
    pub fn pack(self) -> u32 {
        (u32::from(self.valid) << 31) | (u32::from(self.eos) << 16) | u32::from(self.neuron)
    }

    /// The inverse of [`TapBeat::pack`].
    pub fn unpack(word: u32) -> Self {
        TapBeat {
            valid: word >> 31 != 0,
            eos: (word >> 16) & 1 != 0,
            neuron: word as u16,
        }
    }
}

/// What the design drives, as seen in a cycle before its rising edge.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outputs {
    /// The design takes the input beat.
    pub in_ready: bool,
    /// An output beat is offered.
    pub out_valid: bool,
    /// The output beat ends the current step.
    pub out_eos: bool,
    /// The output spike's neuron index.
    pub out_neuron: u16,
    /// A readout network's beat: the neuron's final membrane (32-bit two's
    /// complement); 0 otherwise.
    pub out_value: u32,
    /// A sample is running.
    pub busy: bool,
    /// The last sample has finished.
    pub done: bool,
    /// One entry per hidden layer when the design has taps, else empty.
    pub taps: Vec<TapBeat>,
}

impl Outputs {
    /// Outputs of a design with `taps` tapped layers, all low.
    pub fn with_taps(taps: usize) -> Self {
        Outputs {
            taps: vec![TapBeat::default(); taps],
            ..Outputs::default()
        }
    }

    /// The name and value of every port, in the port list's order (for
    /// waveforms and for naming a port on which two back ends disagree).
    pub fn named(&self) -> Vec<(String, u64, usize)> {
        let mut v = vec![
            ("in_ready".to_string(), u64::from(self.in_ready), 1),
            ("out_valid".into(), u64::from(self.out_valid), 1),
            ("out_neuron".into(), u64::from(self.out_neuron), 16),
            ("out_eos".into(), u64::from(self.out_eos), 1),
            ("out_value".into(), u64::from(self.out_value), 32),
            ("busy".into(), u64::from(self.busy), 1),
            ("done".into(), u64::from(self.done), 1),
        ];
        for (l, t) in self.taps.iter().enumerate() {
            v.push((format!("tap{l}_valid"), u64::from(t.valid), 1));
            v.push((format!("tap{l}_neuron"), u64::from(t.neuron), 16));
            v.push((format!("tap{l}_eos"), u64::from(t.eos), 1));
        }
        v
    }
}

impl Inputs {
    /// The name, value and width of every input port but the clock.
    pub fn named(&self) -> Vec<(String, u64, usize)> {
        vec![
            ("reset".to_string(), u64::from(self.reset), 1),
            ("start".into(), u64::from(self.start), 1),
            ("in_valid".into(), u64::from(self.in_valid), 1),
            ("in_neuron".into(), u64::from(self.in_neuron), 16),
            ("in_eos".into(), u64::from(self.in_eos), 1),
            ("out_ready".into(), u64::from(self.out_ready), 1),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tap_beats_pack_and_unpack() {
        for beat in [
            TapBeat::default(),
            TapBeat {
                valid: true,
                eos: false,
                neuron: 0xffff,
            },
            TapBeat {
                valid: true,
                eos: true,
                neuron: 0,
            },
            TapBeat {
                valid: false,
                eos: true,
                neuron: 1234,
            },
        ] {
            assert_eq!(TapBeat::unpack(beat.pack()), beat);
        }
        assert_eq!(
            TapBeat {
                valid: true,
                eos: true,
                neuron: 5
            }
            .pack(),
            0x8001_0005
        );
    }
}
