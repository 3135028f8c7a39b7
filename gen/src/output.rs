//! Writing result files completely or not at all.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

/// Writes `bytes` to `path` through a temporary file in the same folder,
/// renamed into place once complete: a reader never sees half a file, and a
/// failure leaves no file behind.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .with_context(|| format!("{}: not a file name", path.display()))?;
    let tmp = dir.join(format!(".{}.partial-{}", name.to_string_lossy(), std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("cannot write {}", path.display()));
    }
    Ok(())
}

/// Serialises `value` as pretty JSON with one spike event per line pair
/// kept compact (`[3, 7]`), and writes it atomically.
pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text = compact_pairs(&text);
    text.push('\n');
    write_atomically(path, text.as_bytes())
}

/// Pretty JSON puts every number of a `[step, neuron]` pair on its own
/// line; fold such two-number arrays back onto one line for readable files.
pub fn compact_pairs(pretty: &str) -> String {
    let lines: Vec<&str> = pretty.lines().collect();
    let mut out = String::with_capacity(pretty.len());
    let mut k = 0;
    while k < lines.len() {
        let is_num = |s: &str| {
            let s = s.trim().trim_end_matches(',');
            !s.is_empty() && s.parse::<i64>().is_ok()
        };
        if lines[k].trim() == "[" && k + 3 < lines.len() && is_num(lines[k + 1]) && is_num(lines[k + 2]) {
            let close = lines[k + 3].trim();
            if close == "]" || close == "]," {
                let indent = &lines[k][..lines[k].len() - lines[k].trim_start().len()];
                out.push_str(&format!(
                    "{indent}[{}, {}]{}\n",
                    lines[k + 1].trim().trim_end_matches(','),
                    lines[k + 2].trim(),
                    &close[1..]
                ));
                k += 4;
                continue;
            }
        }
        out.push_str(lines[k]);
        out.push('\n');
        k += 1;
    }
    out.pop();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_fold_onto_one_line() {
        let v = serde_json::json!({"events": [[0, 1], [2, 3]], "counts": [1, 2, 3]});
        let text = compact_pairs(&serde_json::to_string_pretty(&v).unwrap());
        assert!(text.contains("[0, 1],\n"), "{text}");
        assert!(text.contains("[2, 3]\n"), "{text}");
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, v);
    }
}
