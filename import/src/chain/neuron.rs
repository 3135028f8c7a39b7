//! A neuron node and the synapses before it, as one discretized layer.
//! Each NIR neuron type is read by its own function into [`Dynamics`]:
//! what a unit of input current does to the per-step state, the decays
//! and the thresholds; the synapses are then scaled by that gain.

use spikegate_model::Reset;

use super::is_readout;
use super::params::NodeParams;
use super::synapses::Segment;
use crate::error::{ImportError, Remedy};
use crate::float::{FloatConv, FloatKind, FloatLayer};
use crate::{Framework, ImportOptions, ResetRule};

/// A neuron node's per-step dynamics, before the synapses are folded in.
struct Dynamics {
    /// Per neuron: the per-step state input per unit of input current.
    gain: Vec<f64>,
    /// Per neuron: a constant per-step input (from `v_leak`).
    drive: Vec<f64>,
    /// The decays.
    kind: FloatKind,
    /// Per neuron: the firing threshold (0 for a readout).
    threshold: Vec<f64>,
}

/// Builds the layer of the neuron node `p` with `n` neurons, from the
/// synapses `seg` gathered before it and, for a recurrent loop, the
/// synapses `feedback` from its own spikes (their bias, which acts every
/// step, joins the layer's). Notes for the report (rounded delays) go to
/// `warnings`.
pub(super) fn neuron_layer(
    p: &NodeParams,
    n: usize,
    seg: Segment,
    feedback: Option<Segment>,
    options: &ImportOptions,
    warnings: &mut Vec<String>,
) -> Result<FloatLayer, ImportError> {
    let node = p.node;
    let kind = node.kind.as_str();
    let dynamics = dynamics_of(p, n, kind, options).map_err(|e| with_norse_hint(e, options))?;
    check_reset_to_zero(p)?;
    let spiking = !is_readout(kind);
    let reset = reset_of(options.reset);
    if spiking {
        check_thresholds_positive(p, &dynamics.threshold)?;
    }
    let conv = seg.conv_layer(p, &dynamics.gain, &dynamics.drive)?;
    let (weights, bias, conv) = match conv {
        Some((conv, bias)) => {
            check_one_threshold_a_channel(p, &conv, &dynamics.threshold)?;
            (Vec::new(), bias, Some(conv))
        }
        None => {
            let (weights, bias) = seg.weights_and_bias(n, &dynamics.gain, &dynamics.drive);
            (weights, bias, None)
        }
    };
    let delays = seg.delay_steps(p, weights.len(), n, options.dt, warnings)?;
    let mut sources = seg.sources;
    let (recurrent, bias) = match feedback {
        None => (None, bias),
        Some(fb) => {
            if !spiking || conv.is_some() {
                return Err(p.err(
                    None,
                    "only a spiking layer with a dense input (Affine or Linear) can feed its spikes back; this one is a readout or a convolution",
                ));
            }
            let (rows, fb_bias) = fb.weights_and_bias(n, &dynamics.gain, &vec![0.0; n]);
            sources.extend(fb.sources);
            let bias = bias.iter().zip(&fb_bias).map(|(a, b)| a + b).collect();
            (Some(rows), bias)
        }
    };
    Ok(FloatLayer {
        name: node.name.clone(),
        sources,
        size: n,
        kind: dynamics.kind,
        weights,
        bias,
        threshold: dynamics.threshold,
        reset,
        timing: options
            .reset_timing
            .unwrap_or_else(|| options.framework.timing(kind, reset, recurrent.is_some())),
        inclusive: options.framework.inclusive_threshold(),
        multi_spike: options.framework.multi_spike(kind),
        floor: options.framework.membrane_floor(kind),
        spiking,
        delays,
        pool: seg.pool,
        conv,
        recurrent,
    })
}

/// Refuses thresholds that differ within an output channel of a conv
/// layer: its neurons share their kernels, so they share one scale.
fn check_one_threshold_a_channel(
    p: &NodeParams,
    conv: &FloatConv,
    threshold: &[f64],
) -> Result<(), ImportError> {
    for (ch, t) in threshold.chunks(conv.plane()).enumerate() {
        if t.iter().any(|&x| x != t[0]) {
            return Err(p.err(
                Some("v_threshold"),
                format!("the thresholds of output channel {ch} differ; the neurons of a channel share their kernels, so spikegate needs one threshold a channel"),
            ));
        }
    }
    Ok(())
}

/// The per-step dynamics of neuron node `p` of NIR type `kind`, read by
/// the function of its type (and of the framework, where it departs).
fn dynamics_of(
    p: &NodeParams,
    n: usize,
    kind: &str,
    options: &ImportOptions,
) -> Result<Dynamics, ImportError> {
    Ok(match kind {
        "CubaLIF" if options.framework == Framework::Rockpool => rockpool_lif(p, n, options.dt)?,
        "LIF" | "LI" | "CubaLI" if options.framework == Framework::Rockpool => {
            return Err(p.err(
                None,
                "the rockpool preset is checked on LIFTorch (exported as CubaLIF) only; import \
                 this node with the `nir` framework and check the report",
            ))
        }
        "LIF" | "LI" => leaky(p, n, options.dt)?,
        "IF" | "I" => integrating(p, n)?,
        "CubaLIF" | "CubaLI" => current_based(p, n, options)?,
        "Threshold" => threshold_only(p, n)?,
        other => unreachable!("not a neuron kind: {other}"),
    })
}

/// A time constant below `dt` from a Norse file is Norse's export quirk
/// (`tau = dt / tau_inv`, the real constant only when exported with
/// `dt = 1`): say so on the error.
fn with_norse_hint(mut e: ImportError, options: &ImportOptions) -> ImportError {
    // A time constant that a (shorter) dt would fix: `decay_of`'s error,
    // named by its remedy and field rather than by its wording.
    let tau_too_short = e.remedy == Some(Remedy::Option("dt"))
        && e.field.as_deref().is_some_and(|f| f.starts_with("tau"));
    if options.framework == Framework::Norse && tau_too_short {
        e.message.push_str(
            "; Norse's to_nir writes tau = dt / tau_inv, the real time constant only when \
             it is called with dt = 1: export with norse.torch.to_nir(model, sample, dt=1)",
        );
    }
    e
}

/// `LIF` and `LI`: `tau * dv/dt = (v_leak - v) + r * I`, by forward Euler.
fn leaky(p: &NodeParams, n: usize, dt: Option<f64>) -> Result<Dynamics, ImportError> {
    let dt = p.time_step(dt)?;
    let tau = p.vector("tau", n)?;
    let r = p.optional_vector("r", n, 1.0)?;
    let v_leak = p.optional_vector("v_leak", n, 0.0)?;
    let decay = decay_of(p, "tau", &tau, dt)?;
    let a: Vec<f64> = decay.iter().map(|f| 1.0 - f).collect();
    Ok(Dynamics {
        gain: a.iter().zip(&r).map(|(a, r)| a * r).collect(),
        drive: a.iter().zip(&v_leak).map(|(a, l)| a * l).collect(),
        kind: FloatKind::Lif { decay },
        threshold: firing_threshold(p, n)?,
    })
}

/// `IF` and `I`: `dv/dt = r * I`, without time constants.
fn integrating(p: &NodeParams, n: usize) -> Result<Dynamics, ImportError> {
    Ok(Dynamics {
        gain: p.optional_vector("r", n, 1.0)?,
        drive: vec![0.0; n],
        kind: FloatKind::If,
        threshold: firing_threshold(p, n)?,
    })
}

/// `CubaLIF` and `CubaLI`: a synaptic current with its own time constant
/// feeding a leaky membrane. The input enters the current scaled by
/// `dt / tau_syn` (Euler), or in full where the framework adds it so
/// (Norse).
fn current_based(
    p: &NodeParams,
    n: usize,
    options: &ImportOptions,
) -> Result<Dynamics, ImportError> {
    let dt = p.time_step(options.dt)?;
    let euler_input = options.framework.euler_current_input();
    let tau_syn = p.vector("tau_syn", n)?;
    let tau_mem = p.vector("tau_mem", n)?;
    let r = p.optional_vector("r", n, 1.0)?;
    let w_in = p.optional_vector("w_in", n, 1.0)?;
    let v_leak = p.optional_vector("v_leak", n, 0.0)?;
    if let Some(k) = v_leak.iter().position(|&l| l != 0.0) {
        return Err(p.err(
            Some("v_leak"),
            format!("value {k} is {}; a CubaLIF leak voltage other than 0 has no integer form in spikegate's `cuba` kind (it would need a bias on the membrane, which `cuba` adds to the current); retrain with v_leak = 0", v_leak[k]),
        ));
    }
    let current = decay_of(p, "tau_syn", &tau_syn, dt)?;
    let membrane = decay_of(p, "tau_mem", &tau_mem, dt)?;
    let gain = (0..n)
        .map(|i| {
            let input = if euler_input { 1.0 - current[i] } else { 1.0 };
            input * w_in[i] * (1.0 - membrane[i]) * r[i]
        })
        .collect();
    Ok(Dynamics {
        gain,
        drive: vec![0.0; n],
        kind: FloatKind::Cuba { current, membrane },
        threshold: firing_threshold(p, n)?,
    })
}

/// Rockpool's `LIFTorch`, exported as `CubaLIF`: `i = beta (i + w_in I)`,
/// `v = alpha v + i`, with the exact `alpha = exp(-dt / tau_mem)` and
/// `beta = exp(-dt / tau_syn)`. The export writes no `dt` but `r = tau_mem
/// alpha / dt`, from which each neuron's `dt` follows (`dt / tau_mem =
/// W0(1 / r)`, the Lambert function) unless the user gives one.
fn rockpool_lif(p: &NodeParams, n: usize, dt: Option<f64>) -> Result<Dynamics, ImportError> {
    let tau_syn = p.vector("tau_syn", n)?;
    let tau_mem = p.vector("tau_mem", n)?;
    let r = p.optional_vector("r", n, 1.0)?;
    let w_in = p.optional_vector("w_in", n, 1.0)?;
    let positive = |field: &str, values: &[f64]| match values.iter().position(|&x| x <= 0.0) {
        Some(k) => Err(p.err(
            Some(field),
            format!("value {k} is {}; it must be positive", values[k]),
        )),
        None => Ok(()),
    };
    positive("tau_syn", &tau_syn)?;
    positive("tau_mem", &tau_mem)?;
    positive("r", &r)?;
    let step = |i: usize| dt.unwrap_or_else(|| tau_mem[i] * lambert_w0(1.0 / r[i]));
    let membrane: Vec<f64> = (0..n).map(|i| (-step(i) / tau_mem[i]).exp()).collect();
    let current: Vec<f64> = (0..n).map(|i| (-step(i) / tau_syn[i]).exp()).collect();
    Ok(Dynamics {
        gain: (0..n).map(|i| current[i] * w_in[i]).collect(),
        drive: vec![0.0; n],
        kind: FloatKind::Cuba { current, membrane },
        threshold: firing_threshold(p, n)?,
    })
}

/// The principal branch of the Lambert function for `x > 0`: the `u > 0`
/// with `u e^u = x`, by Newton's method from `ln(1 + x)` (which is close
/// for every `x > 0` and converges in a few steps).
fn lambert_w0(x: f64) -> f64 {
    let mut u = x.ln_1p();
    for _ in 0..64 {
        let e = u.exp();
        let next = u - (u * e - x) / (e * (u + 1.0));
        if (next - u).abs() <= 1e-15 * next.abs() {
            return next;
        }
        u = next;
    }
    u
}

/// `Threshold`: a spike whenever this step's input exceeds the threshold,
/// which is a LIF layer that forgets everything between steps.
fn threshold_only(p: &NodeParams, n: usize) -> Result<Dynamics, ImportError> {
    Ok(Dynamics {
        gain: vec![1.0; n],
        drive: vec![0.0; n],
        kind: FloatKind::Lif {
            decay: vec![0.0; n],
        },
        threshold: p.vector("threshold", n)?,
    })
}

/// `v_threshold` of a spiking node; zeros for a readout, which has none.
fn firing_threshold(p: &NodeParams, n: usize) -> Result<Vec<f64>, ImportError> {
    if is_readout(&p.node.kind) {
        Ok(vec![0.0; n])
    } else {
        p.vector("v_threshold", n)
    }
}

/// Per-step decay `1 - dt/tau`, refusing time constants Euler cannot take.
fn decay_of(p: &NodeParams, field: &str, tau: &[f64], dt: f64) -> Result<Vec<f64>, ImportError> {
    tau.iter()
        .enumerate()
        .map(|(k, &t)| {
            if t <= 0.0 {
                return Err(p.err(Some(field), format!("value {k} is {t}; a time constant must be positive")));
            }
            let a = dt / t;
            if a > 1.0 {
                return Err(p.err(
                    Some(field),
                    format!("value {k}: dt / tau = {dt} / {t} = {a:.4} > 1, where forward Euler is unstable; choose a time step dt below the time constant"),
                ).fixed_by(Remedy::Option("dt")));
            }
            Ok(1.0 - a)
        })
        .collect()
}

/// Refuses a `v_reset` other than 0: spikegate's resets are to zero or by
/// subtraction, so any other reset value has no integer form.
fn check_reset_to_zero(p: &NodeParams) -> Result<(), ImportError> {
    if let Some(v_reset) = p.optional("v_reset")? {
        if let Some(k) = v_reset.values.iter().position(|&v| v != 0.0) {
            return Err(p.err(
                Some("v_reset"),
                format!("value {k} is {}; spikegate resets to 0 (or by subtraction), so only v_reset = 0 imports", v_reset.values[k]),
            ));
        }
    }
    Ok(())
}

/// Refuses a threshold of 0 or below, at which a neuron at rest would fire.
fn check_thresholds_positive(p: &NodeParams, threshold: &[f64]) -> Result<(), ImportError> {
    if let Some(k) = threshold.iter().position(|&t| t <= 0.0) {
        let field = if p.node.kind == "Threshold" {
            "threshold"
        } else {
            "v_threshold"
        };
        return Err(p.err(
            Some(field),
            format!("value {k} is {}; spikegate needs a positive threshold (a neuron at rest must not fire)", threshold[k]),
        ));
    }
    Ok(())
}

/// The reset of every spiking layer: NIR records only reset to `v_reset`
/// (checked to be 0), so subtraction comes from the user's override.
fn reset_of(rule: ResetRule) -> Reset {
    match rule {
        ResetRule::Nir | ResetRule::Zero => Reset::Zero,
        ResetRule::Subtract => Reset::Subtract,
    }
}

#[cfg(test)]
mod tests {
    use super::lambert_w0;

    #[test]
    fn lambert_w0_solves_u_exp_u() {
        // W0(1) is the omega constant; W0(e) = 1; W0(2 e^2) = 2.
        assert!((lambert_w0(1.0) - 0.567_143_290_409_783_8).abs() < 1e-15);
        assert!((lambert_w0(std::f64::consts::E) - 1.0).abs() < 1e-15);
        assert!((lambert_w0(2.0 * 2f64.exp()) - 2.0).abs() < 1e-14);
        // Rockpool's r for tau_mem = 20 ms at dt = 1 ms: dt / tau = 0.05.
        let r = 20.0 * (-0.05f64).exp();
        assert!((lambert_w0(1.0 / r) - 0.05).abs() < 1e-15);
    }
}
