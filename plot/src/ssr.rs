//! The cost of sparse firing: lane operations and latency a sample against
//! hidden spikes a sample, one point per sparse-firing regularization (SSR)
//! strength, labelled with the strength and the accuracy; one series per
//! network (per `spikegate-ssr/1` file).

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use serde::Deserialize;

use crate::canvas::{DrawResult, Figure, OrMessage};
use crate::read::{bad, check_format, json, non_negative};
use crate::style;
use crate::PlotError;

/// The format an SSR file declares.
pub const SSR_FORMAT: &str = "spikegate-ssr/1";

/// One trained network of the sweep.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SsrPoint {
    /// The regularization strength (0: none).
    pub strength: f64,
    /// Test accuracy, a fraction.
    pub accuracy: f64,
    /// Hidden-layer spikes a sample.
    pub hidden_spikes: f64,
    /// Lane operations a sample (the energy proxy).
    pub lane_ops: f64,
    /// Cycles a sample.
    pub cycles: f64,
    /// Latency a sample in microseconds.
    pub latency_us: f64,
}

/// One network's sweep, as an SSR file holds it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SsrSeries {
    /// Always [`SSR_FORMAT`].
    pub format: String,
    /// The network (the series' name).
    pub network: String,
    /// One point per strength.
    pub points: Vec<SsrPoint>,
}

impl SsrSeries {
    /// Reads and checks the SSR file at `path`.
    pub fn read(path: &Path) -> Result<SsrSeries, PlotError> {
        let series: SsrSeries = json(path)?;
        check_format(path, &series.format, SSR_FORMAT)?;
        if series.points.is_empty() {
            return Err(bad(path, "points", "there is no point to draw"));
        }
        for (i, p) in series.points.iter().enumerate() {
            let fields = [
                ("strength", p.strength),
                ("accuracy", p.accuracy),
                ("hidden_spikes", p.hidden_spikes),
                ("lane_ops", p.lane_ops),
                ("cycles", p.cycles),
                ("latency_us", p.latency_us),
            ];
            for (name, v) in fields {
                non_negative(path, format!("points[{i}].{name}"), v)?;
            }
            if p.accuracy > 1.0 {
                return Err(bad(
                    path,
                    format!("points[{i}].accuracy"),
                    format!("{} is not a fraction in 0..=1", p.accuracy),
                ));
            }
        }
        Ok(series)
    }
}

/// The curves of one or more networks.
#[derive(Debug, Clone, PartialEq)]
pub struct SsrCurve {
    /// The figure's title.
    pub title: String,
    /// One series per network.
    pub series: Vec<SsrSeries>,
}

impl SsrCurve {
    /// Draws the curves into `path` (`.svg` or `.png`).
    pub fn draw(&self, path: &Path) -> Result<(), PlotError> {
        if self.series.iter().all(|s| s.points.is_empty()) {
            return Err(PlotError::Data {
                path: path.to_path_buf(),
                message: "no SSR point to draw".into(),
            });
        }
        crate::canvas::render(self, path)
    }

    /// Left panel: lane operations; right: latency.
    fn panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        caption: &str,
        y_desc: &str,
        y: fn(&SsrPoint) -> f64,
    ) -> DrawResult {
        let all = || self.series.iter().flat_map(|s| &s.points);
        let x_top = all().map(|p| p.hidden_spikes).fold(0.0, f64::max).max(1.0) * 1.2;
        let y_top = all().map(y).fold(0.0, f64::max).max(1e-9) * 1.15;
        let mut chart = ChartBuilder::on(area)
            .caption(caption, style::caption())
            .margin(12)
            .margin_right(30)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..x_top, 0.0..y_top)
            .msg()?;
        chart
            .configure_mesh()
            .max_light_lines(0)
            .x_desc("hidden spikes a sample")
            .y_desc(y_desc)
            .x_label_formatter(&style::number)
            .y_label_formatter(&style::number)
            .label_style(style::small())
            .axis_desc_style(style::small())
            .draw()
            .msg()?;
        for (i, s) in self.series.iter().enumerate() {
            let colour = style::series(i);
            let mut points: Vec<&SsrPoint> = s.points.iter().collect();
            points.sort_by(|a, b| a.hidden_spikes.total_cmp(&b.hidden_spikes));
            let xy: Vec<(f64, f64)> = points.iter().map(|p| (p.hidden_spikes, y(p))).collect();
            chart
                .draw_series(LineSeries::new(xy, colour.mix(0.6).stroke_width(1)))
                .msg()?;
            let labels: Vec<String> = points
                .iter()
                .map(|p| format!("s={}, {:.1}%", p.strength, 100.0 * p.accuracy))
                .collect();
            let anchors: Vec<(i32, i32, i32)> = points
                .iter()
                .zip(&labels)
                .map(|(p, l)| {
                    let (x, y) = chart.backend_coord(&(p.hidden_spikes, y(p)));
                    (x + 6, y, style::small_width(l) + 8)
                })
                .collect();
            let offsets = style::label_offsets(&anchors);
            chart
                .draw_series(
                    points
                        .iter()
                        .zip(labels)
                        .zip(offsets)
                        .map(|((p, label), offset)| {
                            EmptyElement::at((p.hidden_spikes, y(p)))
                                + Circle::new((0, 0), 4, colour.filled())
                                + Text::new(label, (6, offset), style::small())
                        }),
                )
                .msg()?
                .label(s.network.clone())
                .legend(move |(x, y)| Circle::new((x + 8, y), 4, colour.filled()));
        }
        style::legend(&mut chart, SeriesLabelPosition::LowerRight)
    }
}

impl Figure for SsrCurve {
    fn size(&self) -> (u32, u32) {
        (1100, 520)
    }

    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let body = root.titled(&self.title, style::title()).msg()?;
        let (left, right) = body.split_horizontally(550);
        self.panel(&left, "lane operations a sample", "lane operations", |p| {
            p.lane_ops
        })?;
        self.panel(&right, "latency a sample", "latency (us)", |p| p.latency_us)
    }
}
