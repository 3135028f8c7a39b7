//! Reading a file takes memory bounded by the file, not by what it
//! declares: at most 4 times its size plus a constant, measured under
//! `ulimit -v` in a child process (this test binary, run again with one
//! test selected and an environment variable naming the file to read).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use spikegate_model::load::read_json;
use spikegate_model::{load_network, ModelError, Network, SpikeFile};

/// Set in the child: the file it reads.
const FILE_VAR: &str = "SPIKEGATE_MEMORY_TEST_FILE";
/// Set in the child: `model` (read and validate), `parse` (read only) or
/// `spikes` (read a spike file).
const HOW_VAR: &str = "SPIKEGATE_MEMORY_TEST_HOW";

/// A folder of its own for each test, since they run at the same time.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("spikegate-memory-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A valid model of `inputs` inputs and one `if` layer of `size` neurons
/// whose weights are all 0, written as compactly as JSON allows (two bytes
/// a weight: the case that costs most memory per byte of file).
fn zeros_model(path: &Path, inputs: usize, size: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    write!(
        f,
        r#"{{"format":"spikegate-model/1","name":"zeros","time_steps":4,"inputs":{inputs},"layers":[{{"size":{size},"neuron":{{"kind":"if"}},"widths":{{"weight":8,"membrane":16,"threshold":16}},"threshold":1,"reset":"zero","weights":["#
    )
    .unwrap();
    let row = format!("[{}0]", "0,".repeat(size - 1));
    for j in 0..inputs {
        if j > 0 {
            f.write_all(b",").unwrap();
        }
        f.write_all(row.as_bytes()).unwrap();
    }
    write!(f, r#"]}}],"output":{{"decode":"spike_count"}}}}"#).unwrap();
    f.flush().unwrap();
}

/// The child's peak virtual memory, from `/proc/self/status`, in bytes.
fn vm_peak() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmPeak:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// The child's side: read the file, report the outcome and the peak.
#[test]
fn child_reads_the_file() {
    let Some(path) = std::env::var_os(FILE_VAR) else {
        return; // Not a child: nothing to do.
    };
    let path = PathBuf::from(path);
    let outcome: Result<(), ModelError> = match std::env::var(HOW_VAR).as_deref() {
        Ok("parse") => read_json::<Network>(&path).map(|_| ()),
        Ok("spikes") => read_json::<SpikeFile>(&path).map(|_| ()),
        _ => load_network(&path).map(|_| ()),
    };
    match outcome {
        Ok(()) => println!("\nOUTCOME ok"),
        Err(e) => println!("\nOUTCOME error: {e}"),
    }
    println!("VMPEAK {}", vm_peak());
}

/// Runs the child on `path`, under a `ulimit -v` of `limit` bytes if given;
/// gives its outcome line and peak, or what went wrong.
fn run_child(path: &Path, how: &str, limit: Option<u64>) -> (String, u64) {
    let exe = std::env::current_exe().unwrap();
    let ulimit = match limit {
        Some(bytes) => format!("ulimit -v {} || exit 99; ", bytes / 1024),
        None => String::new(),
    };
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("{ulimit}exec \"$0\" \"$@\""))
        .arg(&exe)
        .args([
            "--exact",
            "child_reads_the_file",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(FILE_VAR, path)
        .env(HOW_VAR, how)
        // One malloc arena: per-thread arenas reserve address space in
        // 64 MiB steps, which would measure glibc rather than the reader.
        .env("MALLOC_ARENA_MAX", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let outcome = stdout
        .lines()
        .find_map(|l| l.split_once("OUTCOME ").map(|(_, o)| o.to_owned()))
        .unwrap_or_else(|| {
            format!(
                "no outcome (status {}): {stdout} {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )
        });
    let peak = stdout
        .lines()
        .find_map(|l| l.split_once("VMPEAK ").map(|(_, v)| v))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    (outcome, peak)
}

/// Slack above the baseline for what does not scale with the file: the
/// row buffer, the reader's buffer, allocator rounding.
const CONSTANT: u64 = 24 << 20;

#[test]
fn a_model_of_zeros_is_read_in_at_most_four_times_its_size() {
    if std::env::var_os(FILE_VAR).is_some() {
        return;
    }
    if !Path::new("/proc/self/status").exists() {
        eprintln!("no /proc: the memory bound is not measured here");
        return;
    }
    let dir = scratch("zeros");
    let tiny = dir.join("tiny.json");
    zeros_model(&tiny, 2, 2);
    let (outcome, baseline) = run_child(&tiny, "model", None);
    assert_eq!(outcome, "ok");
    assert!(baseline > 0);

    // Rows of 2049 values: a reader whose rows grow by doubling holds
    // 4096 slots for each, twice what they need.
    let big = dir.join("zeros.json");
    zeros_model(&big, 8000, 2049);
    let size = std::fs::metadata(&big).unwrap().len();
    assert!(size > 30 << 20, "{size}");
    let limit = baseline + 4 * size + CONSTANT;
    let (outcome, peak) = run_child(&big, "model", Some(limit));
    assert_eq!(
        outcome, "ok",
        "a {size}-byte model under a limit of {limit} bytes (baseline {baseline})"
    );
    assert!(
        peak <= limit,
        "peak {peak}, limit {limit}, baseline {baseline}"
    );
    eprintln!(
        "a {size}-byte model of zeros: peak {peak} bytes, {:.2} times the file above the baseline",
        (peak - baseline) as f64 / size as f64
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A valid model of `rows` inputs and one `if` layer of a single neuron,
/// with delays: `rows` weight rows and `rows` delay rows of one value each
/// (four bytes of file a value, `[0],`: the shape that costs most memory
/// per byte when each row is a list of its own).
fn one_value_rows_model(path: &Path, rows: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let column = |f: &mut std::io::BufWriter<std::fs::File>| {
        for j in 0..rows {
            f.write_all(if j == 0 { b"[0]" } else { b",[0]" }).unwrap();
        }
    };
    write!(
        f,
        r#"{{"format":"spikegate-model/1","name":"column","time_steps":4,"inputs":{rows},"layers":[{{"size":1,"neuron":{{"kind":"if"}},"widths":{{"weight":8,"membrane":16,"threshold":16}},"threshold":1,"reset":"zero","weights":["#
    )
    .unwrap();
    column(&mut f);
    f.write_all(br#"],"delays":{"max":1,"values":["#).unwrap();
    column(&mut f);
    write!(f, r#"]}}}}],"output":{{"decode":"spike_count"}}}}"#).unwrap();
    f.flush().unwrap();
}

#[test]
fn a_model_of_one_value_rows_is_read_in_at_most_four_times_its_size() {
    if std::env::var_os(FILE_VAR).is_some() {
        return;
    }
    if !Path::new("/proc/self/status").exists() {
        return;
    }
    let dir = scratch("column");
    let tiny = dir.join("tiny.json");
    one_value_rows_model(&tiny, 2);
    let (outcome, baseline) = run_child(&tiny, "model", None);
    assert_eq!(outcome, "ok");
    // 2^20 rows (as many as any layer may have) of weights and as many of
    // delays: 8 MiB of file. A list per row costs a 24-byte header and a
    // heap chunk of at least 32 bytes for each, about 14 times the file.
    let big = dir.join("column.json");
    one_value_rows_model(&big, 1 << 20);
    let size = std::fs::metadata(&big).unwrap().len();
    let limit = baseline + 4 * size + CONSTANT;
    let (outcome, peak) = run_child(&big, "model", Some(limit));
    assert_eq!(
        outcome, "ok",
        "a {size}-byte model under a limit of {limit} bytes (baseline {baseline})"
    );
    assert!(
        peak <= limit,
        "peak {peak}, limit {limit}, baseline {baseline}"
    );
    eprintln!(
        "a {size}-byte model of one-value rows: peak {peak} bytes, {:.2} times the file above the baseline",
        (peak - baseline) as f64 / size as f64
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_row_longer_than_any_layer_is_refused_while_it_is_read() {
    if std::env::var_os(FILE_VAR).is_some() {
        return;
    }
    if !Path::new("/proc/self/status").exists() {
        return;
    }
    let dir = scratch("row");
    let tiny = dir.join("tiny.json");
    zeros_model(&tiny, 2, 2);
    let (_, baseline) = run_child(&tiny, "parse", None);
    // One row of 8 million values: 16 MB of file, 64 MB as weights, and
    // no layer has that many neurons.
    let long = dir.join("long.json");
    zeros_model(&long, 1, 8_000_000);
    let size = std::fs::metadata(&long).unwrap().len();
    let limit = baseline + size + CONSTANT;
    let (outcome, _) = run_child(&long, "parse", Some(limit));
    assert!(
        outcome.contains(
            "field `weights[0]`: a row of more than 1048576 values; no layer has that many neurons"
        ),
        "{outcome}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_spike_file_is_read_in_at_most_four_times_its_size() {
    if std::env::var_os(FILE_VAR).is_some() {
        return;
    }
    if !Path::new("/proc/self/status").exists() {
        return;
    }
    let dir = scratch("spikes");
    let tiny = dir.join("tiny.json");
    std::fs::write(
        &tiny,
        r#"{"format":"spikegate-spikes/1","neurons":1,"time_steps":1,"samples":[]}"#,
    )
    .unwrap();
    let (outcome, baseline) = run_child(&tiny, "spikes", None);
    assert_eq!(outcome, "ok");
    // The two densest shapes: a sample of 3 million one-digit events (6
    // bytes of JSON, 8 in memory each) and 1.5 million empty samples (14
    // bytes of JSON, 32 in memory each).
    let big = dir.join("spikes.json");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
    f.write_all(
        br#"{"format":"spikegate-spikes/1","neurons":10,"time_steps":10,"samples":[{"events":["#,
    )
    .unwrap();
    for k in 0..3_000_000 {
        if k > 0 {
            f.write_all(b",").unwrap();
        }
        f.write_all(b"[0,0]").unwrap();
    }
    f.write_all(b"]}").unwrap();
    for _ in 0..1_500_000 {
        f.write_all(br#",{"events":[]}"#).unwrap();
    }
    f.write_all(b"]}").unwrap();
    f.flush().unwrap();
    drop(f);
    let size = std::fs::metadata(&big).unwrap().len();
    let limit = baseline + 4 * size + CONSTANT;
    let (outcome, peak) = run_child(&big, "spikes", Some(limit));
    assert_eq!(
        outcome, "ok",
        "a {size}-byte spike file under {limit} bytes"
    );
    assert!(peak <= limit, "peak {peak}, limit {limit}");
    eprintln!(
        "a {size}-byte spike file: {:.2} times the file above the baseline",
        (peak - baseline) as f64 / size as f64
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
