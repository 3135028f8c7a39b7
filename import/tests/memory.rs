//! Memory bounded by the input: a file's readers take at most
//! `4 x file size + MEMORY_CONSTANT` (plus the reader's small fixed
//! overhead), whatever sizes the file declares.
//!
//! Each case runs the reader in a child process (this test binary again,
//! with one test selected) under `ulimit -v`, so that a reader that does
//! allocate what a hostile file declares fails alone, with an allocation
//! error, instead of taking the machine's memory; the child also reports
//! its peak resident memory (`VmHWM`) before and after the read, and the
//! parent checks the growth against the bound. Linux only: it reads
//! `/proc/self/status`.
#![cfg(target_os = "linux")]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use spikegate_import::budget::MEMORY_CONSTANT;

/// Names the reader and file for the child: `npz:PATH`, `nir:PATH` or `noop:`.
const CHILD: &str = "SPIKEGATE_IMPORT_MEMORY_CHILD";

/// The reader's own fixed overhead beside what it reads (allocator
/// bookkeeping, page rounding, the result's small maps): allowed on top of
/// the bound.
const SLACK: u64 = 16 << 20;

/// A field of `/proc/self/status` in bytes (`VmHWM`, `VmPeak`).
fn status(field: &str) -> u64 {
    let text = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().strip_suffix("kB")?.trim().parse::<u64>().ok())
        .map(|kib| kib * 1024)
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
}

/// The child's side: does nothing unless [`CHILD`] is set.
#[test]
fn memory_child() {
    let Ok(what) = std::env::var(CHILD) else {
        return;
    };
    let (kind, path) = what.split_once(':').expect("KIND:PATH");
    let path = Path::new(path);
    let before = status("VmHWM");
    let result = match kind {
        "npz" => spikegate_import::npz::read_npz(path).map(|a| format!("{} arrays", a.len())),
        "nir" => spikegate_import::nir::read_nir(path).map(|g| format!("{} nodes", g.nodes.len())),
        _ => Ok("nothing read".to_owned()),
    };
    let after = status("VmHWM");
    let result = match result {
        Ok(m) => format!("ok: {m}"),
        Err(e) => format!("error: {e}"),
    };
    println!(
        "memory-child grew={} vmpeak={} result={result}",
        after.saturating_sub(before),
        status("VmPeak")
    );
}

/// What the child said: (peak resident growth, its result line).
struct Child {
    grew: u64,
    vmpeak: u64,
    result: String,
}

/// Runs [`memory_child`] on `what` with its address space limited to
/// `limit` bytes (none when `None`).
fn child(what: &str, limit: Option<u64>) -> Child {
    let exe = std::env::current_exe().expect("test binary");
    let limit = limit.map_or("unlimited".to_owned(), |b| (b / 1024).to_string());
    let out = Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -v "$1" && shift && exec "$@""#)
        .arg("sh")
        .arg(&limit)
        .arg(&exe)
        .args(["--exact", "memory_child", "--nocapture", "--test-threads=1"])
        .env(CHILD, what)
        // One malloc arena: the address space then grows with what is
        // allocated, not with per-thread arena reservations.
        .env("MALLOC_ARENA_MAX", "1")
        .output()
        .expect("run the child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the reader of {what} failed under a {limit} KiB address-space limit ({}):\n{stdout}\n{stderr}",
        out.status
    );
    let line = stdout
        .lines()
        .find_map(|l| Some(l.split_once("memory-child ")?.1))
        .unwrap_or_else(|| panic!("no report from the child:\n{stdout}\n{stderr}"));
    let (grew, rest) = line
        .strip_prefix("grew=")
        .and_then(|l| l.split_once(' '))
        .expect("grew=");
    let (vmpeak, result) = rest
        .strip_prefix("vmpeak=")
        .and_then(|l| l.split_once(" result="))
        .expect("vmpeak=");
    Child {
        grew: grew.parse().expect("grew"),
        vmpeak: vmpeak.parse().expect("vmpeak"),
        result: result.to_owned(),
    }
}

/// Reads `path` with `kind`'s reader in a child limited to what the test
/// harness itself takes plus the bound, checks the peak growth against the
/// bound, and gives the reader's result line.
fn bounded_read(kind: &str, path: &Path) -> String {
    let len = std::fs::metadata(path).expect("file").len();
    let bound = 4 * len + MEMORY_CONSTANT + SLACK;
    let base = child("noop:", None).vmpeak;
    let run = child(&format!("{kind}:{}", path.display()), Some(base + bound));
    eprintln!(
        "{}: {len} bytes, peak growth {} bytes, bound {bound}: {}",
        path.display(),
        run.grew,
        run.result
    );
    assert!(
        run.grew <= bound,
        "reading {} ({len} bytes) took {} bytes at its peak; the bound is {bound} (4 x size + {} MiB + {} MiB)",
        path.display(),
        run.grew,
        MEMORY_CONSTANT >> 20,
        SLACK >> 20
    );
    // The inputs this file wrote are megabytes each; nothing else reads
    // them. Only those go: a fixture stays even when the repository itself
    // lies in the temporary folder (a CI clone in /tmp).
    if path.parent() == Some(scratch_dir().as_path()) {
        let _ = std::fs::remove_file(path);
    }
    run.result
}

/// This test binary's own folder for the inputs it writes.
fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("spikegate-import-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn scratch(name: &str) -> PathBuf {
    scratch_dir().join(name)
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/nir")
        .join(name)
}

/// The header of a version 1 `.npy` file of float64 values and `shape`.
fn npy_header(count: usize) -> Vec<u8> {
    let mut header = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({count},), }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((header.len() as u16).to_le_bytes());
    out.extend(header.as_bytes());
    out
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

/// A `.npz` of `members` members, each the same deflated `.npy` of
/// `mib` MiB of float64 zeros (zip64 sizes, as numpy writes members of
/// 4 GiB and more). The zeros are deflated once per MiB and the piece
/// repeated, so that building a gigabyte member takes milliseconds.
fn zero_bomb(members: usize, mib: usize) -> Vec<u8> {
    let count = mib << 17;
    let header = npy_header(count);
    let zeros = vec![0u8; 1 << 20];
    let block = flushed(&zeros);
    let mut packed = flushed(&header);
    let mut crc = flate2::Crc::new();
    crc.update(&header);
    let mut zeros_crc = flate2::Crc::new();
    zeros_crc.update(&zeros);
    for _ in 0..mib {
        packed.extend(&block);
        crc.combine(&zeros_crc);
    }
    // The final block: fixed Huffman codes, nothing but end-of-block.
    packed.extend([0x03, 0x00]);
    let size = (header.len() + count * 8) as u64;
    let crc = crc.sum();
    let mut out = Vec::new();
    let mut central = Vec::new();
    for k in 0..members {
        let name = format!("m{k}.npy");
        let offset = out.len() as u32;
        let fields = |sig: u32, central: bool| {
            let mut h = sig.to_le_bytes().to_vec();
            if central {
                h.extend(45u16.to_le_bytes());
            }
            h.extend(45u16.to_le_bytes());
            h.extend(0u16.to_le_bytes());
            h.extend(8u16.to_le_bytes());
            h.extend([0u8; 4]);
            h.extend(crc.to_le_bytes());
            h.extend((packed.len() as u32).to_le_bytes());
            h.extend(u32::try_from(size).unwrap_or(u32::MAX).to_le_bytes());
            h.extend((name.len() as u16).to_le_bytes());
            let extra: Vec<u8> = if size >= 0xFFFF_FFFF {
                [1u16.to_le_bytes(), 8u16.to_le_bytes()]
                    .concat()
                    .into_iter()
                    .chain(size.to_le_bytes())
                    .collect()
            } else {
                Vec::new()
            };
            h.extend((extra.len() as u16).to_le_bytes());
            if central {
                h.extend([0u8; 6]);
                h.extend(0u32.to_le_bytes());
                h.extend(offset.to_le_bytes());
            }
            h.extend(name.as_bytes());
            h.extend(extra);
            h
        };
        out.extend(fields(0x0403_4b50, false));
        out.extend(&packed);
        central.extend(fields(0x0201_4b50, true));
    }
    let dir = out.len() as u32;
    out.extend(&central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]);
    out.extend((members as u16).to_le_bytes());
    out.extend((members as u16).to_le_bytes());
    out.extend((central.len() as u32).to_le_bytes());
    out.extend(dir.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

#[test]
fn an_npz_of_members_unpacking_to_a_gibibyte_each_stays_bounded() {
    // Four members of 1 GiB each in a few megabytes: the first alone is
    // more than the archive may unpack to.
    let path = scratch("bomb.npz");
    std::fs::write(&path, zero_bomb(4, 1024)).expect("write");
    let result = bounded_read("npz", &path);
    assert!(
        result.starts_with(&format!(
            "error: {}: member `m0.npy`: the member unpacks to 1073741952 bytes; ",
            path.display()
        )),
        "{result}"
    );
    // Many members of 64 MiB, each fine alone: the total is what is capped.
    let path = scratch("many.npz");
    std::fs::write(&path, zero_bomb(64, 64)).expect("write");
    let result = bounded_read("npz", &path);
    assert!(
        result.contains("the member unpacks to 67108992 bytes; with what the file declared before it, that is more than ")
            || result.contains("field `shape`: its shape [8388608] is read as 67108864 bytes; with what the file declared before it"),
        "{result}"
    );
}

/// `lif_norse.nir` with its Affine `weight` dataset (1 x 1 float32)
/// declaring shape 40000 x 30000 and no stored data, which HDF5 reads as
/// 1.2e9 fill values: 4.8 GB as float32, 9.6 GB more as `f64`.
fn declared_giant() -> Vec<u8> {
    let mut bytes = std::fs::read(fixture("lif_norse.nir")).expect("fixture");
    // The dataspace message body of `weight` (version 1, rank 2, with
    // maximum dimensions) and its contiguous layout (version 3): checked,
    // so a changed fixture fails here, clearly.
    const SPACE: usize = 0x3240;
    const LAYOUT: usize = 0x32a0;
    assert_eq!(bytes[SPACE..SPACE + 3], [1, 2, 1], "weight's dataspace");
    assert_eq!(bytes[LAYOUT..LAYOUT + 2], [3, 1], "weight's layout");
    for (at, dim) in [(8, 40_000u64), (16, 30_000), (24, 40_000), (32, 30_000)] {
        bytes[SPACE + at..SPACE + at + 8].copy_from_slice(&dim.to_le_bytes());
    }
    // Data size 0: nothing written, so the reader fills the declared shape.
    bytes[LAYOUT + 10..LAYOUT + 18].copy_from_slice(&0u64.to_le_bytes());
    bytes
}

#[test]
fn a_nir_file_declaring_giant_shapes_stays_bounded() {
    let path = scratch("giant.nir");
    std::fs::write(&path, declared_giant()).expect("write");
    let result = bounded_read("nir", &path);
    assert!(
        result.starts_with(&format!(
            "error: {}: node `0` (Affine): field `weight`: the dataset declares shape [40000, 30000] (1200000000 values), which reads as 14400000000 bytes; ",
            path.display()
        )),
        "{result}"
    );
    // The real exporter files read within the bound too.
    for name in ["lif_norse.nir", "cnn_sinabs.nir"] {
        let result = bounded_read("nir", &fixture(name));
        assert!(result.starts_with("ok: "), "{name}: {result}");
    }
}
