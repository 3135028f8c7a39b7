//! Hand-written readers for the parts of the file formats that serde's
//! derived code reads too loosely or explains too little.
//!
//! - A neuron object is checked field by field against its kind: serde's
//!   internally tagged enums silently drop every field of a variant that
//!   has none (`{"kind": "if", "leak": ...}` read as plain `if`).
//! - A field holding one of a few names (`reset`, `decode`, `kind`) given a
//!   non-string says which field and which names are allowed; serde_json's
//!   own enum reader says only "expected value".
//! - A decay says what it must look like instead of "expected map with a
//!   single key".
//! - Lists are read with bounded growth and a matrix into one buffer of
//!   equal rows, so that reading a file takes memory proportional to the file
//!   (`docs/model-format.md` section 4, "Reading rules"), and a list
//!   longer than any valid file can hold is refused while it is read.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::matrix::Matrix;
use crate::network::{Decay, Neuron};

/// Reads a string that must be one of `names`, giving its index. A value of
/// another type (a number, `null`) is refused with the list of names.
pub(crate) fn one_of<'de, D: Deserializer<'de>>(
    deserializer: D,
    names: &'static [&'static str],
) -> Result<usize, D::Error> {
    deserializer.deserialize_str(NameVisitor { names })
}

struct NameVisitor {
    names: &'static [&'static str],
}

impl Visitor<'_> for NameVisitor {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string, one of ")?;
        write_names(f, self.names)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<usize, E> {
        self.names
            .iter()
            .position(|n| *n == v)
            .ok_or_else(|| E::unknown_variant(v, self.names))
    }
}

/// `"a", "b" or "c"`, as a message lists allowed names.
fn write_names(f: &mut impl fmt::Write, names: &[&str]) -> fmt::Result {
    for (k, name) in names.iter().enumerate() {
        if k > 0 {
            f.write_str(if k + 1 == names.len() { " or " } else { ", " })?;
        }
        write!(f, "\"{name}\"")?;
    }
    Ok(())
}

/// Implements `Deserialize` for a fieldless enum written as one of a few
/// names, through [`one_of`].
macro_rules! deserialize_by_name {
    ($ty:ty, [$($name:literal => $variant:expr),+ $(,)?]) => {
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                const NAMES: &[&str] = &[$($name),+];
                const VALUES: &[$ty] = &[$($variant),+];
                Ok(VALUES[$crate::de::one_of(d, NAMES)?])
            }
        }
    };
}
pub(crate) use deserialize_by_name;

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

/// A seed that always fails with its message: raising an error through it
/// puts the offending key in the error's path (`neuron.leak`, not
/// `neuron`).
struct Refuse(String);

impl<'de> DeserializeSeed<'de> for Refuse {
    type Value = std::convert::Infallible;

    fn deserialize<D: Deserializer<'de>>(self, _: D) -> Result<Self::Value, D::Error> {
        Err(de::Error::custom(self.0))
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

/// Reads a list whose capacity grows by a quarter at a time, never
/// doubling, and is trimmed to its length at the end: a list of small items
/// (an empty sample is 14 bytes of JSON and 32 in memory) then costs at
/// most 1.25 times its own size while it is read. More than `max` items
/// are refused while they are read, before they take memory.
pub(crate) fn bounded_vec<'de, D, T>(
    d: D,
    max: usize,
    what: &'static str,
) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    d.deserialize_seq(BoundedVec {
        max,
        what,
        item: PhantomData,
    })
}

struct BoundedVec<T> {
    max: usize,
    what: &'static str,
    item: PhantomData<T>,
}

/// Capacity growth of [`bounded_vec`]: a quarter more, at least 16 items.
fn grow<T>(v: &mut Vec<T>) {
    if v.len() == v.capacity() {
        v.reserve_exact((v.len() / 4).max(16));
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for BoundedVec<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an array of {}", self.what)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut items = Vec::new();
        loop {
            if items.len() == self.max {
                if seq.next_element::<IgnoredAny>()?.is_some() {
                    return Err(de::Error::custom(format!(
                        "more than {} {}; that is more than any valid file has",
                        self.max, self.what
                    )));
                }
                break;
            }
            grow(&mut items);
            match seq.next_element()? {
                Some(item) => items.push(item),
                None => break,
            }
        }
        items.shrink_to_fit();
        Ok(items)
    }
}

/// The largest number of rows or of values in one row of any matrix: no
/// layer has more neurons, nor more presynaptic neurons.
const MAX_ROW: usize = crate::validate::limits::MAX_LAYER_SIZE;

/// Most bytes a matrix's buffer grows by at once. The values of a matrix
/// of one-digit weights (`0,`: two bytes of file, eight in memory) alone
/// take four times the file, leaving no room for slack in proportion to
/// the matrix: a quarter more (as [`grow`] gives) would take five times.
/// So the slack is at most this constant. The many steps of a large
/// matrix cost no copying where the allocator moves large blocks by
/// remapping their pages (glibc's `realloc` does, through `mremap`).
const MAX_MATRIX_STEP: usize = 4 << 20;

/// Capacity growth of a matrix's buffer: a quarter more, at least 16
/// values, at most [`MAX_MATRIX_STEP`] bytes.
fn grow_matrix<T>(v: &mut Vec<T>) {
    if v.len() == v.capacity() {
        let most = (MAX_MATRIX_STEP / std::mem::size_of::<T>().max(1)).max(16);
        v.reserve_exact((v.len() / 4).clamp(16, most));
    }
}

/// Reads a matrix (`weights`, `delays.values`) of at most [`MAX_ROW`] rows
/// of at most [`MAX_ROW`] values each, every row as long as row 0. The
/// values go straight into the matrix's one buffer, so the matrix costs
/// what its values cost (8 bytes a weight, 4 a delay) whatever the row
/// lengths; a ragged row is refused as it is read, naming the row.
pub(crate) fn matrix<'de, D, T>(d: D) -> Result<Matrix<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    d.deserialize_seq(MatrixVisitor {
        max: MAX_ROW,
        item: PhantomData,
    })
}

struct MatrixVisitor<T> {
    max: usize,
    item: PhantomData<T>,
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for MatrixVisitor<T> {
    type Value = Matrix<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of rows, each an array of integers")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Matrix<T>, A::Error> {
        let mut values: Vec<T> = Vec::new();
        let mut rows = 0;
        // Row 0's length, once it is read: every other row must match it.
        let mut row_len = None;
        loop {
            if rows == self.max {
                if seq.next_element::<IgnoredAny>()?.is_some() {
                    return Err(de::Error::custom(format!(
                        "more than {} rows; no layer has that many presynaptic neurons",
                        self.max
                    )));
                }
                break;
            }
            let row = Row {
                max: self.max,
                expected: row_len,
                values: &mut values,
            };
            match seq.next_element_seed(row)? {
                Some(len) => {
                    row_len = Some(len);
                    rows += 1;
                }
                None => break,
            }
        }
        values.shrink_to_fit();
        Ok(Matrix::from_parts(values, rows, row_len.unwrap_or(0)))
    }
}

/// One matrix row, appended to the matrix's buffer; gives its length.
struct Row<'b, T> {
    max: usize,
    /// Row 0's length, for every row after it.
    expected: Option<usize>,
    values: &'b mut Vec<T>,
}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for Row<'_, T> {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_seq(self)
    }
}

/// The message for a row of `found` values in a matrix whose row 0 has
/// `expected`.
fn ragged(expected: usize, found: usize) -> String {
    format!("expected {expected} values (as row 0 has), found {found}")
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for Row<'_, T> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a row, an array of integers")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        let start = self.values.len();
        while let Some(value) = seq.next_element()? {
            let len = self.values.len() - start;
            match self.expected {
                Some(expected) if len == expected => {
                    // Too long: the rest is read (each value still checked
                    // to be an integer) but not kept, to say how long.
                    let mut found = len + 1;
                    while seq.next_element::<T>()?.is_some() {
                        found += 1;
                    }
                    return Err(de::Error::custom(ragged(expected, found)));
                }
                None if len == self.max => {
                    return Err(de::Error::custom(format!(
                        "a row of more than {} values; no layer has that many neurons",
                        self.max
                    )));
                }
                _ => {}
            }
            grow_matrix(self.values);
            self.values.push(value);
        }
        let len = self.values.len() - start;
        match self.expected {
            Some(expected) if len != expected => Err(de::Error::custom(ragged(expected, len))),
            _ => Ok(len),
        }
    }
}

/// `layers` of a model, or of a result sample: at most as many as
/// validation accepts.
pub(crate) fn layers<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    bounded_vec(d, crate::validate::limits::MAX_LAYERS, "layers")
}

/// A list without a limit of its own (samples, events), read with bounded
/// growth.
pub(crate) fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    bounded_vec(d, usize::MAX, "values")
}

/// A per-neuron list (a bias, a result's per-output values).
struct PerNeuron<T>(Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for PerNeuron<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        bounded_vec(d, MAX_ROW, "values (one per neuron)").map(PerNeuron)
    }
}

/// `bias`: absent or `null` is no bias.
pub(crate) fn bias<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<i64>>, D::Error> {
    Ok(Option::<PerNeuron<i64>>::deserialize(d)?.map(|b| b.0))
}

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
