//! `spikegate bench-conv`: what the event-driven conv core saves — a
//! network with maps against its dense equivalent (every convolution and
//! pool written out as a full weight matrix), in cycles measured on
//! Verilator, the cycle formula, memory bits and the block-RAM fit.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use spikegate_hdl::BuildOptions;
use spikegate_model::{load_network, load_spikes, Matrix, Spike, ValidNetwork};
use spikegate_sim::maps::ConvTaps;
use spikegate_sim::Reference;

use super::cycles::on_verilator;
use spikegate_fpga::targets;

/// Measure the conv core against the dense equivalent of its network.
///
/// Takes a network with maps (by default the golden MNIST CNN: conv 8@5x5
/// stride 2, conv 16@3x3, sum pool 2, dense 10) and builds its dense
/// equivalent: each conv layer, and each pool in front of a layer, becomes
/// a dense layer whose weight from presynaptic neuron j to neuron i is the
/// sum of the kernel taps through which j reaches i. The two compute the
/// same spikes (checked on the reference, exit 1 otherwise). For each P,
/// both are co-simulated on Verilator (every spike checked; the simulation
/// runs whether or not the design fits the board), and the table gives the measured cycles
/// a sample beside the formula's lower bound, the lane operations (weight
/// additions), the memory bits and whether the design fits the board.
#[derive(clap::Args)]
pub struct Args {
    /// The network with maps.
    #[arg(long, default_value = "golden/mnist_cnn/model.json")]
    pub model: PathBuf,
    /// Input samples.
    #[arg(long, default_value = "golden/mnist_cnn/input.json")]
    pub input: PathBuf,
    /// Processing elements per core.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 8])]
    pub pe: Vec<usize>,
    /// At most this many samples.
    #[arg(long, default_value_t = 10)]
    pub samples: usize,
    /// Depth of each core's input FIFO (a power of two, 2..=256).
    #[arg(long, default_value_t = spikegate_hdl::plan::DEFAULT_FIFO_DEPTH)]
    pub fifo_depth: usize,
    /// The board whose block RAM the fit column checks.
    #[arg(long, default_value = "ulx3s_85f")]
    pub target: String,
}

/// `network` with every conv layer and every input pool written out as a
/// dense weight matrix over the presynaptic neurons.
pub fn dense_equivalent(network: &ValidNetwork) -> Result<ValidNetwork> {
    let mut net = network.network().clone();
    for (index, layer) in net.layers.iter_mut().enumerate() {
        if !layer.has_maps() {
            continue;
        }
        let arrivals = network.fan_in(index);
        let pooled = |j: usize| layer.input_pool.as_ref().map_or(j, |p| p.pooled(j));
        let mut weights = Matrix::from(vec![vec![0i64; layer.size]; arrivals]);
        match &layer.conv2d {
            Some(conv) => {
                let taps = ConvTaps::new(conv);
                let rows = ConvTaps::tap_rows(conv);
                let (plane, channels) = (taps.plane(), conv.out_channels);
                for (j, row) in weights.iter_mut().enumerate() {
                    taps.for_each_target(pooled(j), |tap, at| {
                        for o in 0..channels {
                            row[o * plane + at] += rows[tap * channels + o];
                        }
                    });
                }
            }
            None => {
                for (j, row) in weights.iter_mut().enumerate() {
                    row.copy_from_slice(&layer.weights[pooled(j)]);
                }
                // A pooled dense layer's delays are per pooled row too.
                if let Some(d) = &mut layer.delays {
                    let rows = (0..arrivals).map(|j| d.values[pooled(j)].to_vec());
                    d.values = Matrix::from(rows.collect::<Vec<_>>());
                }
            }
        }
        layer.bias = layer.neuron_bias();
        layer.weights = weights;
        layer.conv2d = None;
        layer.input_pool = None;
    }
    net.name = format!("{}-dense", net.name);
    Ok(spikegate_model::validate(net)?)
}

/// One design's row of the table.
struct Row {
    measured: u64,
    bound: u64,
    lane_operations: u64,
    weight_bits: usize,
    table_bits: usize,
    state_bits: usize,
    fits: bool,
}

/// Measures `network` built with `build` on Verilator, with the cycle
/// formula of each sample the co-simulator reports beside it.
fn measure(
    network: &ValidNetwork,
    samples: &[Vec<Spike>],
    build: BuildOptions,
    target: &'static targets::Target,
) -> Result<Row> {
    let (prepared, cycles) =
        on_verilator(network, samples, build).with_context(|| format!("P = {}", build.pe))?;
    let hw = &prepared.plan;
    Ok(Row {
        measured: cycles.measured,
        bound: cycles.bound,
        lane_operations: cycles.lane_operations,
        weight_bits: hw.cores.iter().map(|c| c.weight_memory_bits()).sum(),
        table_bits: hw
            .cores
            .iter()
            .filter_map(spikegate_hdl::walk::table_shape)
            .map(|(w, b)| w * b)
            .sum(),
        state_bits: hw.cores.iter().map(|c| c.state_memory_bits()).sum(),
        fits: spikegate_fpga::fit::check(hw, target).is_ok(),
    })
}

/// Runs the command.
pub fn run(args: &Args) -> Result<ExitCode> {
    let network = load_network(&args.model)?;
    if !network.network().layers.iter().any(|l| l.has_maps()) {
        bail!(
            "{}: no layer has maps (conv2d or input_pool); nothing to compare",
            args.model.display()
        );
    }
    let target = targets::find(&args.target).map_err(anyhow::Error::msg)?;
    let input = load_spikes(&args.input, &network)?;
    let mut samples = input.event_lists();
    samples.truncate(args.samples);
    if samples.is_empty() {
        bail!("{}: no samples", args.input.display());
    }
    let dense = dense_equivalent(&network)?;
    let (mut conv_ref, mut dense_ref) = (Reference::new(&network), Reference::new(&dense));
    for (i, s) in samples.iter().enumerate() {
        if conv_ref.run(s)?.layers != dense_ref.run(s)?.layers {
            bail!("sample {i}: the dense equivalent's spikes differ (a spikegate bug)");
        }
    }
    println!(
        "{}: {} samples, {}-beat FIFOs; the conv cores against the dense equivalent (same \
         spikes on the reference); cycles a sample measured on Verilator; fits: the block RAM \
         of {}",
        network.network().name,
        samples.len(),
        args.fifo_depth,
        target.name
    );
    println!(
        "{:>6} {:>3} {:>10} {:>12} {:>14} {:>12} {:>10} {:>10} {:>5}",
        "design",
        "P",
        "measured",
        "lower bound",
        "lane ops",
        "weight bits",
        "table bits",
        "state bits",
        "fits"
    );
    for &pe in &args.pe {
        for (name, net) in [("conv", &network), ("dense", &dense)] {
            let build = BuildOptions {
                pe,
                taps: true,
                fifo_depth: args.fifo_depth,
            };
            let r = measure(net, &samples, build, target)?;
            println!(
                "{:>6} {:>3} {:>10} {:>12} {:>14} {:>12} {:>10} {:>10} {:>5}",
                name,
                pe,
                r.measured,
                r.bound,
                r.lane_operations,
                r.weight_bits,
                r.table_bits,
                r.state_bits,
                if r.fits { "yes" } else { "no" }
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::dense_equivalent;
    use spikegate_sim::naive::run_naive;
    use spikegate_sim::random::random_input;
    use spikegate_sim::random_maps::random_map_network;
    use spikegate_sim::rng::SplitMix64;
    use spikegate_sim::Reference;

    #[test]
    fn the_dense_equivalent_fires_what_the_naive_model_fires() {
        // The naive model computes the convolution and pools densely on
        // its own; the dense equivalent's weights come from the
        // reference's tap scatter.
        for seed in 0..200 {
            let mut rng = SplitMix64::new(seed ^ 0xDE45E);
            let network = random_map_network(&mut rng, 4);
            let dense = dense_equivalent(&network).unwrap();
            assert!(dense.network().layers.iter().all(|l| !l.has_maps()));
            let input = random_input(&mut rng, network.network().inputs, 4, 0.4);
            let (want, _) = run_naive(&network, &input);
            let got = Reference::new(&dense).run(&input).unwrap();
            assert_eq!(got.layers, want, "seed {seed}");
        }
    }
}
