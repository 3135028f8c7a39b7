//! Reading a NIR file (HDF5) into a plain graph: node names, types, numeric
//! parameters and edges. Nothing here interprets the dynamics; see
//! [`crate::chain`].
//!
//! Layout written by the `nir` Python package (versions 0.1 to 1.x):
//! `/version` (string), `/node` = the root `NIRGraph` group with `type`,
//! `edges` (E x 2 strings) and `nodes/<name>/`, each node a group with a
//! `type` string and one dataset per parameter.

use std::collections::BTreeMap;
use std::path::Path;

use hdf5_reader::group::Group;
use hdf5_reader::{Datatype, Hdf5File, OpenOptions};

use crate::budget::{read_limited, Budget};
use crate::error::{node_place, ImportError};

/// A numeric parameter: its shape and its values (row-major), as `f64`.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// The dataset's shape (empty for a scalar).
    pub shape: Vec<usize>,
    /// The values in row-major order.
    pub values: Vec<f64>,
}

/// One node of a NIR graph.
#[derive(Debug, Clone, PartialEq)]
pub struct NirNode {
    /// The node's name (its group name under `nodes/`).
    pub name: String,
    /// The NIR type (`LIF`, `Affine`, ...).
    pub kind: String,
    /// Numeric parameters by dataset name.
    pub params: BTreeMap<String, Param>,
    /// The node's other datasets (strings, float16, bool, complex, ...),
    /// not read, by name with their type in words (`float16`), so that a
    /// node needing one can name its wrong type rather than call it missing.
    pub other: BTreeMap<String, String>,
}

impl NirNode {
    /// ``node `name` (Kind)``, for messages.
    pub fn place(&self) -> String {
        node_place(&self.name, &self.kind)
    }
}

/// A NIR graph as stored: nodes by name and directed edges.
#[derive(Debug, Clone, PartialEq)]
pub struct NirGraph {
    /// The NIR version string of the file, when present.
    pub version: Option<String>,
    /// Nodes by name.
    pub nodes: BTreeMap<String, NirNode>,
    /// Edges `(from, to)` in file order.
    pub edges: Vec<(String, String)>,
}

fn h5_err(path: &Path, what: &str, e: impl std::fmt::Display) -> ImportError {
    ImportError::file(path, format!("cannot read {what}: {e}"))
}

/// Reads the NIR file at `path`. Refuses files that are not HDF5, are
/// truncated, or lack the NIR layout, naming what is missing.
pub fn read_nir(path: &Path) -> Result<NirGraph, ImportError> {
    let bytes = read_limited(path)?;
    if !bytes.starts_with(b"\x89HDF\r\n\x1a\n") {
        return Err(ImportError::file(
            path,
            "not an HDF5 file (no HDF5 signature at its start); a NIR file is written by `nir.write` as HDF5",
        ));
    }
    // The reader is hardened against malformed files; a panic inside it
    // would still be a bug, so it is turned into an error here rather than
    // taking the program down.
    let result = std::panic::catch_unwind(|| read_graph(path, bytes));
    match result {
        Ok(r) => r,
        Err(_) => Err(ImportError::file(
            path,
            "the HDF5 reader failed on this file (it is damaged or uses an HDF5 feature spikegate cannot read)",
        )),
    }
}

fn read_graph(path: &Path, bytes: Vec<u8>) -> Result<NirGraph, ImportError> {
    let mut budget = Budget::for_file(bytes.len() as u64);
    let cap = usize::try_from(budget.total()).unwrap_or(usize::MAX);
    // The reader's own limits are a second fence behind the budget checks
    // below: no single read, chunk or object header may exceed what this
    // file may allocate in total, and nothing is kept in a chunk cache (each
    // dataset is read once).
    let open = OpenOptions::default()
        .with_max_read_bytes(cap)
        .with_max_chunk_bytes(cap.min(hdf5_reader::DEFAULT_MAX_CHUNK_BYTES))
        .with_max_object_header_bytes(cap.min(hdf5_reader::DEFAULT_MAX_OBJECT_HEADER_BYTES))
        .with_chunk_cache_bytes(0);
    let file = Hdf5File::from_vec_with_options(bytes, open)
        .map_err(|e| h5_err(path, "the HDF5 file", e))?;
    let root = file
        .root_group()
        .map_err(|e| h5_err(path, "the HDF5 root group", e))?;
    let version = match root.dataset("version") {
        Ok(d) => read_scalar_string(&d, &mut budget),
        Err(_) => None,
    };
    let graph = root.group("node").map_err(|_| {
        ImportError::field(
            path,
            "node",
            "no group `/node`: this HDF5 file is not a NIR graph (NIR files keep the graph in `/node`)",
        )
    })?;
    if let Ok(d) = graph.dataset("type") {
        let kind = read_scalar_string(&d, &mut budget).ok_or_else(|| {
            ImportError::field(
                path,
                "node/type",
                "the root node's `type` is not a readable string (the file is damaged)",
            )
        })?;
        if kind != "NIRGraph" {
            return Err(ImportError::field(
                path,
                "node/type",
                format!("the root node is a `{kind}`, not a `NIRGraph`"),
            ));
        }
    }
    let nodes_group = graph
        .group("nodes")
        .map_err(|_| ImportError::field(path, "node/nodes", "the graph has no `nodes` group"))?;
    let (node_groups, _) = nodes_group
        .members()
        .map_err(|e| h5_err(path, "the graph's nodes", e))?;
    let mut nodes = BTreeMap::new();
    for g in node_groups {
        let node = read_node(path, &g, &mut budget)?;
        nodes.insert(node.name.clone(), node);
    }
    let edges = read_edges(path, &graph, &mut budget)?;
    Ok(NirGraph {
        version,
        nodes,
        edges,
    })
}

/// Bytes a `String` takes beside its characters (pointer, length, capacity),
/// charged per string read.
const STRING_OVERHEAD: u64 = 24;

/// Charges `budget` for reading all of `d`: its elements as stored (the
/// reader's buffer) and `out` bytes per element of what they become.
/// Checked against the declared shape before anything is read.
fn charge(d: &hdf5_reader::Dataset, out: u64, budget: &mut Budget) -> Result<(), String> {
    let n = d
        .num_elements()
        .map_err(|e| format!("its shape cannot be read: {e}"))?;
    let stored = d.raw_element_size().map_or(8, |s| s as u64);
    let bytes = n.saturating_mul(stored.saturating_add(out));
    budget.take(
        bytes,
        &format!(
            "the dataset declares shape {:?} ({n} values), which reads as",
            d.shape()
        ),
    )
}

/// A one-element string dataset's text (`type`, `version`), or `None` when
/// it is not one. The element count is checked first, so a damaged shape
/// cannot make the reader allocate millions of strings.
fn read_scalar_string(d: &hdf5_reader::Dataset, budget: &mut Budget) -> Option<String> {
    if d.num_elements().ok()? != 1 {
        return None;
    }
    charge(d, STRING_OVERHEAD, budget).ok()?;
    d.read_string().ok()
}

fn read_edges(
    path: &Path,
    graph: &Group,
    budget: &mut Budget,
) -> Result<Vec<(String, String)>, ImportError> {
    let d = graph
        .dataset("edges")
        .map_err(|_| ImportError::field(path, "node/edges", "the graph has no `edges` dataset"))?;
    let shape = d.shape().to_vec();
    if d.num_elements().unwrap_or(1) == 0 {
        return Ok(Vec::new());
    }
    if shape.len() != 2 || shape[1] != 2 {
        return Err(ImportError::field(
            path,
            "node/edges",
            format!("expected an E x 2 array of node names, found shape {shape:?}"),
        ));
    }
    charge(&d, STRING_OVERHEAD, budget).map_err(|m| ImportError::field(path, "node/edges", m))?;
    let names = d.read_strings().map_err(|e| {
        ImportError::field(
            path,
            "node/edges",
            format!("cannot read the node names: {e}"),
        )
    })?;
    let want = shape[0].saturating_mul(2);
    if names.len() as u64 != want {
        return Err(ImportError::field(
            path,
            "node/edges",
            format!("expected {want} names, found {}", names.len()),
        ));
    }
    Ok(names
        .chunks_exact(2)
        .map(|p| (p[0].clone(), p[1].clone()))
        .collect())
}

fn read_node(path: &Path, g: &Group, budget: &mut Budget) -> Result<NirNode, ImportError> {
    let name = g.name().rsplit('/').next().unwrap_or(g.name()).to_owned();
    let kind = g
        .dataset("type")
        .ok()
        .and_then(|d| read_scalar_string(&d, budget))
        .ok_or_else(|| {
            ImportError::at(
                path,
                format!("node `{name}`"),
                Some("type"),
                "the node has no `type` string: every NIR node names its type",
            )
        })?;
    let place = node_place(&name, &kind);
    let (subgroups, datasets) = g
        .members()
        .map_err(|e| ImportError::at(path, &place, None, format!("cannot read the node: {e}")))?;
    let mut params = BTreeMap::new();
    let mut other = BTreeMap::new();
    for d in datasets {
        let field = d.name().rsplit('/').next().unwrap_or(d.name()).to_owned();
        if field == "type" {
            continue;
        }
        let err = |m: String| ImportError::at(path, &place, Some(&field), m);
        let Some(class) = numeric_class(d.dtype()) else {
            // Not read: kept by name with its type, so that a node needing
            // it can say what it holds instead of calling it missing.
            other.insert(field, describe(d.dtype()));
            continue;
        };
        charge(&d, 8, budget).map_err(err)?;
        let shape: Vec<usize> = d.shape().iter().map(|&s| s as usize).collect();
        let values =
            read_numbers(&d, class).map_err(|e| err(format!("cannot read the dataset: {e}")))?;
        params.insert(field, Param { shape, values });
    }
    if kind == "NIRGraph" && !subgroups.is_empty() {
        return Err(ImportError::at(
            path,
            &place,
            None,
            "nested NIR subgraphs are not supported yet; export the network as one flat graph",
        ));
    }
    Ok(NirNode {
        name,
        kind,
        params,
        other,
    })
}

/// The numeric element types spikegate reads, in words for messages.
pub const READ_TYPES: &str = "float32, float64 and integers (int8 to int64, uint8 to uint64)";

/// A numeric element type spikegate reads.
#[derive(Debug, Clone, Copy)]
enum Numeric {
    F32,
    F64,
    Int { size: u8, signed: bool },
}

fn numeric_class(t: &Datatype) -> Option<Numeric> {
    match *t {
        Datatype::FloatingPoint { size: 4, .. } => Some(Numeric::F32),
        Datatype::FloatingPoint { size: 8, .. } => Some(Numeric::F64),
        Datatype::FixedPoint { size, signed, .. } if matches!(size, 1 | 2 | 4 | 8) => {
            Some(Numeric::Int { size, signed })
        }
        _ => None,
    }
}

/// An HDF5 element type in words: `float16`, `bool`, `complex128`, `string`.
fn describe(t: &Datatype) -> String {
    match t {
        Datatype::FloatingPoint { size, .. } => format!("float{}", u32::from(*size) * 8),
        Datatype::FixedPoint { size, signed, .. } => {
            format!(
                "{}int{}",
                if *signed { "" } else { "u" },
                u32::from(*size) * 8
            )
        }
        Datatype::String { .. } => "string".to_owned(),
        Datatype::VarLen {
            kind: hdf5_reader::VarLenKind::String,
            ..
        } => "string".to_owned(),
        Datatype::VarLen { .. } => "variable-length sequence".to_owned(),
        // h5py stores a bool as an enum of FALSE/TRUE over int8.
        Datatype::Enum { members, .. }
            if members.len() == 2
                && members.iter().any(|m| m.name.eq_ignore_ascii_case("true")) =>
        {
            "bool".to_owned()
        }
        Datatype::Enum { .. } => "enum".to_owned(),
        // h5py stores a complex number as a compound of `r` and `i`.
        Datatype::Compound { size, fields }
            if fields.len() == 2 && fields[0].name == "r" && fields[1].name == "i" =>
        {
            format!("complex{}", size * 8)
        }
        Datatype::Compound { .. } => "compound (structured)".to_owned(),
        Datatype::Array { base, .. } => format!("array of {}", describe(base)),
        Datatype::Opaque { .. } => "opaque bytes".to_owned(),
        Datatype::Reference { .. } => "object reference".to_owned(),
        Datatype::Bitfield { size, .. } => format!("{}-bit bitfield", u32::from(*size) * 8),
    }
}

/// A numeric dataset's values as `f64`.
fn read_numbers(
    d: &hdf5_reader::Dataset,
    class: Numeric,
) -> Result<Vec<f64>, hdf5_reader::error::Error> {
    macro_rules! read {
        ($t:ty) => {
            d.read_array::<$t>()?.iter().map(|&v| v as f64).collect()
        };
    }
    Ok(match class {
        Numeric::F32 => read!(f32),
        Numeric::F64 => read!(f64),
        Numeric::Int { size, signed } => match (size, signed) {
            (1, true) => read!(i8),
            (1, false) => read!(u8),
            (2, true) => read!(i16),
            (2, false) => read!(u16),
            (4, true) => read!(i32),
            (4, false) => read!(u32),
            (8, true) => read!(i64),
            _ => read!(u64),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdf5_reader::{ByteOrder, CompoundField, EnumMember, StringEncoding, StringPadding};

    fn float(size: u8) -> Datatype {
        Datatype::FloatingPoint {
            size,
            byte_order: ByteOrder::LittleEndian,
        }
    }

    #[test]
    fn unread_types_are_described_as_numpy_names_them() {
        // h5py's bool: an enum FALSE = 0, TRUE = 1 over int8.
        let bool_ = Datatype::Enum {
            base: Box::new(Datatype::FixedPoint {
                size: 1,
                signed: true,
                byte_order: ByteOrder::LittleEndian,
            }),
            members: vec![
                EnumMember {
                    name: "FALSE".into(),
                    value: vec![0],
                },
                EnumMember {
                    name: "TRUE".into(),
                    value: vec![1],
                },
            ],
        };
        // h5py's complex128: a compound of float64 `r` and `i`.
        let complex = Datatype::Compound {
            size: 16,
            fields: vec![
                CompoundField {
                    name: "r".into(),
                    byte_offset: 0,
                    datatype: float(8),
                },
                CompoundField {
                    name: "i".into(),
                    byte_offset: 8,
                    datatype: float(8),
                },
            ],
        };
        let string = Datatype::String {
            size: hdf5_reader::StringSize::Variable,
            encoding: StringEncoding::Utf8,
            padding: StringPadding::NullTerminate,
        };
        for (t, want) in [
            (float(2), "float16"),
            (bool_, "bool"),
            (complex, "complex128"),
            (string, "string"),
        ] {
            assert!(numeric_class(&t).is_none(), "{want} is not read");
            assert_eq!(describe(&t), want);
        }
        assert!(numeric_class(&float(4)).is_some());
    }
}
