//! The rust-hdl simulation of the generated accelerator against the
//! expected outputs: every golden case the hardware can hold (expected
//! spikes from hand-worked traces or the naive model, every layer through
//! the taps), at several P, and seeded random networks against the
//! reference model, with random input gaps and output back-pressure.

use spikegate_cosim::rusthdl::RustHdl;
use spikegate_cosim::{DesignInfo, Pacing, SampleRun, Session};
use spikegate_hdl::{plan, BuildOptions, HardwarePlan};
use spikegate_model::Spike;
use spikegate_sim::random::random_input;
use spikegate_sim::rng::SplitMix64;
use spikegate_sim::Reference;
use spikegate_tests::{
    golden_case_names, is_large, load_golden, random_hardware_map_network, random_hardware_network,
    with_recurrent_dense_layers, HARDWARE_CASES, RUSTHDL_LARGE_SAMPLES,
};

fn options(pe: usize) -> BuildOptions {
    BuildOptions {
        pe,
        taps: true,
        ..BuildOptions::default()
    }
}

/// Runs every sample through the rust-hdl simulation of `plan`, one after
/// the other on one session.
fn run_hardware(plan: &HardwarePlan, samples: &[Vec<Spike>], pacing: &Pacing) -> Vec<SampleRun> {
    let mut session = Session::new(RustHdl::new(plan), DesignInfo::from_plan(plan)).expect("reset");
    samples
        .iter()
        .enumerate()
        .map(|(i, s)| {
            session
                .run(s, &mut pacing.for_sample(i))
                .expect("hardware run")
        })
        .collect()
}

#[test]
fn golden_cases_match_on_hardware() {
    let names = golden_case_names();
    for want in HARDWARE_CASES {
        assert!(names.iter().any(|n| n == want), "golden/{want} is missing");
    }
    for name in HARDWARE_CASES {
        let case = load_golden(name);
        let pes: &[usize] = if is_large(name) { &[16] } else { &[1, 2, 3] };
        for &pe in pes {
            let plan = plan(&case.network, options(pe)).unwrap_or_else(|e| panic!("{name}: {e}"));
            let mut samples = case.samples();
            if is_large(name) {
                samples.truncate(RUSTHDL_LARGE_SAMPLES);
            }
            let runs = run_hardware(&plan, &samples, &Pacing::default());
            for (s, (run, expected)) in runs.iter().zip(&case.expected.samples).enumerate() {
                assert_eq!(
                    run.membranes,
                    expected.output.membranes(),
                    "golden/{name}, P = {pe}, sample {s}: readout membranes differ"
                );
                for (l, layer) in expected.layers.iter().enumerate() {
                    assert_eq!(
                        run.layers[l], layer.events,
                        "golden/{name}, P = {pe}, sample {s}, layer {l}: hardware spikes differ"
                    );
                }
            }
        }
    }
}

#[test]
fn every_golden_case_is_a_hardware_case() {
    // The hardware holds every kind, delays, readout, convolution and
    // pooling: a new golden case must join the hardware checks too.
    for name in golden_case_names() {
        assert!(
            HARDWARE_CASES.contains(&name.as_str()),
            "golden/{name} is not in HARDWARE_CASES"
        );
    }
}

#[test]
fn random_networks_match_the_reference_under_backpressure() {
    let seeds: u64 = std::env::var("SPIKEGATE_HDL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let mut recurrent = 0;
    for seed in 0..seeds {
        let mut rng = SplitMix64::new(0x5eed_0000 + seed);
        // Every third network has maps (convolution, pooling), its dense
        // layer (behind a pool or not) recurrent in about half.
        let network = if seed % 3 == 2 {
            let network = random_hardware_map_network(&mut rng);
            with_recurrent_dense_layers(&mut rng, network)
        } else {
            random_hardware_network(&mut rng)
        };
        let pe = [1, 2, 3, 4, 8][rng.below(5)];
        recurrent += usize::from(
            network
                .network()
                .layers
                .iter()
                .any(|l| l.recurrent.is_some()),
        );
        let plan = plan(&network, options(pe))
            .unwrap_or_else(|e| panic!("seed {seed}: random network refused: {e}"));
        let net = network.network();
        let samples: Vec<Vec<Spike>> = (0..2)
            .map(|_| random_input(&mut rng, net.inputs, net.time_steps, 0.4))
            .collect();
        let (gap, stall) = (rng.below(3) as f64 * 0.3, rng.below(3) as f64 * 0.3);
        let pacing = Pacing {
            gaps: gap,
            stalls: stall,
            seed,
        };
        let runs = run_hardware(&plan, &samples, &pacing);
        let mut reference = Reference::new(&network);
        for (s, (sample, run)) in samples.iter().zip(&runs).enumerate() {
            let want = reference.run(sample).expect("valid input");
            assert_eq!(
                run.membranes,
                want.output.membranes(),
                "seed {seed} (P = {pe}), sample {s}: readout membranes differ"
            );
            assert_eq!(
                run.layers, want.layers,
                "seed {seed} (P = {pe}, gaps {gap}, stalls {stall}), sample {s}: hardware \
                 differs from the reference"
            );
        }
    }
    assert!(
        recurrent as u64 >= seeds / 4,
        "only {recurrent} of {seeds} networks are recurrent"
    );
}
