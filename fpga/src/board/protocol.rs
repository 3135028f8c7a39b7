//! The host side of the board wrapper's UART protocol (docs/board.md):
//! input samples to bytes, and the bytes the board sends back to spikes,
//! readout values and sample ends.
//!
//! Host to board, one message per beat:
//!
//! | bytes | meaning |
//! |---|---|
//! | `00 hi lo` | input spike of neuron `hi * 256 + lo` in the current step |
//! | `01` | end of the current step |
//! | `02` | start a new sample (clears all state) |
//!
//! Board to host:
//!
//! | bytes | meaning |
//! |---|---|
//! | `00 hi lo` | output spike of neuron `hi * 256 + lo` in the current step |
//! | `01` | end of the current output step |
//! | `02` | the sample has finished |
//! | `03 hi lo v3 v2 v1 v0` | readout networks: the neuron's final membrane, big-endian two's complement |
//! | `04` | credit: the board freed [`CREDIT_BYTES`] bytes of its receive FIFO |

use spikegate_model::Spike;

/// Bytes the board's receive FIFO holds: the host's credit at reset.
pub const RX_FIFO_BYTES: usize = 512;
/// Bytes one credit message returns.
pub const CREDIT_BYTES: usize = 64;

/// Opcode: a spike (both directions).
pub const OP_SPIKE: u8 = 0x00;
/// Opcode: end of step (both directions).
pub const OP_END_OF_STEP: u8 = 0x01;
/// Opcode: start a sample (host to board) or sample finished (board to host).
pub const OP_START_OR_DONE: u8 = 0x02;
/// Opcode: a readout value (board to host).
pub const OP_VALUE: u8 = 0x03;
/// Opcode: a credit (board to host).
pub const OP_CREDIT: u8 = 0x04;

/// The bytes that run one sample: a start, then each step's spikes (in
/// the order given) and its end. Every step of `time_steps` gets an end,
/// with or without spikes.
pub fn encode_sample(events: &[Spike], time_steps: u32) -> Vec<u8> {
    let mut bytes = vec![OP_START_OR_DONE];
    let mut sorted: Vec<&Spike> = events.iter().collect();
    sorted.sort_by_key(|s| s.step);
    let mut next = sorted.into_iter().peekable();
    for step in 0..time_steps {
        while let Some(s) = next.next_if(|s| s.step == step) {
            let n = u16::try_from(s.neuron).expect("input neuron indices fit 16 bits");
            bytes.push(OP_SPIKE);
            bytes.extend(n.to_be_bytes());
        }
        bytes.push(OP_END_OF_STEP);
    }
    bytes
}

/// What the board sent for one sample.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoardSample {
    /// Output spikes as (step, neuron), in the order they came.
    pub spikes: Vec<Spike>,
    /// Readout values as (neuron, membrane), in the order they came.
    pub values: Vec<(u32, i32)>,
    /// End-of-step messages seen.
    pub steps: u32,
}

/// Everything the board sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoardOutput {
    /// Finished samples, in order.
    pub samples: Vec<BoardSample>,
    /// Credit messages seen.
    pub credits: usize,
}

/// Decodes the bytes the board sent. A sample ends at its `02`; bytes
/// after the last `02` must be credits only.
pub fn decode(bytes: &[u8]) -> Result<BoardOutput, String> {
    let mut out = BoardOutput::default();
    let mut current = BoardSample::default();
    let mut at = 0;
    let field = |at: usize, len: usize| -> Result<&[u8], String> {
        bytes.get(at + 1..at + 1 + len).ok_or_else(|| {
            format!(
                "byte {at}: message 0x{:02x} is cut short ({} bytes received in all)",
                bytes[at],
                bytes.len()
            )
        })
    };
    while at < bytes.len() {
        match bytes[at] {
            OP_SPIKE => {
                let b = field(at, 2)?;
                current.spikes.push(Spike::new(
                    current.steps,
                    u32::from(u16::from_be_bytes([b[0], b[1]])),
                ));
                at += 3;
            }
            OP_END_OF_STEP => {
                current.steps += 1;
                at += 1;
            }
            OP_START_OR_DONE => {
                out.samples.push(std::mem::take(&mut current));
                at += 1;
            }
            OP_VALUE => {
                let b = field(at, 6)?;
                let neuron = u32::from(u16::from_be_bytes([b[0], b[1]]));
                current
                    .values
                    .push((neuron, i32::from_be_bytes([b[2], b[3], b[4], b[5]])));
                at += 7;
            }
            OP_CREDIT => {
                out.credits += 1;
                at += 1;
            }
            other => return Err(format!("byte {at}: unknown message 0x{other:02x}")),
        }
    }
    if current != BoardSample::default() {
        return Err(format!(
            "the last sample has no end (0x02): {} steps, {} spikes received",
            current.steps,
            current.spikes.len()
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_every_step_end_and_big_endian_neurons() {
        let events = [Spike::new(2, 300), Spike::new(0, 1)];
        assert_eq!(encode_sample(&events, 3), [2, 0, 0, 1, 1, 1, 0, 1, 44, 1]);
    }

    #[test]
    fn decodes_spikes_values_credits_and_sample_ends() {
        let bytes = [
            0x04, 0x00, 0x01, 0x02, 0x01, 0x03, 0x00, 0x07, 0xff, 0xff, 0xff, 0xfe, 0x01, 0x02,
            0x04,
        ];
        let out = decode(&bytes).unwrap();
        assert_eq!(out.credits, 2);
        assert_eq!(
            out.samples,
            [BoardSample {
                spikes: vec![Spike::new(0, 258)],
                values: vec![(7, -2)],
                steps: 2,
            }]
        );
    }

    #[test]
    fn names_cut_and_unknown_messages() {
        assert_eq!(
            decode(&[0x01, 0x00, 0x05]).unwrap_err(),
            "byte 1: message 0x00 is cut short (3 bytes received in all)"
        );
        assert_eq!(decode(&[0x09]).unwrap_err(), "byte 0: unknown message 0x09");
        assert!(decode(&[0x01]).unwrap_err().contains("no end"));
    }
}
