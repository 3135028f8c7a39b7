//! Reading one node's parameters, with errors that name the file, the node
//! and the dataset, so every check in [`super::synapses`] and
//! [`super::neuron`] reports its fault the same way.

use std::path::Path;

use crate::error::{ImportError, Remedy};
use crate::nir::{NirNode, Param};

/// Parameter access with errors naming the file, node and field.
pub(super) struct NodeParams<'a> {
    pub(super) file: &'a Path,
    pub(super) node: &'a NirNode,
}

impl<'a> NodeParams<'a> {
    /// An error at this node, optionally at one of its datasets.
    pub(super) fn err(&self, field: Option<&str>, message: impl Into<String>) -> ImportError {
        ImportError::at(self.file, self.node.place(), field, message)
    }

    /// The time step, which a node with time constants (or a Delay) needs
    /// and a NIR file does not store: `dt` is the user's `--dt`.
    pub(super) fn time_step(&self, dt: Option<f64>) -> Result<f64, ImportError> {
        dt.ok_or_else(|| {
            self.err(
                None,
                "the node has time constants but the NIR file stores no time step; give one (dt, in seconds; the NIR paper's examples and snnTorch exports use 1e-4)",
            )
            .fixed_by(Remedy::Option("dt"))
        })
    }

    /// The numeric dataset `name`, whose values must all be finite.
    pub(super) fn get(&self, name: &str) -> Result<&'a Param, ImportError> {
        let p = self.node.params.get(name).ok_or_else(|| {
            let message = match self.node.other.get(name) {
                // Present but not numbers spikegate reads: say what it is.
                Some(kind) => format!(
                    "dataset `{name}` holds {kind} values; spikegate reads {}",
                    crate::nir::READ_TYPES
                ),
                None => format!(
                    "missing parameter dataset `{name}`; a {} node needs it",
                    self.node.kind
                ),
            };
            self.err(Some(name), message)
        })?;
        if let Some(k) = p.values.iter().position(|v| !v.is_finite()) {
            return Err(self.err(
                Some(name),
                format!(
                    "value {k} is {}; parameters must be finite numbers",
                    p.values[k]
                ),
            ));
        }
        Ok(p)
    }

    /// Whether the node has a dataset `name`, numeric or not (a present
    /// dataset of a type spikegate cannot read is an error, not an absence).
    fn has(&self, name: &str) -> bool {
        self.node.params.contains_key(name) || self.node.other.contains_key(name)
    }

    /// The dataset `name` if the node has one.
    pub(super) fn optional(&self, name: &str) -> Result<Option<&'a Param>, ImportError> {
        if self.has(name) {
            self.get(name).map(Some)
        } else {
            Ok(None)
        }
    }

    /// A per-neuron parameter of `n` values (a single value broadcasts).
    pub(super) fn vector(&self, name: &str, n: usize) -> Result<Vec<f64>, ImportError> {
        let p = self.get(name)?;
        broadcast(p, n).ok_or_else(|| {
            self.err(
                Some(name),
                format!(
                    "shape {:?} does not fit the node's {n} neurons (expected {n} values or 1)",
                    p.shape
                ),
            )
        })
    }

    /// A per-neuron parameter of `n` values, `default` for each when the
    /// node does not have it.
    pub(super) fn optional_vector(
        &self,
        name: &str,
        n: usize,
        default: f64,
    ) -> Result<Vec<f64>, ImportError> {
        if self.has(name) {
            self.vector(name, n)
        } else {
            Ok(vec![default; n])
        }
    }

    /// Two whole numbers (rows, columns: a kernel size, stride or
    /// padding); one value stands for both.
    pub(super) fn pair(&self, name: &str) -> Result<[usize; 2], ImportError> {
        let p = self.get(name)?;
        let whole = |v: f64| (v >= 0.0 && v.fract() == 0.0 && v <= 1e9).then_some(v as usize);
        let values: Option<Vec<usize>> = p.values.iter().map(|&v| whole(v)).collect();
        match values.as_deref() {
            Some(&[a]) => Ok([a, a]),
            Some(&[a, b]) => Ok([a, b]),
            _ => Err(self.err(
                Some(name),
                format!(
                    "expected two whole numbers (rows, columns), found {:?}",
                    p.values
                ),
            )),
        }
    }

    /// [`NodeParams::pair`] if the node has the dataset.
    pub(super) fn optional_pair(&self, name: &str) -> Result<Option<[usize; 2]>, ImportError> {
        if self.has(name) {
            self.pair(name).map(Some)
        } else {
            Ok(None)
        }
    }

    /// A weight matrix stored `[out, in]`.
    pub(super) fn matrix(&self, name: &str) -> Result<(usize, usize, &'a [f64]), ImportError> {
        let p = self.get(name)?;
        match p.shape[..] {
            [out, inp] if out > 0 && inp > 0 => Ok((out, inp, &p.values)),
            _ => Err(self.err(
                Some(name),
                format!(
                    "expected a 2-dimensional [out, in] matrix, found shape {:?}",
                    p.shape
                ),
            )),
        }
    }
}

/// `p`'s values as `n` values: one value repeats, `n` values stay, any
/// other count does not fit.
fn broadcast(p: &Param, n: usize) -> Option<Vec<f64>> {
    match p.values.len() {
        1 => Some(vec![p.values[0]; n]),
        len if len == n => Some(p.values.clone()),
        _ => None,
    }
}
