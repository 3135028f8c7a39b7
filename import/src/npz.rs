//! `.npz` import: NumPy arrays (one per parameter per layer, in a `.npz`
//! archive as written by `np.savez` or `np.savez_compressed`) plus a small
//! JSON spec saying what each layer is. The format is documented, with an
//! example, in `docs/import.md`.
//!
//! The archive is read by a small zip reader of its own (stored and
//! deflate members, zip64 sizes) and a `.npy` parser for the numeric
//! types NumPy writes.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use serde::Deserialize;
use spikegate_model::validate::limits;
use spikegate_model::{Decode, Reset};

use crate::budget::Budget;
use crate::error::ImportError;
use crate::float::{FloatKind, FloatLayer, FloatNetwork};
use crate::nir::read_limited;
use crate::{ImportOptions, ResetRule};

/// Format identifier of the spec file.
pub const SPEC_FORMAT: &str = "spikegate-npz/1";

/// An array read from a `.npy` member: shape and values in row-major order.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyArray {
    /// Shape (empty for a scalar).
    pub shape: Vec<usize>,
    /// Values, row-major (C order), as `f64`.
    pub values: Vec<f64>,
}

/// The spec file: what each layer is and which arrays hold its parameters.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Must be [`SPEC_FORMAT`].
    pub format: String,
    /// The network's name (default: the archive's stem).
    #[serde(default)]
    pub name: Option<String>,
    /// Input neurons.
    pub inputs: usize,
    /// Time step in seconds, needed only when a layer gives time constants
    /// (`tau`, `tau_syn`) instead of per-step factors; `--dt` overrides it.
    #[serde(default)]
    pub dt: Option<f64>,
    /// Output decoding (default `spike_count`, or `readout` when the last
    /// layer is `li` or `i`).
    #[serde(default)]
    pub decode: Option<Decode>,
    /// The layers, input side first.
    pub layers: Vec<SpecLayer>,
}

/// A parameter given as a number or as the name of an array in the archive.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Value {
    /// One value for every neuron.
    Number(f64),
    /// An array of the archive: one value or one per neuron.
    Array(String),
}

/// One layer of the spec.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecLayer {
    /// Layer name (default `layer<index>`).
    #[serde(default)]
    pub name: Option<String>,
    /// `if`, `lif`, `cuba` (spiking) or `li`, `i`, `cuba_li` (non-spiking,
    /// last layer only: a readout).
    pub kind: String,
    /// Array holding the weights, `[out, in]` (PyTorch's `Linear.weight`).
    pub weights: String,
    /// Array holding the bias, `[out]` (optional).
    #[serde(default)]
    pub bias: Option<String>,
    /// Membrane decay per step (`lif`, `li`, `cuba`, `cuba_li`).
    #[serde(default)]
    pub beta: Option<Value>,
    /// Membrane time constant in seconds, instead of `beta`
    /// (`beta = 1 - dt / tau`).
    #[serde(default)]
    pub tau: Option<Value>,
    /// Current decay per step (`cuba`, `cuba_li`).
    #[serde(default)]
    pub alpha: Option<Value>,
    /// Current time constant in seconds, instead of `alpha`.
    #[serde(default)]
    pub tau_syn: Option<Value>,
    /// Firing threshold (spiking kinds): a neuron fires when `v > threshold`.
    #[serde(default)]
    pub threshold: Option<Value>,
    /// `zero` (default), `subtract` or `none`.
    #[serde(default)]
    pub reset: Option<String>,
    /// Array of per-synapse delays in steps, `[out, in]` (optional).
    #[serde(default)]
    pub delays: Option<String>,
}

/// Reads `npz` and `spec` into a discretized network, with the `dt` used
/// and any notes for the report.
pub fn load(
    npz: &Path,
    spec_path: &Path,
    options: &ImportOptions,
) -> Result<(FloatNetwork, Option<f64>, Vec<String>), ImportError> {
    let text = read_limited(spec_path)?;
    let text = String::from_utf8(text)
        .map_err(|_| ImportError::file(spec_path, "the spec is not UTF-8 text"))?;
    let mut de = serde_json::Deserializer::from_str(&text);
    let spec: Spec = serde::Deserialize::deserialize(&mut de)
        .map_err(|e| ImportError::file(spec_path, format!("not a valid spec: {e}")))?;
    if spec.format != SPEC_FORMAT {
        return Err(ImportError::field(
            spec_path,
            "format",
            format!("expected \"{SPEC_FORMAT}\", found \"{}\"", spec.format),
        ));
    }
    if spec.inputs == 0 || spec.inputs > limits::MAX_LAYER_SIZE {
        return Err(ImportError::field(
            spec_path,
            "inputs",
            format!(
                "must be between 1 and {}, not {}",
                limits::MAX_LAYER_SIZE,
                spec.inputs
            ),
        ));
    }
    if spec.layers.is_empty() {
        return Err(ImportError::field(
            spec_path,
            "layers",
            "the spec has no layers",
        ));
    }
    let arrays = read_npz(npz)?;
    let dt = options.dt.or(spec.dt);
    if let Some(dt) = spec.dt {
        if !(dt.is_finite() && dt > 0.0) {
            return Err(ImportError::field(
                spec_path,
                "dt",
                format!("must be a positive number of seconds, not {dt}"),
            ));
        }
    }
    let mut layers = Vec::new();
    let mut fan_in = spec.inputs;
    let count = spec.layers.len();
    for (index, l) in spec.layers.iter().enumerate() {
        let name = l.name.clone().unwrap_or_else(|| format!("layer{index}"));
        let ctx = LayerCtx {
            spec: spec_path,
            npz,
            place: format!("layer {index} ({name})"),
            arrays: &arrays,
        };
        let layer = ctx.layer(l, name, fan_in, dt, index + 1 == count, options)?;
        fan_in = layer.size;
        layers.push(layer);
    }
    let last = layers.last().expect("at least one layer");
    let decode = match (options.decode.or(spec.decode), last.spiking) {
        (None, true) => Decode::SpikeCount,
        (None, false) => Decode::Readout,
        (Some(Decode::Readout), true) | (Some(Decode::FirstSpike | Decode::SpikeCount), false) => {
            return Err(ImportError::field(
                spec_path,
                "decode",
                "readout decoding goes with a non-spiking last layer (`li`, `i`, `cuba_li`), and only with one",
            ))
        }
        (Some(d), _) => d,
    };
    let name = options.name.clone().or(spec.name).unwrap_or_else(|| {
        npz.file_stem()
            .map_or("imported".to_owned(), |s| s.to_string_lossy().into_owned())
    });
    Ok((
        FloatNetwork {
            name,
            inputs: spec.inputs,
            layers,
            decode,
        },
        dt,
        Vec::new(),
    ))
}

struct LayerCtx<'a> {
    spec: &'a Path,
    npz: &'a Path,
    place: String,
    arrays: &'a BTreeMap<String, NpyArray>,
}

impl LayerCtx<'_> {
    fn err(&self, field: &str, message: impl Into<String>) -> ImportError {
        ImportError::at(self.spec, &self.place, Some(field), message)
    }

    fn array(&self, field: &str, name: &str) -> Result<&NpyArray, ImportError> {
        let a = self.arrays.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.arrays.keys().map(String::as_str).collect();
            self.err(
                field,
                format!(
                    "no array `{name}` in {} (it holds: {})",
                    self.npz.display(),
                    known.join(", ")
                ),
            )
        })?;
        if let Some(k) = a.values.iter().position(|v| !v.is_finite()) {
            return Err(self.err(
                field,
                format!(
                    "array `{name}`: value {k} is {}; parameters must be finite numbers",
                    a.values[k]
                ),
            ));
        }
        Ok(a)
    }

    /// A per-neuron value of `n` neurons.
    fn vector(&self, field: &str, value: &Value, n: usize) -> Result<Vec<f64>, ImportError> {
        match value {
            Value::Number(x) if x.is_finite() => Ok(vec![*x; n]),
            Value::Number(x) => Err(self.err(field, format!("{x} is not a finite number"))),
            Value::Array(name) => {
                let a = self.array(field, name)?;
                match a.values.len() {
                    1 => Ok(vec![a.values[0]; n]),
                    len if len == n => Ok(a.values.clone()),
                    _ => Err(self.err(
                        field,
                        format!("array `{name}` has shape {:?}; expected {n} values (one per neuron) or 1", a.shape),
                    )),
                }
            }
        }
    }

    /// A decay factor per step, from `factor` (per step) or `tau` (seconds).
    fn decay(
        &self,
        factor: (&str, &Option<Value>),
        tau: (&str, &Option<Value>),
        n: usize,
        dt: Option<f64>,
    ) -> Result<Vec<f64>, ImportError> {
        let f = match (factor.1, tau.1) {
            (Some(_), Some(_)) => {
                return Err(self.err(
                    factor.0,
                    format!("give `{}` or `{}`, not both", factor.0, tau.0),
                ))
            }
            (Some(v), None) => self.vector(factor.0, v, n)?,
            (None, Some(v)) => {
                let dt = dt.ok_or_else(|| {
                    self.err(tau.0, "a time constant needs a time step: give `dt` in the spec or pass --dt SECONDS")
                })?;
                let taus = self.vector(tau.0, v, n)?;
                if let Some(k) = taus.iter().position(|&t| t <= 0.0 || dt / t > 1.0) {
                    return Err(self.err(
                        tau.0,
                        format!(
                            "value {k} is {}; it must be positive and at least dt = {dt}",
                            taus[k]
                        ),
                    ));
                }
                taus.iter().map(|t| 1.0 - dt / t).collect()
            }
            (None, None) => {
                return Err(self.err(
                    factor.0,
                    format!(
                        "missing: give `{}` (per step) or `{}` (seconds)",
                        factor.0, tau.0
                    ),
                ))
            }
        };
        if let Some(k) = f.iter().position(|x| !(0.0..=1.0).contains(x)) {
            return Err(self.err(
                factor.0,
                format!("value {k} is {}; a decay factor lies in [0, 1]", f[k]),
            ));
        }
        Ok(f)
    }

    fn layer(
        &self,
        l: &SpecLayer,
        name: String,
        fan_in: usize,
        dt: Option<f64>,
        last: bool,
        options: &ImportOptions,
    ) -> Result<FloatLayer, ImportError> {
        let w = self.array("weights", &l.weights)?;
        let (n, inp) = match w.shape[..] {
            [out, inp] if out > 0 => (out, inp),
            _ => {
                return Err(self.err(
                    "weights",
                    format!(
                        "array `{}` has shape {:?}; expected [out, in]",
                        l.weights, w.shape
                    ),
                ))
            }
        };
        if inp != fan_in {
            return Err(self.err(
                "weights",
                format!("array `{}` has shape {:?}: it takes {inp} inputs, but the layer before gives {fan_in}", l.weights, w.shape),
            ));
        }
        if n > limits::MAX_LAYER_SIZE {
            return Err(self.err(
                "weights",
                format!("{n} neurons is more than spikegate accepts"),
            ));
        }
        let weights = fan_out_rows(&w.values, n, inp, |v| v);
        let bias = match &l.bias {
            Some(b) => self.vector("bias", &Value::Array(b.clone()), n)?,
            None => vec![0.0; n],
        };
        let spiking = match l.kind.as_str() {
            "if" | "lif" | "cuba" => true,
            "li" | "i" | "cuba_li" => false,
            other => {
                return Err(self.err(
                    "kind",
                    format!("unknown kind `{other}`; spikegate imports if, lif, cuba (spiking) and li, i, cuba_li (readout)"),
                ))
            }
        };
        if !spiking && !last {
            return Err(self.err(
                "kind",
                format!(
                    "a `{}` layer does not spike, so it can only be the last layer (a readout)",
                    l.kind
                ),
            ));
        }
        let kind = match l.kind.as_str() {
            "if" | "i" => FloatKind::If,
            "lif" | "li" => FloatKind::Lif {
                decay: self.decay(("beta", &l.beta), ("tau", &l.tau), n, dt)?,
            },
            _ => FloatKind::Cuba {
                current: self.decay(("alpha", &l.alpha), ("tau_syn", &l.tau_syn), n, dt)?,
                membrane: self.decay(("beta", &l.beta), ("tau", &l.tau), n, dt)?,
            },
        };
        let threshold = if spiking {
            let v = l.threshold.as_ref().ok_or_else(|| {
                self.err("threshold", "missing: a spiking layer needs a threshold")
            })?;
            let t = self.vector("threshold", v, n)?;
            if let Some(k) = t.iter().position(|&x| x <= 0.0) {
                return Err(self.err(
                    "threshold",
                    format!("value {k} is {}; thresholds must be positive", t[k]),
                ));
            }
            t
        } else {
            vec![0.0; n]
        };
        let reset = match (options.reset, l.reset.as_deref()) {
            (ResetRule::Zero, _) => Reset::Zero,
            (ResetRule::Subtract, _) => Reset::Subtract,
            (ResetRule::Nir, None | Some("zero")) => Reset::Zero,
            (ResetRule::Nir, Some("subtract")) => Reset::Subtract,
            (ResetRule::Nir, Some("none")) => Reset::None,
            (ResetRule::Nir, Some(other)) => {
                return Err(self.err(
                    "reset",
                    format!("unknown reset `{other}`; use \"zero\", \"subtract\" or \"none\""),
                ))
            }
        };
        let delays =
            match &l.delays {
                None => None,
                Some(d) => {
                    let a = self.array("delays", d)?;
                    if a.shape != w.shape {
                        return Err(self.err(
                            "delays",
                            format!(
                                "array `{d}` has shape {:?}; expected the weights' shape {:?}",
                                a.shape, w.shape
                            ),
                        ));
                    }
                    if let Some(k) = a.values.iter().position(|&x| {
                        x < 0.0 || x.fract() != 0.0 || x > f64::from(limits::MAX_DELAY)
                    }) {
                        return Err(self.err(
                            "delays",
                            format!(
                                "array `{d}`: value {k} is {}; delays are whole steps in 0..={}",
                                a.values[k],
                                limits::MAX_DELAY
                            ),
                        ));
                    }
                    let values = fan_out_rows(&a.values, n, inp, |v| v as u32);
                    Some(values)
                }
            };
        Ok(FloatLayer {
            name,
            sources: vec![self.place.clone()],
            size: n,
            kind,
            weights,
            bias,
            threshold,
            reset,
            spiking,
            delays,
        })
    }
}

/// `[out, in]` row-major values as fan-out rows `[in][out]`.
fn fan_out_rows<T>(values: &[f64], out: usize, inp: usize, f: impl Fn(f64) -> T) -> Vec<Vec<T>> {
    (0..inp)
        .map(|j| (0..out).map(|i| f(values[i * inp + j])).collect())
        .collect()
}

/// The `N` bytes at `at`, if the archive has them. Offsets come from the
/// file (up to 2^64 - 1 in zip64 records), so the end is a checked sum.
fn bytes_at<const N: usize>(b: &[u8], at: usize) -> Option<[u8; N]> {
    b.get(at..at.checked_add(N)?)?.try_into().ok()
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    bytes_at(b, at).map(u16::from_le_bytes)
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    bytes_at(b, at).map(u32::from_le_bytes)
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    bytes_at(b, at).map(u64::from_le_bytes)
}

/// Reads every `.npy` member of the archive at `path`, by name without
/// the `.npy` suffix (as `np.load` names them).
///
/// Every member's CRC-32 is checked, so a damaged archive is refused rather
/// than read as changed weights, and what the members unpack to is bounded
/// in total by the archive's size ([`crate::budget`]).
pub fn read_npz(path: &Path) -> Result<BTreeMap<String, NpyArray>, ImportError> {
    let bytes = read_limited(path)?;
    let mut budget = Budget::for_file(bytes.len() as u64);
    let mut arrays = BTreeMap::new();
    for_each_member(&bytes, &mut budget, |name, data, budget| {
        let key = name.strip_suffix(".npy").unwrap_or(name).to_owned();
        let array = parse_npy(data, budget).map_err(|e| {
            ImportError::at(
                path,
                format!("array `{key}` (member `{name}`)"),
                e.field,
                e.message,
            )
        })?;
        arrays.insert(key, array);
        Ok(())
    })
    .map_err(|e| match e {
        MemberError::Archive(m) => ImportError::file(path, m),
        MemberError::Member(name, m) => ImportError::at(path, format!("member `{name}`"), None, m),
        MemberError::Import(e) => e,
    })?;
    Ok(arrays)
}

/// Why the archive's members cannot be read.
enum MemberError {
    /// The archive as a whole (no directory, truncated).
    Archive(String),
    /// One member, by its name in the archive.
    Member(String, String),
    /// What the member's reader said.
    Import(ImportError),
}

/// Calls `each` with the name and unpacked bytes of every member of the zip
/// archive `b`, in directory order. A member is unpacked only when the
/// budget allows its declared size, and dropped before the next one is
/// unpacked, so at most one member's bytes are held at a time.
fn for_each_member(
    b: &[u8],
    budget: &mut Budget,
    mut each: impl FnMut(&str, &[u8], &mut Budget) -> Result<(), ImportError>,
) -> Result<(), MemberError> {
    let not_zip = || {
        MemberError::Archive(
            "not a .npz archive (no zip directory found; write it with np.savez)".to_owned(),
        )
    };
    let truncated = || MemberError::Archive("the .npz archive is truncated or damaged".to_owned());
    if b.len() < 22 {
        return Err(not_zip());
    }
    let lowest = b.len().saturating_sub(22 + 65535);
    let eocd = (lowest..=b.len() - 22)
        .rev()
        .find(|&i| u32_at(b, i) == Some(0x0605_4b50))
        .ok_or_else(not_zip)?;
    let mut entries = u64::from(u16_at(b, eocd + 10).ok_or_else(truncated)?);
    let mut dir = u64::from(u32_at(b, eocd + 16).ok_or_else(truncated)?);
    // Zip64 end of central directory, when the classic fields overflow.
    if (entries == 0xFFFF || dir == 0xFFFF_FFFF)
        && eocd >= 20
        && u32_at(b, eocd - 20) == Some(0x0706_4b50)
    {
        let at = usize::try_from(u64_at(b, eocd - 20 + 8).ok_or_else(truncated)?)
            .map_err(|_| truncated())?;
        if u32_at(b, at) != Some(0x0606_4b50) {
            return Err(truncated());
        }
        entries = u64_at(b, at.checked_add(32).ok_or_else(truncated)?).ok_or_else(truncated)?;
        dir = u64_at(b, at.checked_add(48).ok_or_else(truncated)?).ok_or_else(truncated)?;
    }
    let mut at = usize::try_from(dir).map_err(|_| truncated())?;
    // Every entry takes at least 46 bytes of the directory, so a damaged
    // count ends at the archive's end rather than looping on.
    for _ in 0..entries {
        if u32_at(b, at) != Some(0x0201_4b50) {
            return Err(truncated());
        }
        let method = u16_at(b, at + 10).ok_or_else(truncated)?;
        let crc = u32_at(b, at + 16).ok_or_else(truncated)?;
        let mut csize = u64::from(u32_at(b, at + 20).ok_or_else(truncated)?);
        let mut usize_ = u64::from(u32_at(b, at + 24).ok_or_else(truncated)?);
        let name_len = usize::from(u16_at(b, at + 28).ok_or_else(truncated)?);
        let extra_len = usize::from(u16_at(b, at + 30).ok_or_else(truncated)?);
        let comment_len = usize::from(u16_at(b, at + 32).ok_or_else(truncated)?);
        let mut local = u64::from(u32_at(b, at + 42).ok_or_else(truncated)?);
        let name_bytes = b.get(at + 46..at + 46 + name_len).ok_or_else(truncated)?;
        let name = String::from_utf8_lossy(name_bytes).into_owned();
        // Zip64 extra field: the overflowed values, in order.
        let extra = b
            .get(at + 46 + name_len..at + 46 + name_len + extra_len)
            .ok_or_else(truncated)?;
        let mut e = 0;
        while e + 4 <= extra.len() {
            let id = u16_at(extra, e).unwrap_or(0);
            let len = usize::from(u16_at(extra, e + 2).unwrap_or(0));
            if id == 1 {
                let mut f = e + 4;
                for field in [&mut usize_, &mut csize, &mut local] {
                    if *field == 0xFFFF_FFFF {
                        *field = u64_at(extra, f).ok_or_else(truncated)?;
                        f += 8;
                    }
                }
            }
            e += 4 + len;
        }
        at += 46 + name_len + extra_len + comment_len;
        if name.ends_with('/') {
            continue;
        }
        let member = |m: String| MemberError::Member(name.clone(), m);
        let damaged = || member("the member is truncated or damaged".to_owned());
        let local = usize::try_from(local).map_err(|_| damaged())?;
        if u32_at(b, local) != Some(0x0403_4b50) {
            return Err(damaged());
        }
        let start = local
            .checked_add(30)
            .and_then(|s| s.checked_add(usize::from(u16_at(b, local + 26)?)))
            .and_then(|s| s.checked_add(usize::from(u16_at(b, local + 28)?)))
            .ok_or_else(damaged)?;
        let end = usize::try_from(csize)
            .ok()
            .and_then(|c| start.checked_add(c))
            .ok_or_else(damaged)?;
        let raw = b.get(start..end).ok_or_else(damaged)?;
        let inflated;
        let data: &[u8] = match method {
            // Stored: read in place, nothing to allocate.
            0 => raw,
            8 => {
                // The declared size is charged (in total over all members,
                // not one by one) before anything is inflated.
                budget
                    .take(usize_, "the member unpacks to")
                    .map_err(member)?;
                let cap = usize::try_from(usize_).map_err(|_| damaged())?;
                let mut data = Vec::with_capacity(cap);
                flate2::read::DeflateDecoder::new(raw)
                    .take(usize_)
                    .read_to_end(&mut data)
                    .map_err(|e| member(format!("the member cannot be inflated: {e}")))?;
                inflated = data;
                &inflated
            }
            m => return Err(member(format!("the member uses zip compression method {m}; spikegate reads stored and deflate members (np.savez, np.savez_compressed)"))),
        };
        if data.len() as u64 != usize_ {
            return Err(member(format!(
                "the member is damaged: it unpacks to {} bytes, the archive records {usize_}",
                data.len()
            )));
        }
        let mut sum = flate2::Crc::new();
        sum.update(data);
        if sum.sum() != crc {
            return Err(member(format!(
                "the member is damaged: its CRC-32 is {:08x}, the archive records {crc:08x}",
                sum.sum()
            )));
        }
        each(&name, data, budget).map_err(MemberError::Import)?;
    }
    Ok(())
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
    fn new(field: Option<&'static str>, message: impl Into<String>) -> Self {
        NpyError {
            field,
            message: message.into(),
        }
    }
}

/// The numeric `.npy` type codes spikegate reads (`descr` without its
/// byte-order character), for messages.
const NPY_TYPES: &str = "f4, f8 (float32/64), i1-i8 (int8-64), u1-u8 (uint8-64), b1 (bool)";

/// Parses one `.npy` file: version 1 to 3 header, numeric dtypes of 1 to
/// 8 bytes in either byte order, C or Fortran order. The values (8 bytes
/// each) are charged to `budget` before they are allocated.
pub(crate) fn parse_npy(b: &[u8], budget: &mut Budget) -> Result<NpyArray, NpyError> {
    let whole = |m: &str| NpyError::new(None, m);
    if !b.starts_with(b"\x93NUMPY") || b.len() < 10 {
        return Err(whole("not a .npy array (no NUMPY signature)"));
    }
    let (len, start): (usize, usize) = match b[6] {
        1 => (usize::from(u16_at(b, 8).unwrap_or(0)), 10),
        2 | 3 => (
            u32_at(b, 8).ok_or_else(|| whole("truncated .npy header"))? as usize,
            12,
        ),
        v => return Err(whole(&format!(".npy version {v} is not supported"))),
    };
    let header = start
        .checked_add(len)
        .and_then(|end| b.get(start..end))
        .ok_or_else(|| whole("truncated .npy header"))?;
    let header = std::str::from_utf8(header).map_err(|_| whole("the .npy header is not text"))?;
    let field = |key: &'static str| -> Result<&str, NpyError> {
        let at = header
            .find(&format!("'{key}'"))
            .ok_or_else(|| NpyError::new(Some(key), format!("the .npy header has no `{key}`")))?;
        Ok(header[at + key.len() + 2..]
            .trim_start()
            .trim_start_matches(':')
            .trim_start())
    };
    let descr = field("descr")?;
    let descr = descr
        .strip_prefix('\'')
        .and_then(|d| d.split('\'').next())
        .ok_or_else(|| {
            NpyError::new(
                Some("descr"),
                "not a simple type string (structured arrays are not supported)",
            )
        })?;
    let dtype = NpyType::parse(descr).map_err(|m| NpyError::new(Some("descr"), m))?;
    let fortran = field("fortran_order")?.starts_with("True");
    let shape_text = field("shape")?;
    let bad_shape = |m: String| NpyError::new(Some("shape"), m);
    let shape_text = shape_text
        .strip_prefix('(')
        .and_then(|s| s.split(')').next())
        .ok_or_else(|| bad_shape("not a tuple".to_owned()))?;
    let shape: Vec<usize> = shape_text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<usize>()
                .map_err(|_| bad_shape(format!("bad entry `{s}`")))
        })
        .collect::<Result<_, _>>()?;
    let count = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| bad_shape(format!("{shape:?} holds more values than can be counted")))?;
    let size = dtype.size;
    let data = &b[start + len..];
    let need = count
        .checked_mul(size)
        .ok_or_else(|| bad_shape(format!("{shape:?} holds more values than can be counted")))?;
    if data.len() < need {
        return Err(whole(&format!(
            "the .npy data is truncated: {count} values of {size} bytes expected, {} bytes present",
            data.len()
        )));
    }
    // A Fortran-order array is reordered into a second buffer of the same size.
    let copies = if fortran && shape.len() > 1 { 2 } else { 1 };
    budget
        .take(
            (count as u64).saturating_mul(8 * copies),
            &format!("its shape {shape:?} is read as"),
        )
        .map_err(bad_shape)?;
    let mut values = Vec::with_capacity(count);
    for k in 0..count {
        values.push(dtype.value(&data[k * size..k * size + size]));
    }
    if fortran && shape.len() > 1 {
        // Column-major to row-major.
        let mut c = vec![0.0; count];
        let nd = shape.len();
        let mut idx = vec![0usize; nd];
        for &v in values.iter() {
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
        values = c;
    }
    Ok(NpyArray { shape, values })
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
