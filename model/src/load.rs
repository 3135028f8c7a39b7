//! Reading model and spike files from disk or text, with errors that say
//! which layer and field a parse failure is in.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde::de::DeserializeOwned;

use crate::error::{Location, ModelError};

/// Files larger than this are refused before they are read: the largest
/// network the format admits (2^27 synapses at about 4 bytes each in JSON)
/// fits well inside it, and a hostile file cannot exhaust memory.
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// The UTF-8 encoding of U+FEFF, the byte-order mark some editors put first.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Reads a JSON file into `T`, naming the file, layer and field on failure.
///
/// The file is parsed as it is read, never held whole in memory, so that
/// reading it takes little more than the values it holds
/// (`docs/model-format.md` section 4, "Reading rules"). Only regular files
/// are read: a device such as `/dev/zero` never ends and a FIFO blocks
/// until a writer comes, so both are refused by name before they are
/// opened.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, ModelError> {
    let reader = open_regular(path)?;
    parse_reader(reader).map_err(|e| e.in_file(path))
}

/// Opens `path` for reading if it is a regular file within the size limit.
fn open_regular(path: &Path) -> Result<BufReader<std::io::Take<File>>, ModelError> {
    let cannot = |e: std::io::Error| {
        ModelError::whole_file(format!("cannot read the file: {e}")).in_file(path)
    };
    // Checked before opening: opening a FIFO for reading blocks.
    check_regular(&std::fs::metadata(path).map_err(cannot)?).map_err(|e| e.in_file(path))?;
    let file = File::open(path).map_err(cannot)?;
    // Checked again on what was opened, in case the path changed since.
    let meta = file.metadata().map_err(cannot)?;
    check_regular(&meta).map_err(|e| e.in_file(path))?;
    // The limit holds even if the file grows while it is read.
    Ok(BufReader::with_capacity(
        1 << 16,
        file.take(MAX_FILE_BYTES + 1),
    ))
}

/// Refuses what is not a regular file, and a regular file above the limit.
fn check_regular(meta: &std::fs::Metadata) -> Result<(), ModelError> {
    let kind = meta.file_type();
    if !kind.is_file() {
        let what = if kind.is_dir() {
            "a directory".to_owned()
        } else {
            format!("not a regular file ({})", special_kind(&kind))
        };
        return Err(ModelError::whole_file(format!(
            "is {what}; spikegate reads model, spike and result files only from regular files"
        )));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(ModelError::whole_file(format!(
            "the file is {} bytes; files larger than {MAX_FILE_BYTES} bytes are refused",
            meta.len()
        )));
    }
    Ok(())
}

#[cfg(unix)]
fn special_kind(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &std::fs::FileType) -> &'static str {
    "a special file"
}

fn bom_error() -> ModelError {
    ModelError::whole_file(
        "the file starts with a UTF-8 byte-order mark (BOM, bytes EF BB BF); \
         spikegate files are UTF-8 without one: save the file without the BOM",
    )
}

/// Parses JSON read from `reader`, which must not start with a BOM.
fn parse_reader<T: DeserializeOwned, R: Read>(mut reader: BufReader<R>) -> Result<T, ModelError> {
    let head = reader
        .fill_buf()
        .map_err(|e| ModelError::whole_file(format!("cannot read the file: {e}")))?;
    if head.starts_with(BOM) {
        return Err(bom_error());
    }
    finish(serde_json::Deserializer::from_reader(reader))
}

/// Parses JSON text into `T`; a failure names the layer and field where the
/// parser stopped (`layers[2].neuron.kind`), with line and column. Text
/// starting with a byte-order mark is refused (`docs/model-format.md`).
pub fn parse_json<T: DeserializeOwned>(text: &str) -> Result<T, ModelError> {
    if text.as_bytes().starts_with(BOM) {
        return Err(bom_error());
    }
    finish(serde_json::Deserializer::from_str(text))
}

/// Runs `de` to the end of its input, with the path of any failure.
fn finish<'de, T, R>(mut de: serde_json::Deserializer<R>) -> Result<T, ModelError>
where
    T: DeserializeOwned,
    R: serde_json::de::Read<'de>,
{
    let result: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    let value = result.map_err(|e| {
        let path = e.path().to_string();
        let message = explain(e.into_inner().to_string());
        ModelError {
            location: location_of(&path),
            message,
        }
    })?;
    de.end()
        .map_err(|e| ModelError::whole_file(e.to_string()))?;
    Ok(value)
}

/// Adds to serde_json's message what a user needs to act on it. A number
/// with a fraction or exponent where an integer belongs reads as "invalid
/// type: floating point `5.0`", which does not say that `5.0` and `5e0` are
/// never integers here (nor `-0`, which JSON parsers read as a float).
fn explain(message: String) -> String {
    let integer = [
        "expected u32",
        "expected i64",
        "expected usize",
        "expected u64",
    ];
    if message.starts_with("invalid type: floating point")
        && integer.iter().any(|t| message.contains(t))
    {
        format!(
            "{message}; integers are written as digits with an optional minus sign, \
             without a fraction or exponent (5, not 5.0 or 5e0), and never as -0"
        )
    } else {
        message
    }
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
