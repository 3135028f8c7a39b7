//! Co-simulation as the command line runs it: the design generated (or
//! taken from a `spikegate gen` folder), the chosen back end prepared
//! (Verilator: verilated and cached; rust-hdl: built from the plan), every
//! sample run on all cores and checked against the reference, and a
//! waveform written around a mismatch.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::lockstep::Lockstep;
use crate::parallel::run_samples;
use crate::rusthdl::RustHdl;
use crate::vcd::PortVcd;
use crate::verilator::pgo::Training;
use crate::verilator::{self, BuildRequest, VerilatorLibrary};
use crate::{check_sample, DesignInfo, Mismatch, Pacing, SampleRun, Session, SessionError};
use anyhow::{bail, Context, Result};
use spikegate_hdl::cycles::{activity, estimate, CycleEstimate};
use spikegate_hdl::{BuildOptions, HardwarePlan};
use spikegate_model::{DecodedOutput, Spike, ValidNetwork};
use spikegate_sim::decode::decode;
use spikegate_sim::{Reference, Run};

use spikegate_gen::generate::{design_hash, generate, write_folder};
use spikegate_gen::output::remove_if_stale;
use spikegate_gen::process::owner_of;

use spikegate_gen::manifest::Manifest;

/// Which simulation runs the hardware.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendChoice {
    /// The generated Verilog, compiled by Verilator.
    Verilator,
    /// rust-hdl's simulation of the same module tree (no external tool).
    Rusthdl,
}

/// How to co-simulate.
#[derive(Debug, Clone)]
pub struct CosimOptions {
    /// Build options when the design is generated here.
    pub build: BuildOptions,
    /// A folder written by `spikegate gen` to use instead.
    pub design: Option<PathBuf>,
    /// Run the `design` folder on Verilator even where its files differ
    /// from what `spikegate gen` writes for the model (hand-edited
    /// Verilog or images); its model hash must still be the model's.
    pub allow_edited: bool,
    /// The back end; `None` picks Verilator when it is installed.
    pub backend: Option<BackendChoice>,
    /// Run Verilator and rust-hdl together, compared on every cycle.
    pub lockstep: bool,
    /// Gaps and back-pressure.
    pub pacing: Pacing,
    /// Threads (samples run in parallel).
    pub threads: usize,
    /// Compile the Verilated model with the profile of a training run on
    /// these samples (empty: a synthetic workload); slower to build, faster
    /// to run (`crate::verilator::pgo`).
    pub profile_guided: Option<Vec<Vec<Spike>>>,
}

impl CosimOptions {
    /// The design generated with `build`, run on `backend` (Verilator when
    /// installed, for `None`) alone, with no gaps or stalls, on every core.
    pub fn new(build: BuildOptions, backend: Option<BackendChoice>) -> Self {
        CosimOptions {
            build,
            design: None,
            allow_edited: false,
            backend,
            lockstep: false,
            pacing: Pacing::default(),
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            profile_guided: None,
        }
    }
}

/// Removes a generated folder when dropped.
struct TempFolder(PathBuf);

/// Prefix of the temporary design folders, `spikegate-cosim-<pid>-<n>`.
const TEMP_PREFIX: &str = "spikegate-cosim-";

/// A fresh temporary design folder of this process. Folders that killed
/// runs left behind (their process is gone) are removed first.
fn temp_design_folder() -> PathBuf {
    static DESIGNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let number = DESIGNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let temp = std::env::temp_dir();
    remove_stale_temp_designs(&temp);
    temp.join(format!("{TEMP_PREFIX}{}-{number}", std::process::id()))
}

/// Removes `temp`'s design folders whose process is gone: only folders
/// named as this module names them, and only if they are spikegate's own
/// output ([`spikegate_gen::output::remove_if_stale`]).
fn remove_stale_temp_designs(temp: &Path) {
    let Ok(entries) = std::fs::read_dir(temp) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(TEMP_PREFIX))
            .and_then(owner_of)
        else {
            continue;
        };
        remove_if_stale(&entry.path(), pid);
    }
}

impl Drop for TempFolder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A design ready to run.
pub struct Prepared {
    /// The hardware plan (the rust-hdl back end and the cycle formula).
    pub plan: HardwarePlan,
    /// Its shape as the host sees it.
    pub info: DesignInfo,
    /// The back end in use.
    pub backend: BackendChoice,
    /// Whether rust-hdl runs beside Verilator.
    pub lockstep: bool,
    /// The loaded Verilator library.
    pub library: Option<VerilatorLibrary>,
    /// Seconds spent verilating (near 0 on a cache hit).
    pub build_seconds: f64,
    /// Things the user should know (a fallback back end).
    pub notes: Vec<String>,
    design_dir: PathBuf,
    _temp: Option<TempFolder>,
    pacing: Pacing,
    threads: usize,
}

/// Generates or reads the design and prepares the back end.
pub fn prepare(network: &ValidNetwork, options: &CosimOptions) -> Result<Prepared> {
    let mut notes = Vec::new();
    let mut edited_design = None;
    let (plan, design_dir, temp) = match &options.design {
        Some(dir) => {
            let manifest = Manifest::read(dir)?;
            let (plan, edited) = verify_design(dir, &manifest, network)?;
            if let Some(file) = edited {
                if !options.allow_edited {
                    return Err(DesignError::Edited { file }.into());
                }
                manifest.check_images(dir)?;
                edited_design = Some(file);
            }
            (plan, dir.clone(), None)
        }
        None => {
            let output = generate(network, options.build, None)?;
            let dir = temp_design_folder();
            let _ = std::fs::remove_dir_all(&dir);
            write_folder(&dir, &output.files)?;
            (output.plan, dir.clone(), Some(TempFolder(dir)))
        }
    };
    let info = DesignInfo::from_plan(&plan);
    let backend = match options.backend {
        Some(b) => b,
        None => match verilator::build::verilator_version() {
            Ok(_) => BackendChoice::Verilator,
            Err(e) => {
                notes.push(format!(
                    "{e}\nfalling back to the rusthdl back end (no external tool, about 50x \
                     slower)"
                ));
                BackendChoice::Rusthdl
            }
        },
    };
    if let Some(file) = edited_design {
        if backend != BackendChoice::Verilator {
            return Err(DesignError::EditedNeedsVerilator { file }.into());
        }
        notes.push(format!(
            "{} differs from what spikegate gen writes for this model; co-simulating the folder \
             as it is",
            file.display()
        ));
    }
    if options.lockstep && backend != BackendChoice::Verilator {
        bail!("lockstep runs Verilator beside rust-hdl: it needs the Verilator back end");
    }
    let started = Instant::now();
    let library = if backend == BackendChoice::Verilator {
        let request = BuildRequest {
            design: design_dir.clone(),
            taps: info.tap_count(),
            trace: false,
            profile_guided: options.profile_guided.as_ref().map(|samples| Training {
                info: info.clone(),
                samples: samples.clone(),
            }),
        };
        let path = verilator::build(&request)?;
        Some(VerilatorLibrary::load(&path, info.tap_count())?)
    } else {
        None
    };
    Ok(Prepared {
        plan,
        info,
        backend,
        lockstep: options.lockstep,
        library,
        build_seconds: started.elapsed().as_secs_f64(),
        notes,
        design_dir,
        _temp: temp,
        pacing: options.pacing,
        threads: options.threads.max(1),
    })
}

/// Why a design folder cannot be co-simulated for a model. A front end
/// adds how to regenerate it in its own terms.
#[derive(Debug, thiserror::Error)]
pub enum DesignError {
    /// The manifest predates the recorded model hash.
    #[error(
        "{}: the manifest records no model hash (an older spikegate wrote it), so nothing \
         proves the design belongs to this model; regenerate it from this model",
        dir.display()
    )]
    NoModelHash {
        /// The design folder.
        dir: PathBuf,
    },
    /// The folder was generated from another model or other options.
    #[error(
        "{}: the design was generated from another model or with other options (its model \
         hash is {recorded}; this model with P = {}, FIFO depth {}{} gives {hash}); \
         regenerate it from this model",
        dir.display(),
        options.pe,
        options.fifo_depth,
        if options.taps { ", taps" } else { "" }
    )]
    OtherModel {
        /// The design folder.
        dir: PathBuf,
        /// The hash its manifest records.
        recorded: String,
        /// The hash of the model with the manifest's options.
        hash: String,
        /// The manifest's options.
        options: BuildOptions,
    },
    /// A file differs from the generated one and edits were not allowed.
    #[error(
        "{}: differs from what spikegate gen writes for this model (edited or damaged); \
         regenerate the folder from this model, or allow an edited design to co-simulate it \
         as it is on Verilator",
        file.display()
    )]
    Edited {
        /// The first differing file.
        file: PathBuf,
    },
    /// An edited folder on a back end that does not read the folder.
    #[error(
        "{}: differs from what spikegate gen writes for this model, and the rusthdl back end \
         simulates the generated design, not the folder: an edited design needs the Verilator \
         back end",
        file.display()
    )]
    EditedNeedsVerilator {
        /// The first differing file.
        file: PathBuf,
    },
}

/// Proves that the folder `dir` was generated for `network` with the
/// manifest's options (its recorded model hash is the model's), and finds
/// the first of its files that is not byte for byte the one `spikegate gen`
/// writes now, if any. Returns the plan the back ends run and that file.
pub fn verify_design(
    dir: &Path,
    manifest: &Manifest,
    network: &ValidNetwork,
) -> Result<(HardwarePlan, Option<PathBuf>)> {
    let target = match &manifest.target {
        Some(name) => Some(
            spikegate_fpga::targets::find(name)
                .map_err(|e| anyhow::anyhow!("{}: {e}", dir.join("manifest.json").display()))?,
        ),
        None => None,
    };
    let options = manifest.options();
    let Some(recorded) = &manifest.model_hash else {
        return Err(DesignError::NoModelHash {
            dir: dir.to_path_buf(),
        }
        .into());
    };
    let hash = design_hash(network, options, target)?;
    if *recorded != hash {
        return Err(DesignError::OtherModel {
            dir: dir.to_path_buf(),
            recorded: recorded.clone(),
            hash,
            options,
        }
        .into());
    }
    let output = generate(network, options, target)?;
    let mut edited = None;
    for (name, content) in &output.files {
        let path = dir.join(name);
        let found = std::fs::read(&path)
            .with_context(|| format!("{}: cannot read this file of the design", path.display()))?;
        if found != content.as_bytes() && edited.is_none() {
            edited = Some(path);
        }
    }
    Ok((output.plan, edited))
}

impl Prepared {
    /// The back end's name as the command prints it: `verilator`,
    /// `rusthdl`, or `verilator+rusthdl (lockstep)`.
    pub fn backend_name(&self) -> &'static str {
        match (self.backend, self.lockstep) {
            (_, true) => "verilator+rusthdl (lockstep)",
            (BackendChoice::Verilator, _) => "verilator",
            (BackendChoice::Rusthdl, _) => "rusthdl",
        }
    }
}

/// One sample's result.
#[derive(Debug, Clone)]
pub struct SampleOutcome {
    /// What the hardware did.
    pub hardware: SampleRun,
    /// What the reference did.
    pub reference: Run,
    /// The cycle formula for this sample's spikes.
    pub estimate: CycleEstimate,
    /// The first difference, if any.
    pub mismatch: Option<Mismatch>,
}

impl SampleOutcome {
    /// The answer the hardware gave: its output layer's spikes (or, in a
    /// readout network, the membranes it sent) decoded by the model's rule.
    pub fn hardware_output(&self, network: &ValidNetwork) -> DecodedOutput {
        let net = network.network();
        let last = &self.hardware.layers[net.layers.len() - 1];
        // A readout network decides on the membranes the hardware sent;
        // otherwise they play no part, and their count sizes the answer.
        let membranes = if self.hardware.membranes.is_empty() {
            vec![0; net.layers[net.layers.len() - 1].size]
        } else {
            self.hardware.membranes.clone()
        };
        decode(net.output.decode, &membranes, last, net.time_steps)
    }
}

/// Runs every sample on the prepared back end and checks it. A sample that
/// could not be run (timeout, lockstep disagreement) is an `Err`.
pub fn run_all(
    prepared: &Prepared,
    network: &ValidNetwork,
    samples: &[Vec<Spike>],
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Vec<Result<SampleOutcome, SessionError>>> {
    let mut reference = Reference::new(network);
    let references: Vec<Run> = samples
        .iter()
        .enumerate()
        .map(|(i, s)| reference.run(s).with_context(|| format!("sample {i}")))
        .collect::<Result<_>>()?;
    let runs = match (prepared.backend, &prepared.library) {
        (BackendChoice::Verilator, Some(lib)) if prepared.lockstep => run_samples(
            || {
                let v = lib.instantiate(None)?;
                Ok(Lockstep::new(v, RustHdl::new(&prepared.plan)))
            },
            &prepared.info,
            samples,
            &prepared.pacing,
            prepared.threads,
            progress,
        ),
        (BackendChoice::Verilator, Some(lib)) => run_samples(
            || lib.instantiate(None),
            &prepared.info,
            samples,
            &prepared.pacing,
            prepared.threads,
            progress,
        ),
        _ => run_samples(
            || Ok(RustHdl::new(&prepared.plan)),
            &prepared.info,
            samples,
            &prepared.pacing,
            prepared.threads,
            progress,
        ),
    };
    let names: Vec<String> = (0..network.network().layers.len())
        .map(|l| network.layer_name(l))
        .collect();
    let steps = network.network().time_steps;
    Ok(runs
        .into_iter()
        .zip(references)
        .zip(samples)
        .enumerate()
        .map(|(i, ((run, reference), input))| {
            let hardware = run?;
            let mismatch = check_sample(
                i,
                &prepared.info,
                &names,
                &reference.layers,
                reference.output.membranes(),
                &hardware,
            );
            let estimate = estimate(&prepared.plan, &activity(input, &reference.layers, steps));
            Ok(SampleOutcome {
                hardware,
                reference,
                estimate,
                mismatch,
            })
        })
        .collect())
}

/// The cycles of a sample to put in a waveform around a mismatch: from
/// the end of the step before the mismatching one (on that layer) to a
/// little after the mismatching step ended, at most `limit` cycles.
pub fn mismatch_window(m: &Mismatch, run: &SampleRun, limit: u64) -> Range<u64> {
    let ends = &run.step_ends[m.layer];
    let from = (m.step as usize)
        .checked_sub(1)
        .and_then(|s| ends.get(s).copied())
        .unwrap_or(0);
    let to = m.cycle.unwrap_or(run.cycles) + 64;
    from.max(to.saturating_sub(limit))..to
}

/// Reruns sample `index` alone on a fresh model and writes the cycles
/// `window` (from `start`) as a VCD: every signal on Verilator (a build
/// with waveform support, cached like the other), the top-level ports on
/// rust-hdl.
pub fn write_waveform(
    prepared: &Prepared,
    input: &[Spike],
    index: usize,
    window: Range<u64>,
    path: &Path,
) -> Result<()> {
    let mut pacing = prepared.pacing.for_sample(index);
    match prepared.backend {
        BackendChoice::Verilator => {
            // Verilator's writer fails silently on a path it cannot open:
            // prove the path writable first, and the file written after.
            std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            let request = BuildRequest {
                design: prepared.design_dir.clone(),
                taps: prepared.info.tap_count(),
                trace: true,
                profile_guided: None,
            };
            let lib = VerilatorLibrary::load(&verilator::build(&request)?, request.taps)?;
            // A fresh instance spends 2 cycles in reset and 1 on `start`
            // before the sample's cycle 0.
            let shifted = window.start + 3..window.end.saturating_add(3);
            let model = lib.instantiate(Some((path, shifted)))?;
            let mut session = Session::new(model, prepared.info.clone())?;
            // Errors in the rerun are the ones already reported.
            let _ = session.run(input, &mut pacing);
            drop(session);
            if std::fs::metadata(path).map_or(0, |m| m.len()) == 0 {
                bail!("Verilator wrote no waveform to {}", path.display());
            }
        }
        BackendChoice::Rusthdl => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            let mut vcd = PortVcd::new(std::io::BufWriter::new(file), window);
            let mut failed = None;
            let mut session = Session::new(RustHdl::new(&prepared.plan), prepared.info.clone())?;
            let _ = session.run_observed(input, &mut pacing, &mut |c, i, o| {
                if let Err(e) = vcd.cycle(c, i, o) {
                    failed.get_or_insert(e);
                }
            });
            if let Some(e) = failed {
                bail!("cannot write {}: {e}", path.display());
            }
            vcd.finish()
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
    }
    Ok(())
}
