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
    let descr = if int { "<i8" } else { "<f8" };
    let mut out = npy_header(descr, shape);
    for &v in values {
        if int {
            out.extend((v as i64).to_le_bytes());
        } else {
            out.extend(v.to_le_bytes());
        }
    }
    out
}

/// The header of a version 1 `.npy` file of type `descr` and `shape`.
fn npy_header(descr: &str, shape: &[usize]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
    let shape = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((header.len() as u16).to_le_bytes());
    out.extend(header.as_bytes());
    out
}

/// A zip archive of `members`; each is deflated when `deflate` is set.
fn zip(members: &[(&str, Vec<u8>)], deflate: bool) -> Vec<u8> {
    let packed: Vec<Packed> = members
        .iter()
        .map(|(name, data)| {
            let stored = if deflate {
                let mut e =
                    flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
                e.write_all(data).expect("deflate");
                e.finish().expect("deflate")
            } else {
                data.clone()
            };
            Packed {
                name: (*name).to_owned(),
                len: data.len(),
                crc: crc32(data),
                stored,
            }
        })
        .collect();
    zip_packed(&packed, deflate)
}

/// A member as the archive holds it.
#[derive(Clone)]
struct Packed {
    /// Its name without `.npy`.
    name: String,
    /// Its length and CRC-32 unpacked.
    len: usize,
    crc: u32,
    /// The bytes stored: the member itself, or deflated when the archive's
    /// members are.
    stored: Vec<u8>,
}

/// A zip archive of `members`, deflated ones when `deflate` is set.
fn zip_packed(members: &[Packed], deflate: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for Packed {
        name,
        len,
        crc,
        stored,
    } in members
    {
        let name = format!("{name}.npy");
        let method: u16 = if deflate { 8 } else { 0 };
        let offset = out.len() as u32;
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
            h.extend((*len as u32).to_le_bytes());
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
        out.extend(stored);
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

/// A number for a file name no other test of this file writes: the tests
/// run side by side, and a file rewritten while another test reads it
/// reads as truncated.
fn unique() -> usize {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

fn write_example(deflate: bool, spec: &str) -> (PathBuf, PathBuf) {
    let dir = scratch();
    let tag = if deflate { "deflated" } else { "stored" };
    let n = unique();
    let npz = dir.join(format!("example-{tag}-{n}.npz"));
    std::fs::write(&npz, zip(&example_members(), deflate)).expect("write npz");
    let spec_path = dir.join(format!("example-{tag}-{n}.json"));
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
        // the largest weight-to-threshold ratio, 1.0 / 1 of neuron 1, would
        // map to 127, but every value is a whole number of 1/120 of its
        // threshold (0.05, 0.125, 0.25, ...), so T = 120 keeps them exact;
        // neuron 2's column is scaled by 120 / 2. A weight unit is 2^5
        // state units: `v >= floor(120 * 32) + 1 = 3841`.
        assert_eq!(hidden.weight_shift, Some(5));
        assert_eq!(hidden.threshold, Some(3841));
        assert_eq!(hidden.weights[0], vec![60, 120, -30, 30]);
        assert_eq!(hidden.weights[2], vec![90, 0, 60, 30]);
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
        format!("{}: layer 0 (hidden): field `tau`: a time constant needs a time step: give `dt` in the spec or as an import option (seconds)", spec_path.display())
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
            "array `fc1.weight` (member `fc1.weight.npy`): not a .npy array (no NUMPY signature)",
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
            "array `fc1.weight` (member `fc1.weight.npy`): the .npy data is truncated",
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

fn spec_file(name: &str) -> PathBuf {
    let spec = scratch().join(format!("{}-{name}", unique()));
    std::fs::write(&spec, SPEC).expect("spec");
    spec
}

fn npz_error(name: &str, bytes: &[u8]) -> (PathBuf, String) {
    let path = scratch().join(name);
    std::fs::write(&path, bytes).expect("write");
    let e = import_npz(&path, &spec_file("spec-for-errors.json"), &options())
        .expect_err("refused")
        .to_string();
    (path, e)
}

#[test]
fn a_flipped_bit_is_refused_by_the_crc() {
    // Stored: one bit of fc1.weight's first value (0.5) flipped changes the
    // weight silently unless the CRC-32 is checked.
    let good = zip(&example_members(), false);
    let value = npy(&[4, 3], &[0.5], false);
    let at = good
        .windows(value.len())
        .position(|w| w == value.as_slice())
        .expect("fc1.weight's header and first value")
        + value.len()
        - 1;
    let mut bad = good.clone();
    bad[at] ^= 0x01;
    let (path, e) = npz_error("crc-stored.npz", &bad);
    let want = format!(
        "{}: member `fc1.weight.npy`: the member is damaged: its CRC-32 is ",
        path.display()
    );
    assert!(e.starts_with(&want), "{e}");
    assert!(e.contains(", the archive records "), "{e}");
    // Deflated: a flipped bit in a recorded CRC (the central directory's).
    let good = zip(&example_members(), true);
    let dir = u32::from_le_bytes(good[good.len() - 6..good.len() - 2].try_into().unwrap());
    let mut bad = good.clone();
    bad[dir as usize + 16] ^= 0x80;
    let (path, e) = npz_error("crc-deflated.npz", &bad);
    assert!(
        e.starts_with(&format!(
            "{}: member `fc1.weight.npy`: the member is damaged: its CRC-32 is ",
            path.display()
        )),
        "{e}"
    );
}

#[test]
fn unsupported_descrs_are_errors_naming_file_member_and_field() {
    let cases: [(&str, usize, &str); 8] = [
        (">f16", 16, "unsupported .npy dtype `>f16`"),
        (">c16", 16, "unsupported .npy dtype `>c16`"),
        (">U20", 80, "unsupported .npy dtype `>U20`"),
        ("<f2", 2, "unsupported .npy dtype `<f2`"),
        ("|b2", 2, "unsupported .npy dtype `|b2`"),
        ("", 8, "the dtype is empty"),
        ("é8", 8, "unsupported .npy dtype `é8`"),
        ("<\u{e9}", 8, "unsupported .npy dtype `<é`"),
    ];
    for (k, (descr, size, want)) in cases.into_iter().enumerate() {
        let mut member = npy_header(descr, &[4, 3]);
        member.extend(vec![0u8; 12 * size]);
        let mut members = example_members();
        members[0] = ("fc1.weight", member);
        for deflate in [false, true] {
            let (path, e) = npz_error(&format!("descr-{k}-{deflate}.npz"), &zip(&members, deflate));
            assert!(
                e.starts_with(&format!(
                    "{}: array `fc1.weight` (member `fc1.weight.npy`): field `descr`: {want}",
                    path.display()
                )),
                "{e}"
            );
            assert!(e.contains("spikegate reads f4, f8"), "{e}");
        }
    }
    // Big-endian types spikegate reads still read.
    let mut member = npy_header(">f4", &[4, 3]);
    for v in [
        0.5f32, -0.25, 0.75, 1.0, 0.5, 0.0, -0.5, 0.25, 1.0, 0.25, 0.25, 0.25,
    ] {
        member.extend(v.to_be_bytes());
    }
    let mut members = example_members();
    members[0] = ("fc1.weight", member);
    let path = scratch().join("big-endian.npz");
    std::fs::write(&path, zip(&members, true)).expect("write");
    let imported =
        import_npz(&path, &spec_file("spec-big-endian.json"), &options()).expect("imports");
    assert_eq!(
        imported.network.network().layers[0].weights[0],
        vec![60, 120, -30, 30]
    );
}

/// `data` deflated and sync-flushed: whole blocks ending on a byte
/// boundary, without the final block, so that such pieces concatenate into
/// one deflate stream.
fn flushed(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).expect("deflate");
    e.flush().expect("deflate");
    e.get_ref().clone()
}

/// A deflated `.npy` member `name` of `mib` MiB of float64 zeros, built
/// from one deflated MiB repeated (fast, whatever its size).
fn zeros_member(name: &str, mib: usize) -> Packed {
    let header = npy_header("<f8", &[mib << 17]);
    let zeros = vec![0u8; 1 << 20];
    let block = flushed(&zeros);
    let mut stored = flushed(&header);
    let mut crc = flate2::Crc::new();
    crc.update(&header);
    let mut zeros_crc = flate2::Crc::new();
    zeros_crc.update(&zeros);
    for _ in 0..mib {
        stored.extend(&block);
        crc.combine(&zeros_crc);
    }
    // The final block: fixed Huffman codes, nothing but end-of-block.
    stored.extend([0x03, 0x00]);
    Packed {
        name: name.to_owned(),
        len: header.len() + (mib << 20),
        crc: crc.sum(),
        stored,
    }
}

#[test]
fn the_total_unpacked_size_is_capped_not_only_each_member() {
    // Four members of 64 MiB each: every one alone is well within the
    // budget of the archive (3 x its size + 256 MiB); together with their
    // values (8 bytes each) they are not.
    let members: Vec<Packed> = ["a", "b", "c", "d"]
        .iter()
        .map(|n| zeros_member(n, 64))
        .collect();
    let bytes = zip_packed(&members, true);
    let path = scratch().join("bomb.npz");
    std::fs::write(&path, &bytes).expect("write");
    let e = spikegate_import::npz::read_npz(&path).expect_err("refused");
    let e = e.to_string();
    // Which member overflows depends on how well zeros compress; never the
    // first, which fits alone.
    assert!(
        ["b", "c", "d"].iter().any(|m| e.starts_with(&format!(
            "{}: member `{m}.npy`: the member unpacks to 67108992 bytes; with what the file declared before it, that is more than ",
            path.display()
        )) || e.starts_with(&format!(
            "{}: array `{m}` (member `{m}.npy`): field `shape`: its shape [8388608] is read as 67108864 bytes; ",
            path.display()
        ))),
        "{e}"
    );
    assert!(
        e.contains("bytes spikegate allows for this file (3 x its size + 256 MiB), so it is refused before anything is allocated"),
        "{e}"
    );
    // One member alone reads.
    std::fs::write(&path, zip_packed(&[zeros_member("a", 16)], true)).expect("write");
    let arrays = spikegate_import::npz::read_npz(&path).expect("one member reads");
    assert_eq!(arrays["a"].values.len(), 16 << 17);
}

#[test]
fn zip64_offsets_past_the_end_are_errors() {
    // A zip64 locator pointing at offset 2^64 - 1 (the classic record's
    // entry count says "see zip64"): an error, not an overflow.
    let good = zip(&example_members(), false);
    let eocd = good.len() - 22;
    let mut bad = good[..eocd].to_vec();
    bad.extend(0x0706_4b50u32.to_le_bytes());
    bad.extend(0u32.to_le_bytes());
    bad.extend(u64::MAX.to_le_bytes());
    bad.extend(1u32.to_le_bytes());
    let mut record = good[eocd..].to_vec();
    record[8..12].copy_from_slice(&[0xFF; 4]);
    bad.extend(record);
    let (path, e) = npz_error("zip64-past-end.npz", &bad);
    assert_eq!(
        e,
        format!(
            "{}: the .npz archive is truncated or damaged",
            path.display()
        )
    );
}
