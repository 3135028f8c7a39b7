//! Spikes per layer and per step across a run: one line per layer (the
//! input first), x the step, y the mean number of spikes the layer fired
//! in that step, over every sample.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use spikegate_model::Spike;

use crate::canvas::{DrawResult, Figure, OrMessage};
use crate::style;
use crate::PlotError;

/// Spike counts of every layer and step, summed over the samples added.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    /// The figure's title.
    pub title: String,
    /// Steps per sample.
    pub steps: u32,
    /// The layers' names, input first.
    pub names: Vec<String>,
    totals: Vec<Vec<u64>>,
    samples: usize,
}

impl Activity {
    /// An empty tally of `steps` steps over the layers `names`.
    pub fn new(title: String, steps: u32, names: Vec<String>) -> Activity {
        let totals = vec![vec![0; steps as usize]; names.len()];
        Activity {
            title,
            steps,
            names,
            totals,
            samples: 0,
        }
    }

    /// Adds one sample: `layers[l]` is layer `l`'s spikes (input first).
    /// Layers beyond the names, and steps beyond `steps`, are not counted.
    pub fn add(&mut self, layers: &[&[Spike]]) {
        for (total, spikes) in self.totals.iter_mut().zip(layers) {
            for s in *spikes {
                if let Some(t) = total.get_mut(s.step as usize) {
                    *t += 1;
                }
            }
        }
        self.samples += 1;
    }

    /// Samples added.
    pub fn samples(&self) -> usize {
        self.samples
    }

    /// Per layer, the mean spikes in each step (all 0 with no samples).
    pub fn means(&self) -> Vec<Vec<f64>> {
        let n = self.samples.max(1) as f64;
        self.totals
            .iter()
            .map(|t| t.iter().map(|&c| c as f64 / n).collect())
            .collect()
    }

    /// Draws the lines into `path` (`.svg` or `.png`).
    pub fn draw(&self, path: &Path) -> Result<(), PlotError> {
        if self.samples == 0 || self.steps == 0 || self.names.is_empty() {
            return Err(PlotError::Data {
                path: path.to_path_buf(),
                message: "no samples, steps or layers to draw".into(),
            });
        }
        crate::canvas::render(self, path)
    }
}

impl Figure for Activity {
    fn size(&self) -> (u32, u32) {
        (900, 520)
    }

    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let means = self.means();
        let top = means.iter().flatten().fold(0.0f64, |a, &b| a.max(b));
        let top = if top > 0.0 { top * 1.1 } else { 1.0 };
        let last = f64::from(self.steps.saturating_sub(1)).max(1.0);
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, style::title())
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..last, 0.0..top)
            .msg()?;
        chart
            .configure_mesh()
            .max_light_lines(0)
            .x_desc("step")
            .y_desc(format!(
                "mean spikes in the step ({} samples)",
                self.samples
            ))
            .x_label_formatter(&style::whole)
            .y_label_formatter(&style::number)
            .label_style(style::small())
            .axis_desc_style(style::small())
            .draw()
            .msg()?;
        for (i, (name, line)) in self.names.iter().zip(&means).enumerate() {
            let colour = style::series(i);
            let points: Vec<(f64, f64)> = line
                .iter()
                .enumerate()
                .map(|(t, &m)| (t as f64, m))
                .collect();
            chart
                .draw_series(LineSeries::new(points, colour.stroke_width(2)))
                .msg()?
                .label(name.clone())
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .label_font(style::small())
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .msg()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn means_are_per_sample_and_step() {
        let mut a = Activity::new("t".into(), 3, vec!["input".into(), "out".into()]);
        a.add(&[&[Spike::new(0, 1), Spike::new(0, 2)], &[Spike::new(2, 0)]]);
        a.add(&[&[Spike::new(1, 0), Spike::new(9, 0)], &[]]);
        assert_eq!(a.samples(), 2);
        assert_eq!(a.means(), vec![vec![1.0, 0.5, 0.0], vec![0.0, 0.0, 0.5]]);
    }
}
