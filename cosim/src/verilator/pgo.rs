//! Profile-guided builds: the model compiled once with gcc's profile
//! counters, run on a training workload, and compiled again with the
//! profile. On the benchmark networks that makes the Verilator back end
//! 1.0 to 1.06 times faster (docs/cosim.md, section 5; more before the
//! harness halved the logic a cycle runs), for one more compile and a
//! training run (about 14 s in all against 5 s); the result is cached like
//! any other build.
//!
//! The training workload is the run's own first samples where it has any
//! (`cosim --pgo`), else a seeded synthetic one. Only speed depends on it:
//! the profile moves code, never changes what it computes, so a cached
//! library trained on one workload serves every other.

use std::borrow::Cow;
use std::path::Path;

use spikegate_model::Spike;
use spikegate_sim::random::{random_input, random_latency_input};
use spikegate_sim::rng::SplitMix64;

use super::model::VerilatorLibrary;
use crate::design::DesignInfo;
use crate::driver::Pacing;
use crate::session::Session;

/// Which half of a profile-guided build a compile is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// An ordinary build.
    None,
    /// With profile counters, for the training run.
    Generate,
    /// With the training run's profile.
    Use,
}

impl Profile {
    /// Flags added to the C++ compiler's.
    pub fn cflags(self) -> &'static str {
        match self {
            Profile::None => "",
            Profile::Generate => " -fprofile-generate -DSG_PROFILE_GENERATE",
            // Code the training never ran keeps its ordinary optimisation
            // instead of being compiled for size.
            Profile::Use => " -fprofile-use -fprofile-partial-training -Wno-missing-profile",
        }
    }

    /// Flags added to the linker's.
    pub fn ldflags(self) -> &'static str {
        match self {
            Profile::Generate => " -fprofile-generate",
            _ => "",
        }
    }
}

/// Simulated cycles the training runs for (at least one whole sample).
const TRAINING_CYCLES: u64 = 3_000_000;
/// Most synthetic training samples (for designs with very short samples).
const SYNTHETIC_SAMPLES: usize = 400;

/// What a profile-guided build trains on.
#[derive(Debug, Clone)]
pub struct Training {
    /// The design's shape.
    pub info: DesignInfo,
    /// The workload: the run's own samples, of which the first are run
    /// until about 3 million cycles. Empty: a synthetic workload (seeded
    /// inputs at several rates, latency- and rate-coded, some with gaps
    /// and back-pressure).
    pub samples: Vec<Vec<Spike>>,
}

impl Training {
    /// The training samples, drawn as the training needs them: the given
    /// ones (borrowed), or the synthetic workload.
    fn workload(&self) -> Box<dyn Iterator<Item = (Cow<'_, [Spike]>, Pacing)> + '_> {
        if !self.samples.is_empty() {
            return Box::new(
                self.samples
                    .iter()
                    .map(|s| (Cow::Borrowed(s.as_slice()), Pacing::default())),
            );
        }
        let (inputs, steps) = (self.info.inputs, self.info.time_steps);
        let mut rng = SplitMix64::new(0x5eed_0f00 ^ inputs as u64);
        Box::new((0..SYNTHETIC_SAMPLES).map(move |n| {
            let input = match n % 4 {
                0 => random_latency_input(&mut rng, inputs, steps, 0.1),
                1 => random_latency_input(&mut rng, inputs, steps, 0.3),
                2 => random_input(&mut rng, inputs, steps, 0.05),
                _ => random_input(&mut rng, inputs, steps, 0.02),
            };
            // One sample in four with gaps and back-pressure, so the
            // waiting branches are trained too.
            let pacing = if n % 4 == 3 {
                Pacing {
                    gaps: 0.3,
                    stalls: 0.3,
                    seed: n as u64,
                }
            } else {
                Pacing::default()
            };
            (Cow::Owned(input), pacing)
        }))
    }
}

/// Runs the training workload on the profile-generating library at
/// `library` and writes its profile next to its objects.
pub fn train(library: &Path, training: &Training) -> Result<(), String> {
    let info = &training.info;
    let lib = VerilatorLibrary::load(library, info.tap_count()).map_err(|e| e.to_string())?;
    {
        let model = lib.instantiate(None).map_err(|e| e.to_string())?;
        let mut session = Session::new(model, info.clone()).map_err(|e| e.to_string())?;
        let mut cycles = 0u64;
        for (n, (input, pacing)) in training.workload().enumerate() {
            let run = session
                .run(&input, &mut pacing.for_sample(n))
                .map_err(|e| format!("training sample {n}: {e}"))?;
            cycles += run.cycles.max(1);
            if cycles >= TRAINING_CYCLES {
                break;
            }
        }
    }
    lib.dump_profile()
}
