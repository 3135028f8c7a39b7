//! Errors that name the file, the layer and the field at fault.

use std::fmt;
use std::path::{Path, PathBuf};

/// Where in a model or spike file a problem lies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// The file, when the value was read from one.
    pub file: Option<PathBuf>,
    /// Layer index and, when the layer has one, its name.
    pub layer: Option<(usize, Option<String>)>,
    /// Sample index, for spike files.
    pub sample: Option<usize>,
    /// The field, as a path from the layer (or the file's top) down:
    /// `weights[3][7]`, `neuron.leak.shift`, `time_steps`.
    pub field: Option<String>,
}

/// A model or spike file that cannot be used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelError {
    /// Where the problem is.
    pub location: Location,
    /// What is wrong, in words a user can act on.
    pub message: String,
}

impl ModelError {
    /// An error at a top-level field of the file.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        ModelError {
            location: Location {
                field: Some(field.into()),
                ..Location::default()
            },
            message: message.into(),
        }
    }

    /// An error at a field of one layer.
    pub fn layer(
        index: usize,
        name: Option<&str>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ModelError {
            location: Location {
                layer: Some((index, name.map(str::to_owned))),
                field: Some(field.into()),
                ..Location::default()
            },
            message: message.into(),
        }
    }

    /// An error at a field of one sample of a spike file.
    pub fn sample(index: usize, field: impl Into<String>, message: impl Into<String>) -> Self {
        ModelError {
            location: Location {
                sample: Some(index),
                field: Some(field.into()),
                ..Location::default()
            },
            message: message.into(),
        }
    }

    /// An error about the file as a whole (unreadable, not JSON, too large).
    pub fn whole_file(message: impl Into<String>) -> Self {
        ModelError {
            location: Location::default(),
            message: message.into(),
        }
    }

    /// The same error, attributed to `file`.
    pub fn in_file(mut self, file: &Path) -> Self {
        self.location.file = Some(file.to_path_buf());
        self
    }
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let loc = &self.location;
        if let Some(file) = &loc.file {
            write!(f, "{}: ", file.display())?;
        }
        if let Some((index, name)) = &loc.layer {
            match name {
                Some(name) => write!(f, "layer {index} ({name}): ")?,
                None => write!(f, "layer {index}: ")?,
            }
        }
        if let Some(sample) = loc.sample {
            write!(f, "sample {sample}: ")?;
        }
        if let Some(field) = &loc.field {
            write!(f, "field `{field}`: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ModelError {}
