//! One spec layer and its arrays as a discretized layer: the weights'
//! shape against the layer before, the kind's decays and thresholds, the
//! reset and the delays, each refused with the layer and field named.

use std::collections::BTreeMap;
use std::path::Path;

use spikegate_model::validate::limits;
use spikegate_model::Reset;

use super::npy::NpyArray;
use super::spec::{Spec, SpecLayer, Value};
use crate::error::{ImportError, Remedy};
use crate::float::{FloatKind, FloatLayer};
use crate::{ImportOptions, ResetRule};

/// Builds every layer of `spec` from `arrays` (the archive `npz`'s),
/// checking each layer's inputs against the layer before. `dt` is the time
/// step in use, for layers that give time constants.
pub(super) fn build_layers(
    spec: &Spec,
    spec_path: &Path,
    npz: &Path,
    arrays: &BTreeMap<String, NpyArray>,
    dt: Option<f64>,
    options: &ImportOptions,
) -> Result<Vec<FloatLayer>, ImportError> {
    let mut layers = Vec::new();
    let mut fan_in = spec.inputs;
    let count = spec.layers.len();
    for (index, l) in spec.layers.iter().enumerate() {
        let name = l.name.clone().unwrap_or_else(|| format!("layer{index}"));
        let reader = LayerReader {
            spec: spec_path,
            npz,
            place: format!("layer {index} ({name})"),
            arrays,
        };
        let layer = reader.layer(l, name, fan_in, dt, index + 1 == count, options)?;
        fan_in = layer.size;
        layers.push(layer);
    }
    Ok(layers)
}

/// One layer's view of the archive, with errors naming the spec, the
/// layer and the field.
struct LayerReader<'a> {
    spec: &'a Path,
    npz: &'a Path,
    /// The layer as messages name it: `layer 0 (hidden)`.
    place: String,
    arrays: &'a BTreeMap<String, NpyArray>,
}

impl LayerReader<'_> {
    /// An error at `field` of this layer.
    fn err(&self, field: &str, message: impl Into<String>) -> ImportError {
        ImportError::at(self.spec, &self.place, Some(field), message)
    }

    /// The archive's array `name` (which `field` names), whose values must
    /// all be finite.
    fn array(&self, field: &str, name: &str) -> Result<&NpyArray, ImportError> {
        let a = self.arrays.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.arrays.keys().map(String::as_str).collect();
            self.err(
                field,
                format!(
                    "no array `{name}` in {} (it holds: {})",
                    self.npz.display(),
                    known.join(", ")
                ),
            )
        })?;
        if let Some(k) = a.values.iter().position(|v| !v.is_finite()) {
            return Err(self.err(
                field,
                format!(
                    "array `{name}`: value {k} is {}; parameters must be finite numbers",
                    a.values[k]
                ),
            ));
        }
        Ok(a)
    }

    /// A per-neuron value of `n` neurons.
    fn vector(&self, field: &str, value: &Value, n: usize) -> Result<Vec<f64>, ImportError> {
        match value {
            Value::Number(x) if x.is_finite() => Ok(vec![*x; n]),
            Value::Number(x) => Err(self.err(field, format!("{x} is not a finite number"))),
            Value::Array(name) => {
                let a = self.array(field, name)?;
                match a.values.len() {
                    1 => Ok(vec![a.values[0]; n]),
                    len if len == n => Ok(a.values.clone()),
                    _ => Err(self.err(
                        field,
                        format!("array `{name}` has shape {:?}; expected {n} values (one per neuron) or 1", a.shape),
                    )),
                }
            }
        }
    }

    /// A decay factor per step, from `factor` (per step) or `tau` (seconds).
    fn decay(
        &self,
        factor: (&str, &Option<Value>),
        tau: (&str, &Option<Value>),
        n: usize,
        dt: Option<f64>,
    ) -> Result<Vec<f64>, ImportError> {
        let f = match (factor.1, tau.1) {
            (Some(_), Some(_)) => {
                return Err(self.err(
                    factor.0,
                    format!("give `{}` or `{}`, not both", factor.0, tau.0),
                ))
            }
            (Some(v), None) => self.vector(factor.0, v, n)?,
            (None, Some(v)) => {
                let dt = dt.ok_or_else(|| {
                    self.err(tau.0, "a time constant needs a time step: give `dt` in the spec or as an import option (seconds)")
                        .fixed_by(Remedy::Option("dt"))
                })?;
                let taus = self.vector(tau.0, v, n)?;
                if let Some(k) = taus.iter().position(|&t| t <= 0.0 || dt / t > 1.0) {
                    return Err(self.err(
                        tau.0,
                        format!(
                            "value {k} is {}; it must be positive and at least dt = {dt}",
                            taus[k]
                        ),
                    ));
                }
                taus.iter().map(|t| 1.0 - dt / t).collect()
            }
            (None, None) => {
                return Err(self.err(
                    factor.0,
                    format!(
                        "missing: give `{}` (per step) or `{}` (seconds)",
                        factor.0, tau.0
                    ),
                ))
            }
        };
        if let Some(k) = f.iter().position(|x| !(0.0..=1.0).contains(x)) {
            return Err(self.err(
                factor.0,
                format!("value {k} is {}; a decay factor lies in [0, 1]", f[k]),
            ));
        }
        Ok(f)
    }

    /// The layer `l` named `name`, taking `fan_in` inputs; `last` says
    /// whether it is the network's last layer (the only place for a
    /// readout).
    fn layer(
        &self,
        l: &SpecLayer,
        name: String,
        fan_in: usize,
        dt: Option<f64>,
        last: bool,
        options: &ImportOptions,
    ) -> Result<FloatLayer, ImportError> {
        let (w, n) = self.weights(l, fan_in)?;
        let weights = fan_out_rows(&w.values, n, fan_in, |v| v);
        let bias = match &l.bias {
            Some(b) => self.vector("bias", &Value::Array(b.clone()), n)?,
            None => vec![0.0; n],
        };
        let spiking = self.spiking(l, last)?;
        let kind = self.dynamics(l, n, dt)?;
        let threshold = if spiking {
            self.threshold(l, n)?
        } else {
            vec![0.0; n]
        };
        let reset = self.reset(l, options.reset)?;
        let delays = match &l.delays {
            None => None,
            Some(d) => Some(self.delays(d, w, n, fan_in)?),
        };
        Ok(FloatLayer {
            name,
            sources: vec![self.place.clone()],
            size: n,
            kind,
            weights,
            bias,
            threshold,
            reset,
            timing: options.reset_timing.unwrap_or_default(),
            inclusive: false,
            multi_spike: false,
            floor: None,
            spiking,
            delays,
            pool: None,
            conv: None,
            recurrent: None,
        })
    }

    /// The weights array, `[out, in]` with `in == fan_in`, and its `out`
    /// (the layer's size).
    fn weights(&self, l: &SpecLayer, fan_in: usize) -> Result<(&NpyArray, usize), ImportError> {
        let w = self.array("weights", &l.weights)?;
        let (n, inp) = match w.shape[..] {
            [out, inp] if out > 0 => (out, inp),
            _ => {
                return Err(self.err(
                    "weights",
                    format!(
                        "array `{}` has shape {:?}; expected [out, in]",
                        l.weights, w.shape
                    ),
                ))
            }
        };
        if inp != fan_in {
            return Err(self.err(
                "weights",
                format!("array `{}` has shape {:?}: it takes {inp} inputs, but the layer before gives {fan_in}", l.weights, w.shape),
            ));
        }
        if n > limits::MAX_LAYER_SIZE {
            return Err(self.err(
                "weights",
                format!("{n} neurons is more than spikegate accepts"),
            ));
        }
        Ok((w, n))
    }

    /// Whether the layer's kind spikes, refusing an unknown kind and a
    /// readout kind anywhere but in the `last` layer.
    fn spiking(&self, l: &SpecLayer, last: bool) -> Result<bool, ImportError> {
        let spiking = match l.kind.as_str() {
            "if" | "lif" | "cuba" => true,
            "li" | "i" | "cuba_li" => false,
            other => {
                return Err(self.err(
                    "kind",
                    format!("unknown kind `{other}`; spikegate imports if, lif, cuba (spiking) and li, i, cuba_li (readout)"),
                ))
            }
        };
        if !spiking && !last {
            return Err(self.err(
                "kind",
                format!(
                    "a `{}` layer does not spike, so it can only be the last layer (a readout)",
                    l.kind
                ),
            ));
        }
        Ok(spiking)
    }

    /// The decays of the layer's kind (already checked by
    /// [`Self::spiking`]), per step, from factors or time constants.
    fn dynamics(&self, l: &SpecLayer, n: usize, dt: Option<f64>) -> Result<FloatKind, ImportError> {
        Ok(match l.kind.as_str() {
            "if" | "i" => FloatKind::If,
            "lif" | "li" => FloatKind::Lif {
                decay: self.decay(("beta", &l.beta), ("tau", &l.tau), n, dt)?,
            },
            _ => FloatKind::Cuba {
                current: self.decay(("alpha", &l.alpha), ("tau_syn", &l.tau_syn), n, dt)?,
                membrane: self.decay(("beta", &l.beta), ("tau", &l.tau), n, dt)?,
            },
        })
    }

    /// A spiking layer's thresholds, which must be given and positive.
    fn threshold(&self, l: &SpecLayer, n: usize) -> Result<Vec<f64>, ImportError> {
        let v = l
            .threshold
            .as_ref()
            .ok_or_else(|| self.err("threshold", "missing: a spiking layer needs a threshold"))?;
        let t = self.vector("threshold", v, n)?;
        if let Some(k) = t.iter().position(|&x| x <= 0.0) {
            return Err(self.err(
                "threshold",
                format!("value {k} is {}; thresholds must be positive", t[k]),
            ));
        }
        Ok(t)
    }

    /// The reset: the user's override, else the layer's `reset` (zero by
    /// default).
    fn reset(&self, l: &SpecLayer, rule: ResetRule) -> Result<Reset, ImportError> {
        Ok(match (rule, l.reset.as_deref()) {
            (ResetRule::Zero, _) => Reset::Zero,
            (ResetRule::Subtract, _) => Reset::Subtract,
            (ResetRule::Nir, None | Some("zero")) => Reset::Zero,
            (ResetRule::Nir, Some("subtract")) => Reset::Subtract,
            (ResetRule::Nir, Some("none")) => Reset::None,
            (ResetRule::Nir, Some(other)) => {
                return Err(self.err(
                    "reset",
                    format!("unknown reset `{other}`; use \"zero\", \"subtract\" or \"none\""),
                ))
            }
        })
    }

    /// The delays array `name`, shaped as the weights `w` (`n` outputs,
    /// `inp` inputs), as whole steps per synapse in fan-out rows.
    fn delays(
        &self,
        name: &str,
        w: &NpyArray,
        n: usize,
        inp: usize,
    ) -> Result<Vec<Vec<u32>>, ImportError> {
        let a = self.array("delays", name)?;
        if a.shape != w.shape {
            return Err(self.err(
                "delays",
                format!(
                    "array `{name}` has shape {:?}; expected the weights' shape {:?}",
                    a.shape, w.shape
                ),
            ));
        }
        if let Some(k) = a
            .values
            .iter()
            .position(|&x| x < 0.0 || x.fract() != 0.0 || x > f64::from(limits::MAX_DELAY))
        {
            return Err(self.err(
                "delays",
                format!(
                    "array `{name}`: value {k} is {}; delays are whole steps in 0..={}",
                    a.values[k],
                    limits::MAX_DELAY
                ),
            ));
        }
        Ok(fan_out_rows(&a.values, n, inp, |v| v as u32))
    }
}

/// `[out, in]` row-major values as fan-out rows `[in][out]`.
fn fan_out_rows<T>(values: &[f64], out: usize, inp: usize, f: impl Fn(f64) -> T) -> Vec<Vec<T>> {
    (0..inp)
        .map(|j| (0..out).map(|i| f(values[i * inp + j])).collect())
        .collect()
}
