//! A built library loaded with `libloading`, and its model instances as a
//! [`Backend`]. Each instance has its own `VerilatedContext`, so instances
//! on different threads run independently.

use std::ffi::{c_void, CString};
use std::os::raw::c_char;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use libloading::Library;

use super::shim::SHIM_ABI;
use crate::backend::{Backend, BackendError};
use crate::ports::{Inputs, Outputs, TapBeat};

/// The shim's `SgInputs`, which `shim.rs` generates from the port table:
/// the same fields in the same order and sizes (a test below checks the
/// layout against [`super::shim::c_fields`]).
#[repr(C)]
#[derive(Default)]
struct SgInputs {
    reset: u8,
    start: u8,
    in_valid: u8,
    in_eos: u8,
    out_ready: u8,
    in_neuron: u16,
}

/// The shim's `SgOutputs`, likewise.
#[repr(C)]
#[derive(Default)]
struct SgOutputs {
    in_ready: u8,
    out_valid: u8,
    out_eos: u8,
    busy: u8,
    done: u8,
    out_neuron: u16,
    out_value: u32,
}

type NewFn = unsafe extern "C" fn(*const c_char) -> *mut c_void;
type FreeFn = unsafe extern "C" fn(*mut c_void);
type TwoEvalsFn = unsafe extern "C" fn(*mut c_void);
type CycleFn = unsafe extern "C" fn(*mut c_void, *const SgInputs, *mut SgOutputs, *mut u32, u8);
type AbiFn = unsafe extern "C" fn() -> u32;
type DumpFn = unsafe extern "C" fn();
type RunQuietFn =
    unsafe extern "C" fn(*mut c_void, *const SgInputs, u32, *mut SgOutputs, *mut u32) -> u32;

/// A loaded Verilated design.
pub struct VerilatorLibrary {
    library: Arc<Library>,
    new: NewFn,
    free: FreeFn,
    two_evals: TwoEvalsFn,
    cycle: CycleFn,
    run_quiet: RunQuietFn,
    dump_profile: Option<DumpFn>,
    single_eval: bool,
    taps: usize,
    path: PathBuf,
}

/// A library that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct LoadError {
    /// The library.
    pub path: PathBuf,
    /// What is wrong.
    pub message: String,
}

impl VerilatorLibrary {
    /// Loads the library at `path`, built for a design with `taps` tapped
    /// layers.
    pub fn load(path: &Path, taps: usize) -> Result<Self, LoadError> {
        let err = |message: String| LoadError {
            path: path.to_path_buf(),
            message,
        };
        // SAFETY: the library is one spikegate built from its own shim; its
        // initialisers are Verilator's, which have no preconditions.
        let library = unsafe { Library::new(path) }.map_err(|e| err(e.to_string()))?;
        // SAFETY: the symbol types are those of the shim (`shim.rs`), whose
        // ABI version is checked before anything else is called.
        unsafe {
            let abi: AbiFn = *library
                .get::<AbiFn>(b"sg_abi\0")
                .map_err(|e| err(e.to_string()))?;
            if abi() != SHIM_ABI {
                return Err(err(format!("shim ABI {} is not {SHIM_ABI}", abi())));
            }
            let new = *library
                .get::<NewFn>(b"sg_new\0")
                .map_err(|e| err(e.to_string()))?;
            let free = *library
                .get::<FreeFn>(b"sg_free\0")
                .map_err(|e| err(e.to_string()))?;
            let two_evals = *library
                .get::<TwoEvalsFn>(b"sg_two_evals\0")
                .map_err(|e| err(e.to_string()))?;
            let cycle = *library
                .get::<CycleFn>(b"sg_cycle\0")
                .map_err(|e| err(e.to_string()))?;
            let run_quiet = *library
                .get::<RunQuietFn>(b"sg_run_quiet\0")
                .map_err(|e| err(e.to_string()))?;
            let single_eval = library
                .get::<AbiFn>(b"sg_single_eval\0")
                .is_ok_and(|f| f() == 1);
            let dump_profile = library.get::<DumpFn>(b"sg_profile_dump\0").ok().map(|f| *f);
            Ok(VerilatorLibrary {
                library: Arc::new(library),
                new,
                free,
                two_evals,
                cycle,
                run_quiet,
                dump_profile,
                single_eval,
                taps,
                path: path.to_path_buf(),
            })
        }
    }

    /// The library's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether a cycle takes one `eval` on this Verilator (a harness
    /// build whose edge detector the shim knows, `shim.rs`).
    pub fn single_eval(&self) -> bool {
        self.single_eval
    }

    /// Writes the profile counters of a profile-generating build
    /// ([`super::pgo`]).
    pub fn dump_profile(&self) -> Result<(), String> {
        let dump = self.dump_profile.ok_or_else(|| {
            format!(
                "{}: not a profile-generating build (no sg_profile_dump)",
                self.path.display()
            )
        })?;
        // SAFETY: `sg_profile_dump` takes nothing and only writes gcc's
        // profile files.
        unsafe { dump() };
        Ok(())
    }

    /// A new model instance in its power-on state. With `vcd`, the
    /// instance writes a waveform of every signal to that file in the
    /// cycles of `window` (counted from the instance's first cycle); the
    /// library must have been built with waveform support.
    pub fn instantiate(
        &self,
        vcd: Option<(&Path, std::ops::Range<u64>)>,
    ) -> Result<Verilator, LoadError> {
        let path = vcd
            .as_ref()
            .map(|(p, _)| {
                CString::new(p.to_string_lossy().as_bytes()).map_err(|_| LoadError {
                    path: p.to_path_buf(),
                    message: "a waveform path cannot hold a NUL byte".into(),
                })
            })
            .transpose()?;
        // SAFETY: `sg_new` takes a NUL-terminated path or NULL and returns
        // an owned model, freed by `sg_free` in `Drop`.
        let handle = unsafe { (self.new)(path.as_ref().map_or(std::ptr::null(), |p| p.as_ptr())) };
        if handle.is_null() {
            return Err(LoadError {
                path: self.path.clone(),
                message: "the model could not be created".into(),
            });
        }
        Ok(Verilator {
            _library: Arc::clone(&self.library),
            free: self.free,
            two_evals_fn: self.two_evals,
            cycle_fn: self.cycle,
            run_quiet_fn: self.run_quiet,
            handle,
            taps: vec![0; self.taps],
            inputs: SgInputs::default(),
            outputs: SgOutputs::default(),
            window: vcd.map_or(0..0, |(_, w)| w),
            cycle: 0,
        })
    }
}

/// One instance of a Verilated design: the `verilator` back end.
pub struct Verilator {
    _library: Arc<Library>,
    free: FreeFn,
    two_evals_fn: TwoEvalsFn,
    cycle_fn: CycleFn,
    run_quiet_fn: RunQuietFn,
    handle: *mut c_void,
    taps: Vec<u32>,
    inputs: SgInputs,
    outputs: SgOutputs,
    window: std::ops::Range<u64>,
    cycle: u64,
}

// SAFETY: an instance owns its model and its own VerilatedContext; nothing
// in it is shared with another instance, so it may move between threads.
unsafe impl Send for Verilator {}

impl Drop for Verilator {
    fn drop(&mut self) {
        // SAFETY: `handle` came from `sg_new` and is freed once.
        unsafe { (self.free)(self.handle) }
    }
}

impl Verilator {
    /// Makes every cycle of this instance evaluate with the clock low
    /// before its edge, as it does on a Verilator whose edge detector the
    /// shim does not know ([`VerilatorLibrary::single_eval`] false), so
    /// that the tests cover that path on any Verilator.
    pub fn take_two_evals(&mut self) {
        // SAFETY: `handle` is live; the call only clears a flag of it.
        unsafe { (self.two_evals_fn)(self.handle) }
    }

    fn drive(&mut self, inputs: &Inputs) {
        self.inputs = SgInputs {
            reset: inputs.reset.into(),
            start: inputs.start.into(),
            in_valid: inputs.in_valid.into(),
            in_eos: inputs.in_eos.into(),
            out_ready: inputs.out_ready.into(),
            in_neuron: inputs.in_neuron,
        };
    }

    fn read(&self, outputs: &mut Outputs) {
        let o = &self.outputs;
        outputs.in_ready = o.in_ready != 0;
        outputs.out_valid = o.out_valid != 0;
        outputs.out_eos = o.out_eos != 0;
        outputs.out_neuron = o.out_neuron;
        outputs.out_value = o.out_value;
        outputs.busy = o.busy != 0;
        outputs.done = o.done != 0;
        outputs.taps.resize(self.taps.len(), TapBeat::default());
        for (beat, &word) in outputs.taps.iter_mut().zip(&self.taps) {
            *beat = TapBeat::unpack(word);
        }
    }
}

impl Backend for Verilator {
    fn name(&self) -> &'static str {
        "verilator"
    }

    fn cycle(&mut self, inputs: &Inputs, outputs: &mut Outputs) -> Result<(), BackendError> {
        self.drive(inputs);
        let dump = u8::from(self.window.contains(&self.cycle));
        // SAFETY: `handle` is live; the structs match the shim's layout and
        // `taps` holds one word per tapped layer, as the shim writes.
        unsafe {
            (self.cycle_fn)(
                self.handle,
                &self.inputs,
                &mut self.outputs,
                self.taps.as_mut_ptr(),
                dump,
            )
        };
        self.read(outputs);
        self.cycle += 1;
        Ok(())
    }

    fn run_quiet(
        &mut self,
        inputs: &Inputs,
        outputs: &mut Outputs,
        max: u64,
    ) -> Result<u64, BackendError> {
        if !self.window.is_empty() {
            // A waveform instance writes every cycle it runs.
            self.cycle(inputs, outputs)?;
            return Ok(1);
        }
        self.drive(inputs);
        let max = u32::try_from(max.max(1)).unwrap_or(u32::MAX);
        // SAFETY: as in `cycle`.
        let ran = unsafe {
            (self.run_quiet_fn)(
                self.handle,
                &self.inputs,
                max,
                &mut self.outputs,
                self.taps.as_mut_ptr(),
            )
        };
        self.read(outputs);
        self.cycle += u64::from(ran);
        Ok(u64::from(ran))
    }
}

#[cfg(test)]
mod tests {
    use std::mem::{offset_of, size_of};

    use spikegate_hdl::interface::Direction;

    use super::*;
    use crate::verilator::shim::c_fields;

    /// Name, offset and size of a field of a Rust struct.
    macro_rules! field {
        ($t:ty, $f:ident) => {
            (
                stringify!($f).to_string(),
                offset_of!($t, $f),
                size_of_val(&<$t>::default().$f),
            )
        };
    }

    /// The layout C gives the shim's struct for `direction`: each field at
    /// the next multiple of its size, and the struct's size a multiple of
    /// its widest field.
    fn c_layout(direction: Direction) -> (Vec<(String, usize, usize)>, usize) {
        let mut end = 0usize;
        let mut widest = 1usize;
        let fields = c_fields(direction)
            .into_iter()
            .map(|(port, bytes)| {
                let at = end.next_multiple_of(bytes);
                end = at + bytes;
                widest = widest.max(bytes);
                (port.name(), at, bytes)
            })
            .collect();
        (fields, end.next_multiple_of(widest))
    }

    #[test]
    fn the_structs_are_the_shims() {
        let inputs = vec![
            field!(SgInputs, reset),
            field!(SgInputs, start),
            field!(SgInputs, in_valid),
            field!(SgInputs, in_eos),
            field!(SgInputs, out_ready),
            field!(SgInputs, in_neuron),
        ];
        let (expected, size) = c_layout(Direction::In);
        assert_eq!(inputs, expected);
        assert_eq!(size_of::<SgInputs>(), size);
        let outputs = vec![
            field!(SgOutputs, in_ready),
            field!(SgOutputs, out_valid),
            field!(SgOutputs, out_eos),
            field!(SgOutputs, busy),
            field!(SgOutputs, done),
            field!(SgOutputs, out_neuron),
            field!(SgOutputs, out_value),
        ];
        let (expected, size) = c_layout(Direction::Out);
        assert_eq!(outputs, expected);
        assert_eq!(size_of::<SgOutputs>(), size);
    }
}
