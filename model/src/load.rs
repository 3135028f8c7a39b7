//! Reading model and spike files from disk or text, with errors that say
//! which layer and field a parse failure is in.

use std::path::Path;

use serde::de::DeserializeOwned;

use crate::error::{Location, ModelError};

/// Files larger than this are refused before they are read: the largest
/// network the format admits (2^27 synapses at about 4 bytes each in JSON)
/// fits well inside it, and a hostile file cannot exhaust memory.
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// Reads a JSON file into `T`, naming the file, layer and field on failure.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, ModelError> {
    let text = read_text(path)?;
    parse_json(&text).map_err(|e| e.in_file(path))
}

/// Reads a file's text with a size limit.
fn read_text(path: &Path) -> Result<String, ModelError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| ModelError::whole_file(format!("cannot read the file: {e}")).in_file(path))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(ModelError::whole_file(format!(
            "the file is {} bytes; files larger than {MAX_FILE_BYTES} bytes are refused",
            meta.len()
        ))
        .in_file(path));
    }
    std::fs::read_to_string(path)
        .map_err(|e| ModelError::whole_file(format!("cannot read the file: {e}")).in_file(path))
}

/// Parses JSON text into `T`; a failure names the layer and field where the
/// parser stopped (`layers[2].neuron.kind`), with line and column.
pub fn parse_json<T: DeserializeOwned>(text: &str) -> Result<T, ModelError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let result: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    let value = result.map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        ModelError {
            location: location_of(&path),
            message,
        }
    })?;
    de.end()
        .map_err(|e| ModelError::whole_file(e.to_string()))?;
    Ok(value)
}

/// Splits a serde path such as `layers[2].weights[0][5]` into the layer
/// index and the field within the layer; `samples[3].events` likewise.
fn location_of(path: &str) -> Location {
    let mut loc = Location::default();
    let mut rest = path;
    for (prefix, is_layer) in [("layers[", true), ("samples[", false)] {
        if let Some(tail) = path.strip_prefix(prefix) {
            if let Some((index, after)) = tail.split_once(']') {
                if let Ok(index) = index.parse::<usize>() {
                    if is_layer {
                        loc.layer = Some((index, None));
                    } else {
                        loc.sample = Some(index);
                    }
                    rest = after.strip_prefix('.').unwrap_or(after);
                }
            }
        }
    }
    if !rest.is_empty() && rest != "." {
        loc.field = Some(rest.to_owned());
    }
    loc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_into_layer_and_field() {
        let loc = location_of("layers[2].neuron.leak");
        assert_eq!(loc.layer, Some((2, None)));
        assert_eq!(loc.field.as_deref(), Some("neuron.leak"));
        let loc = location_of("layers[0].weights[1][3]");
        assert_eq!(loc.field.as_deref(), Some("weights[1][3]"));
        let loc = location_of("time_steps");
        assert_eq!(loc.layer, None);
        assert_eq!(loc.field.as_deref(), Some("time_steps"));
        let loc = location_of("samples[4].events[0]");
        assert_eq!(loc.sample, Some(4));
        assert_eq!(loc.field.as_deref(), Some("events[0]"));
        assert_eq!(location_of(".").field, None);
    }
}
