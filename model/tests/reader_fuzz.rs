//! Fuzz targets for the three file readers (model, spikes, results), run in
//! the normal `cargo test` with a bounded number of cases: valid golden
//! files are mutated (bit flips, truncations, byte insertions and
//! deletions, splices of two files, random JSON put in place of a value,
//! a key written twice), and every reader must return a value or a *named*
//! error: one that says where (layer, sample or field) or, for text that is
//! not JSON, at which line and column. A panic fails the test.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::{json, Value};
use spikegate_model::load::{parse_json, read_json};
use spikegate_model::{parse_network, ModelError, ResultFile, SpikeFile, ValidNetwork};

/// Golden cases whose files are small enough to mutate quickly, with
/// every neuron kind, delays, bias and every decoding among them.
const CASES: &[&str] = &[
    "if_subtract",
    "lif_shift",
    "lif_multiply",
    "cuba",
    "ttfs",
    "adlif",
    "delays",
    "saturation",
    "bias",
    "readout",
];

/// Which reader a text is given to.
#[derive(Clone, Copy, Debug)]
enum Reader {
    Model,
    Spikes,
    Results,
}

impl Reader {
    fn file(self) -> &'static str {
        match self {
            Reader::Model => "model.json",
            Reader::Spikes => "input.json",
            Reader::Results => "expected.json",
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The golden files' texts, per reader, and each case's network.
struct Corpus {
    texts: Vec<(Reader, Vec<String>)>,
    networks: Vec<ValidNetwork>,
}

fn corpus() -> &'static Corpus {
    static CORPUS: OnceLock<Corpus> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let read = |case: &str, file: &str| {
            std::fs::read_to_string(root().join("golden").join(case).join(file)).unwrap()
        };
        let texts = [Reader::Model, Reader::Spikes, Reader::Results]
            .into_iter()
            .map(|r| (r, CASES.iter().map(|c| read(c, r.file())).collect()))
            .collect();
        let networks = CASES
            .iter()
            .map(|c| parse_network(&read(c, "model.json")).unwrap())
            .collect();
        Corpus { texts, networks }
    })
}

fn texts(reader: Reader) -> &'static [String] {
    &corpus()
        .texts
        .iter()
        .find(|(r, _)| std::mem::discriminant(r) == std::mem::discriminant(&reader))
        .unwrap()
        .1
}

/// An error is named if it says where (layer, sample, field) or, for text
/// that is not valid JSON or not a JSON object, where the parser stopped.
fn assert_named(e: &ModelError, text: &str) -> Result<(), TestCaseError> {
    let message = e.to_string();
    prop_assert!(!e.message.is_empty(), "empty message for {text:?}");
    let loc = &e.location;
    let placed = loc.layer.is_some() || loc.sample.is_some() || loc.field.is_some();
    let positioned = message.contains(" line ") && message.contains(" column ");
    let bom = message.contains("byte-order mark (BOM");
    prop_assert!(
        placed || positioned || bom,
        "unnamed error {message:?} for {text:?}"
    );
    Ok(())
}

/// Gives `text` to `reader` (and, for spikes, checks it against a model);
/// fails the case on an unnamed error. A panic fails it too.
fn survives(reader: Reader, text: &str, case: usize) -> Result<(), TestCaseError> {
    match reader {
        Reader::Model => {
            if let Err(e) = parse_network(text) {
                assert_named(&e, text)?;
            }
        }
        Reader::Spikes => match parse_json::<SpikeFile>(text) {
            Ok(file) => {
                let net = &corpus().networks[case % CASES.len()];
                if let Err(e) = file.check_against(net) {
                    assert_named(&e, text)?;
                }
            }
            Err(e) => assert_named(&e, text)?,
        },
        Reader::Results => {
            if let Err(e) = parse_json::<ResultFile>(text) {
                assert_named(&e, text)?;
            }
        }
    }
    Ok(())
}

/// The same text read from a file: an error starts with the file's path.
fn survives_as_file(reader: Reader, text: &[u8], n: u64) -> Result<(), TestCaseError> {
    let dir = std::env::temp_dir().join(format!("spikegate-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("case-{n}.json"));
    std::fs::write(&path, text).unwrap();
    let error = match reader {
        Reader::Model => spikegate_model::load_network(&path).err(),
        Reader::Spikes => read_json::<SpikeFile>(&path).err(),
        Reader::Results => read_json::<ResultFile>(&path).err(),
    };
    std::fs::remove_file(&path).unwrap();
    if let Some(e) = error {
        let message = e.to_string();
        prop_assert!(
            message.starts_with(&format!("{}: ", path.display())),
            "{message}"
        );
    }
    Ok(())
}

fn reader() -> impl Strategy<Value = Reader> {
    prop_oneof![
        Just(Reader::Model),
        Just(Reader::Spikes),
        Just(Reader::Results)
    ]
}

/// One mutation of a byte string, with positions taken modulo its length.
#[derive(Clone, Debug)]
enum Mutation {
    FlipBit(usize, u8),
    Truncate(usize),
    Insert(usize, u8),
    Delete(usize, usize),
    /// This file up to the first position, another file from the second.
    Splice(usize, usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(p, b)| Mutation::FlipBit(p, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Mutation::Insert(p, b)),
        (any::<usize>(), 1usize..20).prop_map(|(p, n)| Mutation::Delete(p, n)),
        (any::<usize>(), any::<usize>(), any::<usize>())
            .prop_map(|(a, b, c)| Mutation::Splice(a, b, c)),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation, others: &[String]) {
    let len = bytes.len().max(1);
    match *m {
        Mutation::FlipBit(p, b) => {
            if !bytes.is_empty() {
                bytes[p % len] ^= 1 << b;
            }
        }
        Mutation::Truncate(p) => bytes.truncate(p % len),
        Mutation::Insert(p, b) => bytes.insert(p % (bytes.len() + 1), b),
        Mutation::Delete(p, n) => {
            let start = p % len;
            let end = (start + n).min(bytes.len());
            if start < end {
                bytes.drain(start..end);
            }
        }
        Mutation::Splice(a, other, b) => {
            let other = others[other % others.len()].as_bytes();
            bytes.truncate(a % len);
            bytes.extend_from_slice(&other[b % other.len()..]);
        }
    }
}

/// Keys of all three formats, so that random objects sometimes have the
/// right shape.
const KEYS: &[&str] = &[
    "format",
    "name",
    "model",
    "time_steps",
    "inputs",
    "neurons",
    "layers",
    "samples",
    "events",
    "label",
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
    "class",
    "counts",
    "membranes",
    "first_spike_steps",
    "leak",
    "shift",
    "multiply",
    "beta",
    "frac_bits",
    "alpha",
    "a",
    "b",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        (-3i64..40).prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        prop::sample::select(vec![
            "spikegate-model/1",
            "spikegate-spikes/1",
            "spikegate-result/1",
            "if",
            "lif",
            "cuba",
            "ttfs",
            "adlif",
            "subtract",
            "zero",
            "none",
            "first_spike",
            "spike_count",
            "readout",
            "",
            "\u{feff}",
        ])
        .prop_map(|s| json!(s)),
    ]
}

fn tree() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..7).prop_map(|kv| {
                Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}

/// Every position of a value in `v` (a path of keys and indices).
fn paths(v: &Value, here: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    out.push(here.clone());
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                here.push(json!(k));
                paths(x, here, out);
                here.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                here.push(json!(i));
                paths(x, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

fn at_mut<'v>(v: &'v mut Value, path: &[Value]) -> &'v mut Value {
    path.iter().fold(v, |v, k| match k {
        Value::String(s) => &mut v[s.as_str()],
        n => &mut v[n.as_u64().unwrap() as usize],
    })
}

/// `v` as JSON text with its `pick`-th key (counting every key of every
/// object, modulo their number) written twice with the same value; `None`
/// if `v` has no key.
fn with_a_duplicate(v: &Value, pick: usize) -> Option<String> {
    fn keys(v: &Value) -> usize {
        match v {
            Value::Object(m) => m.len() + m.values().map(keys).sum::<usize>(),
            Value::Array(a) => a.iter().map(keys).sum(),
            _ => 0,
        }
    }
    fn write(v: &Value, target: usize, seen: &mut usize, out: &mut String) {
        match v {
            Value::Object(m) => {
                out.push('{');
                for (k, (key, x)) in m.iter().enumerate() {
                    if k > 0 {
                        out.push(',');
                    }
                    let this = *seen;
                    *seen += 1;
                    let start = out.len();
                    out.push_str(&Value::String(key.clone()).to_string());
                    out.push(':');
                    write(x, target, seen, out);
                    if this == target {
                        let pair = out[start..].to_owned();
                        out.push(',');
                        out.push_str(&pair);
                    }
                }
                out.push('}');
            }
            Value::Array(a) => {
                out.push('[');
                for (k, x) in a.iter().enumerate() {
                    if k > 0 {
                        out.push(',');
                    }
                    write(x, target, seen, out);
                }
                out.push(']');
            }
            plain => out.push_str(&plain.to_string()),
        }
    }
    let n = keys(v);
    if n == 0 {
        return None;
    }
    let mut out = String::new();
    write(v, pick % n, &mut 0, &mut out);
    Some(out)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn mutated_files(
        reader in reader(),
        case in 0..CASES.len(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let all = texts(reader);
        let mut bytes = all[case].clone().into_bytes();
        for m in &mutations {
            apply(&mut bytes, m, all);
        }
        survives(reader, &String::from_utf8_lossy(&bytes), case)?;
    }

    #[test]
    fn random_values_in_valid_files(
        reader in reader(),
        case in 0..CASES.len(),
        pick in any::<usize>(),
        replacement in tree(),
    ) {
        let mut v: Value = serde_json::from_str(&texts(reader)[case]).unwrap();
        let mut all = Vec::new();
        paths(&v, &mut Vec::new(), &mut all);
        let path = &all[pick % all.len()];
        *at_mut(&mut v, path) = replacement;
        survives(reader, &v.to_string(), case)?;
    }

    #[test]
    fn duplicate_keys_in_valid_files(
        reader in reader(),
        case in 0..CASES.len(),
        pick in any::<usize>(),
    ) {
        let v: Value = serde_json::from_str(&texts(reader)[case]).unwrap();
        if let Some(text) = with_a_duplicate(&v, pick) {
            let refused = match reader {
                Reader::Model => parse_network(&text).err(),
                Reader::Spikes => parse_json::<SpikeFile>(&text).err(),
                Reader::Results => parse_json::<ResultFile>(&text).err(),
            };
            let e = refused.unwrap_or_else(|| panic!("a duplicate key was accepted: {text}"));
            assert_named(&e, &text)?;
        }
    }

    #[test]
    fn random_json(reader in reader(), v in tree(), case in 0..CASES.len()) {
        survives(reader, &v.to_string(), case)?;
    }
}

proptest! {
    // Through files: slower (a file is written per case), so fewer cases.
    #![proptest_config(ProptestConfig {
        cases: 150,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn mutated_files_on_disk(
        reader in reader(),
        case in 0..CASES.len(),
        mutations in prop::collection::vec(mutation(), 1..3),
        n in any::<u64>(),
    ) {
        let all = texts(reader);
        let mut bytes = all[case].clone().into_bytes();
        for m in &mutations {
            apply(&mut bytes, m, all);
        }
        survives_as_file(reader, &bytes, n)?;
    }
}
