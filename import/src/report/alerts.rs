//! The report's alerts: signs that an import went wrong in a way the
//! quantization figures hide. A layer that never spikes, decisions that
//! agree only because both outputs are silent, an output that gives one
//! class for every sample, or time constants that only a wrong `dt` would
//! give all leave "same class in 450 of 450" looking fine.

use serde::Serialize;
use spikegate_model::Decode;

use super::{LayerReport, OutputAgreement};
use crate::float::{FloatKind, FloatNetwork};

/// What an alert is about (the `kind` field of the JSON report).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A spiking layer fired no spike in the float simulation or in the
    /// integer reference, over every sample.
    SilentLayer,
    /// Some samples count as agreeing although neither output spiked.
    SilentAgreement,
    /// The float or the integer output gives the same class every sample.
    OneClass,
    /// Every decay is so strong or so weak that `dt` is probably wrong.
    SuspiciousDt,
}

/// One alert: its kind, the layer it concerns (if one) and what to check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// What it is about.
    pub kind: AlertKind,
    /// The layer's name, for a layer alert.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    /// The sentence the printed report shows.
    pub message: String,
}

impl Alert {
    fn new(kind: AlertKind, layer: Option<&str>, message: String) -> Self {
        Alert {
            kind,
            layer: layer.map(str::to_owned),
            message,
        }
    }
}

/// A decay keeping at most this fraction a step forgets nearly all of its
/// state each step: its time constant is at most two steps.
const FAST_DECAY: f64 = 0.5;
/// A decay keeping at least this fraction over the whole sample barely
/// leaks at all: its time constant is about ten samples or more.
const SLOW_OVER_SAMPLE: f64 = 0.9;

/// Every alert of a report: `layers` and `output` as measured on the
/// samples, `float` the discretized network, `dt` the time step used.
pub fn alerts(
    float: &FloatNetwork,
    layers: &[LayerReport],
    output: &OutputAgreement,
    steps: u32,
    dt: Option<f64>,
) -> Vec<Alert> {
    let mut out = silent_layers(layers);
    out.extend(silent_agreement(output));
    out.extend(one_class(output));
    out.extend(dt.and_then(|dt| suspicious_dt(float, steps, dt)));
    out
}

/// A [`AlertKind::SilentLayer`] for each side of each layer that never spiked.
fn silent_layers(layers: &[LayerReport]) -> Vec<Alert> {
    let mut out = Vec::new();
    for l in layers {
        let Some(s) = &l.spikes else { continue };
        for (side, spikes) in [
            ("float simulation", s.float_spikes),
            ("integer reference", s.int_spikes),
        ] {
            if spikes == 0 {
                let name = &l.quant.name;
                out.push(Alert::new(
                    AlertKind::SilentLayer,
                    Some(name),
                    format!(
                        "layer `{name}` never spikes in the {side} on any sample: its spike \
                         agreement means nothing, and the layers after it see no input \
                         (check the input scaling, dt and the thresholds)"
                    ),
                ));
            }
        }
    }
    out
}

/// A [`AlertKind::SilentAgreement`] when some agreeing samples had no output spike.
fn silent_agreement(o: &OutputAgreement) -> Option<Alert> {
    let n = o.class_equal_both_silent;
    (n > 0 && o.decode != Decode::Readout).then(|| {
        Alert::new(
            AlertKind::SilentAgreement,
            None,
            format!(
                "{n} of the {} samples counted as the same class agree only because neither \
                 output fired a spike (both answer the tie class 0)",
                o.class_equal
            ),
        )
    })
}

/// A [`AlertKind::OneClass`] per side whose answer never changes over two or more samples.
fn one_class(o: &OutputAgreement) -> Vec<Alert> {
    let mut out = Vec::new();
    if o.samples < 2 {
        return out;
    }
    for (side, counts) in [
        ("float simulation", &o.float_classes),
        ("integer model", &o.int_classes),
    ] {
        if let Some(class) = counts.iter().position(|&c| c == o.samples) {
            out.push(Alert::new(
                AlertKind::OneClass,
                None,
                format!(
                    "the {side} answers class {class} on all {} samples: its output has \
                     collapsed to one class",
                    o.samples
                ),
            ));
        }
    }
    out
}

/// The per-step decay factors of every state that decays (factor below 1).
fn decay_factors(float: &FloatNetwork) -> Vec<f64> {
    let mut factors = Vec::new();
    for layer in &float.layers {
        match &layer.kind {
            FloatKind::If => {}
            FloatKind::Lif { decay } => factors.extend(decay),
            FloatKind::Cuba { current, membrane } => factors.extend(current.iter().chain(membrane)),
        }
    }
    factors.retain(|&f| f < 1.0);
    factors
}

/// A [`AlertKind::SuspiciousDt`] when every decay is fast (at most
/// [`FAST_DECAY`] kept a step) or every one slow (at least
/// [`SLOW_OVER_SAMPLE`] kept over the `steps` of a sample).
fn suspicious_dt(float: &FloatNetwork, steps: u32, dt: f64) -> Option<Alert> {
    let factors = decay_factors(float);
    if factors.is_empty() {
        return None;
    }
    let message = if factors.iter().all(|&f| f <= FAST_DECAY) {
        format!(
            "with dt = {dt} s every time constant is at most two steps (each decay keeps at most \
             {FAST_DECAY} of its state a step): is dt too large, or the file's tau in other units?"
        )
    } else if factors
        .iter()
        .all(|&f| f.powf(f64::from(steps)) >= SLOW_OVER_SAMPLE)
    {
        format!(
            "with dt = {dt} s every decay keeps at least {SLOW_OVER_SAMPLE} of its state over the \
             whole {steps}-step sample, so the neurons barely leak: is dt too small for the \
             file's time constants?"
        )
    } else {
        return None;
    };
    Some(Alert::new(AlertKind::SuspiciousDt, None, message))
}
