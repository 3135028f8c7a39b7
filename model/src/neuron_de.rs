//! Reading neuron objects and decays (`docs/model-format.md`): a neuron is
//! checked field by field against its kind, since serde's internally
//! tagged enums silently drop every field of a variant that has none
//! (`{"kind": "if", "leak": ...}` read as plain `if`); a decay says what
//! it must look like instead of "expected map with a single key".

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;

use crate::de::{one_of, Refuse};
use crate::network::{Decay, Neuron};

/// The neuron kinds, in the order of the format page.
const KINDS: &[&str] = &["if", "lif", "cuba", "ttfs", "adlif"];

/// The fields each kind takes besides `kind`, indexed like [`KINDS`].
const KIND_FIELDS: [&[&str]; 5] = [
    &[],
    &["leak"],
    &["current_decay", "membrane_decay"],
    &[],
    &["alpha", "beta", "a", "b", "frac_bits"],
];

/// Every field of any kind, in the order of the format page.
const NEURON_FIELDS: &[&str] = &[
    "kind",
    "leak",
    "current_decay",
    "membrane_decay",
    "alpha",
    "beta",
    "a",
    "b",
    "frac_bits",
];

/// "a `lif` neuron takes only `kind` and `leak`", for messages.
fn kind_takes(kind: usize) -> String {
    let name = KINDS[kind];
    let article = if name.starts_with(['a', 'i']) {
        "an"
    } else {
        "a"
    };
    let mut names = vec!["kind"];
    names.extend_from_slice(KIND_FIELDS[kind]);
    let mut s = format!("{article} `{name}` neuron takes only ");
    for (k, field) in names.iter().enumerate() {
        if k > 0 {
            s.push_str(if k + 1 == names.len() { " and " } else { ", " });
        }
        s.push('`');
        s.push_str(field);
        s.push('`');
    }
    s
}

/// The message for `field` in a neuron of kind `kind`, which does not take it.
fn not_of_kind(field: &str, kind: usize) -> String {
    if NEURON_FIELDS.contains(&field) {
        format!("{}, not `{field}`", kind_takes(kind))
    } else {
        format!("unknown field `{field}`: {}", kind_takes(kind))
    }
}

/// The values of a neuron object, before its kind is known to fit them.
#[derive(Default)]
struct NeuronFields {
    kind: Option<usize>,
    leak: Option<Decay>,
    current_decay: Option<Option<Decay>>,
    membrane_decay: Option<Option<Decay>>,
    alpha: Option<i64>,
    beta: Option<i64>,
    a: Option<i64>,
    b: Option<i64>,
    frac_bits: Option<u32>,
}

struct Kind(usize);

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        one_of(d, KINDS).map(Kind)
    }
}

struct NeuronVisitor;

impl<'de> Visitor<'de> for NeuronVisitor {
    type Value = Neuron;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a neuron object, {\"kind\": ...} and the kind's parameters")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Neuron, A::Error> {
        let mut v = NeuronFields::default();
        // Keys read before `kind`, checked against the kind once it is
        // known. Capped: a full list holds at least one unknown key (there
        // are only eight known ones, each at most once), which is refused.
        let mut before_kind: Vec<String> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let field = NEURON_FIELDS.iter().position(|f| *f == key);
            if field != Some(0) {
                match v.kind {
                    // The kind is known: refuse a field it does not take at
                    // once, so that the error's path ends in the field.
                    Some(kind) if !KIND_FIELDS[kind].contains(&key.as_str()) => {
                        match map.next_value_seed(Refuse(not_of_kind(&key, kind)))? {}
                    }
                    Some(_) => {}
                    None if before_kind.len() < NEURON_FIELDS.len() => {
                        before_kind.push(key.clone())
                    }
                    None => {}
                }
            }
            macro_rules! take {
                ($slot:expr, $name:literal) => {{
                    if $slot.is_some() {
                        return Err(de::Error::duplicate_field($name));
                    }
                    $slot = Some(map.next_value()?);
                }};
            }
            match field {
                Some(0) => {
                    if v.kind.is_some() {
                        return Err(de::Error::duplicate_field("kind"));
                    }
                    v.kind = Some(map.next_value::<Kind>()?.0);
                }
                Some(1) => take!(v.leak, "leak"),
                Some(2) => take!(v.current_decay, "current_decay"),
                Some(3) => take!(v.membrane_decay, "membrane_decay"),
                Some(4) => take!(v.alpha, "alpha"),
                Some(5) => take!(v.beta, "beta"),
                Some(6) => take!(v.a, "a"),
                Some(7) => take!(v.b, "b"),
                Some(_) => take!(v.frac_bits, "frac_bits"),
                // An unknown key before the kind: skipped now, refused
                // below with the kind's own field list.
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let kind = v.kind.ok_or_else(|| de::Error::missing_field("kind"))?;
        if let Some(key) = before_kind
            .iter()
            .find(|k| !KIND_FIELDS[kind].contains(&k.as_str()))
        {
            return Err(de::Error::custom(not_of_kind(key, kind)));
        }
        fn need<T, E: de::Error>(slot: Option<T>, name: &'static str) -> Result<T, E> {
            slot.ok_or_else(|| E::missing_field(name))
        }
        Ok(match kind {
            0 => Neuron::If,
            1 => Neuron::Lif {
                leak: need(v.leak, "leak")?,
            },
            2 => Neuron::Cuba {
                current_decay: v.current_decay.flatten(),
                membrane_decay: v.membrane_decay.flatten(),
            },
            3 => Neuron::Ttfs,
            _ => Neuron::Adlif {
                alpha: need(v.alpha, "alpha")?,
                beta: need(v.beta, "beta")?,
                a: need(v.a, "a")?,
                b: need(v.b, "b")?,
                frac_bits: need(v.frac_bits, "frac_bits")?,
            },
        })
    }
}

impl<'de> Deserialize<'de> for Neuron {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(NeuronVisitor)
    }
}

/// `{"beta": b, "frac_bits": F}` of a multiplier decay.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Multiply {
    beta: i64,
    frac_bits: u32,
}

/// The two shapes of a decay, for messages.
const DECAY_SHAPES: &str = "{\"shift\": k} or {\"multiply\": {\"beta\": b, \"frac_bits\": F}}";

struct DecayVisitor;

impl<'de> Visitor<'de> for DecayVisitor {
    type Value = Decay;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a decay, {DECAY_SHAPES}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Decay, A::Error> {
        let mut decay = None;
        while let Some(key) = map.next_key::<String>()? {
            if let Some(first) = &decay {
                let same = matches!(
                    (first, key.as_str()),
                    (Decay::Shift(_), "shift") | (Decay::Multiply { .. }, "multiply")
                );
                if same {
                    return Err(de::Error::custom(format!("duplicate field `{key}`")));
                }
                let message = format!("a decay has one key, {DECAY_SHAPES}; `{key}` is a second");
                match map.next_value_seed(Refuse(message))? {}
            }
            decay = Some(match key.as_str() {
                "shift" => Decay::Shift(map.next_value()?),
                "multiply" => {
                    let m: Multiply = map.next_value()?;
                    Decay::Multiply {
                        beta: m.beta,
                        frac_bits: m.frac_bits,
                    }
                }
                _ => {
                    let message = format!("unknown field `{key}`: a decay is {DECAY_SHAPES}");
                    match map.next_value_seed(Refuse(message))? {}
                }
            });
        }
        decay.ok_or_else(|| de::Error::custom(format!("a decay is {DECAY_SHAPES}, not {{}}")))
    }
}

impl<'de> Deserialize<'de> for Decay {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(DecayVisitor)
    }
}
