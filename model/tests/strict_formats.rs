//! The file formats are read strictly and explained precisely: every field
//! a neuron kind does not take is refused by name, every duplicate key is
//! refused, a name field given a non-string lists the allowed names, a
//! byte-order mark is named, and the spellings `docs/model-format.md`
//! pins (null for optional fields, integer spellings, label range) hold.

use serde_json::{json, Value};
use spikegate_model::load::parse_json;
use spikegate_model::{load_network, parse_network, ResultFile, SpikeFile};

/// A valid model: 3 inputs -> 4 neurons of the kind under test ("hidden")
/// -> 2 `if`.
fn model_with(neuron: Value) -> Value {
    let kind = neuron["kind"].as_str().unwrap_or("if").to_owned();
    let mut widths = json!({"weight": 8, "membrane": 16, "threshold": 16});
    if kind == "cuba" || kind == "ttfs" {
        widths["current"] = json!(12);
    }
    if kind == "adlif" {
        widths["adaptation"] = json!(12);
    }
    json!({
        "format": "spikegate-model/1",
        "name": "t",
        "time_steps": 8,
        "inputs": 3,
        "layers": [
            {
                "name": "hidden",
                "size": 4,
                "neuron": neuron,
                "widths": widths,
                "threshold": 100,
                "reset": "subtract",
                "weights": [[1, 2, 3, 4], [5, 6, 7, 8], [-1, -2, -3, -4]],
                "bias": [0, 1, 2, 3]
            },
            {
                "size": 2,
                "neuron": {"kind": "if"},
                "widths": {"weight": 4, "membrane": 8, "threshold": 8},
                "threshold": 5,
                "reset": "zero",
                "weights": [[1, 2], [3, 4], [5, 6], [7, -8]]
            }
        ],
        "output": {"decode": "first_spike"}
    })
}

/// Each kind with every field it takes.
fn kinds() -> Vec<(&'static str, Value)> {
    vec![
        ("if", json!({"kind": "if"})),
        ("lif", json!({"kind": "lif", "leak": {"shift": 2}})),
        (
            "cuba",
            json!({"kind": "cuba", "current_decay": {"shift": 1}, "membrane_decay": {"multiply": {"beta": 3, "frac_bits": 2}}}),
        ),
        ("ttfs", json!({"kind": "ttfs"})),
        (
            "adlif",
            json!({"kind": "adlif", "alpha": 3, "beta": 2, "a": 1, "b": 2, "frac_bits": 2}),
        ),
    ]
}

/// Every field of every kind, each with a value valid for its own kind,
/// and fields no kind has.
fn all_fields() -> Vec<(&'static str, Value)> {
    vec![
        ("leak", json!({"shift": 1})),
        ("current_decay", json!({"shift": 1})),
        ("membrane_decay", json!({"shift": 1})),
        ("alpha", json!(1)),
        ("beta", json!(1)),
        ("a", json!(1)),
        ("b", json!(1)),
        ("frac_bits", json!(2)),
        ("fire_once", json!(true)),
        ("threshold", json!(3)),
        ("Kind", json!("if")),
    ]
}

/// The error for `text`, without the " at line L column C" serde_json
/// puts at the end of its messages.
fn err(text: &str) -> String {
    match parse_network(text) {
        Ok(_) => panic!("accepted: {text}"),
        Err(e) => without_position(e.to_string()),
    }
}

fn without_position(e: String) -> String {
    // serde_json's suffix: " at line <digits> column <digits>".
    let Some(at) = e.rfind(" at line ") else {
        return e;
    };
    let rest = &e[at + " at line ".len()..];
    let Some(c) = rest.find(" column ") else {
        return e;
    };
    let digits = &rest[c + " column ".len()..];
    let n = digits
        .find(|ch: char| !ch.is_ascii_digit())
        .unwrap_or(digits.len());
    format!("{}{}", &e[..at], &digits[n..])
}

/// The neuron object's text with `extra` placed first or last.
fn neuron_text(neuron: &Value, extra: (&str, &Value), first: bool) -> String {
    let mut fields: Vec<(String, Value)> = neuron
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let extra = (extra.0.to_owned(), extra.1.clone());
    if first {
        fields.insert(0, extra);
    } else {
        fields.push(extra);
    }
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}:{v}", Value::String(k.clone())))
        .collect();
    format!("{{{}}}", body.join(","))
}

#[test]
fn every_kind_is_valid_with_its_own_fields() {
    for (kind, neuron) in kinds() {
        parse_network(&model_with(neuron).to_string()).unwrap_or_else(|e| panic!("{kind}: {e}"));
    }
}

#[test]
fn every_kind_refuses_every_field_it_does_not_take() {
    for (kind, neuron) in kinds() {
        for (field, value) in all_fields() {
            if neuron.get(field).is_some() {
                continue;
            }
            for first in [false, true] {
                let placeholder = json!("NEURON");
                let model = model_with(neuron.clone());
                let mut m = model.clone();
                m["layers"][0]["neuron"] = placeholder;
                let text = m
                    .to_string()
                    .replace("\"NEURON\"", &neuron_text(&neuron, (field, &value), first));
                let e = err(&text);
                assert!(
                    e.starts_with("layer 0: field `neuron"),
                    "{kind} + {field}: {e}"
                );
                assert!(
                    e.contains(&format!("`{field}`")),
                    "{kind} + {field}: the field is named: {e}"
                );
                assert!(
                    e.contains(&format!("`{kind}` neuron takes only `kind`")),
                    "{kind} + {field}: the kind's fields are listed: {e}"
                );
            }
        }
    }
}

#[test]
fn the_issues_examples_are_refused_with_the_field_named() {
    let text = |neuron: Value| model_with(neuron).to_string();
    assert_eq!(
        err(&text(json!({"kind": "if", "leak": {"shift": 1}}))),
        "layer 0: field `neuron.leak`: an `if` neuron takes only `kind`, not `leak`"
    );
    assert_eq!(
        err(&text(json!({"kind": "ttfs", "fire_once": true}))),
        "layer 0: field `neuron.fire_once`: unknown field `fire_once`: a `ttfs` neuron takes only `kind`"
    );
    assert_eq!(
        err(&text(json!({"kind": "ttfs", "current_decay": {"shift": 1}}))),
        "layer 0: field `neuron.current_decay`: a `ttfs` neuron takes only `kind`, not `current_decay`"
    );
    assert_eq!(
        err(&text(json!({"kind": "lif", "leak": {"shift": 1}, "membrane_decay": {"shift": 1}}))),
        "layer 0: field `neuron.membrane_decay`: a `lif` neuron takes only `kind` and `leak`, not `membrane_decay`"
    );
    // The field before the kind: named all the same.
    let m = model_with(json!({"kind": "if"})).to_string().replace(
        "{\"kind\":\"if\"}",
        "{\"leak\":{\"shift\":1},\"kind\":\"if\"}",
    );
    assert!(m.contains("\"leak\""));
    assert_eq!(
        err(&m),
        "layer 0: field `neuron`: an `if` neuron takes only `kind`, not `leak`"
    );
    // Missing parameters and kind.
    let e = err(&text(json!({"kind": "lif"})));
    assert!(
        e.starts_with("layer 0: field `neuron`: missing field `leak`"),
        "{e}"
    );
    let e = err(&text(json!({"leak": {"shift": 1}})));
    assert!(
        e.starts_with("layer 0: field `neuron`: missing field `kind`"),
        "{e}"
    );
    let e = err(&text(
        json!({"kind": "adlif", "alpha": 1, "beta": 1, "a": 1, "b": 1}),
    ));
    assert!(e.contains("missing field `frac_bits`"), "{e}");
}

#[test]
fn decays_say_what_they_must_look_like() {
    let lif = |leak: Value| model_with(json!({"kind": "lif", "leak": leak})).to_string();
    let e = err(&lif(
        json!({"shift": 1, "multiply": {"beta": 1, "frac_bits": 2}}),
    ));
    assert!(
        e.starts_with("layer 0: field `neuron.leak.multiply`: a decay has one key"),
        "{e}"
    );
    let e = err(&lif(json!({})));
    assert!(
        e.starts_with("layer 0: field `neuron.leak`: a decay is {\"shift\": k} or"),
        "{e}"
    );
    let e = err(&lif(json!({"shfit": 1})));
    assert!(
        e.starts_with("layer 0: field `neuron.leak.shfit`: unknown field `shfit`"),
        "{e}"
    );
    let e = err(&lif(json!(2)));
    assert!(
        e.contains("invalid type: integer `2`, expected a decay, {\"shift\": k} or"),
        "{e}"
    );
    let e = err(&lif(
        json!({"multiply": {"beta": 1, "frac_bits": 2, "x": 0}}),
    ));
    assert!(e.contains("unknown field `x`"), "{e}");
}

#[test]
fn a_name_field_given_a_non_string_lists_the_names() {
    let mut m = model_with(json!({"kind": "if"}));
    m["layers"][1]["reset"] = json!(5);
    let e = err(&m.to_string());
    assert!(
        e.starts_with(
            "layer 1: field `reset`: invalid type: integer `5`, expected a string, one of \"subtract\", \"zero\" or \"none\""
        ),
        "{e}"
    );
    let mut m = model_with(json!({"kind": "if"}));
    m["output"]["decode"] = Value::Null;
    let e = err(&m.to_string());
    assert!(
        e.starts_with(
            "field `output.decode`: invalid type: null, expected a string, one of \"first_spike\", \"spike_count\" or \"readout\""
        ),
        "{e}"
    );
    let e = err(&model_with(json!({"kind": 3})).to_string());
    assert!(
        e.starts_with("layer 0: field `neuron.kind`: invalid type: integer `3`, expected a string, one of \"if\", \"lif\", \"cuba\", \"ttfs\" or \"adlif\""),
        "{e}"
    );
    let e = err(&model_with(json!({"kind": ["if"]})).to_string());
    assert!(e.contains("invalid type: sequence"), "{e}");
    // An unknown name still says so, with the names.
    let mut m = model_with(json!({"kind": "if"}));
    m["layers"][1]["reset"] = json!("Zero");
    let e = err(&m.to_string());
    assert!(
        e.starts_with("layer 1: field `reset`: unknown variant `Zero`, expected one of `subtract`, `zero`, `none`"),
        "{e}"
    );
    // And in a result file.
    let r = json!({"format": "spikegate-result/1", "model": "m", "time_steps": 4,
        "samples": [{"layers": [], "output": {"decode": 5, "class": 0, "counts": [1]}}]});
    let e = parse_json::<ResultFile>(&r.to_string())
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("sample 0: field `output.decode`: invalid type: integer `5`, expected a string, one of \"first_spike\""),
        "{e}"
    );
}

#[test]
fn a_byte_order_mark_is_refused_by_name() {
    let text = format!("\u{feff}{}", model_with(json!({"kind": "if"})));
    let e = err(&text);
    assert!(e.contains("byte-order mark (BOM"), "{e}");
    let dir = std::env::temp_dir().join(format!("spikegate-bom-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("model.json");
    std::fs::write(&path, &text).unwrap();
    let e = load_network(&path).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!(
            "{}: the file starts with a UTF-8 byte-order mark (BOM",
            path.display()
        )),
        "{e}"
    );
    let e = parse_json::<SpikeFile>("\u{feff}{}")
        .unwrap_err()
        .to_string();
    assert!(e.contains("BOM"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn huge_numbers_are_printed_compactly() {
    let base = model_with(json!({"kind": "if"})).to_string();
    for (field, from) in [
        ("time_steps", "\"time_steps\":8"),
        ("threshold", "\"threshold\":5"),
        ("weights[0][0]", "\"weights\":[[1,2]"),
    ] {
        let to = from
            .replace(['8', '5'], "1e308")
            .replace("[[1,", "[[1e308,");
        let text = base.replacen(from, &to, 1);
        assert_ne!(text, base, "{field}");
        let e = err(&text);
        assert!(e.contains(&format!("field `{field}`")), "{e}");
        assert!(e.contains("`1e+308`"), "{e}");
        // No run of digits anywhere near 309 long.
        let longest = e
            .split(|c: char| !c.is_ascii_digit())
            .map(str::len)
            .max()
            .unwrap();
        assert!(longest < 20, "{e}");
    }
}

/// Every object of `v`, as a path of keys and indices, with its keys.
fn objects(v: &Value, path: &mut Vec<Value>, out: &mut Vec<(Vec<Value>, Vec<String>)>) {
    match v {
        Value::Object(m) => {
            out.push((path.clone(), m.keys().cloned().collect()));
            for (k, x) in m {
                path.push(json!(k));
                objects(x, path, out);
                path.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                path.push(json!(i));
                objects(x, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// `v` as JSON text, with key `dup` of the object at `at` written twice
/// (the second time with the value `with`).
fn with_duplicate(
    v: &Value,
    at: &[Value],
    here: &mut Vec<Value>,
    dup: &str,
    with: &Value,
) -> String {
    match v {
        Value::Object(m) => {
            let mut parts = Vec::new();
            for (k, x) in m {
                here.push(json!(k));
                let inner = with_duplicate(x, at, here, dup, with);
                here.pop();
                let key = Value::String(k.clone());
                parts.push(format!("{key}:{inner}"));
                if here.as_slice() == at && k == dup {
                    parts.push(format!("{key}:{with}"));
                }
            }
            format!("{{{}}}", parts.join(","))
        }
        Value::Array(a) => {
            let mut parts = Vec::new();
            for (i, x) in a.iter().enumerate() {
                here.push(json!(i));
                parts.push(with_duplicate(x, at, here, dup, with));
                here.pop();
            }
            format!("[{}]", parts.join(","))
        }
        plain => plain.to_string(),
    }
}

/// Every key of every object of `file`, written twice, is refused as a
/// duplicate by `parse`, both with the same value and with another.
fn every_duplicate_is_refused(file: &Value, parse: impl Fn(&str) -> Result<(), String>) {
    parse(&file.to_string()).unwrap_or_else(|e| panic!("the base file is valid: {e}"));
    let mut all = Vec::new();
    objects(file, &mut Vec::new(), &mut all);
    let mut count = 0;
    for (at, keys) in &all {
        let object = at.iter().fold(file, |v, k| match k {
            Value::String(s) => &v[s.as_str()],
            n => &v[n.as_u64().unwrap() as usize],
        });
        for key in keys {
            for with in [object[key.as_str()].clone(), json!(0)] {
                let text = with_duplicate(file, at, &mut Vec::new(), key, &with);
                let e = parse(&text).expect_err(&format!("duplicate `{key}` at {at:?} accepted"));
                assert!(e.contains("duplicate"), "duplicate `{key}` at {at:?}: {e}");
                count += 1;
            }
        }
    }
    assert!(count >= 14, "only {count} duplicates tried");
}

#[test]
fn duplicate_keys_are_refused_everywhere() {
    for (_, neuron) in kinds() {
        let mut m = model_with(neuron);
        m["layers"][0]["delays"] =
            json!({"max": 1, "values": [[0, 1, 0, 1], [0, 0, 0, 0], [1, 1, 1, 1]]});
        every_duplicate_is_refused(&m, |t| {
            parse_network(t).map(|_| ()).map_err(|e| e.to_string())
        });
    }
    let spikes = json!({"format": "spikegate-spikes/1", "neurons": 3, "time_steps": 8,
        "samples": [{"label": 1, "events": [[0, 1], [2, 2]]}, {"events": []}]});
    every_duplicate_is_refused(&spikes, |t| {
        parse_json::<SpikeFile>(t)
            .map(|_| ())
            .map_err(|e| e.to_string())
    });
    for output in [
        json!({"decode": "first_spike", "class": 1, "first_spike_steps": [8, 2]}),
        json!({"decode": "spike_count", "class": 0, "counts": [3, 2]}),
        json!({"decode": "readout", "class": 0, "membranes": [-3, -4]}),
    ] {
        let result = json!({"format": "spikegate-result/1", "model": "t", "time_steps": 8,
            "samples": [{"layers": [{"name": "hidden", "neurons": 4, "events": [[1, 2]]}], "output": output}]});
        every_duplicate_is_refused(&result, |t| {
            parse_json::<ResultFile>(t)
                .map(|_| ())
                .map_err(|e| e.to_string())
        });
    }
}

#[test]
fn null_is_the_same_as_leaving_an_optional_field_out() {
    let base = model_with(json!({"kind": "cuba", "current_decay": {"shift": 1}}));
    let without = |m: &mut Value, field: &str| {
        m["layers"][0].as_object_mut().unwrap().remove(field);
    };
    for field in ["bias", "delays", "name"] {
        let mut null = base.clone();
        null["layers"][0][field] = Value::Null;
        let mut absent = base.clone();
        without(&mut absent, field);
        assert_eq!(
            parse_network(&null.to_string()).unwrap(),
            parse_network(&absent.to_string()).unwrap(),
            "{field}"
        );
    }
    let mut null = base.clone();
    null["layers"][0]["neuron"]["membrane_decay"] = Value::Null;
    parse_network(&null.to_string()).unwrap();
    // A required field given null is an error like any other wrong type.
    let mut m = base.clone();
    m["layers"][0]["weights"] = Value::Null;
    let e = err(&m.to_string());
    assert!(
        e.starts_with("layer 0: field `weights`: invalid type: null"),
        "{e}"
    );
    let mut m = base.clone();
    m["layers"][0]["threshold"] = Value::Null;
    assert_eq!(
        err(&m.to_string()),
        "layer 0 (hidden): field `threshold`: a spiking layer needs a threshold"
    );
    // label: null is no label.
    let s = r#"{"format":"spikegate-spikes/1","neurons":3,"time_steps":8,"samples":[{"label":null,"events":[]}]}"#;
    assert_eq!(parse_json::<SpikeFile>(s).unwrap().samples[0].label, None);
}

#[test]
fn integers_are_plain_digits() {
    let base = model_with(json!({"kind": "if"})).to_string();
    for spelling in ["5.0", "5e0", "5E0", "50e-1", "0.5e1", "-0", "-0.0"] {
        for (field, from) in [
            ("time_steps", "\"time_steps\":8"),
            ("threshold", "\"threshold\":5"),
        ] {
            let text = base.replacen(from, &format!("\"{field}\":{spelling}"), 1);
            let e = err(&text);
            assert!(
                e.contains(&format!("field `{field}`: invalid type: floating point")),
                "{e}"
            );
            assert!(e.contains("never as -0"), "the spelling rule is given: {e}");
        }
    }
    // A weight of 0 and of -1 in plain digits is fine; `-0` is not.
    parse_network(&base.replacen("[[1,2]", "[[0,-1]", 1)).unwrap();
    let e = err(&base.replacen("[[1,2]", "[[-0,2]", 1));
    assert!(
        e.starts_with("layer 1: field `weights[0][0]`: invalid type: floating point `-0.0`"),
        "{e}"
    );
}

#[test]
fn a_label_names_an_output_neuron() {
    let dir = std::env::temp_dir().join(format!("spikegate-label-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let model = dir.join("model.json");
    std::fs::write(&model, model_with(json!({"kind": "if"})).to_string()).unwrap();
    let network = load_network(&model).unwrap();
    let spikes = dir.join("spikes.json");
    for (label, ok) in [
        (0u64, true),
        (1, true),
        (2, false),
        (u32::MAX as u64, false),
    ] {
        let file = json!({"format": "spikegate-spikes/1", "neurons": 3, "time_steps": 8,
            "samples": [{"events": []}, {"label": label, "events": [[0, 0]]}]});
        std::fs::write(&spikes, file.to_string()).unwrap();
        let result = spikegate_model::load_spikes(&spikes, &network);
        if ok {
            result.unwrap();
        } else {
            assert_eq!(
                result.unwrap_err().to_string(),
                format!(
                    "{}: sample 1: field `label`: {label} is not an output neuron: the last layer has 2, so a label is 0..=1",
                    spikes.display()
                )
            );
        }
    }
    // Beyond u32: refused while reading.
    let file = r#"{"format":"spikegate-spikes/1","neurons":3,"time_steps":8,"samples":[{"label":4294967296,"events":[]}]}"#;
    let e = parse_json::<SpikeFile>(file).unwrap_err().to_string();
    assert!(
        e.starts_with("sample 0: field `label`: invalid value: integer `4294967296`"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_event_is_exactly_two_integers() {
    let with = |events: &str| {
        format!(
            r#"{{"format":"spikegate-spikes/1","neurons":3,"time_steps":8,"samples":[{{"events":{events}}}]}}"#
        )
    };
    parse_json::<SpikeFile>(&with("[[1,2]]")).unwrap();
    for (events, msg) in [
        (
            "[[1,2,3]]",
            "invalid length 3, expected an event [step, neuron], two integers",
        ),
        (
            "[[1]]",
            "invalid length 1, expected an event [step, neuron], two integers",
        ),
        (
            "[[]]",
            "invalid length 0, expected an event [step, neuron], two integers",
        ),
        (
            "[{\"step\":1}]",
            "invalid type: map, expected an event [step, neuron]",
        ),
    ] {
        let e = parse_json::<SpikeFile>(&with(events))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("sample 0: field `events[0]`: "), "{e}");
        assert!(e.contains(msg), "{events}: {e}");
    }
}

#[test]
fn result_outputs_carry_their_own_list() {
    let with = |output: Value| {
        json!({"format": "spikegate-result/1", "model": "m", "time_steps": 4,
            "samples": [{"layers": [], "output": output}]})
        .to_string()
    };
    let e = |output: Value| {
        without_position(
            parse_json::<ResultFile>(&with(output))
                .unwrap_err()
                .to_string(),
        )
    };
    assert_eq!(
        e(json!({"decode": "spike_count", "class": 0, "membranes": [1]})),
        "sample 0: field `output.membranes`: a `spike_count` output carries `counts`, not `membranes`"
    );
    assert!(
        e(json!({"membranes": [1], "decode": "spike_count", "class": 0}))
            .contains("a `spike_count` output carries `counts`, not `membranes`")
    );
    assert!(e(json!({"decode": "readout", "class": 0})).contains("missing field `membranes`"));
    assert!(e(json!({"decode": "readout", "membranes": [1]})).contains("missing field `class`"));
    assert!(
        e(json!({"decode": "readout", "class": 0, "membranes": [1], "extra": 1}))
            .contains("unknown field `extra`")
    );
    assert!(
        e(json!({"decode": "first_spike", "class": 0, "first_spike_steps": [-1]})).starts_with(
            "sample 0: field `output.first_spike_steps[0]`: invalid value: integer `-1`"
        )
    );
    let ok: ResultFile = parse_json(&with(
        json!({"decode": "readout", "class": 1, "membranes": [-5, 7]}),
    ))
    .unwrap();
    assert_eq!(ok.samples[0].output.membranes(), &[-5, 7]);
    // Written and read back, every decoding is the same value.
    for output in [
        json!({"decode": "first_spike", "class": 1, "first_spike_steps": [4, 2]}),
        json!({"decode": "spike_count", "class": 0, "counts": [3, 2]}),
        json!({"decode": "readout", "class": 1, "membranes": [-5, 7]}),
    ] {
        let file: ResultFile = parse_json(&with(output.clone())).unwrap();
        let back = serde_json::to_value(&file).unwrap();
        assert_eq!(back["samples"][0]["output"], output);
    }
}

#[test]
fn every_decimal_reads_as_the_nearest_double() {
    // The issue's two values, which a fast float parser reads one step off.
    let v: Vec<f64> = parse_json("[0.9999999999999999, 0.9852941176470589]").unwrap();
    assert_eq!(v[0].to_bits(), 0.9999999999999999f64.to_bits());
    assert!(v[0] < 1.0);
    assert_eq!(v[1].to_bits(), 0.9852941176470589f64.to_bits());
    // Random doubles in 0..=1 (the encoders' range) and beyond, written in
    // the shortest round-trip form and with 17 significant digits: each
    // reads back to itself. Rust's own parser is correctly rounded.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..20_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let f = (x >> 11) as f64 / (1u64 << 53) as f64;
        let g = f64::from_bits(x & 0x7fef_ffff_ffff_ffff);
        for value in [f, g] {
            if !value.is_finite() {
                continue;
            }
            for text in [format!("{value:?}"), format!("{value:.16e}")] {
                let back: Vec<f64> = parse_json(&format!("[{text}]")).unwrap();
                assert_eq!(
                    back[0].to_bits(),
                    text.parse::<f64>().unwrap().to_bits(),
                    "{text}"
                );
            }
        }
    }
}

#[test]
fn delays_max_is_from_0_to_4096() {
    let with_max = |max: Value, values: Value| {
        let mut m = model_with(json!({"kind": "if"}));
        m["layers"][0]["delays"] = json!({"max": max, "values": values});
        m.to_string()
    };
    let zeros = json!([[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]);
    // 0 is the lower bound (every delay is then 0); max may exceed every value.
    parse_network(&with_max(json!(0), zeros.clone())).unwrap();
    parse_network(&with_max(json!(4096), zeros.clone())).unwrap();
    let e = err(&with_max(json!(-1), zeros.clone()));
    assert!(
        e.starts_with("layer 0: field `delays.max`: invalid value: integer `-1`"),
        "{e}"
    );
    assert_eq!(
        err(&with_max(json!(4097), zeros)),
        "layer 0 (hidden): field `delays.max`: the largest delay must be at most 4096, not 4097"
    );
    let e = err(&with_max(
        json!(0),
        json!([[0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]),
    ));
    assert_eq!(
        e,
        "layer 0 (hidden): field `delays.values[0][1]`: 1 is above the layer's maximum delay 0"
    );
}
