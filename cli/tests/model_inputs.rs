//! The model, spike and values files as the `spikegate` binary reads them:
//! decimals read exactly, special files refused, memory bounded by the
//! file, messages that name what is wrong.

mod common;

use common::{spikegate, stderr};

/// A fresh folder of this file's own.
fn scratch(name: &str) -> std::path::PathBuf {
    common::scratch("model-inputs", name)
}

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A one-input, one-neuron `if` model running `steps` steps.
fn one_input_model(path: &Path, steps: u32) {
    let model = serde_json::json!({
        "format": "spikegate-model/1",
        "name": "one",
        "time_steps": steps,
        "inputs": 1,
        "layers": [{
            "size": 1,
            "neuron": {"kind": "if"},
            "widths": {"weight": 4, "membrane": 8, "threshold": 8},
            "threshold": 1,
            "reset": "zero",
            "weights": [[1]]
        }],
        "output": {"decode": "spike_count"}
    });
    std::fs::write(path, model.to_string()).unwrap();
}

/// Encodes the single value written as `decimal` (text, so that the
/// binary's own reading is what is tested) and gives the spike steps.
fn encode_one(dir: &Path, decimal: &str, code: &str) -> Vec<u64> {
    let model = dir.join("model.json");
    one_input_model(&model, 35);
    let values = dir.join("values.json");
    std::fs::write(
        &values,
        format!(r#"{{"samples": [{{"values": [{decimal}]}}]}}"#),
    )
    .unwrap();
    let out_file = dir.join(format!("spikes-{code}.json"));
    let out = spikegate(&[
        "encode",
        model.to_str().unwrap(),
        values.to_str().unwrap(),
        "--code",
        code,
        "-o",
        out_file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap();
    file["samples"][0]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e[0].as_u64().unwrap())
        .collect()
}

#[test]
fn encode_reads_every_decimal_as_the_nearest_double() {
    let dir = scratch("decimals");
    // 0.9999999999999999 is the double just below 1: floor(35 x) = 34
    // spikes, none at step 0 (read as 1.0 it spikes at every step).
    let steps = encode_one(&dir, "0.9999999999999999", "rate");
    assert_eq!(steps.len(), 34, "{steps:?}");
    assert!(!steps.contains(&0), "{steps:?}");
    // (1 - x) * 34 is just below 0.5 for this x, so it rounds to step 0
    // (read one step off, the product is 0.5 and gives step 1).
    assert_eq!(encode_one(&dir, "0.9852941176470589", "ttfs"), vec![0]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn encode_help_points_to_the_encoders_section() {
    let out = spikegate(&["encode", "--help"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("docs/semantics.md (section 6)"), "{text}");
    // Section 6 of the page is the encoders'.
    let page =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/semantics.md"))
            .unwrap();
    assert!(page.contains("\n## 6. Input encoders\n"));
}

#[test]
fn encode_prints_a_huge_value_compactly() {
    let dir = scratch("huge");
    let model = dir.join("model.json");
    one_input_model(&model, 4);
    let values = dir.join("values.json");
    std::fs::write(&values, r#"{"samples": [{"values": [1e308]}]}"#).unwrap();
    let out = spikegate(&[
        "encode",
        model.to_str().unwrap(),
        values.to_str().unwrap(),
        "-o",
        dir.join("s.json").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let e = stderr(&out);
    assert!(
        e.contains(&format!(
            "{}: sample 0: input value 0 is 1e308; encoders take values from 0 to 1",
            values.display()
        )),
        "{e}"
    );
    let longest = e
        .split(|c: char| !c.is_ascii_digit())
        .map(str::len)
        .max()
        .unwrap();
    assert!(longest < 20, "{e}");
    // A label that names no output neuron (the model has one) is refused.
    std::fs::write(&values, r#"{"samples": [{"values": [0.5], "label": 1}]}"#).unwrap();
    let out = spikegate(&[
        "encode",
        model.to_str().unwrap(),
        values.to_str().unwrap(),
        "-o",
        dir.join("s.json").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("sample 0: field `label`: 1 is not an output neuron"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.join("s.json").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Runs `spikegate args`, failing the test if it has not ended within 20 s.
fn within_seconds(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_spikegate"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("spikegate {args:?} did not end within 20 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(unix)]
#[test]
fn check_refuses_special_files() {
    let dir = scratch("special");
    let fifo = dir.join("model.json");
    let mut paths = vec![PathBuf::from("/dev/zero")];
    if Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success())
    {
        paths.push(fifo);
    }
    for path in paths {
        if !path.exists() {
            continue;
        }
        let out = within_seconds(&["check", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let e = stderr(&out);
        assert!(
            e.contains(&format!("{}: is not a regular file (", path.display())),
            "{e}"
        );
    }
    // And as a spike file.
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("../golden/delays/model.json");
    let out = within_seconds(&["sim", model.to_str().unwrap(), "--input", "/dev/zero"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("/dev/zero: is not a regular file (a character device)"),
        "{}",
        stderr(&out)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_names_a_bom_and_a_non_string_name_field() {
    let dir = scratch("bom");
    let model = dir.join("model.json");
    one_input_model(&model, 4);
    let text = std::fs::read_to_string(&model).unwrap();
    std::fs::write(&model, format!("\u{feff}{text}")).unwrap();
    let out = spikegate(&["check", model.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(&format!(
            "{}: the file starts with a UTF-8 byte-order mark (BOM",
            model.display()
        )),
        "{}",
        stderr(&out)
    );
    std::fs::write(&model, text.replace("\"zero\"", "5")).unwrap();
    let out = spikegate(&["check", model.to_str().unwrap()]);
    assert!(
        stderr(&out).contains(&format!(
            "{}: layer 0: field `reset`: invalid type: integer `5`, expected a string, one of \"subtract\", \"zero\" or \"none\"",
            model.display()
        )),
        "{}",
        stderr(&out)
    );
    std::fs::write(
        &model,
        text.replace(
            "{\"kind\":\"if\"}",
            "{\"kind\":\"if\",\"leak\":{\"shift\":1}}",
        ),
    )
    .unwrap();
    let out = spikegate(&["check", model.to_str().unwrap()]);
    assert!(
        stderr(&out)
            .contains("layer 0: field `neuron.leak`: an `if` neuron takes only `kind`, not `leak`"),
        "{}",
        stderr(&out)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Whether `spikegate check model` succeeds under a `ulimit -v` of `bytes`.
fn check_under(model: &Path, bytes: u64) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {} || exit 99; exec \"$0\" check \"$1\" >/dev/null 2>&1",
            bytes / 1024
        ))
        .arg(env!("CARGO_BIN_EXE_spikegate"))
        .arg(model)
        // One malloc arena: per-thread arenas reserve address space in
        // 64 MiB steps, which would measure glibc rather than the reader.
        .env("MALLOC_ARENA_MAX", "1")
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(target_os = "linux")]
#[test]
fn check_reads_a_model_of_zeros_in_four_times_its_size() {
    let dir = scratch("zeros");
    let tiny = dir.join("tiny.json");
    one_input_model(&tiny, 4);
    // The least address space in which the binary checks a tiny model, to
    // 1 MiB: what the binary itself needs.
    let (mut lo, mut hi) = (0u64, 4u64 << 30);
    if !check_under(&tiny, hi) {
        eprintln!("the binary does not run under ulimit -v here; not measured");
        return;
    }
    while hi - lo > 1 << 20 {
        let mid = (lo + hi) / 2;
        if check_under(&tiny, mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    let baseline = hi;
    // 8000 rows of 2049 zero weights: 33 MB of JSON, 131 MB of weights.
    let model = dir.join("zeros.json");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&model).unwrap());
    write!(
        f,
        r#"{{"format":"spikegate-model/1","name":"zeros","time_steps":4,"inputs":8000,"layers":[{{"size":2049,"neuron":{{"kind":"if"}},"widths":{{"weight":8,"membrane":16,"threshold":16}},"threshold":1,"reset":"zero","weights":["#
    )
    .unwrap();
    let row = format!("[{}0]", "0,".repeat(2048));
    for j in 0..8000 {
        if j > 0 {
            f.write_all(b",").unwrap();
        }
        f.write_all(row.as_bytes()).unwrap();
    }
    write!(f, r#"]}}],"output":{{"decode":"spike_count"}}}}"#).unwrap();
    f.flush().unwrap();
    drop(f);
    let size = std::fs::metadata(&model).unwrap().len();
    let limit = baseline + 4 * size + (32 << 20);
    assert!(
        check_under(&model, limit),
        "`spikegate check` of a {size}-byte model needs more than {limit} bytes (the binary alone {baseline})"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
