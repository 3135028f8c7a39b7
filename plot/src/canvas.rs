//! Where a plot is drawn: the output's extension chooses the back end
//! (`.svg`: plotters' SVG writer, `.png`: its bitmap one), and the
//! embedded font is registered before any text is measured.

use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::PlotError;

/// DejaVu Sans, embedded (fonts/README.md says where it came from).
const FONT: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

/// The font family every plot asks for (the embedded font answers it; an
/// SVG viewer uses its own sans-serif face).
pub(crate) const FAMILY: &str = "sans-serif";

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Scalable vector graphics (text stays text).
    Svg,
    /// A PNG bitmap.
    Png,
}

impl Format {
    /// The format `path`'s extension names (case-insensitive).
    pub fn of(path: &Path) -> Result<Format, PlotError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("svg") => Ok(Format::Svg),
            Some("png") => Ok(Format::Png),
            _ => Err(PlotError::Format {
                path: path.to_path_buf(),
            }),
        }
    }
}

/// A drawing step's result: plotters' errors carry the back end's error
/// type, so they are kept as their message.
pub(crate) type DrawResult<T = ()> = Result<T, String>;

/// Turns a plotters result into a [`DrawResult`].
pub(crate) trait OrMessage<T> {
    /// The value, or the error's message.
    fn msg(self) -> DrawResult<T>;
}

impl<T, E: std::fmt::Display> OrMessage<T> for Result<T, E> {
    fn msg(self) -> DrawResult<T> {
        self.map_err(|e| e.to_string())
    }
}

/// A picture that any plotters back end can draw.
pub(crate) trait Figure {
    /// Width and height in pixels.
    fn size(&self) -> (u32, u32);
    /// Draws the picture on `root` (already white).
    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult;
}

/// Registers the embedded font once; whether it could be.
fn font_ready() -> bool {
    static READY: OnceLock<bool> = OnceLock::new();
    *READY.get_or_init(|| plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok())
}

/// Draws `figure` into `path`, as the extension says.
pub(crate) fn render(figure: &impl Figure, path: &Path) -> Result<(), PlotError> {
    let format = Format::of(path)?;
    let draw_error = |message: String| PlotError::Draw {
        path: path.to_path_buf(),
        message,
    };
    if !font_ready() {
        return Err(draw_error("the embedded font cannot be read".into()));
    }
    let size = figure.size();
    match format {
        Format::Svg => paint(figure, &SVGBackend::new(path, size).into_drawing_area()),
        Format::Png => paint(figure, &BitMapBackend::new(path, size).into_drawing_area()),
    }
    .map_err(draw_error)
}

/// White background, the figure, and the file written.
fn paint<DB: DrawingBackend>(figure: &impl Figure, root: &DrawingArea<DB, Shift>) -> DrawResult {
    root.fill(&WHITE).msg()?;
    figure.draw_on(root)?;
    root.present().msg()
}
