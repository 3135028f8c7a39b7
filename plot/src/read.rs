//! Reading the files other commands write into plot data: the Markdown
//! tables of `spikegate design-space --out`, the JSON of `spikegate import
//! --report` and SSR curves (`spikegate-ssr/1`). Every error names the
//! file and the field (a JSON path, or a table's line and column).

mod markdown;

use std::path::Path;

use serde::de::DeserializeOwned;

use crate::PlotError;

pub use markdown::design_space;

/// The text of `path`.
pub(crate) fn text(path: &Path) -> Result<String, PlotError> {
    std::fs::read_to_string(path).map_err(|e| PlotError::Read {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// `path`'s JSON as a `T`; a malformed field is named by its JSON path.
pub(crate) fn json<T: DeserializeOwned>(path: &Path) -> Result<T, PlotError> {
    let text = text(path)?;
    let mut de = serde_json::Deserializer::from_str(&text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = e.path().to_string();
        PlotError::Input {
            path: path.to_path_buf(),
            field: if field == "." {
                "(top level)".into()
            } else {
                field
            },
            message: e.into_inner().to_string(),
        }
    })
}

/// An input error at `field` of `path`.
pub(crate) fn bad(path: &Path, field: impl Into<String>, message: impl Into<String>) -> PlotError {
    PlotError::Input {
        path: path.to_path_buf(),
        field: field.into(),
        message: message.into(),
    }
}

/// Checks that the file's `format` is `want`.
pub(crate) fn check_format(path: &Path, got: &str, want: &str) -> Result<(), PlotError> {
    if got == want {
        Ok(())
    } else {
        Err(bad(path, "format", format!("is `{got}`, not `{want}`")))
    }
}

/// Checks that `value` (at `field`) is finite and not negative.
pub(crate) fn non_negative(path: &Path, field: String, value: f64) -> Result<(), PlotError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(bad(
            path,
            field,
            format!("{value} is not a finite value >= 0"),
        ))
    }
}
