//! The values on the top-level ports in one cycle (docs/hardware.md,
//! section 2): what the host drives and what the design answers.
//!
//! The ports are those of the port table ([`spikegate_hdl::interface`]);
//! the structs here are its typed, hand-written side. Each lists its fields
//! once, by port name (`fields`), and everything that names a port
//! (`named`, hence waveforms and lockstep reports) walks the table and
//! looks the value up there; the tests below check that the fields are the
//! table's ports, no more and no fewer, at the table's widths.

use spikegate_hdl::interface::{self, Direction, Port};
use spikegate_hdl::stream::EOS_BIT;

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

/// Bit of a packed tap word ([`TapBeat::pack`]) that says a beat moved.
pub const TAP_VALID_BIT: usize = 31;

impl TapBeat {
    /// Packs the beat as the Verilator shim does: bit [`TAP_VALID_BIT`]
    /// valid, then the stream's beat layout (bit [`EOS_BIT`] end of step,
    /// the bits below it the neuron).
    pub fn pack(self) -> u32 {
        (u32::from(self.valid) << TAP_VALID_BIT)
            | (u32::from(self.eos) << EOS_BIT)
            | u32::from(self.neuron)
    }

    /// The inverse of [`TapBeat::pack`].
    pub fn unpack(word: u32) -> Self {
        TapBeat {
            valid: word >> TAP_VALID_BIT != 0,
            eos: (word >> EOS_BIT) & 1 != 0,
            neuron: word as u16,
        }
    }

    /// Every field, by the name of its [`interface::TAP`] row.
    fn fields(&self) -> [(&'static str, u64); 3] {
        let TapBeat { valid, eos, neuron } = *self;
        [
            ("valid", valid.into()),
            ("neuron", neuron.into()),
            ("eos", eos.into()),
        ]
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

    /// The name, value and width of every output port, in the port
    /// list's order (for waveforms and for naming a port on which two back
    /// ends disagree).
    pub fn named(&self) -> Vec<(String, u64, usize)> {
        let fixed = self.fields();
        named(self.taps.len(), Direction::Out, |port| match port.tap {
            Some(l) => lookup(&self.taps[l].fields(), port),
            None => lookup(&fixed, port),
        })
    }

    /// Every field but the taps, by port name (destructured, so that a
    /// field added to the struct must be named here).
    fn fields(&self) -> [(&'static str, u64); 7] {
        let Outputs {
            in_ready,
            out_valid,
            out_eos,
            out_neuron,
            out_value,
            busy,
            done,
            taps: _,
        } = *self;
        [
            ("in_ready", in_ready.into()),
            ("out_valid", out_valid.into()),
            ("out_neuron", out_neuron.into()),
            ("out_eos", out_eos.into()),
            ("out_value", out_value.into()),
            ("busy", busy.into()),
            ("done", done.into()),
        ]
    }
}

impl Inputs {
    /// The name, value and width of every input port but the clock, in
    /// the port list's order.
    pub fn named(&self) -> Vec<(String, u64, usize)> {
        let fields = self.fields();
        named(0, Direction::In, |port| lookup(&fields, port))
    }

    /// Every field, by port name (destructured, so that a field added to
    /// the struct must be named here).
    fn fields(&self) -> [(&'static str, u64); 6] {
        let Inputs {
            reset,
            start,
            in_valid,
            in_eos,
            in_neuron,
            out_ready,
        } = *self;
        [
            ("reset", reset.into()),
            ("start", start.into()),
            ("in_valid", in_valid.into()),
            ("in_neuron", in_neuron.into()),
            ("in_eos", in_eos.into()),
            ("out_ready", out_ready.into()),
        ]
    }
}

/// The ports of the table pointing `direction` in a design with `taps`
/// tapped layers, but the clock (the back end's), each with its value.
fn named(
    taps: usize,
    direction: Direction,
    value: impl Fn(&Port) -> u64,
) -> Vec<(String, u64, usize)> {
    interface::ports(taps)
        .iter()
        .filter(|p| p.direction() == direction && !p.is_clock())
        .map(|p| (p.name(), value(p), p.width()))
        .collect()
}

/// The value of `port` among `fields` (by its table row's name).
fn lookup(fields: &[(&'static str, u64)], port: &Port) -> u64 {
    fields
        .iter()
        .find(|(name, _)| *name == port.spec.name)
        .map(|(_, value)| *value)
        .unwrap_or_else(|| {
            panic!(
                "port {} has no field (see this module's tests)",
                port.name()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names and widths of the table's ports pointing `direction`, but
    /// the clock, in the table's order.
    fn table(taps: usize, direction: Direction) -> Vec<(String, usize)> {
        interface::ports(taps)
            .iter()
            .filter(|p| p.direction() == direction && !p.is_clock())
            .map(|p| (p.name(), p.width()))
            .collect()
    }

    fn all_ones(width: usize) -> u64 {
        (1u64 << width) - 1
    }

    /// The inputs are the table's input ports, no more and no fewer, each
    /// field as wide as its port (all ones at full scale).
    #[test]
    fn the_inputs_are_the_tables() {
        let full = Inputs {
            reset: true,
            start: true,
            in_valid: true,
            in_eos: true,
            in_neuron: u16::MAX,
            out_ready: true,
        };
        let named = full.named();
        let ports: Vec<(String, usize)> = named.iter().map(|(n, _, w)| (n.clone(), *w)).collect();
        assert_eq!(ports, table(0, Direction::In));
        assert_eq!(full.fields().len(), named.len(), "a field without a port");
        assert_every_field_is_full(named);
    }

    /// Every field of a struct filled with its largest value shows all
    /// ones at its port's width: a field narrower or wider fails here.
    fn assert_every_field_is_full(named: Vec<(String, u64, usize)>) {
        for (name, value, width) in named {
            assert_eq!(
                value,
                all_ones(width),
                "{name}: the field is not {width} bits"
            );
        }
    }

    /// The outputs likewise, the taps' with them.
    #[test]
    fn the_outputs_are_the_tables() {
        let tap = TapBeat {
            valid: true,
            eos: true,
            neuron: u16::MAX,
        };
        let full = Outputs {
            in_ready: true,
            out_valid: true,
            out_eos: true,
            out_neuron: u16::MAX,
            out_value: u32::MAX,
            busy: true,
            done: true,
            taps: vec![tap; 2],
        };
        let named = full.named();
        let ports: Vec<(String, usize)> = named.iter().map(|(n, _, w)| (n.clone(), *w)).collect();
        assert_eq!(ports, table(2, Direction::Out));
        assert_eq!(
            full.fields().len() + 2 * tap.fields().len(),
            named.len(),
            "a field without a port"
        );
        assert_every_field_is_full(named);
    }

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
