//! No file, however malformed or hostile, makes parsing and validation
//! panic: each returns a model or a non-empty error.

use proptest::prelude::*;
use serde_json::{json, Value};
use spikegate_model::load::parse_json;
use spikegate_model::{parse_network, SpikeFile};

fn base_model() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../golden/delays/model.json"
    ))
    .unwrap()
}

fn survives(text: &str) -> Result<(), TestCaseError> {
    if let Err(e) = parse_network(text) {
        prop_assert!(!e.to_string().is_empty());
    }
    if let Ok(file) = parse_json::<SpikeFile>(text) {
        if let Ok(net) = parse_network(&base_model()) {
            let _ = file.check_against(&net);
        }
    }
    Ok(())
}

const KEYS: &[&str] = &[
    "format",
    "name",
    "time_steps",
    "inputs",
    "layers",
    "size",
    "neuron",
    "kind",
    "widths",
    "weight",
    "membrane",
    "threshold",
    "current",
    "adaptation",
    "reset",
    "weights",
    "bias",
    "delays",
    "max",
    "values",
    "output",
    "decode",
    "leak",
    "shift",
    "multiply",
    "beta",
    "frac_bits",
    "alpha",
    "a",
    "b",
    "neurons",
    "samples",
    "events",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-5i64..40).prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        prop::sample::select(vec![
            "spikegate-model/1",
            "spikegate-spikes/1",
            "if",
            "lif",
            "cuba",
            "ttfs",
            "adlif",
            "subtract",
            "zero",
            "none",
            "first_spike",
            "readout",
            "spike_count"
        ])
        .prop_map(|s| json!(s)),
    ]
}

fn tree() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..8).prop_map(|kv| {
                Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn arbitrary_text(text in ".{0,300}") {
        survives(&text)?;
    }

    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        survives(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn mutated_valid_model(pos in 0usize..10_000, byte in any::<u8>(), cut in any::<bool>()) {
        let mut bytes = base_model().into_bytes();
        let pos = pos % bytes.len();
        if cut { bytes.truncate(pos) } else { bytes[pos] = byte }
        survives(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn structurally_random_json(v in tree()) {
        survives(&v.to_string())?;
        // The same tree placed where a layer or a neuron is expected.
        let mut m: Value = serde_json::from_str(&base_model()).unwrap();
        m["layers"][0] = v.clone();
        survives(&m.to_string())?;
        m["layers"][0] = serde_json::from_str::<Value>(&base_model()).unwrap()["layers"][0].clone();
        m["layers"][0]["neuron"] = v;
        survives(&m.to_string())?;
    }
}

#[test]
fn extreme_numbers_and_nesting() {
    let base: Value = serde_json::from_str(&base_model()).unwrap();
    for huge in [
        "1e300",
        "-9223372036854775809",
        "18446744073709551616",
        "-1",
        "NaN",
        "1.0",
    ] {
        for field in ["time_steps", "inputs"] {
            let text = base.to_string().replacen(
                &format!("\"{field}\":{}", base[field]),
                &format!("\"{field}\":{huge}"),
                1,
            );
            assert!(parse_network(&text).is_err(), "{field} = {huge} accepted");
        }
        let text =
            base.to_string()
                .replacen("\"threshold\":3", &format!("\"threshold\":{huge}"), 1);
        assert!(parse_network(&text).is_err(), "threshold = {huge} accepted");
    }
    // Deep nesting, at the top and inside a field: an error, no stack overflow.
    for deep in [
        "[".repeat(100_000),
        format!("{{\"layers\": {}", "[".repeat(100_000)),
    ] {
        let e = parse_network(&deep).unwrap_err().to_string();
        assert!(!e.is_empty());
    }
}
