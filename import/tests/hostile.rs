//! Hostile and broken input: every failure is an error naming the file, the
//! node and the field, never a panic.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use spikegate_import::chain::build;
use spikegate_import::nir::{NirGraph, NirNode, Param};
use spikegate_import::{import_nir, ImportOptions};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/nir")
        .join(name)
}

fn options() -> ImportOptions {
    ImportOptions {
        dt: Some(1e-4),
        time_steps: 50,
        ..ImportOptions::default()
    }
}

fn scratch(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("spikegate-import-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path
}

#[test]
fn not_hdf5_is_refused() {
    let path = scratch("text.nir", b"this is not a NIR file\n");
    let e = import_nir(&path, &options()).expect_err("refused");
    assert_eq!(
        e.to_string(),
        format!("{}: not an HDF5 file (no HDF5 signature at its start); a NIR file is written by `nir.write` as HDF5", path.display())
    );
    let e = import_nir(Path::new("/nonexistent/x.nir"), &options()).expect_err("refused");
    assert!(
        e.to_string()
            .starts_with("/nonexistent/x.nir: cannot read the file: "),
        "{e}"
    );
}

#[test]
fn truncated_files_are_refused() {
    let bytes = std::fs::read(fixture("lif_norse.nir")).expect("fixture");
    for len in [8, 100, 1000, 4000, 8000, bytes.len() / 2, bytes.len() - 100] {
        let path = scratch(&format!("truncated{len}.nir"), &bytes[..len]);
        let e = import_nir(&path, &options()).expect_err("truncated file refused");
        assert!(
            e.to_string().starts_with(&path.display().to_string()),
            "{e}"
        );
    }
}

#[test]
fn damaged_bytes_never_panic() {
    // Every 97th byte flipped, one at a time: each result is an import or an
    // error; the reader's own panics (if any) become errors too.
    let bytes = std::fs::read(fixture("lif_norse.nir")).expect("fixture");
    let path = scratch("damaged.nir", &bytes);
    for at in (0..bytes.len()).step_by(97) {
        let mut b = bytes.clone();
        b[at] ^= 0x5A;
        std::fs::write(&path, &b).expect("write");
        if let Err(e) = import_nir(&path, &options()) {
            assert!(
                e.to_string().starts_with(&path.display().to_string()),
                "{e}"
            );
        }
    }
}

fn param(values: &[f64]) -> Param {
    Param {
        shape: vec![values.len()],
        values: values.to_vec(),
    }
}

fn node(name: &str, kind: &str, params: &[(&str, Param)]) -> (String, NirNode) {
    (
        name.to_owned(),
        NirNode {
            name: name.to_owned(),
            kind: kind.to_owned(),
            params: params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
            other: BTreeMap::new(),
        },
    )
}

/// input(2) -> fc (Affine 3x2) -> lif (LIF, 3) -> output.
fn graph(lif: &[(&str, Param)], weight: Param) -> NirGraph {
    let nodes: BTreeMap<String, NirNode> = [
        node("input", "Input", &[("shape", param(&[2.0]))]),
        node(
            "fc",
            "Affine",
            &[("weight", weight), ("bias", param(&[0.0, 0.1, 0.0]))],
        ),
        node("lif", "LIF", lif),
        node("output", "Output", &[]),
    ]
    .into_iter()
    .collect();
    NirGraph {
        version: Some("1.0.0".to_owned()),
        nodes,
        edges: vec![
            ("input".into(), "fc".into()),
            ("fc".into(), "lif".into()),
            ("lif".into(), "output".into()),
        ],
    }
}

fn weight() -> Param {
    Param {
        shape: vec![3, 2],
        values: vec![0.5, -0.2, 0.3, 0.9, 0.0, 1.0],
    }
}

fn lif_params() -> Vec<(&'static str, Param)> {
    vec![
        ("tau", param(&[1e-3, 1e-3, 1e-3])),
        ("r", param(&[1.0])),
        ("v_leak", param(&[0.0, 0.0, 0.0])),
        ("v_threshold", param(&[1.0, 1.0, 1.0])),
    ]
}

fn build_err(g: &NirGraph) -> String {
    match build(Path::new("net.nir"), g, &options()) {
        Ok(_) => panic!("the graph was accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_well_formed_graph_builds() {
    let chain = build(
        Path::new("net.nir"),
        &graph(&lif_params(), weight()),
        &options(),
    )
    .expect("builds");
    let l = &chain.network.layers[0];
    assert_eq!(l.size, 3);
    // dt / tau = 0.1: weights are 0.1 x r x W, fan-out rows.
    assert!((l.weights[1][2] - 0.1).abs() < 1e-12);
    assert!((l.bias[1] - 0.01).abs() < 1e-12);
}

#[test]
fn missing_parameter_names_node_and_field() {
    let mut p = lif_params();
    p.retain(|(k, _)| *k != "v_threshold");
    assert_eq!(
        build_err(&graph(&p, weight())),
        "net.nir: node `lif` (LIF): field `v_threshold`: missing parameter dataset `v_threshold`; a LIF node needs it"
    );
    let mut p = lif_params();
    p.retain(|(k, _)| *k != "tau");
    assert_eq!(
        build_err(&graph(&p, weight())),
        "net.nir: node `lif` (LIF): field `tau`: missing parameter dataset `tau`; a LIF node needs it"
    );
}

#[test]
fn wrong_shapes_name_node_and_field() {
    let mut p = lif_params();
    p[0] = ("tau", param(&[1e-3, 1e-3]));
    assert_eq!(
        build_err(&graph(&p, weight())),
        "net.nir: node `lif` (LIF): field `tau`: shape [2] does not fit the node's 3 neurons (expected 3 values or 1)"
    );
    let w = Param {
        shape: vec![2, 3],
        values: vec![0.0; 6],
    };
    assert_eq!(
        build_err(&graph(&lif_params(), w)),
        "net.nir: node `fc` (Affine): field `weight`: the matrix takes 3 inputs ([out, in] = [2, 3]), but the node before it gives 2"
    );
    let w = Param {
        shape: vec![6],
        values: vec![0.0; 6],
    };
    assert_eq!(
        build_err(&graph(&lif_params(), w)),
        "net.nir: node `fc` (Affine): field `weight`: expected a 2-dimensional [out, in] matrix, found shape [6]"
    );
}

#[test]
fn non_finite_parameters_name_node_and_field() {
    let mut p = lif_params();
    p[3] = ("v_threshold", param(&[1.0, f64::NAN, 1.0]));
    assert_eq!(
        build_err(&graph(&p, weight())),
        "net.nir: node `lif` (LIF): field `v_threshold`: value 1 is NaN; parameters must be finite numbers"
    );
    let w = Param {
        shape: vec![3, 2],
        values: vec![0.0, f64::INFINITY, 0.0, 0.0, 0.0, 0.0],
    };
    assert_eq!(
        build_err(&graph(&lif_params(), w)),
        "net.nir: node `fc` (Affine): field `weight`: value 1 is inf; parameters must be finite numbers"
    );
    let mut p = lif_params();
    p[3] = ("v_threshold", param(&[1.0, -1.0, 1.0]));
    assert_eq!(
        build_err(&graph(&p, weight())),
        "net.nir: node `lif` (LIF): field `v_threshold`: value 1 is -1; spikegate needs a positive threshold (a neuron at rest must not fire)"
    );
}

#[test]
fn unsupported_parameters_and_shapes_are_explained() {
    let mut p = lif_params();
    p.push(("v_reset", param(&[0.0, -0.5, 0.0])));
    assert_eq!(
        build_err(&graph(&p, weight())),
        "net.nir: node `lif` (LIF): field `v_reset`: value 1 is -0.5; spikegate resets to 0 (or by subtraction), so only v_reset = 0 imports"
    );
    // A branch: fc feeds two nodes.
    let mut g = graph(&lif_params(), weight());
    g.nodes
        .insert("other".into(), node("other", "LIF", &lif_params()).1);
    g.edges.push(("fc".into(), "other".into()));
    g.edges.push(("other".into(), "output".into()));
    assert_eq!(
        build_err(&g),
        "net.nir: node `fc` (Affine): the node feeds 2 nodes (`lif`, `other`); spikegate carries a feed-forward chain, branches are not supported yet"
    );
    // An edge to nowhere.
    let mut g = graph(&lif_params(), weight());
    g.edges.push(("lif".into(), "ghost".into()));
    assert_eq!(
        build_err(&g),
        "net.nir: field `node/edges`: the edge `lif` -> `ghost` names `ghost`, which is not a node of the graph"
    );
    // A trailing matrix without neurons.
    let mut g = graph(&lif_params(), weight());
    g.nodes.insert(
        "fc2".into(),
        node(
            "fc2",
            "Linear",
            &[(
                "weight",
                Param {
                    shape: vec![1, 3],
                    values: vec![1.0; 3],
                },
            )],
        )
        .1,
    );
    g.edges.retain(|(a, _)| a != "lif");
    g.edges.push(("lif".into(), "fc2".into()));
    g.edges.push(("fc2".into(), "output".into()));
    assert_eq!(
        build_err(&g),
        "net.nir: node `fc2` (Linear): the node is not followed by a neuron node before the Output; every spikegate layer ends in neurons (LIF, IF, CubaLIF, LI, I, CubaLI, Threshold)"
    );
}

/// `lif_norse.nir` with the element type of its Affine `weight` dataset (a
/// 1 x 1 float32) replaced by `datatype`, the 16 bytes of an HDF5 datatype
/// message body of the same length, so the file stays well formed.
fn lif_norse_with_weight_type(datatype: [u8; 16]) -> Vec<u8> {
    let mut bytes = std::fs::read(fixture("lif_norse.nir")).expect("fixture");
    // The datatype message of `weight`: class 1 (float), 4 bytes, IEEE
    // single precision. Checked, so a changed fixture fails here, clearly.
    const AT: usize = 0x3270;
    let float32 = [
        0x11, 0x20, 0x1f, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x17, 0x08, 0x00,
        0x17,
    ];
    assert_eq!(bytes[AT..AT + 16], float32, "the weight's float32 datatype");
    bytes[AT..AT + 16].copy_from_slice(&datatype);
    bytes
}

#[test]
fn a_dataset_of_an_unread_type_names_its_type_not_missing() {
    // IEEE half precision: 2 bytes, sign bit 15, exponent 10..15 (bias 15),
    // mantissa 0..10.
    let float16 = [
        0x11, 0x20, 0x0f, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x0a, 0x05, 0x00,
        0x0a,
    ];
    // A fixed-length 4-byte ASCII string.
    let string = [
        0x13, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00,
    ];
    for (name, datatype, kind) in [("f16", float16, "float16"), ("str", string, "string")] {
        let path = scratch(
            &format!("weight-{name}.nir"),
            &lif_norse_with_weight_type(datatype),
        );
        let e = import_nir(&path, &options()).expect_err("refused");
        assert_eq!(
            e.to_string(),
            format!(
                "{}: node `0` (Affine): field `weight`: dataset `weight` holds {kind} values; spikegate reads float32, float64 and integers (int8 to int64, uint8 to uint64)",
                path.display()
            )
        );
    }
    // In a graph built in code: a required and an optional dataset of a
    // type spikegate does not read (bool, complex) are errors naming it;
    // the optional one is not silently left out.
    let mut g = graph(&lif_params(), weight());
    let fc = g.nodes.get_mut("fc").expect("fc");
    fc.params.remove("weight");
    fc.other.insert("weight".into(), "complex128".into());
    assert_eq!(
        build_err(&g),
        "net.nir: node `fc` (Affine): field `weight`: dataset `weight` holds complex128 values; spikegate reads float32, float64 and integers (int8 to int64, uint8 to uint64)"
    );
    let mut g = graph(&lif_params(), weight());
    let fc = g.nodes.get_mut("fc").expect("fc");
    fc.params.remove("bias");
    fc.other.insert("bias".into(), "bool".into());
    assert_eq!(
        build_err(&g),
        "net.nir: node `fc` (Affine): field `bias`: dataset `bias` holds bool values; spikegate reads float32, float64 and integers (int8 to int64, uint8 to uint64)"
    );
}

#[test]
fn an_unreadable_root_type_is_named_as_such() {
    // The root node's `type` dataset (a variable-length string) with its
    // datatype turned into a 4-byte integer: before, this read as "the
    // root node is a ``, not a `NIRGraph`".
    let mut bytes = std::fs::read(fixture("lif_norse.nir")).expect("fixture");
    const AT: usize = 0x18b0;
    assert_eq!(bytes[AT], 0x19, "the root type's vlen-string datatype");
    bytes[AT] = 0x10;
    bytes[AT + 1] = 0x08;
    let path = scratch("root-type-int.nir", &bytes);
    let e = import_nir(&path, &options()).expect_err("refused");
    assert_eq!(
        e.to_string(),
        format!(
            "{}: field `node/type`: the root node's `type` is not a readable string (the file is damaged)",
            path.display()
        )
    );
}

/// `graph` with `lif` feeding itself back through `rec` (an Affine of
/// weight `weight`, bias `[0.2, 0, ..]`), or through `rec` and a Scale
/// when `via_scale`.
fn recurrent_graph(weight: Param, via_scale: bool) -> NirGraph {
    let mut g = graph(&lif_params(), self::weight());
    let mut bias = vec![0.0; weight.shape[0]];
    bias[0] = 0.2;
    g.nodes.extend([node(
        "rec",
        "Affine",
        &[("weight", weight), ("bias", param(&bias))],
    )]);
    g.edges.push(("lif".into(), "rec".into()));
    if via_scale {
        g.nodes
            .extend([node("gain", "Scale", &[("scale", param(&[1.0, 1.0, 1.0]))])]);
        g.edges.push(("rec".into(), "gain".into()));
        g.edges.push(("gain".into(), "lif".into()));
    } else {
        g.edges.push(("rec".into(), "lif".into()));
    }
    g
}

#[test]
fn a_loop_through_one_affine_is_the_layers_recurrent_weights() {
    let w = Param {
        shape: vec![3, 3],
        values: vec![0.0, 1.0, 0.0, -2.0, 0.0, 0.0, 0.0, 0.0, 3.0],
    };
    let chain =
        build(Path::new("net.nir"), &recurrent_graph(w, false), &options()).expect("builds");
    let l = &chain.network.layers[0];
    let r = l.recurrent.as_ref().expect("recurrent weights");
    // dt / tau = 0.1 on NIR's [out][in] matrix, as fan-out rows: from
    // neuron 1 to neuron 0 (W[0][1] = 1), from 0 to 1 (W[1][0] = -2), 2 to 2.
    let want = [[0.0, -0.2, 0.0], [0.1, 0.0, 0.0], [0.0, 0.0, 0.3]];
    for (j, row) in want.iter().enumerate() {
        for (i, &w) in row.iter().enumerate() {
            assert!((r[j][i] - w).abs() < 1e-12, "r[{j}][{i}] = {}", r[j][i]);
        }
    }
    // The loop's bias acts every step, beside the input's (0, 0.1, 0).
    assert!((l.bias[0] - 0.02).abs() < 1e-12 && (l.bias[1] - 0.01).abs() < 1e-12);
    assert!(
        l.sources.iter().any(|s| s.contains("`rec`")),
        "{:?}",
        l.sources
    );
}

#[test]
fn other_loops_and_misshapen_recurrent_matrices_are_refused_by_name() {
    let square = Param {
        shape: vec![3, 3],
        values: vec![0.5; 9],
    };
    let e = build_err(&recurrent_graph(square, true));
    assert!(
        e.contains("recurrent loop lif -> rec -> gain -> lif")
            && e.contains("spikegate imports a loop only from a neuron node through one Affine or Linear node"),
        "{e}"
    );
    let wide = Param {
        shape: vec![2, 3],
        values: vec![0.5; 6],
    };
    let e = build_err(&recurrent_graph(wide, false));
    assert!(
        e.contains("node `rec` (Affine)")
            && e.contains("the recurrent matrix of `lif` must be 3 x 3"),
        "{e}"
    );
}
