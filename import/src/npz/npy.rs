//! One `.npy` array (NumPy's own format, a member of the `.npz` archive):
//! a text header with the element type, the shape and the order, then the
//! values. spikegate reads the numeric types NumPy writes, as `f64`.

use crate::budget::Budget;

use super::bytes::{u16_at, u32_at};

/// An array read from a `.npy` member: shape and values in row-major order.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyArray {
    /// Shape (empty for a scalar).
    pub shape: Vec<usize>,
    /// Values, row-major (C order), as `f64`.
    pub values: Vec<f64>,
}

/// Why a `.npy` member cannot be read: the header field at fault, if one
/// is, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpyError {
    /// The header field (`descr`, `shape`, `fortran_order`), when the fault
    /// is in one.
    pub field: Option<&'static str>,
    /// What is wrong.
    pub message: String,
}

impl NpyError {
    /// An error at `field` (none: the array as a whole).
    fn new(field: Option<&'static str>, message: impl Into<String>) -> Self {
        NpyError {
            field,
            message: message.into(),
        }
    }

    /// A fault in the array as a whole, not in one header field.
    fn whole(message: impl Into<String>) -> Self {
        NpyError::new(None, message)
    }

    /// A fault in the header's `shape`.
    fn shape(message: String) -> Self {
        NpyError::new(Some("shape"), message)
    }
}

/// The numeric `.npy` type codes spikegate reads (`descr` without its
/// byte-order character), for messages.
const NPY_TYPES: &str = "f4, f8 (float32/64), i1-i8 (int8-64), u1-u8 (uint8-64), b1 (bool)";

/// Parses one `.npy` file: version 1 to 3 header, numeric dtypes of 1 to
/// 8 bytes in either byte order, C or Fortran order. The values (8 bytes
/// each) are charged to `budget` before they are allocated.
pub(super) fn parse_npy(b: &[u8], budget: &mut Budget) -> Result<NpyArray, NpyError> {
    let (header, data) = split_header(b)?;
    let dtype = parse_descr(header_value(header, "descr")?)?;
    let fortran = header_value(header, "fortran_order")?.starts_with("True");
    let shape = parse_shape(header_value(header, "shape")?)?;
    let values = read_values(data, dtype, &shape, fortran, budget)?;
    Ok(NpyArray { shape, values })
}

/// The header's text and the data after it. The header's length field is
/// 2 bytes in version 1 and 4 bytes in versions 2 and 3.
fn split_header(b: &[u8]) -> Result<(&str, &[u8]), NpyError> {
    if !b.starts_with(b"\x93NUMPY") || b.len() < 10 {
        return Err(NpyError::whole("not a .npy array (no NUMPY signature)"));
    }
    let truncated = || NpyError::whole("truncated .npy header");
    let (len, start): (usize, usize) = match b[6] {
        1 => (usize::from(u16_at(b, 8).unwrap_or(0)), 10),
        2 | 3 => (u32_at(b, 8).ok_or_else(truncated)? as usize, 12),
        v => {
            return Err(NpyError::whole(format!(
                ".npy version {v} is not supported"
            )))
        }
    };
    let end = start.checked_add(len).ok_or_else(truncated)?;
    let header = b.get(start..end).ok_or_else(truncated)?;
    let header =
        std::str::from_utf8(header).map_err(|_| NpyError::whole("the .npy header is not text"))?;
    Ok((header, &b[end..]))
}

/// The text after `'key':` in the header (a Python dict literal), up to
/// the header's end; the caller reads the value off its front.
fn header_value<'h>(header: &'h str, key: &'static str) -> Result<&'h str, NpyError> {
    let at = header
        .find(&format!("'{key}'"))
        .ok_or_else(|| NpyError::new(Some(key), format!("the .npy header has no `{key}`")))?;
    Ok(header[at + key.len() + 2..]
        .trim_start()
        .trim_start_matches(':')
        .trim_start())
}

/// The element type from the `descr` value, a quoted type string.
fn parse_descr(value: &str) -> Result<NpyType, NpyError> {
    let descr = value
        .strip_prefix('\'')
        .and_then(|d| d.split('\'').next())
        .ok_or_else(|| {
            NpyError::new(
                Some("descr"),
                "not a simple type string (structured arrays are not supported)",
            )
        })?;
    NpyType::parse(descr).map_err(|m| NpyError::new(Some("descr"), m))
}

/// The dimensions from the `shape` value, a Python tuple (`(3, 4)`, `(5,)`
/// or `()` for a scalar).
fn parse_shape(value: &str) -> Result<Vec<usize>, NpyError> {
    let inner = value
        .strip_prefix('(')
        .and_then(|s| s.split(')').next())
        .ok_or_else(|| NpyError::shape("not a tuple".to_owned()))?;
    inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<usize>()
                .map_err(|_| NpyError::shape(format!("bad entry `{s}`")))
        })
        .collect()
}

/// The values of an array of `shape` stored in `data`, in row-major order.
/// What they take is charged to `budget` first: the shape is the file's
/// claim, and the data may be much shorter than it says.
fn read_values(
    data: &[u8],
    dtype: NpyType,
    shape: &[usize],
    fortran: bool,
    budget: &mut Budget,
) -> Result<Vec<f64>, NpyError> {
    let uncountable =
        || NpyError::shape(format!("{shape:?} holds more values than can be counted"));
    let count = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(uncountable)?;
    let size = dtype.size;
    let need = count.checked_mul(size).ok_or_else(uncountable)?;
    if data.len() < need {
        return Err(NpyError::whole(format!(
            "the .npy data is truncated: {count} values of {size} bytes expected, {} bytes present",
            data.len()
        )));
    }
    let reorder = fortran && shape.len() > 1;
    // A Fortran-order array is reordered into a second buffer of the same size.
    let copies = if reorder { 2 } else { 1 };
    budget
        .take(
            (count as u64).saturating_mul(8 * copies),
            &format!("its shape {shape:?} is read as"),
        )
        .map_err(NpyError::shape)?;
    let values: Vec<f64> = data[..need]
        .chunks_exact(size)
        .map(|v| dtype.value(v))
        .collect();
    Ok(if reorder {
        column_to_row_major(&values, shape)
    } else {
        values
    })
}

/// `values` of an array of `shape` stored column-major (Fortran order),
/// reordered row-major (C order).
fn column_to_row_major(values: &[f64], shape: &[usize]) -> Vec<f64> {
    let mut c = vec![0.0; values.len()];
    let nd = shape.len();
    // The index of the current value, first dimension fastest.
    let mut idx = vec![0usize; nd];
    for &v in values {
        let mut off = 0;
        for d in 0..nd {
            off = off * shape[d] + idx[d];
        }
        c[off] = v;
        for d in 0..nd {
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    c
}
/// A numeric `.npy` element type: its kind, width and byte order, checked
/// once so that reading a value cannot fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct NpyType {
    /// `f`, `i`, `u` or `b`.
    class: u8,
    /// Bytes per value: 1, 2, 4 or 8, as the class allows.
    size: usize,
    /// Big-endian (`>`).
    big: bool,
}

impl NpyType {
    /// Parses a `descr` such as `<f8`, `|u1` or `>i4`. Any other string
    /// (empty, non-ASCII, a string or complex type, a width the class does
    /// not have) is refused with a message naming it.
    fn parse(descr: &str) -> Result<Self, String> {
        let unsupported = || {
            format!(
                "unsupported .npy dtype `{}`; spikegate reads {NPY_TYPES}",
                descr.escape_debug()
            )
        };
        if descr.is_empty() {
            return Err(format!("the dtype is empty; spikegate reads {NPY_TYPES}"));
        }
        let d = descr.as_bytes();
        if !descr.is_ascii() || d.len() < 3 {
            return Err(unsupported());
        }
        let big = match d[0] {
            b'<' | b'|' | b'=' => false,
            b'>' => true,
            _ => return Err(unsupported()),
        };
        let size: usize = descr[2..].parse().map_err(|_| unsupported())?;
        let class = d[1];
        let ok = match class {
            b'f' => matches!(size, 4 | 8),
            b'i' | b'u' => matches!(size, 1 | 2 | 4 | 8),
            b'b' => size == 1,
            _ => false,
        };
        if !ok {
            return Err(unsupported());
        }
        Ok(NpyType { class, size, big })
    }

    /// The value of one element of `self.size` bytes.
    fn value(&self, bytes: &[u8]) -> f64 {
        let mut raw = [0u8; 8];
        raw[..self.size].copy_from_slice(bytes);
        if self.big {
            raw[..self.size].reverse();
        }
        let [b0, b1, b2, b3, ..] = raw;
        match (self.class, self.size) {
            (b'f', 4) => f64::from(f32::from_le_bytes([b0, b1, b2, b3])),
            (b'f', _) => f64::from_le_bytes(raw),
            (b'i', 1) => f64::from(b0 as i8),
            (b'i', 2) => f64::from(i16::from_le_bytes([b0, b1])),
            (b'i', 4) => f64::from(i32::from_le_bytes([b0, b1, b2, b3])),
            (b'i', _) => i64::from_le_bytes(raw) as f64,
            (b'u', 2) => f64::from(u16::from_le_bytes([b0, b1])),
            (b'u', 4) => f64::from(u32::from_le_bytes([b0, b1, b2, b3])),
            (b'u', 8) => u64::from_le_bytes(raw) as f64,
            // u1 and b1.
            _ => f64::from(b0),
        }
    }
}
