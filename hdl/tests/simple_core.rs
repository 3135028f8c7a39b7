//! The simple one-lane core against the P-wide pipelined core (both with
//! P = 1) and against the reference model: fed the same input beats, both
//! must send exactly the reference's spikes, lowest neuron first within a
//! step, each step closed by an EOS beat.

use std::sync::Arc;

use rust_hdl::prelude::*;
use spikegate_hdl::core::Core;
use spikegate_hdl::datapath::RESULT_LATENCY;
use spikegate_hdl::plan::CorePlan;
use spikegate_hdl::simple_core::SimpleCore;
use spikegate_hdl::stream::{BEAT_BITS, EOS_BIT};
use spikegate_hdl::{plan, BuildOptions};
use spikegate_model::{Spike, ValidNetwork};
use spikegate_sim::random::{random_input, random_network, Shape};
use spikegate_sim::rng::SplitMix64;
use spikegate_sim::Reference;

const SETTLE_ITERATIONS: usize = 10_000;
const EOS: u64 = 1 << EOS_BIT;

/// The ports both cores share.
trait CorePorts: Block {
    fn clock(&mut self) -> &mut Signal<In, Clock>;
    fn reset(&mut self) -> &mut Signal<In, Bit>;
    fn start(&mut self) -> &mut Signal<In, Bit>;
    fn in_valid(&mut self) -> &mut Signal<In, Bit>;
    fn in_data(&mut self) -> &mut Signal<In, Bits<BEAT_BITS>>;
    fn out_ready(&mut self) -> &mut Signal<In, Bit>;
    fn in_ready(&self) -> bool;
    fn out_valid(&self) -> bool;
    fn out_data(&self) -> u64;
}

macro_rules! core_ports {
    ($t:ty) => {
        impl CorePorts for $t {
            fn clock(&mut self) -> &mut Signal<In, Clock> {
                &mut self.clock
            }
            fn reset(&mut self) -> &mut Signal<In, Bit> {
                &mut self.reset
            }
            fn start(&mut self) -> &mut Signal<In, Bit> {
                &mut self.start
            }
            fn in_valid(&mut self) -> &mut Signal<In, Bit> {
                &mut self.in_valid
            }
            fn in_data(&mut self) -> &mut Signal<In, Bits<BEAT_BITS>> {
                &mut self.in_data
            }
            fn out_ready(&mut self) -> &mut Signal<In, Bit> {
                &mut self.out_ready
            }
            fn in_ready(&self) -> bool {
                self.in_ready.val()
            }
            fn out_valid(&self) -> bool {
                self.out_valid.val()
            }
            fn out_data(&self) -> u64 {
                self.out_data.val().to_u64()
            }
        }
    };
}

core_ports!(Core);
core_ports!(SimpleCore);

/// What one core sent for one sample.
#[derive(Debug)]
struct CoreRun {
    /// Output beats in order.
    beats: Vec<u64>,
    /// Cycles from `start` until the last EOS beat was taken.
    cycles: u64,
}

/// Settles, or fails the test with `what`.
fn settle<D: CorePorts>(dut: &mut D, what: &str) {
    assert!(simulate(dut, SETTLE_ITERATIONS), "{what}: did not settle");
}

fn tick<D: CorePorts>(dut: &mut D, what: &str) {
    for level in [true, false] {
        dut.clock().next = Clock { clk: level };
        settle(dut, what);
    }
}

/// Resets `dut`, starts a sample, offers `beats` in order (when `offer`
/// says so) and collects output beats (taken when `ready` says so) until
/// `steps` EOS beats came out.
fn run_core<D: CorePorts>(
    dut: &mut D,
    beats: &[u64],
    steps: u32,
    offer: &mut dyn FnMut() -> bool,
    ready: &mut dyn FnMut() -> bool,
    what: &str,
) -> CoreRun {
    dut.connect_all();
    dut.reset().next = true;
    tick(dut, what);
    tick(dut, what);
    dut.reset().next = false;
    dut.start().next = true;
    tick(dut, what);
    dut.start().next = false;

    let budget = 100_000u64;
    let mut out = Vec::new();
    let mut eos_seen = 0u32;
    let mut next = 0usize;
    let mut cycle = 0u64;
    while eos_seen < steps {
        assert!(
            cycle < budget,
            "{what}: no end after {budget} cycles, sent {out:?}"
        );
        let offered = next < beats.len() && offer();
        dut.in_valid().next = offered;
        dut.in_data().next = beats.get(next).copied().unwrap_or(0).into();
        dut.out_ready().next = ready();
        settle(dut, what);
        if offered && dut.in_ready() {
            next += 1;
        }
        if dut.out_valid() && dut.out_ready().val() {
            let beat = dut.out_data();
            if beat & EOS != 0 {
                assert_eq!(beat, EOS, "{what}: EOS beat with a neuron index");
                eos_seen += 1;
            }
            out.push(beat);
        }
        tick(dut, what);
        cycle += 1;
    }
    assert_eq!(
        next,
        beats.len(),
        "{what}: finished before taking every input beat"
    );
    // Nothing more comes out after the last EOS beat.
    dut.in_valid().next = false;
    dut.out_ready().next = true;
    for _ in 0..8 {
        settle(dut, what);
        assert!(!dut.out_valid(), "{what}: output after the last EOS beat");
        tick(dut, what);
    }
    CoreRun {
        beats: out,
        cycles: cycle,
    }
}

/// Per-cycle choices: whether the driver offers its next beat, and whether
/// the consumer is ready; always both unless `backpressure`.
fn pacing(seed: u64, backpressure: bool) -> (impl FnMut() -> bool, impl FnMut() -> bool) {
    let mut offer_rng = SplitMix64::new(seed);
    let mut ready_rng = SplitMix64::new(seed.rotate_left(17));
    (
        move || !backpressure || offer_rng.chance(0.7),
        move || !backpressure || ready_rng.chance(0.5),
    )
}

/// The input beats of a sample: each step's spikes, then an EOS beat.
fn input_beats(input: &[Spike], steps: u32) -> Vec<u64> {
    let mut sorted = input.to_vec();
    sorted.sort();
    let mut beats = Vec::new();
    for t in 0..steps {
        beats.extend(
            sorted
                .iter()
                .filter(|s| s.step == t)
                .map(|s| u64::from(s.neuron)),
        );
        beats.push(EOS);
    }
    beats
}

/// Output beats as spikes with their step, in arrival order.
fn beats_to_spikes(beats: &[u64]) -> Vec<Spike> {
    let mut step = 0u32;
    let mut spikes = Vec::new();
    for &b in beats {
        if b & EOS != 0 {
            step += 1;
        } else {
            spikes.push(Spike::new(step, b as u32));
        }
    }
    spikes
}

/// The single core plan of `net` with P = 1, or `None` when the hardware
/// does not take the network or its layer is a readout or has delays (the
/// simple core is a reference for spiking layers without delays).
fn core_plan(net: &ValidNetwork, seed: u64) -> Option<Arc<CorePlan>> {
    let hw = plan(
        net,
        BuildOptions {
            pe: 1,
            ..Default::default()
        },
    )
    .ok()?;
    assert_eq!(hw.cores.len(), 1, "seed {seed}: a one-layer network");
    let core = &hw.cores[0];
    (!core.readout && core.lane.slots == 1).then(|| Arc::new(core.clone()))
}

/// One network both cores ran.
struct Case {
    seed: u64,
    neurons: usize,
    inputs: usize,
    steps: u32,
    spikes_in: usize,
    simple: CoreRun,
    core: CoreRun,
    spikes: usize,
    /// Spikes beyond a neuron's first of a step (multi-spike layers), each
    /// fired by a repeat of its chunk.
    repeats: usize,
}

/// Runs both cores on the network and input of `seed` and checks them
/// against each other and the reference; `None` if the hardware does not
/// take the network.
fn check_seed(seed: u64, backpressure: bool) -> Option<Case> {
    let mut rng = SplitMix64::new(seed);
    let inputs = rng.range(1, 5) as usize;
    let neurons = rng.range(1, 6) as usize;
    let steps = rng.range(2, 6) as u32;
    let net = random_network(&mut rng, &Shape::new(inputs, &[neurons], steps));
    let core_plan = core_plan(&net, seed)?;
    let p = [0.3, 0.6, 0.9][rng.below(3)];
    let input = random_input(&mut rng, inputs, steps, p);
    let beats = input_beats(&input, steps);

    let expected = Reference::new(&net)
        .run(&input)
        .unwrap_or_else(|e| panic!("seed {seed}: reference refused the input: {e:?}"));
    let expected = &expected.layers[0];

    // Same pacing for both cores: gaps in the input and a stalling consumer
    // when `backpressure`, else always offered and always ready.
    let pace_seed = seed ^ 0xBAC4_F00D;
    let what = format!("seed {seed} (backpressure {backpressure}) SimpleCore");
    let (mut offer, mut ready) = pacing(pace_seed, backpressure);
    let mut dut = Box::new(SimpleCore::new(core_plan.clone()));
    let simple = run_core(&mut *dut, &beats, steps, &mut offer, &mut ready, &what);
    let what = format!("seed {seed} (backpressure {backpressure}) Core");
    let (mut offer, mut ready) = pacing(pace_seed, backpressure);
    let mut dut = Box::new(Core::new(core_plan.clone()));
    let core = run_core(&mut *dut, &beats, steps, &mut offer, &mut ready, &what);

    let ctx = format!(
        "seed {seed} (backpressure {backpressure}): {neurons} neurons, {inputs} inputs, \
         {steps} steps, {:?}, input {input:?}",
        core_plan.update
    );
    for (name, run) in [("SimpleCore", &simple), ("Core", &core)] {
        let got = beats_to_spikes(&run.beats);
        assert_eq!(
            &got, expected,
            "{ctx}: {name}'s spikes (arrival order) differ from the reference's"
        );
        assert_eq!(
            run.beats.iter().filter(|&&b| b == EOS).count(),
            steps as usize,
            "{ctx}: {name} sent the wrong number of EOS beats"
        );
        // Spike counts per (step, neuron), and per neuron.
        for t in 0..steps {
            for n in 0..neurons as u32 {
                let count = |s: &[Spike]| s.iter().filter(|s| s.step == t && s.neuron == n).count();
                assert_eq!(
                    count(&got),
                    count(expected),
                    "{ctx}: {name}: spikes of neuron {n} at step {t}"
                );
            }
        }
        for n in 0..neurons as u32 {
            let count = |s: &[Spike]| s.iter().filter(|s| s.neuron == n).count();
            assert_eq!(
                count(&got),
                count(expected),
                "{ctx}: {name}: spike count of neuron {n}"
            );
        }
        // Lowest neuron first within a step (a multi-spike neuron's spikes
        // of a step one after the other).
        for w in got.windows(2) {
            assert!(
                w[0].step < w[1].step || (w[0].step == w[1].step && w[0].neuron <= w[1].neuron),
                "{ctx}: {name} sent {w:?} out of order"
            );
        }
    }
    // Implied by the checks above, but the point of the simple core: the
    // same beats, in the same order.
    assert_eq!(
        simple.beats, core.beats,
        "{ctx}: SimpleCore and Core sent different beats"
    );
    Some(Case {
        seed,
        neurons,
        inputs,
        steps,
        spikes_in: input.len(),
        simple,
        core,
        spikes: expected.len(),
        repeats: expected.windows(2).filter(|w| w[0] == w[1]).count(),
    })
}

/// At least `want` networks the hardware takes, from consecutive seeds.
fn check_many(first_seed: u64, want: usize, backpressure: bool) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut seed = first_seed;
    while cases.len() < want {
        assert!(
            seed < first_seed + 50 * want as u64,
            "too few networks the hardware takes from seed {first_seed} on"
        );
        if let Some(case) = check_seed(seed, backpressure) {
            cases.push(case);
        }
        seed += 1;
    }
    cases
}

#[test]
fn simple_core_matches_core_and_reference() {
    let cases = check_many(1000, 40, false);
    let spiking = cases.iter().filter(|c| c.spikes > 0).count();
    assert!(
        spiking >= 10,
        "only {spiking} of the networks from seed 1000 on spiked at all"
    );
    let spikes: usize = cases.iter().map(|c| c.spikes).sum();
    println!(
        "{} networks, {spiking} of them spiking, {spikes} output spikes",
        cases.len()
    );
    for c in cases.iter().filter(|c| c.spikes > 0).take(3) {
        println!(
            "seed {}: {} neurons, {} inputs, {} steps, {} input spikes, {} output spikes: \
             SimpleCore {} cycles, Core {} cycles",
            c.seed,
            c.neurons,
            c.inputs,
            c.steps,
            c.spikes_in,
            c.spikes,
            c.simple.cycles,
            c.core.cycles
        );
    }
    for c in &cases {
        // The naive core's cost, exactly: clear 2 N; a spike 2 N + 1 (the
        // beat, then every neuron's accumulate and result cycle); a step
        // (L + 1) N + 2 (the EOS beat in and out, every neuron's sweep and
        // the L cycles to its result, L = RESULT_LATENCY) plus a cycle per
        // output spike, and a repeat's L + 1 cycles per spike beyond a
        // neuron's first of a step.
        let (n, t) = (c.neurons as u64, u64::from(c.steps));
        let formula = 2 * n
            + c.spikes_in as u64 * (2 * n + 1)
            + t * ((RESULT_LATENCY + 1) * n + 2)
            + c.spikes as u64
            + (RESULT_LATENCY + 1) * c.repeats as u64;
        assert_eq!(
            c.simple.cycles, formula,
            "seed {}: SimpleCore cycles differ from its formula",
            c.seed
        );
        // Without stalls the naive core is never faster than the pipelined
        // one, but for a single neuron: there its step of 2 N + 2 = 4
        // cycles is shorter than the pipelined core's step latency (seed
        // 1010: one input spike in 6 steps, 29 cycles against 32).
        assert!(
            c.neurons == 1 || c.simple.cycles >= c.core.cycles,
            "seed {}: SimpleCore {} cycles, Core {} ({} neurons, {} steps, {} spikes in, {} out, {} repeats)",
            c.seed,
            c.simple.cycles,
            c.core.cycles,
            c.neurons,
            c.steps,
            c.spikes_in,
            c.spikes,
            c.repeats
        );
    }
}

#[test]
fn simple_core_matches_core_and_reference_under_backpressure() {
    let cases = check_many(5000, 30, true);
    let spiking = cases.iter().filter(|c| c.spikes > 0).count();
    assert!(
        spiking >= 8,
        "only {spiking} of the networks from seed 5000 on spiked at all"
    );
}

#[test]
#[should_panic(expected = "lanes = 2")]
fn simple_core_refuses_more_than_one_lane() {
    let mut rng = SplitMix64::new(7);
    let net = loop {
        let net = random_network(&mut rng, &Shape::new(2, &[4], 2));
        if plan(&net, BuildOptions::default()).is_ok() {
            break net;
        }
    };
    let hw = plan(
        &net,
        BuildOptions {
            pe: 2,
            ..Default::default()
        },
    )
    .unwrap();
    let _ = SimpleCore::new(Arc::new(hw.cores[0].clone()));
}

#[test]
fn simple_core_passes_the_design_rules_and_becomes_verilog() {
    let mut rng = SplitMix64::new(11);
    let core_plan = loop {
        let net = random_network(&mut rng, &Shape::new(3, &[5], 2));
        if let Some(core_plan) = core_plan(&net, 11) {
            break core_plan;
        }
    };
    let mut dut = SimpleCore::new(core_plan);
    dut.connect_all();
    check_all(&dut).unwrap_or_else(|e| panic!("seed 11: design rules: {e:?}"));
    let verilog = generate_verilog_unchecked(&dut);
    for needle in ["module top", "SweepWait", "EmitEos", "state_q"] {
        assert!(
            verilog.contains(needle),
            "seed 11: no `{needle}` in\n{verilog}"
        );
    }
}
