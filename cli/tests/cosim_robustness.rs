//! `spikegate cosim` on Verilator when things go wrong around it (issue
//! 15, items 7, 8 and 13): a damaged cache entry, a build killed with
//! kill -9, a failing build, an unwritable cache, a waveform path that
//! cannot be written, a hand-edited image that Verilator would abort on.
//!
//! Tests that run the real Verilator skip with a loud message when it is
//! missing, and fail in CI (CI=true). The others use a stand-in script.

mod common;

use common::{golden, named_log, s, verilator_present};

/// A fresh folder of this file's own.
fn scratch(name: &str) -> std::path::PathBuf {
    common::scratch("robust", name)
}

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// `spikegate cosim` of golden case `case` on Verilator with its cache in
/// `cache` and its temporary folder `tmp`, plus `extra` arguments.
fn cosim_command(case: &str, cache: &Path, tmp: &Path, extra: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_spikegate"));
    c.args([
        "cosim",
        s(&golden(case, "model.json")),
        "--input",
        s(&golden(case, "input.json")),
        "--backend",
        "verilator",
    ])
    .args(extra)
    .env("SPIKEGATE_CACHE", cache)
    .env("TMPDIR", tmp);
    c
}

fn finish(out: Output) -> (Option<i32>, String, String) {
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The cache entries (folders named by a 16-digit key) under `cache`.
fn entries(cache: &Path) -> Vec<PathBuf> {
    let Ok(read) = std::fs::read_dir(cache.join("verilator")) else {
        return vec![];
    };
    read.flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() && p.file_name().unwrap().len() == 16)
        .collect()
}

#[test]
fn a_damaged_cached_library_is_rebuilt_not_loaded() {
    if !verilator_present("damaged cache entry") {
        return;
    }
    let dir = scratch("damaged");
    let (cache, tmp) = (dir.join("cache"), dir.join("tmp"));
    std::fs::create_dir_all(&tmp).unwrap();
    let (code, out, err) = finish(cosim_command("ttfs", &cache, &tmp, &[]).output().unwrap());
    assert_eq!(code, Some(0), "{out}{err}");
    let found = entries(&cache);
    let [entry] = &found[..] else {
        panic!("one cache entry: {found:?}");
    };
    let library = entry.join("libspikegate_cosim.so");
    let good = std::fs::read(&library).unwrap();
    // Truncated, then the same length of garbage: each is rebuilt.
    for damaged in [good[..good.len() / 3].to_vec(), vec![0x5a; good.len()]] {
        std::fs::write(&library, &damaged).unwrap();
        let (code, out, err) = finish(cosim_command("ttfs", &cache, &tmp, &[]).output().unwrap());
        assert_eq!(code, Some(0), "{out}{err}");
        assert!(
            out.contains("samples match the reference bit for bit"),
            "{out}"
        );
        assert_ne!(
            std::fs::read(&library).unwrap(),
            damaged,
            "the library was rebuilt"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// The processes whose working folder is inside `dir`.
fn processes_working_in(dir: &Path) -> Vec<u32> {
    let Ok(read) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    read.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|cwd| cwd.starts_with(dir))
        })
        .collect()
}

#[test]
fn a_build_killed_with_kill_9_stops_its_compilers_and_its_leftovers_go() {
    if !verilator_present("killed build") || !Path::new("/proc/self").exists() {
        return;
    }
    let dir = scratch("killed");
    let (cache, tmp) = (dir.join("cache"), dir.join("tmp"));
    std::fs::create_dir_all(&tmp).unwrap();
    let mut run = cosim_command("digits_ttfs", &cache, &tmp, &["--samples", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the compilers work in the staging folder.
    let root = cache.join("verilator");
    let started = Instant::now();
    let staging = loop {
        let busy = std::fs::read_dir(&root).ok().and_then(|r| {
            r.flatten()
                .map(|e| e.path())
                .find(|p| p.to_string_lossy().contains(".partial-") && p.join("obj").is_dir())
        });
        // A compiler (cc1plus) at work, which would go on for seconds.
        let compiling = |p: &PathBuf| {
            processes_working_in(p).iter().any(|pid| {
                std::fs::read_to_string(format!("/proc/{pid}/comm"))
                    .is_ok_and(|c| c.trim() == "cc1plus")
            })
        };
        if let Some(p) = busy.filter(compiling) {
            break p;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no build started"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    run.kill().unwrap(); // SIGKILL: no handler of spikegate runs.
    run.wait().unwrap();
    let killed = Instant::now();
    while !processes_working_in(&staging).is_empty() {
        assert!(
            killed.elapsed() < Duration::from_secs(1),
            "processes still build after spikegate was killed: {:?}",
            processes_working_in(&staging)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(staging.exists(), "the killed run left its staging folder");
    let temp_designs = || {
        std::fs::read_dir(&tmp)
            .unwrap()
            .flatten()
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with("spikegate-cosim-")
            })
            .count()
    };
    assert_eq!(temp_designs(), 1, "the killed run left its design folder");
    // The next run cleans both up.
    let (code, out, err) = finish(cosim_command("ttfs", &cache, &tmp, &[]).output().unwrap());
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(!staging.exists(), "the stale staging folder is removed");
    assert_eq!(temp_designs(), 0, "the stale design folder is removed");
    std::fs::remove_dir_all(&dir).ok();
}

/// A stand-in for Verilator that answers `--version` and fails to build.
fn failing_verilator(dir: &Path) -> PathBuf {
    let script = dir.join("fake-verilator");
    std::fs::write(
        &script,
        "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'Verilator 5.006'; exit 0; fi\n\
         echo 'fake-verilator: %Error: the stand-in always fails' >&2; exit 1\n",
    )
    .unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(&script)
        .status()
        .unwrap();
    script
}

#[test]
fn a_failed_build_keeps_its_log_where_the_message_says() {
    let dir = scratch("failed");
    let (cache, tmp) = (dir.join("cache"), dir.join("tmp"));
    std::fs::create_dir_all(&tmp).unwrap();
    let mut c = cosim_command("ttfs", &cache, &tmp, &[]);
    c.env("SPIKEGATE_VERILATOR", failing_verilator(&dir));
    let (code, out, err) = finish(c.output().unwrap());
    assert_eq!(code, Some(1), "{out}{err}");
    let (log, text) = named_log(&err);
    assert!(text.contains("the stand-in always fails"), "{text}");
    assert!(
        Path::new(&log).starts_with(&cache),
        "{log} is kept in the cache"
    );
}

#[test]
fn an_unwritable_cache_is_named() {
    let dir = scratch("unwritable");
    let tmp = dir.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    // A cache under a regular file cannot be created, even by root.
    let file = dir.join("a-file");
    std::fs::write(&file, "").unwrap();
    let cache = file.join("cache");
    let mut c = cosim_command("ttfs", &cache, &tmp, &[]);
    c.env("SPIKEGATE_VERILATOR", failing_verilator(&dir));
    let (code, out, err) = finish(c.output().unwrap());
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(
        err.contains(&format!(
            "the Verilator build cache {}",
            cache.join("verilator").display()
        )),
        "{err}"
    );
    assert!(err.contains("SPIKEGATE_CACHE"), "{err}");
}

#[test]
fn a_waveform_path_in_a_missing_folder_fails_before_the_run() {
    let dir = scratch("vcd");
    let (cache, tmp) = (dir.join("cache"), dir.join("tmp"));
    std::fs::create_dir_all(&tmp).unwrap();
    let vcd = dir.join("no-such-folder/w.vcd");
    let mut c = cosim_command("ttfs", &cache, &tmp, &["--vcd", s(&vcd)]);
    c.env("SPIKEGATE_VERILATOR", failing_verilator(&dir));
    let (code, out, err) = finish(c.output().unwrap());
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(err.contains("does not exist"), "{err}");
    assert!(!out.contains("written"), "{out}");
    assert!(!cache.exists(), "nothing was built");
}

#[test]
fn a_bad_image_in_an_edited_design_is_an_error_not_an_abort() {
    let dir = scratch("bad-image");
    let design = dir.join("design");
    let gen = Command::new(env!("CARGO_BIN_EXE_spikegate"))
        .args(["gen", s(&golden("ttfs", "model.json")), "--out", s(&design)])
        .output()
        .unwrap();
    assert!(gen.status.success());
    let hex = std::fs::read_dir(&design)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "hex"))
        .unwrap();
    std::fs::write(&hex, "zz\n").unwrap();
    let (cache, tmp) = (dir.join("cache"), dir.join("tmp"));
    std::fs::create_dir_all(&tmp).unwrap();
    let mut c = cosim_command(
        "ttfs",
        &cache,
        &tmp,
        &["--design", s(&design), "--allow-edited-design"],
    );
    c.env("SPIKEGATE_VERILATOR", failing_verilator(&dir));
    let (code, out, err) = finish(c.output().unwrap());
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(err.contains("line 1 is not a word of at most"), "{err}");
    assert!(
        err.contains(hex.file_name().unwrap().to_str().unwrap()),
        "{err}"
    );
}

#[test]
fn bench_conv_measures_the_conv_core_against_its_dense_equivalent() {
    if !verilator_present("bench-conv") {
        return;
    }
    let (cache, tmp) = (scratch("bench-conv-cache"), scratch("bench-conv-tmp"));
    let out = Command::new(env!("CARGO_BIN_EXE_spikegate"))
        .args([
            "bench-conv",
            "--model",
            s(&golden("conv_stride_pad_pool", "model.json")),
            "--input",
            s(&golden("conv_stride_pad_pool", "input.json")),
            "--pe",
            "1,2",
        ])
        .env("SPIKEGATE_CACHE", &cache)
        .env("TMPDIR", &tmp)
        .output()
        .unwrap();
    let (code, stdout, stderr) = finish(out);
    assert_eq!(code, Some(0), "{stderr}");
    let rows: Vec<&str> = stdout
        .lines()
        .filter(|l| matches!(l.split_whitespace().next(), Some("conv" | "dense")))
        .collect();
    assert_eq!(rows.len(), 4, "two designs at two P:\n{stdout}");
    // The dense equivalent has a weight per synapse and no decode table;
    // the conv core a table and the kernels only.
    for pair in rows.chunks(2) {
        let cols = |l: &str| l.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        let (conv, dense) = (cols(pair[0]), cols(pair[1]));
        assert_ne!(conv[6], "0", "{stdout}");
        assert_eq!(dense[6], "0", "{stdout}");
    }
}
