//! The design space: logic cells against latency a sample (log scale),
//! one series per network, each point labelled with its P (processing
//! elements a core).

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::canvas::{DrawResult, Figure, OrMessage};
use crate::style;
use crate::PlotError;

/// One measured design.
#[derive(Debug, Clone, PartialEq)]
pub struct DesignPoint {
    /// The network (a series of the plot).
    pub network: String,
    /// Processing elements a core; `None` for a published figure with no P.
    pub pe: Option<u32>,
    /// Logic cells.
    pub cells: f64,
    /// Latency a sample in microseconds.
    pub latency_us: f64,
}

/// The points of a design space.
#[derive(Debug, Clone, PartialEq)]
pub struct DesignSpace {
    /// The figure's title.
    pub title: String,
    /// The points, in the order of their tables.
    pub points: Vec<DesignPoint>,
}

impl DesignSpace {
    /// The networks, in the order they first appear.
    pub fn networks(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for p in &self.points {
            if !names.contains(&p.network.as_str()) {
                names.push(&p.network);
            }
        }
        names
    }

    /// Draws the points into `path` (`.svg` or `.png`).
    pub fn draw(&self, path: &Path) -> Result<(), PlotError> {
        let data = |message: String| PlotError::Data {
            path: path.to_path_buf(),
            message,
        };
        if self.points.is_empty() {
            return Err(data("no design to draw".into()));
        }
        if let Some(p) = self
            .points
            .iter()
            .find(|p| !(p.latency_us > 0.0 && p.latency_us.is_finite() && p.cells.is_finite()))
        {
            return Err(data(format!(
                "{} (P = {:?}): latency {} us and {} cells cannot be drawn on a log axis",
                p.network, p.pe, p.latency_us, p.cells
            )));
        }
        crate::canvas::render(self, path)
    }
}

/// `lo..hi` widened so that a single value still spans an axis.
fn span(lo: f64, hi: f64) -> (f64, f64) {
    if hi > lo {
        (lo, hi)
    } else {
        (lo * 0.5, hi * 2.0 + 1.0)
    }
}

impl Figure for DesignSpace {
    fn size(&self) -> (u32, u32) {
        (900, 600)
    }

    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let lat = self.points.iter().map(|p| p.latency_us);
        let (lo, hi) = span(
            lat.clone().fold(f64::MAX, f64::min),
            lat.fold(0.0, f64::max),
        );
        let cells_max = self.points.iter().map(|p| p.cells).fold(0.0, f64::max);
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, style::title())
            .margin(14)
            .margin_right(40)
            .x_label_area_size(44)
            .y_label_area_size(70)
            .build_cartesian_2d(
                (lo / 1.6..hi * 1.6).log_scale(),
                0.0..cells_max.max(1.0) * 1.12,
            )
            .msg()?;
        chart
            .configure_mesh()
            .max_light_lines(0)
            .x_desc("latency a sample (us, log scale)")
            .y_desc("logic cells")
            .x_label_formatter(&style::number)
            .y_label_formatter(&style::number)
            .label_style(style::small())
            .axis_desc_style(style::small())
            .draw()
            .msg()?;
        for (i, network) in self.networks().into_iter().enumerate() {
            let colour = style::series(i);
            let mut points: Vec<&DesignPoint> = self
                .points
                .iter()
                .filter(|p| p.network == network)
                .collect();
            points.sort_by(|a, b| a.latency_us.total_cmp(&b.latency_us));
            let xy: Vec<(f64, f64)> = points.iter().map(|p| (p.latency_us, p.cells)).collect();
            chart
                .draw_series(LineSeries::new(xy.clone(), colour.mix(0.5).stroke_width(1)))
                .msg()?;
            chart
                .draw_series(points.iter().map(|p| {
                    EmptyElement::at((p.latency_us, p.cells))
                        + Circle::new((0, 0), 4, colour.filled())
                        + Text::new(pe_label(p.pe), (6, -16), style::small())
                }))
                .msg()?
                .label(network)
                .legend(move |(x, y)| Circle::new((x + 8, y), 4, colour.filled()));
        }
        style::legend(&mut chart, SeriesLabelPosition::UpperRight)
    }
}

/// A design's label: `P=4`, or `published` for a figure without a P.
fn pe_label(pe: Option<u32>) -> String {
    pe.map_or("published".into(), |p| format!("P={p}"))
}
