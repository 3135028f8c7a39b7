//! docs/semantics.md is checked, number by number: every trace table
//! (marked `<!-- trace: CASE -->`) is compared with the reference model's
//! trace of golden case CASE, and with the naive implementation's spikes.

use spikegate_sim::Reference;
use spikegate_tests::{load_golden, workspace_root};

/// One row of a trace table; `None` where the table has `-`.
#[derive(Debug, PartialEq, Eq)]
struct Row {
    step: u32,
    layer: usize,
    neuron: usize,
    input: i64,
    current: Option<i64>,
    adaptation: Option<i64>,
    membrane: i64,
    /// Spikes fired in the step (above 1 only in a multi-spike layer).
    spikes: u32,
}

fn cell(s: &str) -> Option<i64> {
    match s.trim() {
        "-" => None,
        v => Some(
            v.parse()
                .unwrap_or_else(|_| panic!("bad number {v:?} in a trace table")),
        ),
    }
}

/// The trace tables of the page, by case name, in page order.
fn trace_tables(page: &str) -> Vec<(String, Vec<Row>)> {
    let mut tables = Vec::new();
    let mut lines = page.lines();
    while let Some(line) = lines.next() {
        let Some(rest) = line.trim().strip_prefix("<!-- trace:") else {
            continue;
        };
        let name = rest.trim_end_matches("-->").trim().to_owned();
        let header = lines.next().expect("a table follows the marker");
        assert_eq!(
            header.replace(' ', ""),
            "|t|layer|n|x|i|w|v|spike|",
            "trace table {name}: unexpected header"
        );
        lines.next(); // the |---| line
        let mut rows = Vec::new();
        for line in lines.by_ref() {
            if !line.starts_with('|') {
                break;
            }
            let c: Vec<&str> = line.trim_matches('|').split('|').collect();
            assert_eq!(c.len(), 8, "trace table {name}: row {line:?}");
            rows.push(Row {
                step: cell(c[0]).unwrap() as u32,
                layer: cell(c[1]).unwrap() as usize,
                neuron: cell(c[2]).unwrap() as usize,
                input: cell(c[3]).unwrap(),
                current: cell(c[4]),
                adaptation: cell(c[5]),
                membrane: cell(c[6]).unwrap(),
                spikes: cell(c[7]).unwrap() as u32,
            });
        }
        tables.push((name, rows));
    }
    tables
}

#[test]
fn every_trace_table_matches_the_reference() {
    let page = std::fs::read_to_string(workspace_root().join("docs/semantics.md")).unwrap();
    let tables = trace_tables(&page);
    assert!(tables.len() >= 10, "only {} trace tables", tables.len());
    for (name, rows) in tables {
        let case = load_golden(&name);
        let (_, trace) = Reference::new(&case.network)
            .run_traced(&case.input.samples[0].events)
            .unwrap();
        // The table lists every neuron of every layer at every step.
        let neurons: usize = case.network.network().layers.iter().map(|l| l.size).sum();
        let steps = case.network.network().time_steps as usize;
        assert_eq!(
            rows.len(),
            steps * neurons,
            "trace table {name} is incomplete"
        );
        for row in &rows {
            let got = trace
                .iter()
                .find(|r| r.step == row.step && r.layer == row.layer && r.neuron == row.neuron)
                .unwrap_or_else(|| panic!("{name}: no trace for {row:?}"));
            let got = Row {
                step: got.step,
                layer: got.layer,
                neuron: got.neuron,
                input: got.input,
                current: got.current,
                adaptation: got.adaptation,
                membrane: got.membrane,
                spikes: got.spikes,
            };
            assert_eq!(&got, row, "docs/semantics.md, trace {name}");
        }
    }
}

#[test]
fn trace_spikes_agree_with_the_golden_expectation() {
    // The tables' spike columns and the golden expected.json were both
    // written by hand; make sure they tell the same story.
    let page = std::fs::read_to_string(workspace_root().join("docs/semantics.md")).unwrap();
    for (name, rows) in trace_tables(&page) {
        let case = load_golden(&name);
        let expected = &case.expected.samples[0];
        for (l, layer) in expected.layers.iter().enumerate() {
            // A neuron that fired n spikes in a step is listed n times.
            let from_table: Vec<(u32, u32)> = rows
                .iter()
                .filter(|r| r.layer == l)
                .flat_map(|r| std::iter::repeat_n((r.step, r.neuron as u32), r.spikes as usize))
                .collect();
            let from_file: Vec<(u32, u32)> =
                layer.events.iter().map(|s| (s.step, s.neuron)).collect();
            assert_eq!(from_table, from_file, "{name}: layer {l}");
        }
    }
}
