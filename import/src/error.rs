//! Import errors: every one names the file, the node (or layer) and the field.

use std::fmt;
use std::path::{Path, PathBuf};

/// A file that cannot be imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// The file being imported (the NIR file, the `.npz` archive or its spec).
    pub file: PathBuf,
    /// The NIR node or `.npz` layer at fault, when there is one, as it is
    /// named in the file, with its type (`node \`1\` (LIF)`, `layer 0 (hidden)`).
    pub place: Option<String>,
    /// The parameter or dataset at fault (`tau`, `weight`, `edges`).
    pub field: Option<String>,
    /// What is wrong, in words a user can act on.
    pub message: String,
    /// The import option that fixes it, when one does (a front end names
    /// it in its own terms, e.g. the command line's `--dt`).
    pub remedy: Option<Remedy>,
}

/// What fixes an import error, when an import option does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remedy {
    /// Set (another value of) the [`crate::ImportOptions`] field of this
    /// name (`dt` for a missing or too long time step).
    Option(&'static str),
}

impl ImportError {
    /// An error about the file as a whole.
    pub fn file(file: &Path, message: impl Into<String>) -> Self {
        ImportError {
            file: file.to_path_buf(),
            place: None,
            field: None,
            message: message.into(),
            remedy: None,
        }
    }

    /// The same error, fixed by `remedy`.
    pub fn fixed_by(mut self, remedy: Remedy) -> Self {
        self.remedy = Some(remedy);
        self
    }

    /// An error at `place` (a node or layer), optionally at one of its fields.
    pub fn at(
        file: &Path,
        place: impl Into<String>,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        ImportError {
            file: file.to_path_buf(),
            place: Some(place.into()),
            field: field.map(str::to_owned),
            message: message.into(),
            remedy: None,
        }
    }

    /// An error at a top-level field of the file (no node).
    pub fn field(file: &Path, field: &str, message: impl Into<String>) -> Self {
        ImportError {
            file: file.to_path_buf(),
            place: None,
            field: Some(field.to_owned()),
            message: message.into(),
            remedy: None,
        }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.file.display())?;
        if let Some(place) = &self.place {
            write!(f, "{place}: ")?;
        }
        if let Some(field) = &self.field {
            write!(f, "field `{field}`: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ImportError {}

/// How a NIR node is named in messages: ``node `lif1` (LIF)``.
pub fn node_place(name: &str, kind: &str) -> String {
    format!("node `{name}` ({kind})")
}
