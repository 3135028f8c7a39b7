//! Verilating a design folder into a shared library, cached by content.
//!
//! The cache key is a hash of everything that decides the library: the
//! Verilog, every memory image, the shim, the harness, the Verilator
//! version and the build flags. An entry is a folder
//! `<cache>/verilator/<key>/` holding the sources it was built from and
//! `libspikegate_cosim.so`; a hit is
//! confirmed by comparing the stored Verilog with the new one, so a hash
//! collision can only cost a rebuild. Entries are built in a staging
//! folder and renamed into place, so concurrent builds of one design (test
//! threads, several processes) never see half an entry.
//!
//! `$readmemh` reads its image relative to the working directory when the
//! model starts. A library must work from any directory, so the copy of
//! the Verilog in the entry names its images by absolute path in the
//! entry; nothing else in it differs from the file `spikegate gen` wrote.

use std::path::{Path, PathBuf};
use std::process::Command;

use spikegate_hdl::memory::SIM_MODELS;
use spikegate_hdl::verilog::{TOP_MODULE, VERILOG_FILE as VERILOG};

use super::pgo::{self, Profile, Training};
use super::{cache, child, harness, shim};

/// File name of the built library in a cache entry.
pub const LIBRARY: &str = "libspikegate_cosim.so";
/// The harness's file in a cache entry (ordinary builds; [`harness`]).
const HARNESS: &str = "sg_harness.v";

/// Why a design could not be verilated.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Verilator is not installed.
    #[error(
        "Verilator is not installed (`{program}` could not be run: {reason}); install it with \
         .ci/install-tools (Debian's `verilator` package), set SPIKEGATE_VERILATOR to its path, \
         or use `--backend rusthdl`"
    )]
    NoVerilator {
        /// The program looked for.
        program: String,
        /// The operating system's answer.
        reason: String,
    },
    /// The cache folder cannot be created or written.
    #[error(
        "the Verilator build cache {path} cannot be written ({reason}); set SPIKEGATE_CACHE to \
         a writable folder, or use `--backend rusthdl`"
    )]
    CacheUnwritable {
        /// The cache folder.
        path: PathBuf,
        /// The operating system's answer.
        reason: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The training run of a profile-guided build failed.
    #[error(
        "the training run of the profile-guided build of {design} failed: {message} (run \
         without profile guidance to see the co-simulator's own report)"
    )]
    Training {
        /// The design folder.
        design: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// Verilator or the C++ compiler failed.
    #[error("verilating {design} failed (log: {log}):\n{tail}")]
    Failed {
        /// The design folder.
        design: PathBuf,
        /// Full log.
        log: PathBuf,
        /// Its last lines.
        tail: String,
    },
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> BuildError + '_ {
    move |e| BuildError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// What to build.
#[derive(Debug, Clone)]
pub struct BuildRequest {
    /// A folder written by `spikegate gen` (Verilog, images, manifest).
    pub design: PathBuf,
    /// Tapped layers of the design.
    pub taps: usize,
    /// Build with waveform support (slower; used to write a VCD).
    pub trace: bool,
    /// Compile with the profile of a training run on this design
    /// ([`super::pgo`]); `None` for an ordinary build.
    pub profile_guided: Option<Training>,
}

/// The Verilator program: `$SPIKEGATE_VERILATOR`, else `verilator`.
pub fn verilator_program() -> String {
    std::env::var("SPIKEGATE_VERILATOR").unwrap_or_else(|_| "verilator".into())
}

/// Verilator's `--version` line, or why it cannot be run.
pub fn verilator_version() -> Result<String, BuildError> {
    let program = verilator_program();
    let out = Command::new(&program)
        .arg("--version")
        .output()
        .map_err(|e| BuildError::NoVerilator {
            program: program.clone(),
            reason: e.to_string(),
        })?;
    if !out.status.success() {
        return Err(BuildError::NoVerilator {
            program,
            reason: format!("`--version` exited with {}", out.status),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The cache folder: `$SPIKEGATE_CACHE`, else `$XDG_CACHE_HOME/spikegate`,
/// else `$HOME/.cache/spikegate`, else the system's temporary folder.
pub fn cache_root() -> PathBuf {
    if let Some(dir) = std::env::var_os("SPIKEGATE_CACHE") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(dir).join("spikegate");
    }
    if let Some(home) = std::env::var_os("HOME") {
        return PathBuf::from(home).join(".cache").join("spikegate");
    }
    std::env::temp_dir().join("spikegate-cache")
}

/// 64-bit FNV-1a, over length-prefixed parts (so parts cannot run into
/// each other).
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in (part.len() as u64).to_le_bytes().iter().chain(part.iter()) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// Flags given to Verilator (part of the cache key). Lint warnings are
/// `verilator --lint-only -Wall`'s business (a test of its own); here they
/// would only repeat.
fn verilator_flags(trace: bool, profile: Profile) -> Vec<String> {
    let mut flags: Vec<String> = [
        "--cc",
        "--exe",
        "--build",
        "-O3",
        "--x-assign",
        "fast",
        "--x-initial",
        "fast",
        "--noassert",
        "-Wno-fatal",
        "-Wno-lint",
        "-Wno-style",
        "-CFLAGS",
        "-fPIC -O2 -fvisibility=hidden -fno-semantic-interposition",
        "-LDFLAGS",
        "-shared -Wl,-Bsymbolic",
        // The model's hot code at -O2; Verilator's runtime (verilated.cpp)
        // at -O1: it is called a few times a cycle at most, and compiles in
        // 4 s instead of 7 s, which every new design pays.
        "-MAKEFLAGS",
        "OPT_FAST=-O2 OPT_SLOW=-O1 OPT_GLOBAL=-O1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for (flag, extra) in [
        ("-CFLAGS", profile.cflags()),
        ("-LDFLAGS", profile.ldflags()),
    ] {
        let at = flags.iter().position(|f| f == flag).expect("flag present") + 1;
        flags[at].push_str(extra);
    }
    // Waveform builds show the design's own hierarchy; the others run it
    // under the harness (one evaluation a cycle).
    let top = if trace { TOP_MODULE } else { "sg_harness" };
    flags.extend(["--top-module".into(), top.into()]);
    if trace {
        flags.push("--trace".into());
    }
    flags
}

/// The Verilog as the cache entry holds it: `$readmemh("x.hex"` becomes
/// `$readmemh("<entry>/x.hex"`.
fn with_absolute_images(verilog: &str, entry: &Path) -> String {
    let prefix = format!("$readmemh(\"{}/", entry.display());
    verilog.replace("$readmemh(\"", &prefix)
}

/// Builds (or finds in the cache) the library of `request`'s design and
/// returns its path.
pub fn build(request: &BuildRequest) -> Result<PathBuf, BuildError> {
    let version = verilator_version()?;
    let dir = &request.design;
    let verilog_path = dir.join(VERILOG);
    let mut verilog = std::fs::read_to_string(&verilog_path).map_err(io_error(&verilog_path))?;
    // The behavioural models of the block-RAM primitives a target's design
    // instantiates (simulation only) are compiled with it.
    let models = dir.join(SIM_MODELS);
    if models.exists() {
        verilog += &std::fs::read_to_string(&models).map_err(io_error(&models))?;
    }
    let mut images: Vec<(String, Vec<u8>)> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_error(dir))? {
        let path = entry.map_err(io_error(dir))?.path();
        if path.extension().is_some_and(|e| e == "hex") {
            let name = path
                .file_name()
                .expect("a file")
                .to_string_lossy()
                .into_owned();
            let data = std::fs::read(&path).map_err(io_error(&path))?;
            images.push((name, data));
        }
    }
    images.sort();
    let shim = shim::source(request.taps, request.trace);
    let harness = harness::source(request.taps);
    let flags = verilator_flags(request.trace, final_profile(request)).join("\u{1f}");
    let mut parts: Vec<&[u8]> = vec![
        version.as_bytes(),
        flags.as_bytes(),
        shim.as_bytes(),
        harness.as_bytes(),
        verilog.as_bytes(),
    ];
    for (name, data) in &images {
        parts.push(name.as_bytes());
        parts.push(data);
    }
    let key = format!("{:016x}", fnv1a(&parts));
    let root = cache_root().join("verilator");
    let entry = root.join(&key);
    let rewritten = with_absolute_images(&verilog, &entry);
    let library = entry.join(LIBRARY);
    let usable = |entry: &Path| {
        cache::is_intact(entry, LIBRARY)
            && std::fs::read_to_string(entry.join(VERILOG)).is_ok_and(|v| v == rewritten)
            && images
                .iter()
                .all(|(n, d)| std::fs::read(entry.join(n)).is_ok_and(|x| &x == d))
    };
    if usable(&entry) {
        return Ok(library);
    }

    // Build in a staging folder whose absolute image paths already name the
    // final entry (the images are copied there before the rename).
    std::fs::create_dir_all(&root).map_err(|e| BuildError::CacheUnwritable {
        path: root.clone(),
        reason: e.to_string(),
    })?;
    cache::remove_stale_staging(&root);
    static BUILDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let build_number = BUILDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let staging = root.join(format!(
        "{key}.partial-{}-{build_number}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(|e| BuildError::CacheUnwritable {
        path: root.clone(),
        reason: format!("{}: {e}", staging.display()),
    })?;
    if request.profile_guided.is_some() {
        // The training run reads the memory images where the finished
        // entry will hold them; the rename below replaces this early copy.
        std::fs::create_dir_all(&entry).map_err(io_error(&entry))?;
        for (name, data) in &images {
            let path = entry.join(name);
            std::fs::write(&path, data).map_err(io_error(&path))?;
        }
    }
    let sources = Sources {
        verilog: &rewritten,
        harness: &harness,
        shim: &shim,
        images: &images,
    };
    // A failed build's log outlives the build (and a temporary design
    // folder): it is kept beside the cache entries.
    let failed_log = root.join(format!("{key}.failed.log"));
    let result = compile(request, &staging, &sources, &failed_log);
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    if entry.exists() {
        // Stale, damaged or concurrently built: a finished entry from
        // another builder is as good as ours.
        if usable(&entry) {
            let _ = std::fs::remove_dir_all(&staging);
            return Ok(library);
        }
        let _ = std::fs::remove_dir_all(&entry);
    }
    if std::fs::rename(&staging, &entry).is_err() && !library.is_file() {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(BuildError::Io {
            path: entry,
            message: "cannot move the built library into the cache".into(),
        });
    }
    let _ = std::fs::remove_dir_all(&staging);
    Ok(library)
}

/// The profile of the build whose library is kept.
fn final_profile(request: &BuildRequest) -> Profile {
    if request.profile_guided.is_some() {
        Profile::Use
    } else {
        Profile::None
    }
}

/// The files a library is built from.
struct Sources<'a> {
    /// The design's Verilog, naming its images by absolute path.
    verilog: &'a str,
    harness: &'a str,
    shim: &'a str,
    images: &'a [(String, Vec<u8>)],
}

fn compile(
    request: &BuildRequest,
    staging: &Path,
    sources: &Sources,
    failed_log: &Path,
) -> Result<(), BuildError> {
    let write = |name: &str, data: &[u8]| {
        let path = staging.join(name);
        std::fs::write(&path, data).map_err(io_error(&path))
    };
    write(VERILOG, sources.verilog.as_bytes())?;
    write(HARNESS, sources.harness.as_bytes())?;
    write("shim.cpp", sources.shim.as_bytes())?;
    for (name, data) in sources.images {
        write(name, data)?;
    }
    let mut log = String::new();
    if let Some(training) = &request.profile_guided {
        verilate(request, staging, Profile::Generate, &mut log, failed_log)?;
        pgo::train(&staging.join(LIBRARY), training).map_err(|message| BuildError::Training {
            design: request.design.clone(),
            message,
        })?;
        // The profile files stay beside the objects they describe; the
        // objects go, so that everything is compiled again with it.
        let obj = staging.join("obj");
        let mut profiles = 0;
        for entry in std::fs::read_dir(&obj).map_err(io_error(&obj))? {
            let path = entry.map_err(io_error(&obj))?.path();
            match path.extension().and_then(|e| e.to_str()) {
                Some("o" | "a") => std::fs::remove_file(&path).map_err(io_error(&path))?,
                Some("gcda") => profiles += 1,
                _ => {}
            }
        }
        if profiles == 0 {
            return Err(BuildError::Training {
                design: request.design.clone(),
                message: format!("it wrote no profile (.gcda) into {}", obj.display()),
            });
        }
        let library = staging.join(LIBRARY);
        std::fs::remove_file(&library).map_err(io_error(&library))?;
    }
    verilate(
        request,
        staging,
        final_profile(request),
        &mut log,
        failed_log,
    )?;
    let log_path = staging.join("build.log");
    std::fs::write(&log_path, log).map_err(io_error(&log_path))?;
    cache::record(staging, LIBRARY).map_err(io_error(&staging.join(cache::RECORD)))?;
    // The object folder is large and not needed once the library exists.
    let _ = std::fs::remove_dir_all(staging.join("obj"));
    Ok(())
}

/// Runs Verilator with `--build` in `staging` (in a process group that
/// dies with spikegate, [`child`]), appending its output to `log`; on
/// failure the log is kept at `failed_log` (else in the temporary folder).
fn verilate(
    request: &BuildRequest,
    staging: &Path,
    profile: Profile,
    log: &mut String,
    failed_log: &Path,
) -> Result<(), BuildError> {
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut command = Command::new(verilator_program());
    command
        .args(verilator_flags(request.trace, profile))
        .args(["-j", &jobs.to_string(), "--Mdir", "obj", "-o"])
        .arg(staging.join(LIBRARY))
        .args([VERILOG, HARNESS, "shim.cpp"])
        .current_dir(staging);
    let out = child::output_in_own_group(&mut command).map_err(|e| BuildError::NoVerilator {
        program: verilator_program(),
        reason: e.to_string(),
    })?;
    log.push_str(&String::from_utf8_lossy(&out.stdout));
    log.push_str(&String::from_utf8_lossy(&out.stderr));
    if !out.status.success() || !staging.join(LIBRARY).is_file() {
        let kept = keep_log(failed_log, log);
        let lines: Vec<&str> = log.lines().collect();
        let tail = lines[lines.len().saturating_sub(20)..].join("\n");
        return Err(BuildError::Failed {
            design: request.design.clone(),
            log: kept,
            tail,
        });
    }
    Ok(())
}

/// Writes `log` to `path`, or to the temporary folder if that fails;
/// returns where it is.
fn keep_log(path: &Path, log: &str) -> PathBuf {
    if std::fs::write(path, log).is_ok() {
        return path.to_path_buf();
    }
    let name = path
        .file_name()
        .map_or("verilator.failed.log".into(), |n| n.to_owned());
    let fallback = std::env::temp_dir().join(name);
    let _ = std::fs::write(&fallback, log);
    fallback
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_named_by_absolute_path() {
        let v = "initial $readmemh(\"a_weights.hex\", weights);\n";
        assert_eq!(
            with_absolute_images(v, Path::new("/c/k")),
            "initial $readmemh(\"/c/k/a_weights.hex\", weights);\n"
        );
    }

    #[test]
    fn the_key_separates_parts() {
        assert_ne!(fnv1a(&[b"ab", b"c"]), fnv1a(&[b"a", b"bc"]));
        assert_eq!(fnv1a(&[b"x"]), fnv1a(&[b"x"]));
    }
}
