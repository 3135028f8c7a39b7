//! JSON text the way spikegate writes its files: objects one field per
//! line, arrays of plain values on one line (a weight row, a `[step,
//! neuron]` event), other arrays one element per line. Readable, diffable,
//! and far smaller than fully pretty-printed matrices.

use serde::Serialize;
use serde_json::Value;

/// `value` as spikegate-style JSON text, ending in a newline.
pub fn to_text<T: Serialize>(value: &T) -> Result<String, serde_json::Error> {
    let value = serde_json::to_value(value)?;
    let mut out = String::new();
    write_value(&mut out, &value, 0);
    out.push('\n');
    Ok(out)
}

fn is_plain(v: &Value) -> bool {
    !matches!(v, Value::Array(_) | Value::Object(_))
}

fn indent(out: &mut String, level: usize) {
    out.extend(std::iter::repeat_n(' ', level * 2));
}

fn write_value(out: &mut String, v: &Value, level: usize) {
    match v {
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Array(items) if items.iter().all(is_plain) => {
            out.push('[');
            for (k, item) in items.iter().enumerate() {
                if k > 0 {
                    out.push_str(", ");
                }
                out.push_str(&item.to_string());
            }
            out.push(']');
        }
        Value::Array(items) => {
            out.push_str("[\n");
            for (k, item) in items.iter().enumerate() {
                indent(out, level + 1);
                write_value(out, item, level + 1);
                out.push_str(if k + 1 < items.len() { ",\n" } else { "\n" });
            }
            indent(out, level);
            out.push(']');
        }
        Value::Object(fields) if fields.is_empty() => out.push_str("{}"),
        Value::Object(fields) => {
            out.push_str("{\n");
            for (k, (key, item)) in fields.iter().enumerate() {
                indent(out, level + 1);
                out.push_str(&Value::String(key.clone()).to_string());
                out.push_str(": ");
                write_value(out, item, level + 1);
                out.push_str(if k + 1 < fields.len() { ",\n" } else { "\n" });
            }
            indent(out, level);
            out.push('}');
        }
        plain => out.push_str(&plain.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_arrays_stay_on_one_line() {
        let v = serde_json::json!({"events": [[0, 1], [2, 3]], "name": "x", "empty": [], "m": {}});
        let text = to_text(&v).unwrap();
        assert_eq!(
            text,
            "{\n  \"events\": [\n    [0, 1],\n    [2, 3]\n  ],\n  \"name\": \"x\",\n  \"empty\": [],\n  \"m\": {}\n}\n"
        );
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, v);
    }
}
