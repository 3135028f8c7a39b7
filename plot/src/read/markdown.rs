//! The design-space tables: every Markdown table whose header has the
//! columns `network`, `P`, `logic cells` and `latency us` (the form
//! `spikegate design-space --out` writes, and docs/fpga.md quotes).
//! Rows that did not fit, or have no latency (`n/a`), are left out; a
//! row whose numbers cannot be read is an error naming its line and
//! column.

use std::path::Path;

use super::bad;
use crate::design_space::{DesignPoint, DesignSpace};
use crate::PlotError;

/// Where a table's columns are.
struct Columns {
    network: usize,
    pe: usize,
    cells: usize,
    latency: usize,
}

impl Columns {
    /// The columns of a header row, if it is a design-space table's.
    fn of(cells: &[&str]) -> Option<Columns> {
        let find = |want: &dyn Fn(&str) -> bool| cells.iter().position(|c| want(c));
        Some(Columns {
            network: find(&|c| c == "network")?,
            pe: find(&|c| c == "P")?,
            cells: find(&|c| c == "logic cells")?,
            latency: find(&|c| c.starts_with("latency"))?,
        })
    }
}

/// A row's cells, trimmed (the outer bars dropped).
fn split_row(line: &str) -> Vec<&str> {
    let inner = line.trim().trim_start_matches('|');
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    inner.split('|').map(str::trim).collect()
}

/// Whether a row is a header's separator (`|---|---|`).
fn is_separator(cells: &[&str]) -> bool {
    cells
        .iter()
        .all(|c| !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':')))
}

/// Reads the design space of every table in `path`; the title is the
/// file's first line that is not a table (its footnote: board, part,
/// flow; a heading without its `#`s), or its name.
pub fn design_space(path: &Path) -> Result<DesignSpace, PlotError> {
    let text = super::text(path)?;
    let mut points = Vec::new();
    let mut columns: Option<Columns> = None;
    let mut tables = 0;
    let mut note = None;
    for (n, line) in text.lines().enumerate() {
        if !line.trim_start().starts_with('|') {
            columns = None;
            if note.is_none() && !line.trim().is_empty() {
                note = Some(line.trim().trim_start_matches('#').trim_start().to_owned());
            }
            continue;
        }
        let cells = split_row(line);
        match &columns {
            None => {
                columns = Columns::of(&cells);
                tables += usize::from(columns.is_some());
            }
            Some(_) if is_separator(&cells) => {}
            Some(c) => points.extend(row(path, n + 1, c, &cells)?),
        }
    }
    if tables == 0 {
        return Err(bad(
            path,
            "table",
            "no Markdown table with the columns `network`, `P`, `logic cells` and `latency us`",
        ));
    }
    let name = path
        .file_name()
        .map_or(String::new(), |n| n.to_string_lossy().into_owned());
    Ok(DesignSpace {
        title: format!("Design space: {}", note.unwrap_or(name)),
        points,
    })
}

/// The point of table row `cells` at line `line`, or `None` for a row
/// without one (did not fit, no latency).
fn row(
    path: &Path,
    line: usize,
    c: &Columns,
    cells: &[&str],
) -> Result<Option<DesignPoint>, PlotError> {
    let get = |i: usize| cells.get(i).copied().unwrap_or("");
    let field = |name: &str| format!("line {line}, column `{name}`");
    let (cells_text, latency_text) = (get(c.cells), get(c.latency));
    if cells_text.starts_with("does not fit") || matches!(latency_text, "" | "n/a") {
        return Ok(None);
    }
    let number = |text: &str, name: &str| -> Result<f64, PlotError> {
        text.replace(',', "")
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| bad(path, field(name), format!("`{text}` is not a number >= 0")))
    };
    let pe = match get(c.pe) {
        "-" | "" => None,
        text => Some(text.parse::<u32>().map_err(|_| {
            bad(
                path,
                field("P"),
                format!("`{text}` is not a processing-element count"),
            )
        })?),
    };
    let latency_us = number(latency_text, "latency us")?;
    if latency_us == 0.0 {
        return Err(bad(
            path,
            field("latency us"),
            "a latency of 0 cannot be drawn on a log axis",
        ));
    }
    Ok(Some(DesignPoint {
        network: get(c.network).to_owned(),
        pe,
        cells: number(cells_text, "logic cells")?,
        latency_us,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<DesignSpace, PlotError> {
        let path = std::env::temp_dir().join(format!("spikegate-plot-md-{}.md", text.len()));
        std::fs::write(&path, text).unwrap();
        let result = design_space(&path);
        std::fs::remove_file(&path).unwrap();
        result
    }

    const TABLE: &str =
        "| network | P | logic cells | LUTs | Fmax MHz | cycles/sample | latency us |\n\
        |---|---|---|---|---|---|---|\n\
        | a | 1 | 2180 | 1142 | 45.2 | 1295 | 28.6 |\n\
        | a | 16 | does not fit: too big ||||||\n\
        | b | 2 | 1,000 | 1 | n/a | 9 | n/a |\n\
        | pub | - | 7612 | | | | 780 |\n\
        \nulx3s_85f: LFE5U-85F (yosys).\n";

    #[test]
    fn a_heading_titles_the_figure_without_its_hashes() {
        let ds = read(&format!("## The ULX3S\n\n{TABLE}")).unwrap();
        assert_eq!(ds.title, "Design space: The ULX3S");
    }

    #[test]
    fn rows_without_a_latency_are_left_out() {
        let ds = read(TABLE).unwrap();
        assert_eq!(ds.title, "Design space: ulx3s_85f: LFE5U-85F (yosys).");
        let got: Vec<(&str, Option<u32>, f64, f64)> = ds
            .points
            .iter()
            .map(|p| (p.network.as_str(), p.pe, p.cells, p.latency_us))
            .collect();
        assert_eq!(
            got,
            vec![("a", Some(1), 2180.0, 28.6), ("pub", None, 7612.0, 780.0)]
        );
    }

    #[test]
    fn a_bad_number_names_its_line_and_column() {
        let text = TABLE.replace("2180", "lots");
        let e = read(&text).unwrap_err().to_string();
        assert!(
            e.contains("line 3, column `logic cells`: `lots` is not a number"),
            "{e}"
        );
    }

    #[test]
    fn a_file_without_a_table_is_an_error() {
        let e = read("no table\n").unwrap_err().to_string();
        assert!(e.contains("table: no Markdown table"), "{e}");
    }
}
