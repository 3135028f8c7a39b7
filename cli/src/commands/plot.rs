//! `spikegate plot KIND ... --out FILE`: pictures of runs and reports, as
//! SVG or PNG (the extension of --out chooses).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use spikegate_model::{load_network, load_spikes, Spike, ValidNetwork};
use spikegate_plot::activity::Activity;
use spikegate_plot::import_report::ImportAgreement;
use spikegate_plot::read;
use spikegate_plot::ssr::{SsrCurve, SsrSeries};
use spikegate_sim::Reference;

pub mod raster;

/// Draw a picture of a run or a report, as SVG or PNG.
///
/// Every kind writes the file --out names; its extension (.svg or .png)
/// chooses the format. Same input, same bytes. docs/plots.md shows one of
/// each and the commands that made them.
#[derive(clap::Args)]
pub struct Args {
    /// What to draw.
    #[command(subcommand)]
    pub kind: Kind,
}

/// The pictures.
#[derive(clap::Subcommand)]
pub enum Kind {
    Raster(raster::Args),
    Activity(ActivityArgs),
    DesignSpace(TableArgs),
    ImportReport(ReportArgs),
    Ssr(SsrArgs),
}

/// Spikes per layer and per step across a run of the reference model.
///
/// One line per layer (the input first): in each step, the mean number of
/// spikes the layer fired, over the samples.
#[derive(clap::Args)]
pub struct ActivityArgs {
    /// The model file (JSON, docs/model-format.md).
    pub model: PathBuf,
    /// Input spikes (JSON spike file).
    #[arg(long, short)]
    pub input: PathBuf,
    /// Use only the first N samples (N >= 1).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub samples: Option<u64>,
    /// The picture (.svg or .png).
    #[arg(long, short)]
    pub out: PathBuf,
}

/// The design space: logic cells against latency a sample, one series per
/// network, each point labelled with its P.
///
/// Reads every Markdown table of TABLE whose header has the columns
/// `network`, `P`, `logic cells` and `latency us`: the file that
/// `spikegate design-space --out TABLE` writes (docs/fpga.md quotes such
/// tables). Rows that did not fit or have no latency are left out.
#[derive(clap::Args)]
pub struct TableArgs {
    /// The Markdown table file.
    pub table: PathBuf,
    /// The picture (.svg or .png).
    #[arg(long, short)]
    pub out: PathBuf,
}

/// The import report's float-vs-integer agreement per layer.
///
/// Reads the JSON that `spikegate import --report REPORT` writes: per layer
/// the share of equal spike bits and the spikes a sample of the float
/// simulation beside the integer reference's, and the share of equal
/// decoded classes.
#[derive(clap::Args)]
pub struct ReportArgs {
    /// The import report (JSON, `spikegate-import-report/1`).
    pub report: PathBuf,
    /// The picture (.svg or .png).
    #[arg(long, short)]
    pub out: PathBuf,
}

/// The cost of sparse firing: lane operations and latency a sample against
/// hidden spikes, one point per SSR strength.
///
/// Each FILE is one network's sweep (`spikegate-ssr/1`: `network` and
/// `points` of `strength`, `accuracy`, `hidden_spikes`, `lane_ops`,
/// `cycles`, `latency_us`) and becomes one series; each point is labelled
/// with its strength and accuracy.
#[derive(clap::Args)]
pub struct SsrArgs {
    /// SSR files (JSON), one per network.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The figure's title.
    #[arg(
        long,
        default_value = "Sparse-firing regularization: cost against hidden spikes"
    )]
    pub title: String,
    /// The picture (.svg or .png).
    #[arg(long, short)]
    pub out: PathBuf,
}

/// Runs the command.
pub fn run(args: &Args) -> Result<ExitCode> {
    let out = match &args.kind {
        Kind::Raster(a) => return raster::run(a),
        Kind::Activity(a) => activity(a)?,
        Kind::DesignSpace(a) => {
            read::design_space(&a.table)?.draw(&a.out)?;
            &a.out
        }
        Kind::ImportReport(a) => {
            ImportAgreement::read(&a.report)?.draw(&a.out)?;
            &a.out
        }
        Kind::Ssr(a) => {
            let series = a
                .files
                .iter()
                .map(|f| SsrSeries::read(f))
                .collect::<Result<_, _>>()?;
            let curve = SsrCurve {
                title: a.title.clone(),
                series,
            };
            curve.draw(&a.out)?;
            &a.out
        }
    };
    println!("wrote {}", out.display());
    Ok(ExitCode::SUCCESS)
}

/// The model and its input samples (the first `samples` of them).
fn load(
    model: &std::path::Path,
    input: &std::path::Path,
    samples: Option<u64>,
) -> Result<(ValidNetwork, Vec<Vec<Spike>>)> {
    let network = load_network(model)?;
    let mut events = load_spikes(input, &network)?.event_lists();
    if events.is_empty() {
        bail!("{}: there are no samples to draw", input.display());
    }
    if let Some(n) = samples {
        events.truncate(usize::try_from(n).unwrap_or(usize::MAX));
    }
    Ok((network, events))
}

/// Runs the reference on every sample and draws the activity.
fn activity(args: &ActivityArgs) -> Result<&PathBuf> {
    let (network, samples) = load(&args.model, &args.input, args.samples)?;
    let net = network.network();
    let mut names = vec!["input".to_owned()];
    names.extend((0..net.layers.len()).map(|l| network.layer_name(l)));
    let title = format!("{}: spikes per layer and step", net.name);
    let mut activity = Activity::new(title, net.time_steps, names);
    let mut reference = Reference::new(&network);
    for (i, sample) in samples.iter().enumerate() {
        let run = reference
            .run(sample)
            .with_context(|| format!("{}: sample {i}", args.input.display()))?;
        let mut layers: Vec<&[Spike]> = vec![sample];
        layers.extend(run.layers.iter().map(Vec::as_slice));
        activity.add(&layers);
    }
    activity.draw(&args.out)?;
    Ok(&args.out)
}
