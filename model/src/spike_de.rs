//! Reading spikes (`[step, neuron]`, exactly two integers) and decoded
//! outputs (a result's `output`, which carries exactly its decoding's
//! list).

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::de::{one_of, PerNeuron, Refuse};

/// A spike, written `[step, neuron]`: exactly two integers.
impl<'de> Deserialize<'de> for crate::spikes::Spike {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(SpikeVisitor)
    }
}

struct SpikeVisitor;

impl<'de> Visitor<'de> for SpikeVisitor {
    type Value = crate::spikes::Spike;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an event [step, neuron], two integers")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let step = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let neuron = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(1, &self))?;
        if seq.next_element::<IgnoredAny>()?.is_some() {
            return Err(de::Error::invalid_length(3, &self));
        }
        Ok(crate::spikes::Spike { step, neuron })
    }
}

/// The output decodings of a result file, in the order of the format page,
/// with the one list of values each carries.
const DECODES: &[&str] = &["first_spike", "spike_count", "readout"];
const DECODE_LISTS: [&str; 3] = ["first_spike_steps", "counts", "membranes"];

struct DecodedVisitor;

impl<'de> Visitor<'de> for DecodedVisitor {
    type Value = crate::spikes::DecodedOutput;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a decoded output, {\"decode\": ..., \"class\": ..., and its values}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        use crate::spikes::DecodedOutput;
        let mut decode: Option<usize> = None;
        let mut class: Option<u32> = None;
        // The list, with the index of the decoding whose name it has.
        let mut values: Option<(usize, Values)> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "decode" => {
                    if decode.is_some() {
                        return Err(de::Error::duplicate_field("decode"));
                    }
                    let d = map.next_value::<DecodeName>()?.0;
                    if let Some((list, _)) = &values {
                        if *list != d {
                            return Err(de::Error::custom(wrong_list(d, *list)));
                        }
                    }
                    decode = Some(d);
                }
                "class" => {
                    if class.is_some() {
                        return Err(de::Error::duplicate_field("class"));
                    }
                    class = Some(map.next_value()?);
                }
                other => {
                    let Some(list) = DECODE_LISTS.iter().position(|l| *l == other) else {
                        let message = format!(
                            "unknown field `{other}`: an output has `decode`, `class` and one of `first_spike_steps`, `counts`, `membranes`"
                        );
                        match map.next_value_seed(Refuse(message))? {}
                    };
                    if let Some((seen, _)) = &values {
                        let message = if *seen == list {
                            format!("duplicate field `{other}`")
                        } else {
                            format!(
                                "an output has one list of values; `{}` and `{other}` are two",
                                DECODE_LISTS[*seen]
                            )
                        };
                        match map.next_value_seed(Refuse(message))? {}
                    }
                    if let Some(d) = decode {
                        if d != list {
                            match map.next_value_seed(Refuse(wrong_list(d, list)))? {}
                        }
                    }
                    // Steps and counts are u32, membranes i64.
                    let v = if list == 2 {
                        Values::Signed(map.next_value::<PerNeuron<i64>>()?.0)
                    } else {
                        Values::Unsigned(map.next_value::<PerNeuron<u32>>()?.0)
                    };
                    values = Some((list, v));
                }
            }
        }
        let decode = decode.ok_or_else(|| de::Error::missing_field("decode"))?;
        let class = class.ok_or_else(|| de::Error::missing_field("class"))?;
        // The list was checked to be the decoding's own when the second of
        // the two was read, so the list's type matches the decoding's.
        Ok(match (decode, values) {
            (0, Some((_, Values::Unsigned(first_spike_steps)))) => DecodedOutput::FirstSpike {
                class,
                first_spike_steps,
            },
            (1, Some((_, Values::Unsigned(counts)))) => DecodedOutput::SpikeCount { class, counts },
            (2, Some((_, Values::Signed(membranes)))) => {
                DecodedOutput::Readout { class, membranes }
            }
            _ => return Err(de::Error::missing_field(DECODE_LISTS[decode])),
        })
    }
}

/// The values of a decoded output: steps and counts, or membranes.
enum Values {
    Unsigned(Vec<u32>),
    Signed(Vec<i64>),
}

fn wrong_list(decode: usize, list: usize) -> String {
    format!(
        "a `{}` output carries `{}`, not `{}`",
        DECODES[decode], DECODE_LISTS[decode], DECODE_LISTS[list]
    )
}

struct DecodeName(usize);

impl<'de> Deserialize<'de> for DecodeName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        one_of(d, DECODES).map(DecodeName)
    }
}

impl<'de> Deserialize<'de> for crate::spikes::DecodedOutput {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(DecodedVisitor)
    }
}
