//! `.npz` import: an archive written here (stored and deflated members, as
//! `np.savez` and `np.savez_compressed` write them) plus a JSON spec.

use std::io::Write;
use std::path::{Path, PathBuf};

use spikegate_import::{import_npz, ImportOptions};
use spikegate_model::{Decay, Neuron, Spike};
use spikegate_sim::Reference;

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A `.npy` file of float64 values (or int64 when `int`).
fn npy(shape: &[usize], values: &[f64], int: bool) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
    let shape = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let descr = if int { "<i8" } else { "<f8" };
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((header.len() as u16).to_le_bytes());
    out.extend(header.as_bytes());
    for &v in values {
        if int {
            out.extend((v as i64).to_le_bytes());
        } else {
            out.extend(v.to_le_bytes());
        }
    }
    out
}

/// A zip archive of `members`; each is deflated when `deflate` is set.
fn zip(members: &[(&str, Vec<u8>)], deflate: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in members {
        let name = format!("{name}.npy");
        let stored = if deflate {
            let mut e =
                flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(data).expect("deflate");
            e.finish().expect("deflate")
        } else {
            data.clone()
        };
        let method: u16 = if deflate { 8 } else { 0 };
        let offset = out.len() as u32;
        let crc = crc32(data);
        let fields = |sig: u32, central: bool| {
            let mut h = sig.to_le_bytes().to_vec();
            if central {
                h.extend(20u16.to_le_bytes()); // version made by
            }
            h.extend(20u16.to_le_bytes()); // version needed
            h.extend(0u16.to_le_bytes()); // flags
            h.extend(method.to_le_bytes());
            h.extend([0u8; 4]); // time, date
            h.extend(crc.to_le_bytes());
            h.extend((stored.len() as u32).to_le_bytes());
            h.extend((data.len() as u32).to_le_bytes());
            h.extend((name.len() as u16).to_le_bytes());
            h.extend(0u16.to_le_bytes()); // extra
            if central {
                h.extend([0u8; 6]); // comment length, disk, internal attributes
                h.extend(0u32.to_le_bytes()); // external attributes
                h.extend(offset.to_le_bytes());
            }
            h.extend(name.as_bytes());
            h
        };
        out.extend(fields(0x0403_4b50, false));
        out.extend(&stored);
        central.extend(fields(0x0201_4b50, true));
    }
    let dir = out.len() as u32;
    out.extend(&central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]);
    out.extend((members.len() as u16).to_le_bytes());
    out.extend((members.len() as u16).to_le_bytes());
    out.extend((central.len() as u32).to_le_bytes());
    out.extend(dir.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("spikegate-import-npz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// The example of docs/import.md: 3 inputs -> 4 `lif` (beta 0.875) -> 2
/// `if`, with delays on the second layer.
fn example_members() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "fc1.weight",
            npy(
                &[4, 3],
                &[
                    0.5, -0.25, 0.75, 1.0, 0.5, 0.0, -0.5, 0.25, 1.0, 0.25, 0.25, 0.25,
                ],
                false,
            ),
        ),
        ("fc1.bias", npy(&[4], &[0.0, 0.05, 0.0, -0.05], false)),
        ("lif1.threshold", npy(&[4], &[1.0, 1.0, 2.0, 1.0], false)),
        (
            "fc2.weight",
            npy(&[2, 4], &[1.0, -1.0, 0.5, 0.5, -0.5, 1.0, 1.0, 0.0], false),
        ),
        (
            "fc2.delays",
            npy(&[2, 4], &[0.0, 1.0, 2.0, 0.0, 3.0, 0.0, 0.0, 1.0], true),
        ),
    ]
}

const SPEC: &str = r#"{
  "format": "spikegate-npz/1",
  "name": "npz_example",
  "inputs": 3,
  "decode": "spike_count",
  "layers": [
    {"name": "hidden", "kind": "lif", "weights": "fc1.weight", "bias": "fc1.bias",
     "beta": 0.875, "threshold": "lif1.threshold", "reset": "subtract"},
    {"name": "out", "kind": "if", "weights": "fc2.weight", "delays": "fc2.delays",
     "threshold": 1.5, "reset": "zero"}
  ]
}"#;

fn write_example(deflate: bool, spec: &str) -> (PathBuf, PathBuf) {
    let dir = scratch();
    let tag = if deflate { "deflated" } else { "stored" };
    let npz = dir.join(format!("example-{tag}.npz"));
    std::fs::write(&npz, zip(&example_members(), deflate)).expect("write npz");
    let spec_path = dir.join(format!("example-{tag}-{}.json", spec.len()));
    std::fs::write(&spec_path, spec).expect("write spec");
    (npz, spec_path)
}

fn options() -> ImportOptions {
    ImportOptions {
        time_steps: 40,
        ..ImportOptions::default()
    }
}

#[test]
fn the_documented_example_imports() {
    for deflate in [false, true] {
        let (npz, spec) = write_example(deflate, SPEC);
        let imported = import_npz(&npz, &spec, &options()).expect("imports");
        let net = imported.network.network();
        assert_eq!(net.name, "npz_example");
        assert_eq!(net.inputs, 3);
        assert_eq!(net.layers.len(), 2);
        let hidden = &net.layers[0];
        // beta 0.875 = 1 - 2^-3: a shift leak.
        assert_eq!(
            hidden.neuron,
            Neuron::Lif {
                leak: Decay::Shift(3)
            }
        );
        // Per-neuron thresholds (1, 1, 2, 1) share one integer threshold:
        // the largest weight-to-threshold ratio, 1.0 / 1 of neuron 1, maps
        // to 127, so the threshold is 127 -> `v >= 128`, and neuron 2's
        // column is scaled by 127 / 2.
        assert_eq!(hidden.threshold, Some(128));
        assert_eq!(hidden.weights[0], vec![64, 127, -32, 32]);
        assert_eq!(hidden.weights[2], vec![95, 0, 64, 32]);
        assert_eq!(hidden.bias, Some(vec![0, 6, 0, -6]));
        assert_eq!(hidden.reset, Some(spikegate_model::Reset::Subtract));
        let out = &net.layers[1];
        assert_eq!(out.neuron, Neuron::If);
        let delays = out.delays.as_ref().expect("delays");
        assert_eq!(delays.max, 3);
        // [out, in] in the archive, fan-out rows [in][out] in the model.
        assert_eq!(
            delays.values,
            vec![vec![0, 3], vec![1, 0], vec![2, 0], vec![0, 1]]
        );
        let input: Vec<Spike> = (0..40)
            .flat_map(|t| (0..3).map(move |j| Spike::new(t, j)))
            .filter(|s| (s.step + s.neuron) % 2 == 0)
            .collect();
        let run = Reference::new(&imported.network).run(&input).expect("runs");
        assert!(!run.layers[0].is_empty());
        let report = imported.report.to_string();
        assert!(report.contains("shift 3"), "{report}");
    }
}

#[test]
fn time_constants_need_dt() {
    let spec = SPEC.replace(r#""beta": 0.875"#, r#""tau": 0.008"#);
    let (npz, spec_path) = write_example(false, &spec);
    let e = import_npz(&npz, &spec_path, &options()).expect_err("no dt");
    assert_eq!(
        e.to_string(),
        format!("{}: layer 0 (hidden): field `tau`: a time constant needs a time step: give `dt` in the spec or pass --dt SECONDS", spec_path.display())
    );
    let o = ImportOptions {
        dt: Some(1e-3),
        ..options()
    };
    let imported = import_npz(&npz, &spec_path, &o).expect("with dt");
    assert_eq!(
        imported.network.network().layers[0].neuron,
        Neuron::Lif {
            leak: Decay::Shift(3)
        }
    );
}

#[test]
fn spec_and_array_errors_name_file_layer_and_field() {
    let cases = [
        (SPEC.replace("fc1.bias", "fc1.nope"), "layer 0 (hidden): field `bias`: no array `fc1.nope` in "),
        (SPEC.replace(r#""weights": "fc2.weight""#, r#""weights": "fc1.weight""#), "layer 1 (out): field `weights`: array `fc1.weight` has shape [4, 3]: it takes 3 inputs, but the layer before gives 4"),
        (SPEC.replace(r#""kind": "if""#, r#""kind": "conv""#), "layer 1 (out): field `kind`: unknown kind `conv`; spikegate imports if, lif, cuba (spiking) and li, i, cuba_li (readout)"),
        (SPEC.replace(r#""threshold": 1.5, "#, ""), "layer 1 (out): field `threshold`: missing: a spiking layer needs a threshold"),
        (SPEC.replace(r#""beta": 0.875"#, r#""beta": 1.5"#), "layer 0 (hidden): field `beta`: value 0 is 1.5; a decay factor lies in [0, 1]"),
        (SPEC.replace("spikegate-npz/1", "other"), "field `format`: expected \"spikegate-npz/1\", found \"other\""),
    ];
    for (spec, want) in cases {
        let (npz, spec_path) = write_example(false, &spec);
        let e = import_npz(&npz, &spec_path, &options())
            .expect_err("refused")
            .to_string();
        assert!(e.starts_with(&format!("{}: ", spec_path.display())), "{e}");
        assert!(e.contains(want), "{e}\nshould contain\n{want}");
    }
    // Not JSON at all.
    let (npz, spec_path) = write_example(false, "{ nope");
    let e = import_npz(&npz, &spec_path, &options())
        .expect_err("refused")
        .to_string();
    assert!(
        e.starts_with(&format!("{}: not a valid spec: ", spec_path.display())),
        "{e}"
    );
}

#[test]
fn broken_archives_are_refused() {
    let dir = scratch();
    let spec = dir.join("broken-spec.json");
    std::fs::write(&spec, SPEC).expect("spec");
    let good = zip(&example_members(), true);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "not-zip.npz",
            b"plain text, not an archive".to_vec(),
            "not a .npz archive (no zip directory found; write it with np.savez)",
        ),
        (
            "truncated.npz",
            good[..good.len() / 2].to_vec(),
            "not a .npz archive",
        ),
        (
            "cut-end.npz",
            good[..good.len() - 5].to_vec(),
            "not a .npz archive",
        ),
        (
            "bad-npy.npz",
            zip(&[("fc1.weight", b"garbage".to_vec())], false),
            "array `fc1.weight`: not a .npy array (no NUMPY signature)",
        ),
        (
            "short-npy.npz",
            zip(
                &[(
                    "fc1.weight",
                    npy(&[4, 3], &[1.0; 12], false)[..140].to_vec(),
                )],
                false,
            ),
            "array `fc1.weight`: the .npy data is truncated",
        ),
    ];
    for (name, bytes, want) in cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("write");
        let e = import_npz(&path, &spec, &options())
            .expect_err("refused")
            .to_string();
        assert!(e.starts_with(&format!("{}: ", path.display())), "{e}");
        assert!(e.contains(want), "{e}\nshould contain\n{want}");
    }
    // NaN in an array.
    let mut members = example_members();
    members[2] = (
        "lif1.threshold",
        npy(&[4], &[1.0, f64::NAN, 1.0, 1.0], false),
    );
    let path = dir.join("nan.npz");
    std::fs::write(&path, zip(&members, false)).expect("write");
    let e = import_npz(&path, &spec, &options())
        .expect_err("refused")
        .to_string();
    assert!(e.ends_with("layer 0 (hidden): field `threshold`: array `lif1.threshold`: value 1 is NaN; parameters must be finite numbers"), "{e}");
    // Flipped bytes never panic.
    let path = dir.join("flipped.npz");
    for at in (0..good.len()).step_by(7) {
        let mut b = good.clone();
        b[at] ^= 0xA5;
        std::fs::write(&path, b).expect("write");
        let _ = import_npz(&path, &spec, &options());
    }
    let _ = Path::new("");
}
