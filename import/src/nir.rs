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
use hdf5_reader::{Datatype, Hdf5File};

use crate::error::{node_place, ImportError};

/// Files larger than this are refused before they are read.
pub const MAX_FILE_BYTES: u64 = 1 << 30;

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

/// The bytes of the file at `path`, refusing files over [`MAX_FILE_BYTES`].
pub(crate) fn read_limited(path: &Path) -> Result<Vec<u8>, ImportError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| ImportError::file(path, format!("cannot read the file: {e}")))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(ImportError::file(
            path,
            format!(
                "the file is {} bytes; files larger than {MAX_FILE_BYTES} bytes are refused",
                meta.len()
            ),
        ));
    }
    std::fs::read(path).map_err(|e| ImportError::file(path, format!("cannot read the file: {e}")))
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
    let file = Hdf5File::from_vec(bytes).map_err(|e| h5_err(path, "the HDF5 file", e))?;
    let root = file
        .root_group()
        .map_err(|e| h5_err(path, "the HDF5 root group", e))?;
    let version = match root.dataset("version") {
        Ok(d) => d.read_string().ok(),
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
        let kind = d.read_string().unwrap_or_default();
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
        let node = read_node(path, &g)?;
        nodes.insert(node.name.clone(), node);
    }
    let edges = read_edges(path, &graph)?;
    Ok(NirGraph {
        version,
        nodes,
        edges,
    })
}

fn read_edges(path: &Path, graph: &Group) -> Result<Vec<(String, String)>, ImportError> {
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
    let names = d.read_strings().map_err(|e| {
        ImportError::field(
            path,
            "node/edges",
            format!("cannot read the node names: {e}"),
        )
    })?;
    if names.len() != 2 * shape[0] as usize {
        return Err(ImportError::field(
            path,
            "node/edges",
            format!("expected {} names, found {}", 2 * shape[0], names.len()),
        ));
    }
    Ok(names
        .chunks_exact(2)
        .map(|p| (p[0].clone(), p[1].clone()))
        .collect())
}

fn read_node(path: &Path, g: &Group) -> Result<NirNode, ImportError> {
    let name = g.name().rsplit('/').next().unwrap_or(g.name()).to_owned();
    let kind = g
        .dataset("type")
        .ok()
        .and_then(|d| d.read_string().ok())
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
    for d in datasets {
        let field = d.name().rsplit('/').next().unwrap_or(d.name()).to_owned();
        if field == "type" {
            continue;
        }
        let shape: Vec<usize> = d.shape().iter().map(|&s| s as usize).collect();
        let values = read_numbers(&d).map_err(|e| {
            ImportError::at(
                path,
                &place,
                Some(&field),
                format!("cannot read the dataset: {e}"),
            )
        })?;
        if let Some(values) = values {
            params.insert(field, Param { shape, values });
        }
    }
    if kind == "NIRGraph" && !subgroups.is_empty() {
        return Err(ImportError::at(
            path,
            &place,
            None,
            "nested NIR subgraphs are not supported yet; export the network as one flat graph",
        ));
    }
    Ok(NirNode { name, kind, params })
}

/// A numeric dataset's values as `f64`; `None` for non-numeric datasets
/// (strings and other metadata spikegate does not use).
fn read_numbers(d: &hdf5_reader::Dataset) -> Result<Option<Vec<f64>>, hdf5_reader::error::Error> {
    macro_rules! read {
        ($t:ty) => {
            d.read_array::<$t>()?.iter().map(|&v| v as f64).collect()
        };
    }
    Ok(Some(match d.dtype() {
        Datatype::FloatingPoint { size: 4, .. } => read!(f32),
        Datatype::FloatingPoint { size: 8, .. } => read!(f64),
        Datatype::FixedPoint { size, signed, .. } => match (size, signed) {
            (1, true) => read!(i8),
            (1, false) => read!(u8),
            (2, true) => read!(i16),
            (2, false) => read!(u16),
            (4, true) => read!(i32),
            (4, false) => read!(u32),
            (8, true) => read!(i64),
            (8, false) => read!(u64),
            _ => return Ok(None),
        },
        _ => return Ok(None),
    }))
}
