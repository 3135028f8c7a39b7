//! What spikegate writes never replaces or deletes what it did not write,
//! never leaves its own leftovers behind for good, and never lets a user's
//! string break out of the text it is placed in (issue 15, items 6, 7, 12
//! and 13).

mod common;

use common::{gen_into, named_log, root, spikegate, stderr, stdout};

/// A fresh folder of this file's own.
fn scratch(name: &str) -> std::path::PathBuf {
    common::scratch("safety", name)
}

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Golden case `case`'s model.
fn golden(case: &str) -> PathBuf {
    common::golden(case, "model.json")
}

/// Every file below `dir` (relative path and contents), sorted.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().display().to_string();
                files.push((rel, std::fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn assert_refused(out: &Output, folder: &Path, why: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(&folder.display().to_string()), "{err}");
    assert!(err.contains(why), "{err}");
}

#[test]
fn gen_refuses_a_web_project_whose_manifest_json_is_not_spikegates() {
    let dir = scratch("web");
    let web = dir.join("site");
    std::fs::create_dir_all(web.join("src")).unwrap();
    std::fs::write(
        web.join("manifest.json"),
        r#"{"name": "My app", "short_name": "app", "start_url": "/index.html"}"#,
    )
    .unwrap();
    std::fs::write(web.join("index.html"), "<html></html>").unwrap();
    std::fs::write(web.join("src/app.js"), "console.log(1)").unwrap();
    let before = snapshot(&web);
    let out = gen_into(&golden("ttfs"), &web, &[]);
    assert_refused(&out, &web, "is not a spikegate output folder");
    assert!(stderr(&out).contains("manifest.json that is not spikegate's"));
    assert_eq!(snapshot(&web), before, "the web project changed");
    // Even a manifest in spikegate's format does not make a folder with
    // other files spikegate's: here one that lists index.html and src.
    std::fs::write(
        web.join("manifest.json"),
        r#"{"format": "spikegate-manifest/1", "generator": "spikegate 0.1.0",
            "target": null, "files": ["manifest.json", "index.html", "src"]}"#,
    )
    .unwrap();
    let before = snapshot(&web);
    let out = gen_into(&golden("ttfs"), &web, &[]);
    assert_refused(&out, &web, "`src`, which is not a plain file");
    assert_eq!(snapshot(&web), before);
    assert_eq!(
        names(&dir),
        ["site"],
        "staging folders are cleaned up after a refusal"
    );
}

#[test]
fn gen_refuses_its_own_output_once_it_holds_a_file_spikegate_did_not_write() {
    let dir = scratch("own-plus");
    let out_dir = dir.join("design");
    let model = golden("ttfs");
    assert!(gen_into(&model, &out_dir, &[]).status.success());
    std::fs::write(out_dir.join("notes.txt"), "my notes").unwrap();
    let before = snapshot(&out_dir);
    let out = gen_into(&model, &out_dir, &[]);
    assert_refused(&out, &out_dir, "`notes.txt`, which spikegate did not write");
    assert_eq!(snapshot(&out_dir), before);
    // A sub-folder is not spikegate's either.
    std::fs::remove_file(out_dir.join("notes.txt")).unwrap();
    std::fs::create_dir(out_dir.join("build")).unwrap();
    std::fs::write(out_dir.join("build/a.o"), "object").unwrap();
    let out = gen_into(&model, &out_dir, &[]);
    assert_refused(&out, &out_dir, "`build`, which spikegate did not write");
    assert_eq!(std::fs::read(out_dir.join("build/a.o")).unwrap(), b"object");
    // A plain file is no folder at all.
    let file = dir.join("file");
    std::fs::write(&file, "text").unwrap();
    let out = gen_into(&model, &file, &[]);
    assert_refused(&out, &file, "is a file, not a folder");
    assert_eq!(std::fs::read(&file).unwrap(), b"text");
}

#[test]
fn gen_replaces_its_own_output_an_empty_folder_and_a_synthesis_folder() {
    let dir = scratch("own");
    let out_dir = dir.join("design");
    // An empty folder holds nothing to lose.
    std::fs::create_dir(&out_dir).unwrap();
    let out = gen_into(&golden("ttfs"), &out_dir, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Its own output, even from another model, is replaced whole.
    let out = gen_into(&golden("delays"), &out_dir, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("manifest.json")).unwrap()).unwrap();
    let listed: Vec<String> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect();
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(names(&out_dir), sorted, "only the new model's files");
    // A board folder may hold what `synth --out` adds.
    let board = dir.join("board");
    let out = gen_into(&golden("ttfs"), &board, &["--target", "icebreaker"]);
    assert!(out.status.success(), "{}", stderr(&out));
    std::fs::write(board.join("yosys.log"), "log").unwrap();
    std::fs::write(board.join("board.bin"), "bits").unwrap();
    let out = gen_into(&golden("ttfs"), &board, &["--target", "icebreaker"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!board.join("yosys.log").exists());
    assert_eq!(
        names(&dir),
        ["board", "design"],
        "no leftovers: {:?}",
        names(&dir)
    );
}

#[test]
fn gen_writes_through_a_symlinked_out_and_keeps_the_link() {
    let dir = scratch("link");
    let real = dir.join("real");
    std::fs::create_dir(&real).unwrap();
    let link = dir.join("link");
    symlink(&real, &link).unwrap();
    for _ in 0..2 {
        let out = gen_into(&golden("ttfs"), &link, &[]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_link(&link).unwrap(), real);
        assert!(real.join("spikegate_top.v").is_file());
    }
    // A link to a folder that is not spikegate's: refused, untouched.
    let foreign = dir.join("foreign");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("index.html"), "<html>").unwrap();
    let to_foreign = dir.join("to-foreign");
    symlink(&foreign, &to_foreign).unwrap();
    let out = gen_into(&golden("ttfs"), &to_foreign, &[]);
    assert_refused(&out, &to_foreign, "it has no manifest.json");
    assert!(stderr(&out).contains(&foreign.display().to_string()));
    assert_eq!(names(&foreign), ["index.html"]);
    // A dangling link and a link to a file: refused, the link stays.
    let dangling = dir.join("dangling");
    symlink(dir.join("nowhere"), &dangling).unwrap();
    let out = gen_into(&golden("ttfs"), &dangling, &[]);
    assert_refused(&out, &dangling, "which does not exist");
    assert!(std::fs::symlink_metadata(&dangling)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(!dir.join("nowhere").exists());
    let file = dir.join("file");
    std::fs::write(&file, "text").unwrap();
    let to_file = dir.join("to-file");
    symlink(&file, &to_file).unwrap();
    let out = gen_into(&golden("ttfs"), &to_file, &[]);
    assert_refused(&out, &to_file, "which is not a folder");
    assert_eq!(std::fs::read(&file).unwrap(), b"text");
}

/// The id of a process that has ended.
fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

#[test]
fn gen_removes_the_leftovers_of_killed_runs_and_only_those() {
    let dir = scratch("stale");
    let out_dir = dir.join("out");
    let model = golden("ttfs");
    // A complete earlier output, copied as a kill -9 between the renames
    // (set aside) or during the writes (staging) would leave it.
    let sample = dir.join("sample");
    assert!(gen_into(&model, &sample, &[]).status.success());
    let dead = dead_pid();
    let copy = |to: &Path, files: &[&str]| {
        std::fs::create_dir(to).unwrap();
        for f in files {
            std::fs::copy(sample.join(f), to.join(f)).unwrap();
        }
    };
    let all: Vec<String> = names(&sample);
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    copy(&dir.join(format!(".out.old-{dead}")), &all);
    copy(
        &dir.join(format!(".out.partial-{dead}")),
        &["manifest.json", "spikegate_top.v"],
    );
    // Killed before the manifest was renamed into place, or right after
    // the folder was made.
    let early = dead_pid();
    std::fs::create_dir(dir.join(format!(".out.partial-{early}"))).unwrap();
    std::fs::write(
        dir.join(format!(".out.partial-{early}/.manifest.json.partial")),
        "{\"form",
    )
    .unwrap();
    let empty = dead_pid();
    std::fs::create_dir(dir.join(format!(".out.partial-{empty}"))).unwrap();
    // Left by a spikegate that wrote the manifest last, killed while
    // writing it: recognised by each file's name and content.
    let legacy = dir.join(format!(".out.partial-{}", dead_pid()));
    copy(&legacy, &all);
    let cut = |file: &Path, keep: usize| {
        let bytes = std::fs::read(file).unwrap();
        std::fs::write(file, &bytes[..keep.min(bytes.len())]).unwrap();
    };
    cut(&legacy.join("manifest.json"), 25);
    let hex = all.iter().find(|n| n.ends_with(".hex")).unwrap();
    cut(&legacy.join(hex), 3);
    // A file of that name whose content is not spikegate's is kept.
    let lookalike = dead_pid();
    let lookalike_dir = dir.join(format!(".out.partial-{lookalike}"));
    std::fs::create_dir(&lookalike_dir).unwrap();
    std::fs::write(
        lookalike_dir.join("spikegate_top.v"),
        "module mine; endmodule\n",
    )
    .unwrap();
    // Not spikegate's by content, a live process's, or another name's:
    // all kept.
    let foreign = dead_pid();
    let foreign_dir = dir.join(format!(".out.old-{foreign}"));
    copy(&foreign_dir, &["manifest.json"]);
    std::fs::write(foreign_dir.join("thesis.tex"), "years of work").unwrap();
    let live = dir.join(format!(".out.partial-{}", std::process::id()));
    copy(&live, &["manifest.json"]);
    let other = dir.join(format!(".other.partial-{dead}"));
    copy(&other, &["manifest.json"]);

    let out = gen_into(&model, &out_dir, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("warning: leaving {}", foreign_dir.display())),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains(&format!(
        "warning: leaving {}, left by an earlier run (process {lookalike}): it holds `spikegate_top.v`, which is not a file spikegate \
         writes",
        lookalike_dir.display()
    )));
    let mut expected = vec![
        format!(".out.partial-{lookalike}"),
        format!(".other.partial-{dead}"),
        format!(".out.old-{foreign}"),
        format!(".out.partial-{}", std::process::id()),
        "out".to_string(),
        "sample".to_string(),
    ];
    expected.sort();
    assert_eq!(names(&dir), expected);
    assert_eq!(
        std::fs::read(foreign_dir.join("thesis.tex")).unwrap(),
        b"years of work"
    );
}

/// A model named `name` whose layer names, if `layer_names`, try to end a
/// comment and add code and terminal escapes (else they are plain).
fn hostile_model(dir: &Path, case: &str, name: &str, layer_names: bool) -> PathBuf {
    let mut model: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(golden(case)).unwrap()).unwrap();
    model["name"] = name.into();
    for (i, layer) in model["layers"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .enumerate()
    {
        layer["name"] = if layer_names {
            format!("l{i}\n*/ module layer_evil; endmodule /*\u{1b}[31m")
        } else {
            format!("l{i}")
        }
        .into();
    }
    let path = dir.join(format!("{case}-{layer_names}-model.json"));
    std::fs::write(&path, model.to_string()).unwrap();
    path
}

const HOSTILE: &str = "net\"\n`define EVIL 1\nmodule evil(input x); endmodule\r\n\
                       // verilator lint_off ALL\n/* synthesis translate_off */\\\u{2028}\u{1b}]0;x\u{7}é";

#[test]
fn hostile_model_and_layer_names_stay_inside_the_verilog_comment() {
    let dir = scratch("hostile");
    for (case, extra) in [
        ("ttfs", &[][..]),
        ("delays", &["--target", "ulx3s_85f"][..]),
    ] {
        let plain = dir.join(format!("{case}-plain"));
        let bad = dir.join(format!("{case}-hostile"));
        let model = hostile_model(&dir, case, HOSTILE, true);
        let out = gen_into(&model, &bad, extra);
        assert!(out.status.success(), "{}", stderr(&out));
        // Nothing raw reaches the terminal either.
        assert!(
            !stdout(&out).contains(['\u{1b}', '\r', '\u{7}']),
            "{:?}",
            stdout(&out)
        );
        let out = gen_into(&hostile_model(&dir, case, "net", false), &plain, extra);
        assert!(out.status.success(), "{}", stderr(&out));
        let plain_files = snapshot(&plain);
        let bad_files = snapshot(&bad);
        assert_eq!(
            plain_files.iter().map(|f| &f.0).collect::<Vec<_>>(),
            bad_files.iter().map(|f| &f.0).collect::<Vec<_>>()
        );
        for ((file, p), (_, b)) in plain_files.iter().zip(&bad_files) {
            let (p, b) = (
                String::from_utf8(p.clone()).unwrap(),
                String::from_utf8(b.clone()).unwrap(),
            );
            if file == "manifest.json" {
                // JSON carries the name exactly, escaped as JSON.
                let m: serde_json::Value = serde_json::from_str(&b).unwrap();
                assert_eq!(m["model"], HOSTILE);
                assert!(m["cores"][0]["name"]
                    .as_str()
                    .unwrap()
                    .contains("layer_evil"));
                continue;
            }
            if file != "spikegate_top.v" {
                assert_eq!(p, b, "{file} carries a name");
                continue;
            }
            // The Verilog differs from the plain name's in the first line
            // only, and that line is one comment of printable ASCII.
            let (p_first, p_rest) = p.split_once('\n').unwrap();
            let (b_first, b_rest) = b.split_once('\n').unwrap();
            // (The layer names differ too, so they reach no Verilog at all.)
            assert_eq!(p_rest, b_rest, "{case}: a name reached past the header");
            assert!(p_first.contains("from model \"net\":"), "{p_first}");
            assert!(
                b_first.starts_with("// Generated by spikegate"),
                "{b_first}"
            );
            assert!(
                b_first.chars().all(|c| (' '..='~').contains(&c)),
                "{b_first:?}"
            );
            assert!(
                b_first.contains(
                    "from model \"net\\\"\\u{a}`define EVIL 1\\u{a}module evil(input x); \
                     endmodule\\u{d}\\u{a}// verilator lint_off ALL\\u{a}/* synthesis \
                     translate_off */\\\\\\u{2028}\\u{1b}]0;x\\u{7}\\u{e9}\":"
                ),
                "{b_first}"
            );
        }
    }
}

#[test]
fn import_with_an_unwritable_report_writes_no_model() {
    let dir = scratch("import");
    let nir = root().join("tests/fixtures/nir/lif_norse.nir");
    let model = dir.join("model.json");
    let import = |report: &Path| {
        spikegate(&[
            "import",
            nir.to_str().unwrap(),
            "--dt",
            "1e-4",
            "--samples",
            "2",
            "--out",
            model.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ])
    };
    // What imports killed while writing the model left: removed by the
    // next one when it is the start of a spikegate file, else kept.
    let stale = dir.join(format!(".model.json.partial-{}", dead_pid()));
    std::fs::write(&stale, "{\n  \"format\": \"spikegate-model/1\",\n  \"na").unwrap();
    let strange = dir.join(format!(".model.json.partial-{}", dead_pid()));
    std::fs::write(&strange, "someone else's").unwrap();
    let missing = dir.join("no-such-folder/report.json");
    let out = import(&missing);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("cannot write {}", missing.display())),
        "{err}"
    );
    assert!(!model.exists(), "the model was written: {err}");
    // An earlier model stays as it was.
    std::fs::write(&model, "earlier").unwrap();
    let out = import(&dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("it is a folder"), "{}", stderr(&out));
    assert_eq!(std::fs::read(&model).unwrap(), b"earlier");
    let out = import(&model);
    assert!(stderr(&out).contains("--out and --report both name"));
    assert_eq!(std::fs::read(&model).unwrap(), b"earlier");
    let strange_name = strange.file_name().unwrap().to_string_lossy().into_owned();
    let stale_name = stale.file_name().unwrap().to_string_lossy().into_owned();
    let mut expected = vec![stale_name, strange_name, "model.json".to_string()];
    expected.sort();
    assert_eq!(names(&dir), expected, "no temporary files left");
    // And when both can be written, both are.
    let report = dir.join("report.json");
    let out = import(&report);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(report.is_file());
    assert!(!stale.exists());
    assert_eq!(std::fs::read(&strange).unwrap(), b"someone else's");
    assert_ne!(std::fs::read(&model).unwrap(), b"earlier");
}

/// A folder of stand-ins for yosys, nextpnr-ice40 and icepack that write
/// the files the flow reads, in a second instead of minutes.
fn fake_tools(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let tools = [
        (
            "yosys",
            "printf 'SB_LUT4 10\\nSB_DFF 5\\n' > stat.txt\necho yosys > board.json\n",
        ),
        (
            "nextpnr-ice40",
            "echo '{\"utilization\": {\"ICESTORM_LC\": {\"used\": 10, \"available\": 5280}}, \
             \"fmax\": {\"clock\": {\"achieved\": 40.0}}}' > report.json\necho asc > board.asc\n",
        ),
        ("icepack", "echo bits > board.bin\n"),
    ];
    for (name, body) in tools {
        let path = bin.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin
}

#[test]
fn synth_names_the_bitstream_only_where_it_is_kept() {
    let dir = scratch("synth");
    let bin = fake_tools(&dir);
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let temp = dir.join("tmp");
    let synth = |extra: &[&str]| {
        let model = golden("ttfs");
        let mut args = vec!["synth", model.to_str().unwrap(), "--target", "icebreaker"];
        args.extend_from_slice(extra);
        Command::new(env!("CARGO_BIN_EXE_spikegate"))
            .args(&args)
            .env("PATH", &path)
            .env("TMPDIR", &temp)
            .output()
            .unwrap()
    };
    // What a synth run killed during synthesis leaves in the temporary
    // folder (TMPDIR is this test's), and a stranger's folder by that name.
    std::fs::create_dir(&temp).unwrap();
    let dead = dead_pid();
    let stale = temp.join(format!("spikegate-synth-icebreaker-{dead}-0"));
    assert!(
        gen_into(&golden("ttfs"), &stale, &["--target", "icebreaker"])
            .status
            .success()
    );
    std::fs::write(stale.join("yosys.log"), "half a log").unwrap();
    let strange = temp.join(format!("spikegate-synth-icebreaker-{dead}-1"));
    std::fs::create_dir(&strange).unwrap();
    std::fs::write(strange.join("data"), "not spikegate's").unwrap();
    let out = synth(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        names(&temp),
        [format!("spikegate-synth-icebreaker-{dead}-1")],
        "the killed run's folder is removed, the stranger's kept, this run's gone"
    );
    let text = stdout(&out);
    assert!(!text.contains("bitstream: board.bin"), "{text}");
    assert!(text.contains("pass --out DIR to keep it"), "{text}");
    // With --out the bitstream is there, and a second run replaces the
    // folder (its synthesis files are spikegate's too).
    let kept = dir.join("kept");
    for _ in 0..2 {
        let out = synth(&["--out", kept.to_str().unwrap()]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).contains("bitstream: board.bin"));
        assert_eq!(std::fs::read(kept.join("board.bin")).unwrap(), b"bits\n");
    }
    // A folder of someone else's is refused before any tool runs.
    let foreign = dir.join("foreign");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("stat.txt"), "mine").unwrap();
    let out = synth(&["--out", foreign.to_str().unwrap()]);
    assert_refused(&out, &foreign, "has no manifest.json");
    assert_eq!(std::fs::read(foreign.join("stat.txt")).unwrap(), b"mine");
}

/// A model whose output is a few megabytes, so that the write phase lasts
/// long enough to be killed in.
fn big_model(dir: &Path) -> PathBuf {
    let (inputs, neurons) = (600, 1000);
    // One row per input, one weight per neuron.
    let weights: Vec<Vec<i64>> = (0..inputs)
        .map(|i| (0..neurons).map(|n| (n * 7 + i * 13) % 201 - 100).collect())
        .collect();
    let model = serde_json::json!({
        "format": "spikegate-model/1",
        "name": "big",
        "time_steps": 4,
        "inputs": inputs,
        "layers": [{
            "size": neurons,
            "neuron": {"kind": "if"},
            "widths": {"weight": 8, "membrane": 16, "threshold": 16},
            "threshold": 100,
            "reset": "subtract",
            "weights": weights,
        }],
        "output": {"decode": "spike_count"},
    });
    let path = dir.join("big.json");
    std::fs::write(&path, model.to_string()).unwrap();
    path
}

#[test]
fn gen_killed_in_its_write_phase_leaves_nothing_the_next_run_does_not_remove() {
    let dir = scratch("kill");
    let out_dir = dir.join("out");
    let model = big_model(&dir);
    assert!(gen_into(&model, &out_dir, &[]).status.success());
    let leftover = |dir: &Path| {
        names(dir)
            .iter()
            .any(|n| n.starts_with(".out.partial-") || n.starts_with(".out.old-"))
    };
    let mut killed_with_leftovers = 0;
    for delay in [0, 0, 200, 500, 1000, 2000] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_spikegate"))
            .args(["gen", model.to_str().unwrap(), "--out"])
            .arg(&out_dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // kill -9 once the write phase has begun (its staging folder
        // exists), a little later each time.
        while !leftover(&dir) && child.try_wait().unwrap().is_none() {
            std::thread::yield_now();
        }
        std::thread::sleep(std::time::Duration::from_micros(delay));
        let _ = child.kill(); // SIGKILL
        child.wait().unwrap();
        if leftover(&dir) {
            killed_with_leftovers += 1;
        }
        // The next run cleans up (and this loop's next kill starts clean).
        let out = gen_into(&model, &out_dir, &[]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
        assert_eq!(
            names(&dir),
            ["big.json", "out"],
            "after a kill {delay} us in"
        );
    }
    assert!(
        killed_with_leftovers > 0,
        "no kill landed in the write phase"
    );
}

#[test]
fn a_failed_synthesis_without_out_names_a_log_that_still_exists() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("synth-fails");
    let bin = fake_tools(&dir);
    let yosys = bin.join("yosys");
    std::fs::write(
        &yosys,
        "#!/bin/sh\necho 'ERROR: the stand-in yosys always fails' >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&yosys, std::fs::Permissions::from_mode(0o755)).unwrap();
    let temp = dir.join("tmp");
    std::fs::create_dir(&temp).unwrap();
    let model = golden("ttfs");
    let out = Command::new(env!("CARGO_BIN_EXE_spikegate"))
        .args(["synth", model.to_str().unwrap(), "--target", "icebreaker"])
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("TMPDIR", &temp)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let (_, text) = named_log(&err);
    assert!(text.contains("the stand-in yosys always fails"), "{text}");
}
