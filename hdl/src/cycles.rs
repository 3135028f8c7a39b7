//! The cycle formula: how many clock cycles a sample takes, from the
//! spikes it carries (docs/hardware.md, "Cycles per sample").
//!
//! For layer `l` with `C_l = ceil(N_l / P_l)` chunks, a step `t` in which
//! `S_in(l,t)` spikes arrive and `S_out(l,t)` leave costs the core
//!
//! ```text
//! work(l,t) = A(l,t)               accumulation: P synapses a cycle
//!           + C_l + S_out(l,t)     sweep: a chunk a cycle, a spike a cycle
//!           + R(l,t)               repeats: a cycle per round of a chunk
//! ```
//!
//! `A(l,t)` is the sum over the spikes arriving in the step of the cycles
//! each one's walk takes ([`crate::walk`]): `C_l` in a dense layer, so
//! `A = S_in * C_l`; in a conv layer `max(1, taps(j) * Q_l)`, the kernel
//! taps through which input `j` reaches the output map times the channel
//! chunks (a spike that reaches nothing still takes its beat's cycle).
//!
//! Spikes count with their multiplicity; `R(l,t)` (multi-spike layers) is
//! the sum over chunks of the most spikes a neuron of the chunk fires in
//! the step, minus one: the chunk is swept once and repeated until its
//! busiest neuron has fired them all.
//!
//! The cores run concurrently (layer `l` accumulates step `t` while layer
//! `l-1` sweeps it), so a sample takes at least
//! `lower_bound = max_C + max over l of sum over t of work(l,t)`
//! (a readout layer's `S_out` is its `N` membrane beats in the last step)
//! (`max_C`: clearing the state at start) and at most about `serial =
//! max_C + sum over l and t of work(l,t)` plus a few cycles of latency per
//! layer and step.

use spikegate_model::{Spike, ValidNetwork};
use spikegate_sim::{InputError, Reference};

use crate::plan::{CorePlan, HardwarePlan};
use crate::walk::Walk;

/// Spikes into and out of one layer, per step.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LayerActivity {
    /// Spikes arriving in each step.
    pub spikes_in: Vec<u64>,
    /// The presynaptic neuron of every arriving spike (their walks' lengths
    /// give a conv layer's accumulation cycles).
    pub arriving: Vec<u32>,
    /// Spikes fired in each step.
    pub spikes_out: Vec<u64>,
    /// Every `(step, neuron)` that fired more than one spike, with its
    /// count (multi-spike layers only; empty otherwise), from which the
    /// repeats are counted.
    pub multiple: Vec<(Spike, u64)>,
}

/// Cycles per sample from the formula.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct CycleEstimate {
    /// The busiest core's work plus the clear: no design of this
    /// architecture can be faster.
    pub lower_bound: u64,
    /// Every core's work one after the other, plus the clear.
    pub serial: u64,
    /// Synaptic operations (weight additions, counting idle lanes of the
    /// last chunk): `sum of S_in(l,t) * C_l * P_l`.
    pub lane_operations: u64,
}

/// The formula for `plan`, given each layer's activity (from the reference
/// model).
pub fn estimate(plan: &HardwarePlan, activity: &[LayerActivity]) -> CycleEstimate {
    let clear = plan
        .cores
        .iter()
        .map(|c| c.chunks as u64)
        .max()
        .unwrap_or(0);
    let mut busiest = 0u64;
    let mut serial = 0u64;
    let mut lane_operations = 0u64;
    for (core, act) in plan.cores.iter().zip(activity) {
        let c = core.chunks as u64;
        let accumulate = accumulate_cycles(core, act);
        // A readout core sends every neuron's membrane in the last step.
        let spikes_out: u64 = if core.readout {
            core.neurons as u64
        } else {
            act.spikes_out.iter().sum()
        };
        let work = accumulate
            + c * u64::from(plan.time_steps)
            + spikes_out
            + repeats(&act.multiple, |n| core.word_of(n));
        busiest = busiest.max(work);
        serial += work;
        lane_operations += accumulate_operations(core, act) * core.lanes as u64;
    }
    CycleEstimate {
        lower_bound: clear + busiest,
        serial: clear + serial,
        lane_operations,
    }
}

/// `A`: the cycles a core spends accumulating its arriving spikes.
fn accumulate_cycles(core: &CorePlan, act: &LayerActivity) -> u64 {
    if !core.has_maps() {
        return act.spikes_in.iter().sum::<u64>() * core.chunks as u64;
    }
    let walk = Walk::of(core);
    act.arriving
        .iter()
        .map(|&j| walk.entry(j as usize).length(core).max(1) as u64)
        .sum()
}

/// The accumulate operations (weight rows read) of a core's arriving
/// spikes: `A` without the cycle a spike that reaches nothing takes.
fn accumulate_operations(core: &CorePlan, act: &LayerActivity) -> u64 {
    if !core.has_maps() {
        return act.spikes_in.iter().sum::<u64>() * core.chunks as u64;
    }
    let walk = Walk::of(core);
    act.arriving
        .iter()
        .map(|&j| walk.entry(j as usize).length(core) as u64)
        .sum()
}

/// Each layer's activity in one sample: spikes in per step (the input's
/// for layer 0, layer `l-1`'s for layer `l`) and spikes out per step.
pub fn activity(input: &[Spike], layers: &[Vec<Spike>], steps: u32) -> Vec<LayerActivity> {
    let per_step = |spikes: &[Spike]| -> Vec<u64> {
        let mut v = vec![0u64; steps as usize];
        for s in spikes {
            v[s.step as usize] += 1;
        }
        v
    };
    let neurons = |spikes: &[Spike]| -> Vec<u32> { spikes.iter().map(|s| s.neuron).collect() };
    let mut incoming = (per_step(input), neurons(input));
    layers
        .iter()
        .map(|spikes| {
            let out = (per_step(spikes), neurons(spikes));
            let (spikes_in, arriving) = std::mem::replace(&mut incoming, out.clone());
            LayerActivity {
                spikes_in,
                arriving,
                spikes_out: out.0,
                multiple: multiple_spikes(spikes),
            }
        })
        .collect()
}

/// The `(step, neuron)` pairs listed more than once in `spikes` (sorted),
/// with how many times.
fn multiple_spikes(spikes: &[Spike]) -> Vec<(Spike, u64)> {
    let mut out = Vec::new();
    let mut k = 0;
    while k < spikes.len() {
        let run = spikes[k..].iter().take_while(|s| **s == spikes[k]).count();
        if run > 1 {
            out.push((spikes[k], run as u64));
        }
        k += run;
    }
    out
}

/// The repeats a core issues for the neurons that fire several spikes a
/// step (`multiple`), `word` giving each neuron's neuron-memory word: per
/// step and word, the most spikes one of its neurons fires, minus one.
fn repeats(multiple: &[(Spike, u64)], word: impl Fn(usize) -> usize) -> u64 {
    let mut most = std::collections::BTreeMap::new();
    for &(s, count) in multiple {
        let entry = most.entry((s.step, word(s.neuron as usize))).or_insert(1);
        *entry = count.max(*entry);
    }
    most.values().map(|m| m - 1).sum()
}

/// A generous bound on the cycles one input beat may cost the whole
/// design: per core `4 m (C + N) + 16 + K` with `m` its `max_spikes` (a
/// beat can start a sweep of every chunk, `m - 1` repeats of each and the
/// emission of `m` spikes of every neuron, with slack for the FIFO
/// handshakes) and `K` its longest walk (a conv layer's `kh kw Q`). The co-simulator's session gives a sample this budget a
/// beat before it calls the design hung.
pub fn beat_cycle_budget(plan: &HardwarePlan) -> u64 {
    plan.cores
        .iter()
        .map(|c| {
            let walk = c.conv.as_ref().map_or(c.chunks, |conv| {
                conv.kernel[0] * conv.kernel[1] * c.channel_chunks
            });
            4 * u64::from(c.max_spikes) * (c.chunks + c.neurons) as u64 + 16 + walk as u64
        })
        .sum()
}

/// The cycle formula's lower bound a sample, averaged over `samples` run
/// on the reference model of `network` (the spikes decide the cycles); 0
/// for no samples.
pub fn mean_lower_bound(
    network: &ValidNetwork,
    plan: &HardwarePlan,
    samples: &[Vec<Spike>],
) -> Result<f64, InputError> {
    let mut reference = Reference::new(network);
    let mut total = 0u64;
    for events in samples {
        let run = reference.run(events)?;
        total += estimate(plan, &activity(events, &run.layers, plan.time_steps)).lower_bound;
    }
    Ok(total as f64 / samples.len().max(1) as f64)
}

#[cfg(test)]
mod tests {
    use super::{multiple_spikes, repeats};
    use spikegate_model::Spike;

    #[test]
    fn a_chunk_repeats_until_its_busiest_neuron_has_fired_every_spike() {
        let s = |step, neuron, n: usize| std::iter::repeat_n(Spike::new(step, neuron), n);
        // Four lanes: neurons 0 and 1 share chunk 0, neuron 5 is in chunk 1.
        let spikes: Vec<Spike> = s(0, 0, 3)
            .chain(s(0, 1, 2))
            .chain(s(0, 5, 1))
            .chain(s(1, 0, 2))
            .collect();
        // Step 0: chunk 0 twice more (neuron 0's 3 spikes), chunk 1 never;
        // step 1: chunk 0 once more.
        let multiple = multiple_spikes(&spikes);
        assert_eq!(
            multiple.len(),
            3,
            "three neurons fire several spikes a step"
        );
        assert_eq!(repeats(&multiple, |n| n / 4), 3);
        // One lane a chunk: every neuron its own chunk.
        assert_eq!(repeats(&multiple, |n| n), 2 + 1 + 1);
        assert_eq!(repeats(&[], |n| n / 4), 0);
        // Conv words: neurons 0 and 5 in one word (a plane of 5, two
        // channels a word): step 0 repeats that word twice (neuron 0's 3
        // spikes), neuron 1's word once; step 1 once.
        assert_eq!(repeats(&multiple, |n| n % 5), 2 + 1 + 1);
    }
}
