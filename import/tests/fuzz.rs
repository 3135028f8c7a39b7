//! Property tests of the two file readers on mutated real files: bit flips,
//! overwrites, truncations, insertions, deletions and splices (within a
//! file and from another one) of the vendored NIR exporter files and of
//! `.npz` archives as numpy writes them. Whatever the bytes, a reader gives
//! a graph (or arrays) or an error naming the file, and never panics; what
//! reads is also imported, which must not panic either. The case counts are
//! bounded so that each target takes a few seconds.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use spikegate_import::{import_nir, import_npz, ImportOptions, ReportInputs};

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/nir")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A fresh file name per case: proptest runs cases one after another, but
/// the targets of this file run side by side.
fn scratch(ext: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!("spikegate-import-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(format!(
        "case{}.{ext}",
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
}

fn options() -> ImportOptions {
    ImportOptions {
        dt: Some(1e-4),
        time_steps: 20,
        report_inputs: ReportInputs::Bernoulli {
            samples: 2,
            rate: 0.2,
            seed: 1,
        },
        ..ImportOptions::default()
    }
}

/// One change to a file. Positions and lengths are fractions of the file's
/// length (in 1/65536), so that every change lands inside whatever file it
/// is applied to.
#[derive(Debug, Clone)]
enum Mutation {
    /// Flip one bit.
    Flip { at: u16, bit: u8 },
    /// Overwrite bytes with these.
    Overwrite { at: u16, bytes: Vec<u8> },
    /// Keep only the first part.
    Truncate { len: u16 },
    /// Insert these bytes.
    Insert { at: u16, bytes: Vec<u8> },
    /// Remove a range.
    Delete { at: u16, len: u8 },
    /// Copy a range of the file (or of the other file) over another place.
    Splice {
        from: u16,
        to: u16,
        len: u16,
        other: bool,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<u16>(), 0..8u8).prop_map(|(at, bit)| Mutation::Flip { at, bit }),
        2 => (any::<u16>(), prop::collection::vec(any::<u8>(), 1..9))
            .prop_map(|(at, bytes)| Mutation::Overwrite { at, bytes }),
        1 => any::<u16>().prop_map(|len| Mutation::Truncate { len }),
        1 => (any::<u16>(), prop::collection::vec(any::<u8>(), 1..17))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        1 => (any::<u16>(), 1..64u8).prop_map(|(at, len)| Mutation::Delete { at, len }),
        2 => (any::<u16>(), any::<u16>(), 1..2048u16, any::<bool>())
            .prop_map(|(from, to, len, other)| Mutation::Splice { from, to, len, other }),
    ]
}

/// `fraction / 65536` of `len`, as a position in `0..len` (0 when empty).
fn place(fraction: u16, len: usize) -> usize {
    (len * usize::from(fraction)) >> 16
}

fn apply(mut b: Vec<u8>, other: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let n = b.len();
        match m {
            Mutation::Flip { at, bit } if n > 0 => b[place(*at, n)] ^= 1 << bit,
            Mutation::Overwrite { at, bytes } if n > 0 => {
                let at = place(*at, n);
                let end = (at + bytes.len()).min(n);
                b[at..end].copy_from_slice(&bytes[..end - at]);
            }
            Mutation::Truncate { len } => b.truncate(place(*len, n)),
            Mutation::Insert { at, bytes } => {
                let at = place(*at, n);
                b.splice(at..at, bytes.iter().copied());
            }
            Mutation::Delete { at, len } => {
                let at = place(*at, n);
                b.drain(at..(at + usize::from(*len)).min(n));
            }
            Mutation::Splice {
                from,
                to,
                len,
                other: from_other,
            } if n > 0 => {
                let source: Vec<u8> = if *from_other {
                    other.to_vec()
                } else {
                    b.clone()
                };
                let from = place(*from, source.len());
                let to = place(*to, n);
                let len = usize::from(*len).min(source.len() - from).min(n - to);
                b[to..to + len].copy_from_slice(&source[from..from + len]);
            }
            _ => {}
        }
    }
    b
}

/// An error must name the file it is about, first, and say something.
fn assert_named(path: &Path, e: &spikegate_import::ImportError) -> Result<(), TestCaseError> {
    let text = e.to_string();
    let head = format!("{}: ", path.display());
    prop_assert!(
        text.starts_with(&head) && text.len() > head.len(),
        "unnamed error: {text}"
    );
    prop_assert_eq!(e.file.as_path(), path);
    Ok(())
}

proptest! {
    // 1000 cases each, under a second (PROPTEST_CASES=N runs N). Failures
    // are reported with their inputs; nothing is written into the source
    // tree.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(1000),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn mutated_nir_files_read_or_give_a_named_error(
        base in prop::sample::select(vec!["lif_norse.nir", "lif_rockpool.nir", "two_lif_neurons.nir"]),
        mutations in prop::collection::vec(mutation(), 1..5),
    ) {
        let other = fixture(if base == "lif_norse.nir" { "two_lif_neurons.nir" } else { "lif_norse.nir" });
        let bytes = apply(fixture(base), &other, &mutations);
        let path = scratch("nir");
        std::fs::write(&path, &bytes).expect("write");
        match spikegate_import::nir::read_nir(&path) {
            Ok(_) => {
                // The whole import too: chain, quantization and report.
                if let Err(e) = import_nir(&path, &options()) {
                    assert_named(&path, &e)?;
                }
            }
            Err(e) => assert_named(&path, &e)?,
        }
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn mutated_npz_archives_read_or_give_a_named_error(
        layout in layout(),
        mutations in prop::collection::vec(mutation(), 1..5),
    ) {
        let (good, spec) = example();
        let originals: Vec<_> = read_good(&good).into_values().collect();
        // Splices come from the archive in another layout.
        let other = archive(if layout == Layout::Stored { Layout::Zip64 } else { Layout::Stored });
        let bytes = apply(archive(layout), &other, &mutations);
        let path = scratch("npz");
        std::fs::write(&path, &bytes).expect("write");
        match spikegate_import::npz::read_npz(&path) {
            Ok(arrays) => {
                // The CRC-32 guards every member's bytes: whatever a change
                // did to the directory, an array that reads is one of the
                // arrays written, value for value.
                for (name, a) in &arrays {
                    prop_assert!(originals.contains(a), "array `{}` changed: {:?}", name, a);
                }
                if let Err(e) = import_npz(&path, &spec, &options()) {
                    // Errors about the spec's use of the arrays name the spec.
                    if e.file != spec {
                        assert_named(&path, &e)?;
                    }
                }
            }
            Err(e) => assert_named(&path, &e)?,
        }
        let _ = std::fs::remove_file(&path);
    }
}

/// The arrays of the unmutated archive `good`.
fn read_good(good: &[u8]) -> std::collections::BTreeMap<String, spikegate_import::npz::NpyArray> {
    let path = scratch("npz");
    std::fs::write(&path, good).expect("write");
    let arrays = spikegate_import::npz::read_npz(&path).expect("the archive reads");
    let _ = std::fs::remove_file(&path);
    arrays
}

/// The unmutated stored archive and the spec file that goes with it,
/// written once per process (the targets run side by side, and a spec
/// rewritten while another reads it would read as truncated).
fn example() -> (Vec<u8>, PathBuf) {
    static SPEC: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let spec = SPEC
        .get_or_init(|| {
            let spec = scratch("json");
            std::fs::write(
                &spec,
                r#"{"format": "spikegate-npz/1", "inputs": 3, "layers": [
                {"kind": "lif", "weights": "fc1.weight", "bias": "fc1.bias", "beta": 0.875, "threshold": 1.0},
                {"kind": "if", "weights": "fc2.weight", "delays": "fc2.delays", "threshold": "th"}]}"#,
            )
            .expect("spec");
            spec
        })
        .clone();
    (archive(Layout::Stored), spec)
}

/// A `.npy` member: `descr`, `shape`, Fortran order or not, and raw data.
fn npy(descr: &str, shape: &str, fortran: bool, data: &[u8]) -> Vec<u8> {
    let order = if fortran { "True" } else { "False" };
    let mut header =
        format!("{{'descr': '{descr}', 'fortran_order': {order}, 'shape': {shape}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((header.len() as u16).to_le_bytes());
    out.extend(header.as_bytes());
    out.extend(data);
    out
}

/// The members of the fuzzed archive, in the types numpy writes: float32
/// weights in Fortran order, float64 bias, big-endian int16 delays, a
/// float64 scalar.
fn members() -> Vec<(&'static str, Vec<u8>)> {
    let f32s = |v: &[f32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let f64s = |v: &[f64]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let w1 = [
        0.5f32, 1.0, -0.5, 0.25, -0.25, 0.5, 0.25, 0.25, 0.75, 0.0, 1.0, 0.25,
    ];
    let w2 = [1.0f32, -1.0, 0.5, 0.5, -0.5, 1.0, 1.0, 0.0];
    let delays: Vec<u8> = [0i16, 1, 2, 0, 3, 0, 0, 1]
        .iter()
        .flat_map(|x| x.to_be_bytes())
        .collect();
    vec![
        ("fc1.weight", npy("<f4", "(4, 3)", true, &f32s(&w1))),
        (
            "fc1.bias",
            npy("<f8", "(4,)", false, &f64s(&[0.0, 0.05, 0.0, -0.05])),
        ),
        ("fc2.weight", npy("<f4", "(2, 4)", false, &f32s(&w2))),
        ("fc2.delays", npy(">i2", "(2, 4)", false, &delays)),
        ("th", npy("<f8", "()", false, &f64s(&[1.5]))),
    ]
}

/// How an archive is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// `np.savez`: stored members.
    Stored,
    /// `np.savez_compressed`: deflated members.
    Deflated,
    /// Deflated, with every size and offset in zip64 records (as zip
    /// writers do past 4 GiB, here for small members).
    Zip64,
}

fn layout() -> impl Strategy<Value = Layout> {
    prop::sample::select(vec![Layout::Stored, Layout::Deflated, Layout::Zip64])
}

/// The archive of [`members`] in `layout`.
fn archive(layout: Layout) -> Vec<u8> {
    let deflate = layout != Layout::Stored;
    let zip64 = layout == Layout::Zip64;
    let mut out = Vec::new();
    let mut central = Vec::new();
    let members = members();
    for (name, data) in &members {
        let name = format!("{name}.npy");
        let packed = if deflate {
            let mut e =
                flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(data).expect("deflate");
            e.finish().expect("deflate")
        } else {
            data.clone()
        };
        let mut crc = flate2::Crc::new();
        crc.update(data);
        let offset = out.len() as u64;
        let fields = |sig: u32, central: bool| {
            // In zip64, the 32-bit fields say 0xFFFFFFFF and the values
            // follow in the extra field, in the order the format fixes.
            let small = |v: u64| if zip64 { u32::MAX } else { v as u32 };
            let mut extra = Vec::new();
            if zip64 {
                let values: &[u64] = if central {
                    &[data.len() as u64, packed.len() as u64, offset]
                } else {
                    &[data.len() as u64, packed.len() as u64]
                };
                extra.extend(1u16.to_le_bytes());
                extra.extend(((values.len() * 8) as u16).to_le_bytes());
                for v in values {
                    extra.extend(v.to_le_bytes());
                }
            }
            let mut h = sig.to_le_bytes().to_vec();
            let version: u16 = if zip64 { 45 } else { 20 };
            if central {
                h.extend(version.to_le_bytes());
            }
            h.extend(version.to_le_bytes());
            h.extend(0u16.to_le_bytes());
            h.extend(if deflate { 8u16 } else { 0 }.to_le_bytes());
            h.extend([0u8; 4]);
            h.extend(crc.sum().to_le_bytes());
            h.extend(small(packed.len() as u64).to_le_bytes());
            h.extend(small(data.len() as u64).to_le_bytes());
            h.extend((name.len() as u16).to_le_bytes());
            h.extend((extra.len() as u16).to_le_bytes());
            if central {
                h.extend([0u8; 6]);
                h.extend(0u32.to_le_bytes());
                h.extend(small(offset).to_le_bytes());
            }
            h.extend(name.as_bytes());
            h.extend(&extra);
            h
        };
        out.extend(fields(0x0403_4b50, false));
        out.extend(&packed);
        central.extend(fields(0x0201_4b50, true));
    }
    let dir = out.len() as u64;
    out.extend(&central);
    let count = members.len() as u64;
    if zip64 {
        let record = out.len() as u64;
        out.extend(0x0606_4b50u32.to_le_bytes());
        out.extend(44u64.to_le_bytes());
        out.extend(45u16.to_le_bytes());
        out.extend(45u16.to_le_bytes());
        out.extend([0u8; 8]);
        out.extend(count.to_le_bytes());
        out.extend(count.to_le_bytes());
        out.extend((central.len() as u64).to_le_bytes());
        out.extend(dir.to_le_bytes());
        out.extend(0x0706_4b50u32.to_le_bytes());
        out.extend(0u32.to_le_bytes());
        out.extend(record.to_le_bytes());
        out.extend(1u32.to_le_bytes());
    }
    let (count, dir) = if zip64 {
        (0xFFFF, u32::MAX)
    } else {
        (count as u16, dir as u32)
    };
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]);
    out.extend(count.to_le_bytes());
    out.extend(count.to_le_bytes());
    out.extend((central.len() as u32).to_le_bytes());
    out.extend(dir.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

#[test]
fn the_unmutated_inputs_import() {
    // The properties above are only as good as their starting points: the
    // archive and the NIR files import as they are.
    let (good, spec) = example();
    let path = scratch("npz");
    std::fs::write(&path, &good).expect("write");
    let imported = import_npz(&path, &spec, &options()).expect("the archive imports");
    assert_eq!(imported.network.network().layers.len(), 2);
    for layout in [Layout::Deflated, Layout::Zip64] {
        let path = scratch("npz");
        std::fs::write(&path, archive(layout)).expect("write");
        import_npz(&path, &spec, &options()).unwrap_or_else(|e| panic!("{layout:?}: {e}"));
    }
    for name in ["lif_norse.nir", "lif_rockpool.nir", "two_lif_neurons.nir"] {
        let path = scratch("nir");
        std::fs::write(&path, fixture(name)).expect("write");
        import_nir(&path, &options()).expect(name);
    }
}
