//! Drawing a [`Raster`]: a header with the title and the one legend, then
//! the panels stacked, each as tall as its neurons need (within bounds).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{Disagreement, Panel, PanelSpikes, Raster};
use crate::canvas::{DrawResult, Figure, OrMessage};
use crate::style::{self, HARDWARE, INPUT, MISMATCH, REFERENCE};

/// Width of the figure.
const WIDTH: u32 = 960;
/// Height of the title and legend.
const HEADER: u32 = 64;
/// Height of a panel's caption and step axis.
const PANEL_FRAME: u32 = 80;
/// Mismatches labelled with their step and neuron, per panel (more would
/// hide the spikes; the crosses mark all of them).
const LABELLED: usize = 3;

/// The plotting height of a panel of `neurons` neurons: 4 pixels a neuron,
/// within 60..=240.
fn plot_height(neurons: u32) -> u32 {
    neurons.saturating_mul(4).clamp(60, 240)
}

impl Figure for Raster {
    fn size(&self) -> (u32, u32) {
        let panels: u32 = self
            .panels
            .iter()
            .map(|p| PANEL_FRAME + plot_height(p.neurons))
            .sum();
        (WIDTH, HEADER + panels)
    }

    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let disagreements = self.disagreements();
        let (header, body) = root.split_vertically(HEADER);
        self.header(&header, disagreements.len())?;
        let mut breaks = Vec::new();
        let mut y = 0;
        for panel in &self.panels[..self.panels.len() - 1] {
            y += PANEL_FRAME + plot_height(panel.neurons);
            breaks.push(y);
        }
        let areas = body.split_by_breakpoints::<u32, u32, _, _>([], breaks);
        for (p, (panel, area)) in self.panels.iter().zip(&areas).enumerate() {
            let own: Vec<Disagreement> = disagreements
                .iter()
                .filter(|d| d.panel == p)
                .copied()
                .collect();
            self.panel(area, panel, &own)?;
        }
        Ok(())
    }
}

impl Raster {
    /// The title and the legend: what a dot, a ring and a cross mean.
    fn header<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        mismatches: usize,
    ) -> DrawResult {
        area.draw(&Text::new(self.title.clone(), (16, 8), style::title()))
            .msg()?;
        let label = style::small().pos(Pos::new(HPos::Left, VPos::Center));
        let y = 46;
        let item = |x: i32, text: String| Text::new(text, (x + 12, y), label.clone());
        let mut x = 16;
        if let Some(name) = &self.hardware_name {
            area.draw(&Circle::new((x, y), 4, HARDWARE.filled()))
                .msg()?;
            area.draw(&item(x, name.clone())).msg()?;
            x += 200;
        }
        area.draw(&Circle::new((x, y), 5, REFERENCE.stroke_width(1)))
            .msg()?;
        area.draw(&item(x, self.reference_name.clone())).msg()?;
        area.draw(&Circle::new((x + 160, y), 4, INPUT.filled()))
            .msg()?;
        area.draw(&item(x + 160, "input spike".into())).msg()?;
        x += 300;
        if self.hardware_name.is_none() {
            return Ok(());
        }
        if mismatches == 0 {
            return area.draw(&item(x, "no mismatch".into())).msg();
        }
        area.draw(&Cross::new((x, y), 6, MISMATCH.stroke_width(2)))
            .msg()?;
        let text = format!("mismatch ({mismatches} place{})", plural(mismatches));
        area.draw(&item(x, text)).msg()
    }

    /// One panel: its axes, its spikes and its disagreements.
    fn panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        panel: &Panel,
        disagreements: &[Disagreement],
    ) -> DrawResult {
        let neurons = panel.neurons.max(1);
        let mut chart = ChartBuilder::on(area)
            .caption(self.caption(panel, disagreements.len()), style::caption())
            .margin(6)
            .margin_right(20)
            .x_label_area_size(34)
            .y_label_area_size(48)
            .build_cartesian_2d(
                -0.5..f64::from(self.steps) - 0.5,
                -0.5..f64::from(neurons) - 0.5,
            )
            .msg()?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("step")
            .y_desc("neuron")
            .x_label_formatter(&style::whole)
            .y_label_formatter(&style::whole)
            .y_labels((plot_height(neurons) / 24).max(2) as usize)
            .label_style(style::small())
            .axis_desc_style(style::small())
            .draw()
            .msg()?;
        let (w, h) = chart.plotting_area().dim_in_pixel();
        let per_step = f64::from(w) / f64::from(self.steps);
        let per_neuron = f64::from(h) / f64::from(neurons);
        let r = (per_step.min(per_neuron) * 0.4).clamp(1.0, 4.0) as u32;
        let at = |s: &spikegate_model::Spike| (f64::from(s.step), f64::from(s.neuron));
        let plot = chart.plotting_area();
        match &panel.spikes {
            PanelSpikes::Input(spikes) => {
                for s in spikes {
                    plot.draw(&Circle::new(at(s), r, INPUT.filled())).msg()?;
                }
            }
            PanelSpikes::Unobserved(reference) => rings(plot, reference, r)?,
            PanelSpikes::Compared {
                hardware,
                reference,
            } => {
                rings(plot, reference, r)?;
                for s in hardware {
                    plot.draw(&Circle::new(at(s), r, HARDWARE.filled())).msg()?;
                }
            }
        }
        for (i, d) in disagreements.iter().enumerate() {
            let pos = at(&d.spike);
            plot.draw(&Cross::new(pos, r as i32 + 3, MISMATCH.stroke_width(2)))
                .msg()?;
            if i < LABELLED {
                let text = format!("step {}, neuron {}", d.spike.step, d.spike.neuron);
                let offset = (r as i32 + 6, -(r as i32) - 18);
                let label = EmptyElement::at(pos)
                    + Text::new(text, offset, style::small().color(&MISMATCH));
                plot.draw(&label).msg()?;
            }
        }
        Ok(())
    }

    /// A panel's caption: its name, size, spike counts and mismatches.
    fn caption(&self, panel: &Panel, mismatches: usize) -> String {
        let head = format!(
            "{} ({} neuron{})",
            panel.name,
            panel.neurons,
            plural(panel.neurons as usize)
        );
        match &panel.spikes {
            PanelSpikes::Input(s) => format!("{head}: {} spikes", s.len()),
            PanelSpikes::Unobserved(s) => format!(
                "{head}: {} {} spikes{}",
                self.reference_name,
                s.len(),
                if self.hardware_name.is_some() {
                    "; not observed on the hardware (no tap)"
                } else {
                    ""
                }
            ),
            PanelSpikes::Compared {
                hardware,
                reference,
            } => format!(
                "{head}: hardware {} spikes, {} {}{}",
                hardware.len(),
                self.reference_name,
                reference.len(),
                match mismatches {
                    0 => String::new(),
                    n => format!("; {n} mismatch{}", if n == 1 { "" } else { "es" }),
                }
            ),
        }
    }
}

/// The reference's spikes as rings a little wider than the dots.
fn rings<DB: DrawingBackend>(
    plot: &DrawingArea<DB, impl plotters::coord::CoordTranslate<From = (f64, f64)>>,
    spikes: &[spikegate_model::Spike],
    r: u32,
) -> DrawResult {
    for s in spikes {
        let pos = (f64::from(s.step), f64::from(s.neuron));
        plot.draw(&Circle::new(pos, r + 1, REFERENCE.stroke_width(1)))
            .msg()?;
    }
    Ok(())
}

/// `s` after a count other than one.
fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
