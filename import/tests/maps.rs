//! NIR graphs with maps: `Conv2d`, `SumPool2d`, `AvgPool2d` and `Flatten`
//! into conv layers and input pools; what spikegate cannot carry of them
//! is refused naming the node and the field. The real Sinabs CNN is in
//! `nir_fixtures.rs`.

use std::collections::BTreeMap;
use std::path::Path;

use spikegate_import::chain::build;
use spikegate_import::nir::{NirGraph, NirNode, Param};
use spikegate_import::quantize::quantize;
use spikegate_import::{Framework, ImportOptions};
use spikegate_model::validate::validate;

fn param(shape: &[usize], values: &[f64]) -> Param {
    Param {
        shape: shape.to_vec(),
        values: values.to_vec(),
    }
}

fn scalar_list(values: &[f64]) -> Param {
    param(&[values.len()], values)
}

fn if_node() -> Vec<(&'static str, Param)> {
    vec![
        ("r", scalar_list(&[1.0])),
        ("v_threshold", scalar_list(&[1.0])),
    ]
}

/// A node of a test graph: name, NIR type, parameters.
type Spec<'a> = (&'a str, &'a str, Vec<(&'a str, Param)>);

/// A chain `input -> nodes... -> output`.
fn chain(input_shape: &[f64], nodes: Vec<Spec>) -> NirGraph {
    let mut all: BTreeMap<String, NirNode> = BTreeMap::new();
    let mut names = vec!["input".to_owned()];
    let mut add = |name: &str, kind: &str, params: Vec<(&str, Param)>| {
        all.insert(
            name.to_owned(),
            NirNode {
                name: name.to_owned(),
                kind: kind.to_owned(),
                params: params.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
                other: BTreeMap::new(),
            },
        );
    };
    add("input", "Input", vec![("shape", scalar_list(input_shape))]);
    for (name, kind, params) in nodes {
        add(name, kind, params);
        names.push(name.to_owned());
    }
    add("output", "Output", vec![]);
    names.push("output".to_owned());
    NirGraph {
        version: Some("1.0.0".to_owned()),
        nodes: all,
        edges: names
            .windows(2)
            .map(|w| (w[0].clone(), w[1].clone()))
            .collect(),
    }
}

/// 1 x 4 x 4 -> Conv2d 2@3x3 (padding 1) -> IF -> pool 2x2 -> Flatten ->
/// Affine 8 -> 3 -> IF.
fn cnn(pool: &str, conv_extra: Vec<(&'static str, Param)>) -> NirGraph {
    let kernel: Vec<f64> = (0..18).map(|k| ((k * 7) % 5) as f64 * 0.25 - 0.5).collect();
    let mut conv = vec![
        ("weight", param(&[2, 1, 3, 3], &kernel)),
        ("bias", scalar_list(&[0.1, -0.1])),
        ("stride", scalar_list(&[1.0, 1.0])),
        ("padding", scalar_list(&[1.0, 1.0])),
    ];
    conv.extend(conv_extra);
    let dense: Vec<f64> = (0..24).map(|k| ((k * 3) % 7) as f64 * 0.2 - 0.5).collect();
    chain(
        &[1.0, 4.0, 4.0],
        vec![
            ("conv", "Conv2d", conv),
            ("if1", "IF", if_node()),
            (
                "pool",
                pool,
                vec![
                    ("kernel_size", scalar_list(&[2.0, 2.0])),
                    ("stride", scalar_list(&[2.0, 2.0])),
                ],
            ),
            (
                "flat",
                "Flatten",
                vec![("input_type", scalar_list(&[2.0, 2.0, 2.0]))],
            ),
            ("fc", "Affine", vec![("weight", param(&[3, 8], &dense))]),
            ("if2", "IF", if_node()),
        ],
    )
}

fn options() -> ImportOptions {
    ImportOptions {
        time_steps: 8,
        framework: Framework::Nir,
        ..ImportOptions::default()
    }
}

fn build_err(g: &NirGraph) -> String {
    match build(Path::new("net.nir"), g, &options()) {
        Ok(_) => panic!("the graph was accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_conv_pool_flatten_dense_chain_becomes_a_conv_layer_and_a_pooled_dense_layer() {
    let chain = build(Path::new("net.nir"), &cnn("SumPool2d", vec![]), &options()).expect("builds");
    let net = &chain.network;
    assert_eq!(net.inputs, 16);
    let conv = net.layers[0].conv.as_ref().expect("a conv layer");
    assert_eq!(conv.geometry.input, [1, 4, 4]);
    assert_eq!(conv.geometry.output(), Some([2, 4, 4]));
    assert_eq!(net.layers[0].size, 32);
    let pool = net.layers[1].pool.as_ref().expect("a pooled layer");
    assert_eq!((pool.input, pool.kernel), ([2, 4, 4], [2, 2]));
    assert_eq!(net.layers[1].weights.len(), 8);
    // The integer model is valid: a conv2d layer and an input pool.
    let q = quantize(net, &options());
    let model = validate(q.network).expect("valid");
    let layers = &model.network().layers;
    assert!(layers[0].conv2d.is_some() && layers[0].weights.is_empty());
    assert_eq!(layers[0].bias.as_ref().map(Vec::len), Some(2));
    assert!(layers[1].input_pool.is_some());
}

#[test]
fn an_average_pool_folds_its_quarter_into_the_weights_after_it() {
    let sum = build(Path::new("a.nir"), &cnn("SumPool2d", vec![]), &options()).unwrap();
    let avg = build(Path::new("a.nir"), &cnn("AvgPool2d", vec![]), &options()).unwrap();
    let (s, a) = (&sum.network.layers[1], &avg.network.layers[1]);
    for (rs, ra) in s.weights.iter().zip(&a.weights) {
        for (ws, wa) in rs.iter().zip(ra) {
            assert!((ws / 4.0 - wa).abs() < 1e-12, "{ws} / 4 against {wa}");
        }
    }
}

#[test]
fn what_spikegate_cannot_carry_of_maps_is_refused_by_node_and_field() {
    let e = build_err(&cnn("SumPool2d", vec![("groups", scalar_list(&[2.0]))]));
    assert_eq!(
        e,
        "net.nir: node `conv` (Conv2d): field `groups`: groups [2.0]: spikegate carries groups 1 only"
    );
    let e = build_err(&cnn(
        "SumPool2d",
        vec![("dilation", scalar_list(&[2.0, 2.0]))],
    ));
    assert_eq!(
        e,
        "net.nir: node `conv` (Conv2d): field `dilation`: dilation [2.0, 2.0]: spikegate carries dilation 1 only"
    );
    // A pool whose stride is not its window.
    let mut g = cnn("SumPool2d", vec![]);
    g.nodes
        .get_mut("pool")
        .unwrap()
        .params
        .insert("stride".into(), scalar_list(&[1.0, 1.0]));
    assert_eq!(
        build_err(&g),
        "net.nir: node `pool` (SumPool2d): field `stride`: spikegate pools with windows that tile the map (stride = kernel, no padding); this one has kernel [2, 2], stride [1, 1], padding [0, 0]"
    );
    // A window that does not tile the 4 x 4 map.
    let mut g = cnn("SumPool2d", vec![]);
    let pool = g.nodes.get_mut("pool").unwrap();
    pool.params
        .insert("kernel_size".into(), scalar_list(&[3.0, 3.0]));
    pool.params
        .insert("stride".into(), scalar_list(&[3.0, 3.0]));
    assert_eq!(
        build_err(&g),
        "net.nir: node `pool` (SumPool2d): field `kernel_size`: [3, 3] windows do not tile the 4 x 4 map"
    );
    // A Flatten that declares another map.
    let mut g = cnn("SumPool2d", vec![]);
    g.nodes
        .get_mut("flat")
        .unwrap()
        .params
        .insert("input_type".into(), scalar_list(&[2.0, 4.0, 1.0]));
    assert_eq!(
        build_err(&g),
        "net.nir: node `flat` (Flatten): field `input_type`: the Flatten declares input [2, 4, 1], but the map before it is [2, 2, 2]"
    );
    // A kernel of two input channels on a one-channel input.
    let mut g = cnn("SumPool2d", vec![]);
    g.nodes
        .get_mut("conv")
        .unwrap()
        .params
        .insert("weight".into(), param(&[1, 2, 3, 3], &[0.5; 18]));
    assert_eq!(
        build_err(&g),
        "net.nir: node `conv` (Conv2d): field `weight`: the kernel [out, in, kh, kw] = [1, 2, 3, 3] does not read the 1 x 4 x 4 map before it"
    );
    // A pool on a flat input, whose map is unknown.
    let g = chain(
        &[16.0],
        vec![
            (
                "pool",
                "SumPool2d",
                vec![("kernel_size", scalar_list(&[2.0, 2.0]))],
            ),
            ("fc", "Affine", vec![("weight", param(&[1, 4], &[1.0; 4]))]),
            ("if1", "IF", if_node()),
        ],
    );
    assert!(
        build_err(&g)
            .starts_with("net.nir: node `pool` (SumPool2d): the map the pool acts on is unknown"),
        "{}",
        build_err(&g)
    );
    // Thresholds that differ within an output channel.
    let mut g = cnn("SumPool2d", vec![]);
    let thresholds: Vec<f64> = (0..32).map(|i| if i == 5 { 2.0 } else { 1.0 }).collect();
    g.nodes
        .get_mut("if1")
        .unwrap()
        .params
        .insert("v_threshold".into(), param(&[2, 4, 4], &thresholds));
    assert_eq!(
        build_err(&g),
        "net.nir: node `if1` (IF): field `v_threshold`: the thresholds of output channel 0 differ; the neurons of a channel share their kernels, so spikegate needs one threshold a channel"
    );
    // A Scale after a convolution.
    let mut g = cnn("SumPool2d", vec![]);
    g.nodes.insert(
        "scale".into(),
        NirNode {
            name: "scale".into(),
            kind: "Scale".into(),
            params: [("scale".to_owned(), scalar_list(&[2.0]))]
                .into_iter()
                .collect(),
            other: BTreeMap::new(),
        },
    );
    g.edges.retain(|(a, _)| a != "conv");
    g.edges.push(("conv".into(), "scale".into()));
    g.edges.push(("scale".into(), "if1".into()));
    assert!(
        build_err(&g).starts_with("net.nir: node `scale` (Scale): spikegate does not combine this node with a convolution or a pool"),
        "{}",
        build_err(&g)
    );
}

#[test]
fn a_conv1d_is_a_conv2d_of_one_row() {
    // 2 channels of 8 -> Conv1d 3@3 stride 2 padding 1 -> IF -> Affine -> IF:
    // length (8 + 2 - 3) / 2 + 1 = 4, so 3 x 1 x 4 = 12 neurons.
    let kernel: Vec<f64> = (0..18).map(|k| ((k * 5) % 7) as f64 * 0.2 - 0.4).collect();
    let g = chain(
        &[2.0, 8.0],
        vec![
            (
                "conv",
                "Conv1d",
                vec![
                    ("weight", param(&[3, 2, 3], &kernel)),
                    ("stride", scalar_list(&[2.0])),
                    ("padding", scalar_list(&[1.0])),
                    ("input_shape", scalar_list(&[8.0])),
                ],
            ),
            ("if1", "IF", if_node()),
            (
                "fc",
                "Affine",
                vec![("weight", param(&[1, 12], &[0.5; 12]))],
            ),
            ("if2", "IF", if_node()),
        ],
    );
    let chain = build(Path::new("net.nir"), &g, &options()).expect("builds");
    let conv = &chain.network.layers[0]
        .conv
        .as_ref()
        .expect("conv")
        .geometry;
    assert_eq!(
        (conv.input, conv.kernel, conv.strides(), conv.pads()),
        ([2, 1, 8], [1, 3], [1, 2], [0, 1])
    );
    assert_eq!(chain.network.layers[0].size, 12);
    let model = validate(quantize(&chain.network, &options()).network).expect("valid");
    // The event-driven reference and the dense naive model agree on it.
    let input: Vec<spikegate_model::Spike> = (0..8)
        .flat_map(|t| {
            (0..16)
                .filter(move |j| (t + j) % 3 == 0)
                .map(move |j| spikegate_model::Spike::new(t, j))
        })
        .collect();
    let run = spikegate_sim::Reference::new(&model).run(&input).unwrap();
    assert!(!run.layers[0].is_empty());
    assert_eq!(
        spikegate_sim::naive::run_naive(&model, &input).0,
        run.layers
    );
    // A Conv1d kernel must have three dimensions.
    let mut bad = g.clone();
    bad.nodes
        .get_mut("conv")
        .unwrap()
        .params
        .insert("weight".into(), param(&[3, 2, 1, 3], &kernel));
    assert_eq!(
        build_err(&bad),
        "net.nir: node `conv` (Conv1d): field `weight`: expected a 3-dimensional [out, in, k] kernel, found shape [3, 2, 1, 3]"
    );
}
