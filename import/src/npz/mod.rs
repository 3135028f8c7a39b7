//! `.npz` import: NumPy arrays (one per parameter per layer, in a `.npz`
//! archive as written by `np.savez` or `np.savez_compressed`) plus a small
//! JSON spec saying what each layer is. The format is documented, with an
//! example, in `docs/import.md`.
//!
//! The archive is read by a small zip reader of its own (`zip`: stored
//! and deflate members, zip64 sizes) and a `.npy` parser for the numeric
//! types NumPy writes (`npy`); the spec (`spec`) then says how the
//! arrays make layers (`layer`).

mod bytes;
mod layer;
mod npy;
mod spec;
mod zip;

use std::collections::BTreeMap;
use std::path::Path;

use spikegate_model::Decode;

use crate::budget::{read_limited, Budget};
use crate::error::ImportError;
use crate::float::{name_from_file, FloatLayer, FloatNetwork};
use crate::ImportOptions;

pub use npy::{NpyArray, NpyError};
pub use spec::{Spec, SpecLayer, Value, SPEC_FORMAT};

use zip::{for_each_member, MemberError};

/// Reads `npz` and `spec` into a discretized network, with the `dt` used
/// and any notes for the report.
pub fn load(
    npz: &Path,
    spec_path: &Path,
    options: &ImportOptions,
) -> Result<(FloatNetwork, Option<f64>, Vec<String>), ImportError> {
    let spec = spec::read_spec(spec_path)?;
    let arrays = read_npz(npz)?;
    spec.check_dt(spec_path)?;
    let dt = options.dt.or(spec.dt);
    let layers = layer::build_layers(&spec, spec_path, npz, &arrays, dt, options)?;
    let decode = choose_decode(spec_path, options.decode.or(spec.decode), &layers)?;
    let name = options
        .name
        .clone()
        .or(spec.name)
        .unwrap_or_else(|| name_from_file(npz));
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

/// The output decoding: the chosen one if it fits the last layer (readout
/// goes with a non-spiking last layer and only with one), else the default
/// for the last layer.
fn choose_decode(
    spec_path: &Path,
    chosen: Option<Decode>,
    layers: &[FloatLayer],
) -> Result<Decode, ImportError> {
    let last = layers.last().expect("at least one layer");
    match (chosen, last.spiking) {
        (None, true) => Ok(Decode::SpikeCount),
        (None, false) => Ok(Decode::Readout),
        (Some(Decode::Readout), true) | (Some(Decode::FirstSpike | Decode::SpikeCount), false) => {
            Err(ImportError::field(
                spec_path,
                "decode",
                "readout decoding goes with a non-spiking last layer (`li`, `i`, `cuba_li`), and only with one",
            ))
        }
        (Some(d), _) => Ok(d),
    }
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
        let array = npy::parse_npy(data, budget).map_err(|e| {
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
