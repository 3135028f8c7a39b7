//! What can go wrong: a file that cannot be read or is malformed, data
//! that cannot be drawn, an output that cannot be written.

use std::path::PathBuf;

/// A plot's error, naming the file (and for an input, the field) at fault.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// An input file could not be read.
    #[error("{}: cannot read: {message}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// An input file is malformed.
    #[error("{}: {field}: {message}", path.display())]
    Input {
        /// The file.
        path: PathBuf,
        /// The field (a JSON path such as `points[2].accuracy`, or a table
        /// row and column).
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// The data has nothing to draw, or values no axis can hold.
    #[error("{}: {message}", path.display())]
    Data {
        /// The output file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The output's extension names no format.
    #[error("{}: the extension chooses the format: give the file a .svg or .png name", path.display())]
    Format {
        /// The output file.
        path: PathBuf,
    },
    /// Drawing or writing the output failed.
    #[error("{}: cannot draw or write the plot: {message}", path.display())]
    Draw {
        /// The output file.
        path: PathBuf,
        /// Why.
        message: String,
    },
}
