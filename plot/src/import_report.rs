//! The import report's float-vs-integer agreement per layer: on the left
//! the share of spike bits that are equal (and, last, of decoded classes),
//! on the right each layer's spikes a sample in the float simulation
//! beside the integer reference's.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use serde::Deserialize;

use crate::canvas::{DrawResult, Figure, OrMessage};
use crate::read::{bad, check_format, json};
use crate::style;
use crate::PlotError;

/// The format the report declares.
pub const IMPORT_REPORT_FORMAT: &str = "spikegate-import-report/1";

/// One layer's agreement.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerAgreement {
    /// The layer's name.
    pub name: String,
    /// Spiking layers: the fraction of equal spike bits, and the float
    /// and integer spikes a sample; `None` for a readout layer.
    pub spikes: Option<(f64, f64, f64)>,
    /// Readout layers: the mean membrane error relative to the largest.
    pub readout_error: Option<f64>,
}

/// What an import report says of float against integer.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportAgreement {
    /// The figure's title.
    pub title: String,
    /// Per layer.
    pub layers: Vec<LayerAgreement>,
    /// The fraction of samples whose decoded class is the same.
    pub class_agreement: f64,
}

#[derive(Deserialize)]
struct File {
    format: String,
    source: String,
    weight_bits: u32,
    layers: Vec<Layer>,
    output: Output,
}

#[derive(Deserialize)]
struct Layer {
    name: String,
    spikes: Option<Spikes>,
    readout_error: Option<f64>,
}

#[derive(Deserialize)]
struct Spikes {
    bits_equal: f64,
    float_spikes: u64,
    int_spikes: u64,
}

#[derive(Deserialize)]
struct Output {
    samples: usize,
    class_agreement: f64,
}

impl ImportAgreement {
    /// Reads the report `spikegate import --report` wrote at `path`.
    pub fn read(path: &Path) -> Result<ImportAgreement, PlotError> {
        let file: File = json(path)?;
        check_format(path, &file.format, IMPORT_REPORT_FORMAT)?;
        if file.layers.is_empty() {
            return Err(bad(path, "layers", "the report has no layer"));
        }
        let fraction = |field: String, v: f64| {
            if (0.0..=1.0).contains(&v) {
                Ok(v)
            } else {
                Err(bad(path, field, format!("{v} is not a fraction in 0..=1")))
            }
        };
        let n = file.output.samples.max(1) as f64;
        let mut layers = Vec::new();
        for (i, l) in file.layers.into_iter().enumerate() {
            let spikes = match l.spikes {
                Some(s) => Some((
                    fraction(format!("layers[{i}].spikes.bits_equal"), s.bits_equal)?,
                    s.float_spikes as f64 / n,
                    s.int_spikes as f64 / n,
                )),
                None => None,
            };
            layers.push(LayerAgreement {
                name: l.name,
                spikes,
                readout_error: l.readout_error,
            });
        }
        Ok(ImportAgreement {
            title: format!(
                "Import of {} at {} bits: float against integer, {} samples",
                file.source, file.weight_bits, file.output.samples
            ),
            layers,
            class_agreement: fraction(
                "output.class_agreement".into(),
                file.output.class_agreement,
            )?,
        })
    }

    /// Draws the agreement into `path` (`.svg` or `.png`).
    pub fn draw(&self, path: &Path) -> Result<(), PlotError> {
        if self.layers.is_empty() {
            return Err(PlotError::Data {
                path: path.to_path_buf(),
                message: "no layer to draw".into(),
            });
        }
        crate::canvas::render(self, path)
    }

    /// The bars of the left panel: name, percent equal, its label.
    fn agreement_bars(&self) -> Vec<(String, f64, String)> {
        let mut bars: Vec<(String, f64, String)> = self
            .layers
            .iter()
            .map(|l| match (l.spikes, l.readout_error) {
                (Some((equal, _, _)), _) => (
                    l.name.clone(),
                    100.0 * equal,
                    format!("{:.2}%", 100.0 * equal),
                ),
                (None, e) => (
                    l.name.clone(),
                    0.0,
                    format!("readout, error {:.2}%", 100.0 * e.unwrap_or(0.0)),
                ),
            })
            .collect();
        let c = 100.0 * self.class_agreement;
        bars.push(("classes".into(), c, format!("{c:.1}%")));
        bars
    }
}

impl Figure for ImportAgreement {
    fn size(&self) -> (u32, u32) {
        (1000, 520)
    }

    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let body = root.titled(&self.title, style::title()).msg()?;
        let (left, right) = body.split_horizontally(500);
        self.draw_agreement(&left)?;
        self.draw_spikes(&right)
    }
}

impl ImportAgreement {
    /// Left: percent of equal spike bits per layer, and of equal classes.
    fn draw_agreement<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult {
        let bars = self.agreement_bars();
        let low = bars
            .iter()
            .map(|b| b.1)
            .filter(|&v| v > 0.0)
            .fold(100.0, f64::min);
        let floor = ((low - 2.0) / 10.0).floor().clamp(0.0, 9.0) * 10.0;
        let names: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
        let mut chart = ChartBuilder::on(area)
            .caption(
                "equal spike bits per layer, equal classes (%)",
                style::caption(),
            )
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(-0.5..bars.len() as f64 - 0.5, floor..100.8)
            .msg()?;
        category_mesh(&mut chart, names, "percent equal")?;
        for (i, (_, value, label)) in bars.iter().enumerate() {
            let x = i as f64;
            let colour = if i + 1 == bars.len() {
                style::series(2)
            } else {
                style::series(0)
            };
            let top = value.max(floor);
            chart
                .draw_series([Rectangle::new(
                    [(x - 0.3, floor), (x + 0.3, top)],
                    colour.filled(),
                )])
                .msg()?;
            chart
                .draw_series([Text::new(label.clone(), (x, top), style::centred())])
                .msg()?;
        }
        Ok(())
    }

    /// Right: spikes a sample per layer, float beside integer.
    fn draw_spikes<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult {
        let spiking: Vec<(&str, f64, f64)> = self
            .layers
            .iter()
            .filter_map(|l| l.spikes.map(|(_, f, i)| (l.name.as_str(), f, i)))
            .collect();
        let top = spiking
            .iter()
            .map(|s| s.1.max(s.2))
            .fold(0.0, f64::max)
            .max(1.0)
            * 1.15;
        let names = spiking.iter().map(|s| s.0.to_owned()).collect();
        let mut chart = ChartBuilder::on(area)
            .caption("spikes a sample per layer", style::caption())
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(-0.5..spiking.len().max(1) as f64 - 0.5, 0.0..top)
            .msg()?;
        category_mesh(&mut chart, names, "spikes a sample")?;
        for (side, name) in [(0usize, "float"), (1, "integer")] {
            let colour = style::series(side);
            let dx = if side == 0 { -0.36 } else { 0.0 };
            chart
                .draw_series(spiking.iter().enumerate().map(|(i, s)| {
                    let v = if side == 0 { s.1 } else { s.2 };
                    let x = i as f64 + dx;
                    Rectangle::new([(x, 0.0), (x + 0.36, v)], colour.filled())
                }))
                .msg()?
                .label(name)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 10, y + 5)], colour.filled())
                });
        }
        style::legend(&mut chart, SeriesLabelPosition::UpperRight)
    }
}

/// A mesh whose x ticks are the category `names`.
fn category_mesh<DB: DrawingBackend>(
    chart: &mut ChartContext<
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    names: Vec<String>,
    y_desc: &str,
) -> DrawResult {
    let label = move |v: &f64| {
        let i = v.round();
        if (v - i).abs() < 1e-9 && i >= 0.0 {
            names.get(i as usize).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .max_light_lines(0)
        .x_labels(20)
        .x_label_formatter(&label)
        .y_desc(y_desc)
        .y_label_formatter(&style::number)
        .label_style(style::small())
        .axis_desc_style(style::small())
        .draw()
        .msg()
}
