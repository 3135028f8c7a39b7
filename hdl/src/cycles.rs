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
//! A recurrent layer replays its own spikes of step `t - 1` first
//! (`S_out(l,t-1)` more dense walks, `C_l` cycles each, in `A(l,t)`).
//! Spikes count with their multiplicity; `R(l,t)` (multi-spike layers) is
//! the sum over chunks of the most spikes a neuron of the chunk fires in
//! the step, minus one: the chunk is swept once and repeated until its
//! busiest neuron has fired them all.
//!
//! The cores run concurrently (layer `l` accumulates step `t` while layer
//! `l-1` sweeps it), but each core is serial (it takes no input while it
//! sweeps), the spikes of step `t` exist only once the previous core
//! sweeps it, and a core sweeps step `t` only once the previous core's step
//! `t` has ended, and a core's beat leaves only when the next core's FIFO
//! has room. [`estimate`] follows every beat through the cores with these
//! rules, giving `finish(l,t)`, the cycle core `l` ends step `t`; a sample takes at least `lower_bound =
//! max(finish(L-1,T-1), max_C + max over l of sum over t of work(l,t))` (a
//! readout layer's `S_out` is its `N` membrane beats in the last step;
//! `max_C`: clearing the state at start), and at most about `serial =
//! max_C + sum over l and t of work(l,t)` plus a few cycles of latency per
//! layer and step.

use spikegate_model::{Spike, ValidNetwork};
use spikegate_sim::{InputError, Reference};

use crate::datapath::RESULT_LATENCY;
use crate::plan::{CorePlan, HardwarePlan};
use crate::walk::Walk;

/// Spikes into and out of one layer, per step.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LayerActivity {
    /// Spikes arriving in each step.
    pub spikes_in: Vec<u64>,
    /// Every arriving spike (their walks' lengths give a conv layer's
    /// accumulation cycles).
    pub arriving: Vec<Spike>,
    /// Spikes fired in each step.
    pub spikes_out: Vec<u64>,
    /// Every spike fired (sorted by step, then neuron; a neuron listed once
    /// per spike), which the sweep's rounds and emission follow.
    pub fired: Vec<Spike>,
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
    /// last chunk): `sum of (S_in(l,t) + S_replayed(l,t)) * C_l * P_l`, a
    /// recurrent core replaying its spikes of the step before.
    pub lane_operations: u64,
}

/// The formula for `plan`, given each layer's activity (from the reference
/// model).
///
/// The schedule is first made with endless FIFOs; then each core's beats
/// are held back until the next core's FIFO has room for them (a beat can
/// enter once the beat `D + 2` before it has left, `D` the FIFO depth, a
/// margin of two for the stages around it), and the schedule is made
/// again, until nothing moves (at most 16 rounds). Every round's schedule
/// is a lower bound, since it only adds waits the hardware must make.
pub fn estimate(plan: &HardwarePlan, activity: &[LayerActivity]) -> CycleEstimate {
    let room = plan.options.fifo_depth + 2;
    let work: Vec<CoreWork> = plan
        .cores
        .iter()
        .zip(activity)
        .map(|(core, act)| CoreWork::of(core, act, plan.time_steps as usize))
        .collect();
    let input = activity.first().map_or(&[][..], |a| &a.arriving[..]);
    let mut floors = vec![Vec::new(); plan.cores.len()];
    let mut run = schedule(plan, &work, input, &floors);
    for _ in 0..16 {
        let next: Vec<Vec<u64>> = (0..plan.cores.len())
            .map(|l| match run.takes.get(l + 1) {
                Some(takes) => (0..takes.len())
                    .map(|k| k.checked_sub(room).map_or(0, |i| takes[i] + 1))
                    .collect(),
                None => Vec::new(),
            })
            .collect();
        if next == floors {
            break;
        }
        floors = next;
        run = schedule(plan, &work, input, &floors);
    }
    run.estimate
}

/// One schedule of a sample: the estimate, and when each core took each
/// of its beats (spikes and EOS beats, in order).
struct Schedule {
    estimate: CycleEstimate,
    takes: Vec<Vec<u64>>,
}

/// Places for the spike masks of a one-spike core's sweep: the emitter's
/// pending mask and three skids (`core.rs`), so that [`RESULT_LATENCY`]
/// sweeps can be in flight.
const MASK_PLACES: usize = 4;

/// A word that fires in a step: its index, and its `(lane, spikes)` sorted
/// by lane.
type FiringWord = (usize, Vec<(usize, u64)>);

/// What a core does in a sample, whatever the schedule: the cycles each
/// source's spike costs (presynaptic neurons, then a recurrent layer's
/// own), per step the words the sweep finds firing, in order, with their
/// `(lane, spikes)` sorted by lane, and per step the sources a recurrent
/// core replays before it takes its input (its spikes of the step before).
struct CoreWork {
    cost: Vec<u64>,
    words: Vec<Vec<FiringWord>>,
    replays: Vec<Vec<usize>>,
}

impl CoreWork {
    fn of(core: &CorePlan, act: &LayerActivity, steps: usize) -> Self {
        let walk = Walk::of(core);
        let cost = (0..core.sources())
            .map(|j| {
                if core.has_maps() {
                    walk.entry(j).length(core) as u64
                } else {
                    core.chunks as u64
                }
            })
            .collect();
        let mut replays = vec![Vec::new(); steps];
        if core.recurrent.is_some() {
            for s in act.fired.iter().filter(|s| (s.step as usize) + 1 < steps) {
                replays[s.step as usize + 1].push(core.arrivals + s.neuron as usize);
            }
        }
        CoreWork {
            cost,
            words: firing_words(core, &act.fired, steps),
            replays,
        }
    }
}

/// Per step, the words holding the neurons of `fired` (sorted by step,
/// then neuron, a neuron listed once per spike), in word order, each with
/// its `(lane, spikes)` sorted by lane.
fn firing_words(core: &CorePlan, fired: &[Spike], steps: usize) -> Vec<Vec<FiringWord>> {
    let mut by_step: Vec<std::collections::BTreeMap<usize, Vec<(usize, u64)>>> =
        vec![Default::default(); steps];
    for (s, count) in counts(fired) {
        let n = s.neuron as usize;
        let word = by_step[s.step as usize].entry(core.word_of(n)).or_default();
        word.push((core.lane_of(n), count));
    }
    by_step
        .into_iter()
        .map(|words| {
            words
                .into_iter()
                .map(|(word, mut lanes)| {
                    lanes.sort_unstable();
                    (word, lanes)
                })
                .collect()
        })
        .collect()
}

/// The schedule with core `l`'s `k`-th beat out held until `floors[l][k]`,
/// the host's `input` spikes all there at once.
fn schedule(
    plan: &HardwarePlan,
    work: &[CoreWork],
    input: &[Spike],
    floors: &[Vec<u64>],
) -> Schedule {
    let steps = plan.time_steps as usize;
    let clear = plan
        .cores
        .iter()
        .map(|c| c.chunks as u64)
        .max()
        .unwrap_or(0);
    let mut busiest = 0u64;
    let mut serial = 0u64;
    let mut lane_operations = 0u64;
    let mut takes = Vec::with_capacity(plan.cores.len());
    // Per step, the spikes reaching the core: (cycle, neuron), in order;
    // the host's input may all arrive at once.
    let mut arrivals: Vec<Vec<(u64, u32)>> = vec![Vec::new(); steps];
    for s in input {
        arrivals[s.step as usize].push((0, s.neuron));
    }
    // finish(l-1, t): when the previous core's step t ended (its EOS beat).
    let mut upstream = vec![0u64; steps];
    for ((core, does), floor) in plan.cores.iter().zip(work).zip(floors) {
        let mut out = Emitter { floor, next: 0 };
        let mut taken = Vec::new();
        let mut time = core.chunks as u64; // the clear
        let mut work = 0;
        for t in 0..steps {
            let mut accumulate = 0;
            // The replayed spikes go first, and take no beat of the FIFO.
            for &j in &does.replays[t] {
                let cost = does.cost[j];
                time += cost;
                accumulate += cost;
                lane_operations += cost * core.lanes as u64;
            }
            for &(at, j) in &arrivals[t] {
                let cost = does.cost[j as usize];
                let take = time.max(at);
                taken.push(take);
                time = take + cost.max(1);
                accumulate += cost.max(1);
                lane_operations += cost * core.lanes as u64;
            }
            let begin = time.max(upstream[t]);
            taken.push(begin);
            let (end, busy, emitted) = sweep(core, t + 1 == steps, &does.words[t], begin, &mut out);
            // The EOS beat, which needs room downstream too.
            time = out.at(end);
            upstream[t] = time;
            arrivals[t] = emitted;
            work += accumulate + busy;
        }
        busiest = busiest.max(work);
        serial += work;
        takes.push(taken);
    }
    let chained = upstream.last().copied().unwrap_or(0);
    Schedule {
        estimate: CycleEstimate {
            lower_bound: (clear + busiest).max(chained),
            serial: clear + serial,
            lane_operations,
        },
        takes,
    }
}

/// A core's output beats in order, each held until its floor.
struct Emitter<'a> {
    floor: &'a [u64],
    next: usize,
}

impl Emitter<'_> {
    /// The cycle the next beat leaves, if it is ready at `ready`.
    fn at(&mut self, ready: u64) -> u64 {
        let held = self.floor.get(self.next).copied().unwrap_or(0);
        self.next += 1;
        ready.max(held)
    }
}

/// The sweep of one step that begins in cycle `begin`, given the words
/// that fire in it ([`firing_words`]): the cycle it ends, its own cycles
/// (without waits for room downstream) and the spikes it emits with their
/// cycles, in the core's order, each beat held by `out` (section 5 of
/// docs/hardware.md). A chunk's result (its spike mask) is back
/// [`RESULT_LATENCY`] cycles after its issue, and its spikes leave one a
/// cycle from the cycle after. A one-spike core issues a chunk a cycle
/// while every result in flight has a place to go ([`overlapped_sweep`]);
/// a multi-spike core and a readout core's last step wait for each result
/// ([`serial_sweep`]).
fn sweep(
    core: &CorePlan,
    last_step: bool,
    words: &[FiringWord],
    begin: u64,
    out: &mut Emitter,
) -> (u64, u64, Vec<(u64, u32)>) {
    let chunks = core.chunks as u64;
    if core.readout {
        // Never fires; in the last step every neuron's membrane, a beat
        // each, goes after its chunk's result (nothing downstream).
        if !last_step {
            return (begin + chunks, chunks, Vec::new());
        }
        let cycles = chunks * RESULT_LATENCY + core.neurons as u64;
        return (begin + cycles, cycles, Vec::new());
    }
    if core.max_spikes > 1 {
        return serial_sweep(core, words, begin, out);
    }
    let (end, emitted) = overlapped_sweep(core, words, begin, out);
    // The same sweep with a consumer that is always ready: its own cycles.
    let mut free = Emitter {
        floor: &[],
        next: 0,
    };
    let (own_end, _) = overlapped_sweep(core, words, begin, &mut free);
    (end, own_end - begin, emitted)
}

/// A multi-spike core's sweep: each chunk's result is awaited; a chunk
/// whose round fires `k` spikes takes `RESULT_LATENCY + k` cycles (issue,
/// result, then one spike a cycle, the next issue in the cycle of the
/// last), and repeats a round while one of its neurons has spikes left.
fn serial_sweep(
    core: &CorePlan,
    words: &[FiringWord],
    begin: u64,
    out: &mut Emitter,
) -> (u64, u64, Vec<(u64, u32)>) {
    let mut emitted = Vec::new();
    let (mut cycle, mut next) = (begin, 0);
    // The sweep's own cycles, without waits for room downstream.
    let mut busy = core.chunks as u64 * RESULT_LATENCY;
    for &(word, ref lanes) in words {
        cycle += (word - next) as u64 * RESULT_LATENCY; // the silent chunks before it
        next = word + 1;
        let rounds = lanes.iter().map(|&(_, c)| c).max().unwrap_or(1);
        busy += (rounds - 1) * RESULT_LATENCY;
        for round in 0..rounds {
            let firing: Vec<usize> = lanes
                .iter()
                .filter(|&&(_, c)| c > round)
                .map(|&(k, _)| k)
                .collect();
            let mut ready = cycle + RESULT_LATENCY + 1;
            for &k in &firing {
                let at = out.at(ready);
                emitted.push((at, core.neuron_of(word, k) as u32));
                ready = at + 1;
            }
            cycle = ready - 1;
            busy += firing.len() as u64;
        }
    }
    let end = cycle + (core.chunks - next) as u64 * RESULT_LATENCY;
    (end, busy, emitted)
}

/// A one-spike core's sweep, cycle by cycle as its control runs it: a
/// chunk is issued while the results in flight and the masks held (the
/// emitter's and three skids) stay at most [`MASK_PLACES`]; a result with
/// spikes goes to the emitter when it is free, else to a skid. The end is the
/// cycle before the one in which the control, every result in and every
/// mask sent, ends the step (the formula keeps that cycle of slack), and
/// never before the last spike.
fn overlapped_sweep(
    core: &CorePlan,
    words: &[FiringWord],
    begin: u64,
    out: &mut Emitter,
) -> (u64, Vec<(u64, u32)>) {
    let mut firing: Vec<Option<&[(usize, u64)]>> = vec![None; core.chunks];
    for (word, lanes) in words {
        firing[*word] = Some(lanes);
    }
    let mut emitted = Vec::new();
    let mut flight: std::collections::VecDeque<(u64, usize)> = std::collections::VecDeque::new();
    let mut skids: std::collections::VecDeque<usize> = std::collections::VecDeque::new();
    // The cycle the emitter's mask sends its last spike (free from then).
    let mut free_at = 0u64;
    let mut last_spike = 0u64;
    let mut issued = 0;
    let mut send = |word: usize, from: u64, emitted: &mut Vec<(u64, u32)>| -> u64 {
        let mut ready = from;
        for &(k, _) in firing[word].expect("a firing word") {
            let at = out.at(ready);
            emitted.push((at, core.neuron_of(word, k) as u32));
            ready = at + 1;
        }
        ready - 1
    };
    let mut cycle = begin;
    loop {
        let arriving = match flight.front() {
            Some(&(at, word)) if at == cycle => {
                flight.pop_front();
                Some(word)
            }
            _ => None,
        };
        let spiking = arriving.filter(|&w| firing[w].is_some());
        let room = free_at <= cycle;
        let held_before = skids.len() + usize::from(!room);
        if room {
            if let Some(word) = skids.pop_front() {
                free_at = send(word, cycle + 1, &mut emitted);
                skids.extend(spiking);
            } else if let Some(word) = spiking {
                free_at = send(word, cycle + 1, &mut emitted);
            }
        } else {
            skids.extend(spiking);
        }
        last_spike = last_spike.max(free_at);
        let load = flight.len() + held_before + usize::from(spiking.is_some());
        if load < MASK_PLACES {
            if issued < core.chunks {
                flight.push_back((cycle + RESULT_LATENCY, issued));
                issued += 1;
            } else if load == 0 {
                return ((cycle - 1).max(last_spike).max(begin), emitted);
            }
        }
        cycle += 1;
    }
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
    let mut arriving = input.to_vec();
    layers
        .iter()
        .map(|spikes| LayerActivity {
            spikes_in: per_step(&arriving),
            arriving: std::mem::replace(&mut arriving, spikes.clone()),
            spikes_out: per_step(spikes),
            fired: spikes.clone(),
        })
        .collect()
}

/// The `(step, neuron)` pairs of `spikes` (sorted, a neuron listed once
/// per spike) with how many times each is listed.
fn counts(spikes: &[Spike]) -> Vec<(Spike, u64)> {
    spikes
        .chunk_by(|a, b| a == b)
        .map(|run| (run[0], run.len() as u64))
        .collect()
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
            // A recurrent core replays a step's spikes, a dense walk each.
            let replay = c.spike_list_depth() * c.chunks;
            4 * u64::from(c.max_spikes) * (c.chunks + c.neurons) as u64
                + 16
                + walk as u64
                + replay as u64
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
    use super::{counts, firing_words, sweep};
    use crate::plan::{plan, BuildOptions};
    use spikegate_model::Spike;

    #[test]
    fn a_chunk_repeats_until_its_busiest_neuron_has_fired_every_spike() {
        let s = |step, neuron, n: usize| std::iter::repeat_n(Spike::new(step, neuron), n);
        let spikes: Vec<Spike> = s(0, 0, 3).chain(s(0, 1, 2)).chain(s(0, 5, 1)).collect();
        let fired = counts(&spikes);
        assert_eq!(fired.len(), 3, "three neurons fire");
        assert_eq!(fired[0].1, 3);
        // A network of 6 neurons at 4 lanes: neurons 0 and 1 share chunk
        // 0, neuron 5 is in chunk 1.
        let mut text = String::from(
            r#"{"format": "spikegate-model/1", "name": "t", "time_steps": 1, "inputs": 1,
            "layers": [{"size": 6, "neuron": {"kind": "if"}, "max_spikes": 3,
            "widths": {"weight": 4, "membrane": 8, "threshold": 8},
            "threshold": 1, "reset": "subtract", "weights": [[1, 1, 1, 1, 1, 1]]}],
            "output": {"decode": "spike_count"}}"#,
        );
        text.retain(|c| c != '\n');
        let network = spikegate_model::parse_network(&text).expect("valid");
        let options = BuildOptions {
            pe: 4,
            ..BuildOptions::default()
        };
        let core = &plan(&network, options).unwrap().cores[0];
        let mut out = super::Emitter {
            floor: &[],
            next: 0,
        };
        let words = firing_words(core, &spikes, 1);
        assert_eq!(words[0], [(0, vec![(0, 3), (1, 2)]), (1, vec![(1, 1)])]);
        let (end, busy, emitted) = sweep(core, true, &words[0], 100, &mut out);
        assert_eq!(busy, end - 100, "no waits without floors");
        // Chunk 0: rounds of 2, 2 and 1 spikes (6 + 6 + 5 cycles: issue,
        // the result's four cycles, the spikes); chunk 1: one spike (5).
        assert_eq!(end, 100 + 6 + 6 + 5 + 5);
        let neurons: Vec<u32> = emitted.iter().map(|&(_, n)| n).collect();
        assert_eq!(neurons, [0, 1, 0, 1, 0, 5]);
        assert_eq!(
            emitted[0].0, 105,
            "the first spike leaves five cycles after the issue"
        );
    }
}
