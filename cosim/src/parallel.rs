//! Many samples on several threads: each thread builds its own back end
//! (its own Verilator model instance) and takes the next sample from a
//! shared counter; results come back in sample order.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use spikegate_model::Spike;

use crate::backend::Backend;
use crate::design::DesignInfo;
use crate::driver::Pacing;
use crate::session::{SampleRun, Session, SessionError};
use crate::verilator::LoadError;

/// Runs every sample of `samples` on up to `threads` threads, each with a
/// back end from `make`. `progress` is called after each finished sample
/// with the number finished so far. One result per sample, in order.
pub fn run_samples<B, F>(
    make: F,
    info: &DesignInfo,
    samples: &[Vec<Spike>],
    pacing: &Pacing,
    threads: usize,
    progress: &(dyn Fn(usize) + Sync),
) -> Vec<Result<SampleRun, SessionError>>
where
    B: Backend,
    F: Fn() -> Result<B, LoadError> + Sync,
{
    let next = AtomicUsize::new(0);
    let finished = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<SampleRun, SessionError>>>> =
        Mutex::new(vec![None; samples.len()]);
    let threads = threads.clamp(1, samples.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let store = |i: usize, r| {
                    results.lock().expect("no thread panics holding it")[i] = Some(r);
                    progress(finished.fetch_add(1, Ordering::Relaxed) + 1);
                };
                let fresh = || {
                    make()
                        .map_err(SessionError::Create)
                        .and_then(|b| Session::new(b, info.clone()))
                };
                // A back end that cannot be created fails every sample this
                // thread takes.
                let mut session = fresh();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= samples.len() {
                        return;
                    }
                    let result = match &mut session {
                        Ok(s) => s.run(&samples[i], &mut pacing.for_sample(i)),
                        Err(e) => Err(e.clone()),
                    };
                    let run_failed = result.is_err() && session.is_ok();
                    store(i, result);
                    if run_failed {
                        // The design may be in any state: start afresh, or
                        // leave the remaining samples to the other threads.
                        session = fresh();
                        if session.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    results
        .into_inner()
        .expect("no thread panicked")
        .into_iter()
        .map(|r| r.unwrap_or(Err(SessionError::NotRun)))
        .collect()
}
