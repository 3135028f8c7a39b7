//! Hand-written readers for the parts of the file formats that serde's
//! derived code reads too loosely or explains too little: the shared
//! pieces (names, bounded lists, matrices) here, the readers of neuron
//! objects in `neuron_de` and of spikes and decoded outputs in `spike_de`.
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

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde::Deserialize;

use crate::matrix::Matrix;

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

/// A seed that always fails with its message: raising an error through it
/// puts the offending key in the error's path (`neuron.leak`, not
/// `neuron`).
pub(crate) struct Refuse(pub(crate) String);

impl<'de> DeserializeSeed<'de> for Refuse {
    type Value = std::convert::Infallible;

    fn deserialize<D: Deserializer<'de>>(self, _: D) -> Result<Self::Value, D::Error> {
        Err(de::Error::custom(self.0))
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
const MAX_ROW: usize = crate::limits::MAX_LAYER_SIZE;

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
    bounded_vec(d, crate::limits::MAX_LAYERS, "layers")
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
pub(crate) struct PerNeuron<T>(pub(crate) Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for PerNeuron<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        bounded_vec(d, MAX_ROW, "values (one per neuron)").map(PerNeuron)
    }
}

/// `bias`: absent or `null` is no bias.
pub(crate) fn bias<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<i64>>, D::Error> {
    Ok(Option::<PerNeuron<i64>>::deserialize(d)?.map(|b| b.0))
}

/// Read by the streaming matrix reader above, which refuses more than
/// [`crate::limits::MAX_LAYER_SIZE`] rows or values in a row (no layer has
/// more) and a row whose length differs from row 0's.
impl<'de, T: Deserialize<'de>> Deserialize<'de> for Matrix<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        matrix(d)
    }
}
