//! The report as text, as `spikegate import` prints it: a heading, one
//! table row per layer, the output agreement and the warnings.

use std::fmt;

use spikegate_model::Decode;

use super::{LayerReport, OutputAgreement, Report, SampleSource};
use crate::quantize::LayerQuant;

/// The layer table's column headings.
const COLUMNS: [&str; 12] = [
    "layer",
    "from",
    "kind",
    "neurons",
    "decay (float -> integer)",
    "threshold (float -> integer)",
    "reset",
    "weights",
    "saturated",
    "zeroed",
    "spike bits equal",
    "spikes float / integer",
];

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_heading(f)?;
        writeln!(f)?;
        let mut rows: Vec<Vec<String>> = vec![COLUMNS.iter().map(|s| (*s).to_owned()).collect()];
        rows.extend(self.layers.iter().map(layer_row));
        write_table(f, &rows)?;
        writeln!(f)?;
        write_output(f, &self.output)?;
        if !self.warnings.is_empty() || !self.alerts.is_empty() {
            writeln!(f, "warnings:")?;
            for a in &self.alerts {
                writeln!(f, "  - {}", a.message)?;
            }
            for w in &self.warnings {
                writeln!(f, "  - {w}")?;
            }
        }
        Ok(())
    }
}

impl Report {
    /// The first two lines: what was imported with which widths, and the
    /// sample inputs.
    fn write_heading(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "quantization report for {}: weights {} bits, state {} bits, T = {}{}{}",
            self.source,
            self.weight_bits,
            self.state_bits,
            self.time_steps,
            self.dt.map_or(String::new(), |dt| format!(", dt = {dt} s")),
            if self.framework == "nir" {
                String::new()
            } else {
                format!(", {} preset", self.framework)
            }
        )?;
        match &self.inputs {
            SampleSource::Bernoulli { samples, rate, seed } => writeln!(
                f,
                "sample inputs: {samples} samples of random spikes (each input spikes with probability {rate} per step, seed {seed})"
            ),
            SampleSource::File { path, samples } => {
                writeln!(f, "sample inputs: {samples} samples from {path}")
            }
        }
    }
}

/// `x` with at most 6 decimals and no trailing zeros (`0.5`, `12`).
fn num(x: f64) -> String {
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

/// One layer's cells, in the order of [`COLUMNS`].
fn layer_row(l: &LayerReport) -> Vec<String> {
    let q = &l.quant;
    let (agree, counts) = match (&l.spikes, l.readout_error) {
        (Some(s), _) => (
            format!("{:.2}%", 100.0 * s.bits_equal),
            format!("{} / {}", s.float_spikes, s.int_spikes),
        ),
        (None, Some(e)) => (format!("membrane error {:.2}%", 100.0 * e), "-".to_owned()),
        _ => ("-".to_owned(), "-".to_owned()),
    };
    vec![
        q.name.clone(),
        q.sources.join(", "),
        q.kind.clone(),
        q.size.to_string(),
        decay_cell(q),
        threshold_cell(q),
        q.reset.clone().unwrap_or_else(|| "-".to_owned()),
        weights_cell(q),
        q.saturated.to_string(),
        q.zeroed.to_string(),
        agree,
        counts,
    ]
}

/// The decays, `membrane 0.9 -> shift 3; ...`, or `-` when there are none.
fn decay_cell(q: &LayerQuant) -> String {
    if q.decays.is_empty() {
        return "-".to_owned();
    }
    q.decays
        .iter()
        .map(|d| {
            let spread = if d.spread > 0.0 {
                format!(" (mean, spread {})", num(d.spread))
            } else {
                String::new()
            };
            format!("{} {}{} -> {}", d.state, num(d.factor), spread, d.integer)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The threshold, float to integer, or the scale of a readout; a weight
/// shift as the state units one weight unit is worth.
fn threshold_cell(q: &LayerQuant) -> String {
    let shift = match q.weight_shift {
        0 => String::new(),
        k => format!(", a weight unit = 2^{k}"),
    };
    match (q.threshold_float, q.threshold_int) {
        (Some((lo, hi)), Some(t)) if lo == hi => format!("{} -> {t} (v >= {t}{shift})", num(lo)),
        (Some((lo, hi)), Some(t)) => {
            format!("{}..{} -> {t} (per-neuron scale{shift})", num(lo), num(hi))
        }
        _ => format!("readout, scale {}", num(q.scale)),
    }
}

/// How many weights and biases were quantized, and whether they lay on a
/// grid the import kept exact.
fn weights_cell(q: &LayerQuant) -> String {
    match q.grid_levels {
        Some(levels) => format!("{} (on a grid of +-{levels}, exact)", q.weights),
        None => q.weights.to_string(),
    }
}

/// `rows` as left-aligned columns two spaces apart, each as wide as its
/// widest cell, without trailing spaces.
fn write_table(f: &mut fmt::Formatter<'_>, rows: &[Vec<String>]) -> fmt::Result {
    let widths: Vec<usize> = (0..COLUMNS.len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, &w)| format!("{cell:<w$}"))
            .collect();
        writeln!(f, "{}", line.join("  ").trim_end())?;
    }
    Ok(())
}

/// The output agreement line.
fn write_output(f: &mut fmt::Formatter<'_>, o: &OutputAgreement) -> fmt::Result {
    let decode = match o.decode {
        Decode::FirstSpike => "first_spike",
        Decode::SpikeCount => "spike_count",
        Decode::Readout => "readout",
    };
    write!(
        f,
        "output ({decode}): same class in {} of {} samples ({:.2}%)",
        o.class_equal,
        o.samples,
        100.0 * o.class_agreement
    )?;
    if o.class_equal_both_silent > 0 {
        write!(
            f,
            " ({} of them with both outputs silent)",
            o.class_equal_both_silent
        )?;
    }
    if let Some(v) = o.values_equal {
        let what = if o.decode == Decode::FirstSpike {
            "first-spike steps"
        } else {
            "spike counts"
        };
        write!(f, "; same {what} in {v}")?;
    }
    writeln!(f)
}
