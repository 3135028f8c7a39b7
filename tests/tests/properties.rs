//! Properties every run must have, over seeded random networks and inputs.
//! proptest prints the failing seed; `SplitMix64::new(seed)` replays it.

use proptest::prelude::*;
use spikegate_model::width::range_of;
use spikegate_model::{validate, Delays, Matrix, Neuron, Reset, Spike, ValidNetwork};
use spikegate_sim::random::{random_input, random_network, Shape};
use spikegate_sim::rng::SplitMix64;
use spikegate_sim::{Reference, Run};

fn run(network: &ValidNetwork, input: &[Spike]) -> Run {
    Reference::new(network).run(input).unwrap()
}

/// A random small network and input drawn from `seed`.
fn draw(seed: u64, shape_of: impl Fn(&mut SplitMix64) -> Shape) -> (ValidNetwork, Vec<Spike>) {
    let mut rng = SplitMix64::new(seed);
    let shape = shape_of(&mut rng);
    let network = random_network(&mut rng, &shape);
    let p = [0.05, 0.2, 0.5][rng.below(3)];
    let input = random_input(&mut rng, shape.inputs, shape.steps, p);
    (network, input)
}

fn any_shape(rng: &mut SplitMix64) -> Shape {
    let inputs = 1 + rng.below(10);
    let sizes: Vec<usize> = (0..1 + rng.below(3)).map(|_| 1 + rng.below(8)).collect();
    Shape::new(inputs, &sizes, 1 + rng.below(20) as u32)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Shuffling the input events, or renumbering the inputs (so weight
    /// rows are added in another order), changes nothing.
    #[test]
    fn arrival_order_never_changes_a_result(seed in any::<u64>()) {
        let (network, input) = draw(seed, any_shape);
        let baseline = run(&network, &input);
        let mut rng = SplitMix64::new(seed ^ 0xA5A5);
        let mut shuffled = input.clone();
        for k in (1..shuffled.len()).rev() {
            shuffled.swap(k, rng.below(k + 1));
        }
        prop_assert_eq!(&run(&network, &shuffled), &baseline);

        // Renumber input j as perm[j]: weight rows move with it.
        let n = network.network().inputs;
        let mut perm: Vec<usize> = (0..n).collect();
        for k in (1..n).rev() {
            perm.swap(k, rng.below(k + 1));
        }
        let mut renumbered = network.network().clone();
        let layer0 = &mut renumbered.layers[0];
        let old_w = layer0.weights.clone();
        for j in 0..n {
            layer0.weights[perm[j]].copy_from_slice(&old_w[j]);
        }
        if let Some(d) = &mut layer0.delays {
            let old_d = d.values.clone();
            for j in 0..n {
                d.values[perm[j]].copy_from_slice(&old_d[j]);
            }
        }
        let renumbered = validate(renumbered).unwrap();
        let moved: Vec<Spike> = input.iter().map(|s| Spike::new(s.step, perm[s.neuron as usize] as u32)).collect();
        let again = run(&renumbered, &moved);
        prop_assert_eq!(again.layers, baseline.layers);
        prop_assert_eq!(again.output, baseline.output);
    }

    /// A `ttfs` neuron fires at most once per sample, whatever its reset.
    #[test]
    fn ttfs_never_fires_twice(seed in any::<u64>()) {
        let (network, input) = draw(seed, |rng| {
            let mut shape = any_shape(rng);
            shape.neuron = Some(Neuron::Ttfs);
            shape
        });
        let result = run(&network, &input);
        for (l, spikes) in result.layers.iter().enumerate() {
            let mut neurons: Vec<u32> = spikes.iter().map(|s| s.neuron).collect();
            neurons.sort_unstable();
            let before = neurons.len();
            neurons.dedup();
            prop_assert_eq!(neurons.len(), before, "layer {} has a neuron firing twice", l);
        }
    }

    /// Every state stays inside its declared width after every step.
    #[test]
    fn states_stay_within_their_widths(seed in any::<u64>()) {
        let (network, input) = draw(seed, any_shape);
        let (_, trace) = Reference::new(&network).run_traced(&input).unwrap();
        for row in trace {
            let w = network.network().layers[row.layer].widths;
            let within = |v: i64, width: u32| { let (lo, hi) = range_of(width); lo <= v && v <= hi };
            prop_assert!(within(row.membrane, w.membrane), "{:?}", row);
            if let Some(c) = row.current { prop_assert!(within(c, w.current.unwrap()), "{:?}", row); }
            if let Some(a) = row.adaptation { prop_assert!(within(a, w.adaptation.unwrap()), "{:?}", row); }
        }
    }

    /// With only excitatory input and no reset, an `if` membrane can only
    /// rise: a wrap-around would show as a drop. It ends clamped at the top.
    #[test]
    fn saturation_never_wraps(seed in any::<u64>()) {
        let mut rng = SplitMix64::new(seed);
        let mut shape = Shape::new(1 + rng.below(6), &[1 + rng.below(6)], 4 + rng.below(30) as u32);
        shape.neuron = Some(Neuron::If);
        shape.bias = Some(false);
        shape.max_delay = Some(0);
        shape.decode = Some(spikegate_model::Decode::SpikeCount);
        let mut net = random_network(&mut rng, &shape).into_inner();
        let layer = &mut net.layers[0];
        layer.reset = Some(Reset::None);
        layer.reset_timing = None;
        layer.membrane_floor = None;
        layer.widths.membrane = layer.widths.weight.max(3);
        layer.widths.threshold = layer.widths.membrane;
        layer.threshold = Some(range_of(layer.widths.membrane).1);
        let top = range_of(layer.widths.weight).1.max(1);
        for w in layer.weights.iter_mut().flatten() {
            *w = rng.range(1, top);
        }
        let vmax = range_of(net.layers[0].widths.membrane).1;
        let network = validate(net).unwrap();
        let inputs = network.network().inputs;
        let steps = network.network().time_steps;
        let input: Vec<Spike> = (0..steps).flat_map(|t| (0..inputs as u32).map(move |n| Spike::new(t, n))).collect();
        let (_, trace) = Reference::new(&network).run_traced(&input).unwrap();
        let size = network.network().layers[0].size;
        for i in 0..size {
            let vs: Vec<i64> = trace.iter().filter(|r| r.neuron == i).map(|r| r.membrane).collect();
            prop_assert!(vs.windows(2).all(|w| w[0] <= w[1]), "neuron {} membrane fell: {:?}", i, vs);
        }
        // Every step adds at least `inputs`, so after vmax steps it is clamped.
        if steps as i64 >= vmax {
            prop_assert!(trace.iter().filter(|r| r.step == steps - 1).all(|r| r.membrane == vmax));
        }
    }

    /// Without input and without bias nothing ever fires.
    #[test]
    fn zero_input_gives_no_spikes(seed in any::<u64>()) {
        let (network, _) = draw(seed, |rng| {
            let mut shape = any_shape(rng);
            shape.bias = Some(false);
            shape
        });
        let result = run(&network, &[]);
        prop_assert!(result.layers.iter().all(Vec::is_empty), "{:?}", result.layers);
        prop_assert_eq!(result.synaptic_ops, 0);
    }

    /// Giving every synapse of layer l the same extra delay d_l (no bias)
    /// shifts layer l's spikes, and every later layer's, by exactly
    /// d_0 + ... + d_l steps, dropping what falls at or past T.
    #[test]
    fn uniform_delays_shift_spikes_exactly(seed in any::<u64>()) {
        let (network, input) = draw(seed, |rng| {
            let mut shape = any_shape(rng);
            shape.bias = Some(false);
            shape.max_delay = Some(0);
            shape.decode = Some(spikegate_model::Decode::SpikeCount);
            shape
        });
        let baseline = run(&network, &input);
        let mut rng = SplitMix64::new(seed ^ 0xDE1A);
        let mut delayed = network.network().clone();
        let mut shifts = Vec::new();
        let mut total = 0;
        for layer in &mut delayed.layers {
            let d = rng.range(0, 4) as u32;
            total += d;
            shifts.push(total);
            let rows = layer.weights.len();
            layer.delays = Some(Delays { max: d, values: Matrix::from_fn(rows, layer.size, |_, _| d) });
        }
        let delayed = validate(delayed).unwrap();
        let shifted = run(&delayed, &input);
        let steps = network.network().time_steps;
        for (l, spikes) in baseline.layers.iter().enumerate() {
            let want: Vec<Spike> = spikes
                .iter()
                .filter(|s| s.step + shifts[l] < steps)
                .map(|s| Spike::new(s.step + shifts[l], s.neuron))
                .collect();
            prop_assert_eq!(&shifted.layers[l], &want, "layer {} shifted by {}", l, shifts[l]);
        }
    }
}
