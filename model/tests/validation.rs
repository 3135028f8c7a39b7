//! Every validation rule, each broken once on an otherwise valid model,
//! with its full message pinned.

use serde_json::{json, Value};
use spikegate_model::{load_network, load_spikes, parse_network};

/// A valid 2-layer model: 3 inputs -> 4 `cuba` (named "hidden") -> 2 `if`.
fn valid() -> Value {
    json!({
        "format": "spikegate-model/1",
        "name": "t",
        "time_steps": 8,
        "inputs": 3,
        "layers": [
            {
                "name": "hidden",
                "size": 4,
                "neuron": {"kind": "cuba", "current_decay": {"shift": 2}},
                "widths": {"weight": 8, "membrane": 16, "threshold": 16, "current": 12},
                "threshold": 100,
                "reset": "subtract",
                "weights": [[1, 2, 3, 4], [5, 6, 7, 8], [-1, -2, -3, -4]],
                "bias": [0, 1, 2, 3],
                "delays": {"max": 3, "values": [[0, 1, 2, 3], [3, 2, 1, 0], [0, 0, 0, 0]]}
            },
            {
                "size": 2,
                "neuron": {"kind": "if"},
                "widths": {"weight": 4, "membrane": 8, "threshold": 8},
                "threshold": 5,
                "reset": "zero",
                "weights": [[1, 2], [3, 4], [5, 6], [7, -8]]
            }
        ],
        "output": {"decode": "first_spike"}
    })
}

fn err(model: &Value) -> String {
    match parse_network(&model.to_string()) {
        Ok(_) => panic!("accepted: {model}"),
        Err(e) => e.to_string(),
    }
}

fn broken(edit: impl FnOnce(&mut Value)) -> String {
    let mut m = valid();
    edit(&mut m);
    err(&m)
}

#[test]
fn the_base_model_is_valid() {
    parse_network(&valid().to_string()).unwrap();
}

#[test]
fn top_level_rules() {
    assert_eq!(
        broken(|m| m["format"] = json!("x/2")),
        "field `format`: expected \"spikegate-model/1\", found \"x/2\""
    );
    assert_eq!(
        broken(|m| m["time_steps"] = json!(0)),
        "field `time_steps`: must be between 1 and 1000000, not 0"
    );
    assert_eq!(
        broken(|m| m["time_steps"] = json!(1_000_001)),
        "field `time_steps`: must be between 1 and 1000000, not 1000001"
    );
    assert_eq!(
        broken(|m| m["inputs"] = json!(0)),
        "field `inputs`: must be between 1 and 1048576, not 0"
    );
    assert_eq!(
        broken(|m| m["layers"] = json!([])),
        "field `layers`: a network needs between 1 and 64 layers, not 0"
    );
}

#[test]
fn layer_shape_rules() {
    assert_eq!(
        broken(|m| m["layers"][1]["size"] = json!(0)),
        "layer 1: field `size`: a layer needs between 1 and 1048576 neurons, not 0"
    );
    assert_eq!(
        broken(|m| m["layers"][1]["size"] = json!(1usize << 21)),
        "layer 1: field `size`: a layer needs between 1 and 1048576 neurons, not 2097152"
    );
    assert_eq!(
        broken(|m| m["layers"][0]["weights"]
            .as_array_mut()
            .unwrap()
            .pop()
            .map(drop)
            .unwrap()),
        "layer 0 (hidden): field `weights`: expected 3 rows (one per presynaptic neuron), found 2"
    );
    assert_eq!(
        broken(|m| m["layers"][1]["weights"] = json!([[1], [2], [3], [4]])),
        "layer 1: field `weights[0]`: expected 2 values (one per neuron of this layer), found 1"
    );
    assert_eq!(
        broken(|m| m["layers"][0]["bias"] = json!([1, 2])),
        "layer 0 (hidden): field `bias`: expected 4 values (one per neuron), found 2"
    );
    assert_eq!(
        broken(|m| m["layers"][0]["delays"]["values"] = json!([[0, 0], [0, 0], [0, 0]])),
        "layer 0 (hidden): field `delays.values[0]`: expected 4 values (one per neuron of this layer), found 2"
    );
}

/// A matrix's rows all have one length (it is stored as one buffer), so a
/// row unlike row 0 is refused while it is read, before validation.
#[test]
fn a_ragged_row_is_refused_while_it_is_read() {
    let starts = |e: String, head: &str| assert!(e.starts_with(head), "{e}");
    starts(
        broken(|m| m["layers"][1]["weights"][2] = json!([1])),
        "layer 1: field `weights[2]`: expected 2 values (as row 0 has), found 1 at line 1 column ",
    );
    starts(
        broken(|m| m["layers"][1]["weights"][3] = json!([1, 2, 3])),
        "layer 1: field `weights[3]`: expected 2 values (as row 0 has), found 3 at line 1 column ",
    );
    starts(
        broken(|m| m["layers"][0]["delays"]["values"][1] = json!([0, 0])),
        "layer 0: field `delays.values[1]`: expected 4 values (as row 0 has), found 2 at line 1 column ",
    );
    // The values past the expected length are still read as integers.
    starts(
        broken(|m| m["layers"][1]["weights"][1] = json!([1, 2, "x"])),
        "layer 1: field `weights[1][2]`: invalid type: string \"x\", expected i64",
    );
}

#[test]
fn values_must_fit_their_widths() {
    assert_eq!(
        broken(|m| m["layers"][0]["weights"][1][2] = json!(300)),
        "layer 0 (hidden): field `weights[1][2]`: 300 does not fit the 8-bit weight width (-128..=127)"
    );
    assert_eq!(
        broken(|m| m["layers"][1]["weights"][3][1] = json!(-9)),
        "layer 1: field `weights[3][1]`: -9 does not fit the 4-bit weight width (-8..=7)"
    );
    assert_eq!(
        broken(|m| m["layers"][0]["bias"][3] = json!(128)),
        "layer 0 (hidden): field `bias[3]`: 128 does not fit the 8-bit weight width (-128..=127)"
    );
    assert_eq!(
        broken(|m| m["layers"][0]["widths"]["membrane"] = json!(33)),
        "layer 0 (hidden): field `widths.membrane`: widths must be between 2 and 32 bits, not 33"
    );
    assert_eq!(
        broken(|m| m["layers"][1]["widths"]["weight"] = json!(1)),
        "layer 1: field `widths.weight`: widths must be between 2 and 32 bits, not 1"
    );
}

#[test]
fn widths_each_kind_needs() {
    assert_eq!(
        broken(|m| m["layers"][0]["widths"].as_object_mut().unwrap().remove("current").map(drop).unwrap()),
        "layer 0 (hidden): field `widths.current`: a `cuba` neuron keeps a synaptic current; give its width"
    );
    assert_eq!(
        broken(|m| m["layers"][1]["widths"]["current"] = json!(8)),
        "layer 1: field `widths.current`: a `if` neuron has no synaptic current state; remove this width"
    );
    assert_eq!(
        broken(|m| m["layers"][1]["widths"]["adaptation"] = json!(8)),
        "layer 1: field `widths.adaptation`: a `if` neuron has no adaptation variable; remove this width"
    );
    assert_eq!(
        broken(|m| m["layers"][1]["neuron"] = json!({"kind": "adlif", "alpha": 1, "beta": 1, "a": 0, "b": 0, "frac_bits": 2})),
        "layer 1: field `widths.adaptation`: an `adlif` neuron keeps an adaptation variable; give its width"
    );
}

#[test]
fn neuron_parameters() {
    assert_eq!(
        broken(|m| m["layers"][0]["neuron"]["current_decay"] = json!({"shift": 0})),
        "layer 0 (hidden): field `neuron.current_decay.shift`: the shift must be between 1 and 11 (one less than the 12-bit state it decays), not 0"
    );
    assert_eq!(
        broken(|m| m["layers"][0]["neuron"]["membrane_decay"] = json!({"shift": 16})),
        "layer 0 (hidden): field `neuron.membrane_decay.shift`: the shift must be between 1 and 15 (one less than the 16-bit state it decays), not 16"
    );
    assert_eq!(
        broken(|m| m["layers"][0]["neuron"]["membrane_decay"] = json!({"multiply": {"beta": 257, "frac_bits": 8}})),
        "layer 0 (hidden): field `neuron.membrane_decay.multiply.beta`: a decay factor must be between 0 and 256 (1.0 with 8 fraction bits), not 257"
    );
    assert_eq!(
        broken(|m| m["layers"][0]["neuron"]["membrane_decay"] = json!({"multiply": {"beta": 1, "frac_bits": 17}})),
        "layer 0 (hidden): field `neuron.membrane_decay.multiply.frac_bits`: fraction bits must be between 1 and 16, not 17"
    );
    let adlif = |a: i64, b: i64, alpha: i64, frac_bits: u32| {
        move |m: &mut Value| {
            m["layers"][1]["neuron"] = json!({"kind": "adlif", "alpha": alpha, "beta": 1, "a": a, "b": b, "frac_bits": frac_bits});
            m["layers"][1]["widths"]["adaptation"] = json!(6);
        }
    };
    assert_eq!(
        broken(adlif(1 << 17, 0, 1, 4)),
        "layer 1: field `neuron.a`: 131072 does not fit the 18-bit coefficient width (-131072..=131071)"
    );
    assert_eq!(
        broken(adlif(0, 32, 1, 4)),
        "layer 1: field `neuron.b`: 32 does not fit the 6-bit adaptation width (-32..=31)"
    );
    assert_eq!(
        broken(adlif(0, 0, -1, 4)),
        "layer 1: field `neuron.alpha`: a decay factor must be between 0 and 16 (1.0 with 4 fraction bits), not -1"
    );
    assert_eq!(
        broken(adlif(0, 0, 1, 0)),
        "layer 1: field `neuron.frac_bits`: fraction bits must be between 1 and 16, not 0"
    );
}

#[test]
fn threshold_and_reset() {
    assert_eq!(
        broken(|m| m["layers"][1]["threshold"] = json!(0)),
        "layer 1: field `threshold`: the threshold must be at least 1, not 0: a neuron at rest (v = 0) would fire"
    );
    assert_eq!(
        broken(|m| m["layers"][1]["threshold"] = json!(128)),
        "layer 1: field `threshold`: 128 does not fit the 8-bit threshold width (-128..=127)"
    );
    assert_eq!(
        broken(|m| {
            m["layers"][1]["widths"]["threshold"] = json!(12);
            m["layers"][1]["threshold"] = json!(200);
        }),
        "layer 1: field `threshold`: 200 exceeds the largest 8-bit membrane value 127; the neuron could never fire"
    );
    assert_eq!(
        broken(|m| m["layers"][1]
            .as_object_mut()
            .unwrap()
            .remove("threshold")
            .map(drop)
            .unwrap()),
        "layer 1: field `threshold`: a spiking layer needs a threshold"
    );
    assert_eq!(
        broken(|m| m["layers"][1].as_object_mut().unwrap().remove("reset").map(drop).unwrap()),
        "layer 1: field `reset`: a spiking layer needs a reset mode: \"subtract\", \"zero\" or \"none\""
    );
    assert_eq!(
        broken(|m| m["output"]["decode"] = json!("readout")),
        "layer 1: field `threshold`: a readout layer does not spike; remove its threshold"
    );
    assert_eq!(
        broken(|m| {
            m["output"]["decode"] = json!("readout");
            m["layers"][1].as_object_mut().unwrap().remove("threshold");
        }),
        "layer 1: field `reset`: a readout layer does not spike; remove its reset"
    );
}

#[test]
fn delays() {
    assert_eq!(
        broken(|m| m["layers"][0]["delays"]["values"][2][1] = json!(4)),
        "layer 0 (hidden): field `delays.values[2][1]`: 4 is above the layer's maximum delay 3"
    );
    assert_eq!(
        broken(|m| m["layers"][0]["delays"]["max"] = json!(5000)),
        "layer 0 (hidden): field `delays.max`: the largest delay must be at most 4096, not 5000"
    );
}

#[test]
fn huge_claims_fail_fast_on_shape() {
    // A model claiming a million inputs with tiny arrays: a shape error,
    // found without allocating for the claimed size.
    let e = broken(|m| {
        m["inputs"] = json!(1 << 20);
        m["layers"][0]["size"] = json!(1 << 20);
    });
    assert!(
        e.starts_with("layer 0 (hidden): field `weights`: expected 1048576 rows"),
        "{e}"
    );
}

#[test]
fn too_many_synapses_and_delay_slots() {
    // 1024 inputs x 2^17 neurons = 2^27 synapses in layer 0, plus layer 1.
    let mut m = json!({
        "format": "spikegate-model/1", "name": "big", "time_steps": 1, "inputs": 1,
        "layers": [{"size": 1 << 20, "neuron": {"kind": "if"},
                    "widths": {"weight": 2, "membrane": 4, "threshold": 4},
                    "threshold": 1, "reset": "zero",
                    "weights": [vec![0; 1 << 20]],
                    "delays": {"max": 4096, "values": [vec![0; 1 << 20]]}}],
        "output": {"decode": "spike_count"}
    });
    assert_eq!(
        err(&m),
        "layer 0: field `delays.max`: 4097 delay slots x 1048576 neurons = 4296015872 accumulators, more than the 67108864 spikegate accepts; lower the largest delay"
    );
    m["layers"][0].as_object_mut().unwrap().remove("delays");
    parse_network(&m.to_string()).unwrap();
}

#[test]
fn parse_errors_name_layer_and_field() {
    let mut m = valid();
    m["layers"][1]["neuron"] = json!({"kind": "izhikevich"});
    let e = err(&m);
    assert!(e.starts_with("layer 1: field `neuron"), "{e}");
    assert!(e.contains("unknown variant `izhikevich`"), "{e}");
    assert!(e.contains("`if`, `lif`, `cuba`, `ttfs`, `adlif`"), "{e}");

    let mut m = valid();
    m["layers"][0]["widths"]["colour"] = json!(3);
    let e = err(&m);
    assert!(e.starts_with("layer 0: field `widths"), "{e}");
    assert!(e.contains("unknown field `colour`"), "{e}");

    let mut m = valid();
    m["layers"][1]["reset"] = json!("sometimes");
    let e = err(&m);
    assert!(
        e.starts_with("layer 1: field `reset`: unknown variant `sometimes`"),
        "{e}"
    );

    let mut m = valid();
    m["layers"][0]["weights"][0][0] = json!(1.5);
    let e = err(&m);
    assert!(
        e.starts_with("layer 0: field `weights[0][0]`: invalid type: floating point `1.5`"),
        "{e}"
    );

    let mut m = valid();
    m["layers"][0]["size"] = json!(-1);
    assert!(
        err(&m).starts_with("layer 0: field `size`: invalid value: integer `-1`"),
        "{}",
        err(&m)
    );

    let mut m = valid();
    m.as_object_mut().unwrap().remove("time_steps");
    assert!(
        err(&m).contains("missing field `time_steps`"),
        "{}",
        err(&m)
    );

    let e = parse_network(&(valid().to_string() + " x"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("trailing characters"), "{e}");
    let e = parse_network("@@ not json").unwrap_err().to_string();
    assert!(e.contains("expected value at line 1 column 1"), "{e}");
}

#[test]
fn file_errors_start_with_the_path() {
    let dir = std::env::temp_dir().join(format!("spikegate-validation-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("model.json");
    let mut m = valid();
    m["layers"][1]["threshold"] = json!(0);
    std::fs::write(&path, m.to_string()).unwrap();
    let e = load_network(&path).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}: layer 1: field `threshold`: the threshold must be at least 1, not 0: a neuron at rest (v = 0) would fire",
            path.display()
        )
    );
    let missing = dir.join("missing.json");
    let e = load_network(&missing).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("{}: cannot read the file", missing.display())),
        "{e}"
    );
}

#[test]
fn spike_files_are_checked_against_the_model() {
    let dir = std::env::temp_dir().join(format!("spikegate-spikes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let model = dir.join("model.json");
    std::fs::write(&model, valid().to_string()).unwrap();
    let network = load_network(&model).unwrap();
    let spikes = dir.join("spikes.json");
    let check = |v: Value| {
        std::fs::write(&spikes, v.to_string()).unwrap();
        load_spikes(&spikes, &network)
            .map(drop)
            .map_err(|e| e.to_string())
    };
    let file = |neurons: usize, steps: u32, events: Value| {
        json!({"format": "spikegate-spikes/1", "neurons": neurons, "time_steps": steps,
               "samples": [{"events": [[0, 0]]}, {"events": events}]})
    };
    let at = spikes.display().to_string();
    check(file(3, 8, json!([[7, 2], [0, 0]]))).unwrap();
    assert_eq!(
        check(file(4, 8, json!([]))),
        Err(format!(
            "{at}: field `neurons`: the model has 3 inputs, the spike file 4"
        ))
    );
    assert_eq!(
        check(file(3, 9, json!([]))),
        Err(format!(
            "{at}: field `time_steps`: the model runs 8 steps per sample, the spike file 9"
        ))
    );
    assert_eq!(
        check(file(3, 8, json!([[1, 1], [8, 0]]))),
        Err(format!(
            "{at}: sample 1: field `events[1]`: step 8 is not below time_steps 8"
        ))
    );
    assert_eq!(
        check(file(3, 8, json!([[1, 3]]))),
        Err(format!(
            "{at}: sample 1: field `events[0]`: neuron 3 is not below the 3 inputs"
        ))
    );
    assert_eq!(
        check(file(3, 8, json!([[1, 2], [0, 0], [1, 2]]))),
        Err(format!("{at}: sample 1: field `events[2]`: [1, 2] appears twice; a neuron spikes at most once a step"))
    );
    let e = check(
        json!({"format": "spikegate-spikes/1", "neurons": 3, "time_steps": 8,
                          "samples": [{"events": [[1, 2, 3]]}]}),
    )
    .unwrap_err();
    assert!(
        e.starts_with(&format!("{at}: sample 0: field `events[0]`")),
        "{e}"
    );
}

/// The JSON block that follows `<!-- example: NAME -->` in the page.
fn doc_example(page: &str, name: &str) -> String {
    let marker = format!("<!-- example: {name} -->");
    let after = &page[page.find(&marker).expect("marker present") + marker.len()..];
    let start = after.find("```json\n").expect("a json block follows") + 8;
    let end = after[start..].find("```").unwrap();
    after[start..start + end].to_owned()
}

#[test]
fn the_format_page_examples_are_valid() {
    let page = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/model-format.md"
    ))
    .unwrap();
    let network = parse_network(&doc_example(&page, "model")).unwrap();
    let spikes: spikegate_model::SpikeFile =
        spikegate_model::load::parse_json(&doc_example(&page, "spikes")).unwrap();
    spikes.check_against(&network).unwrap();
    assert_eq!(spikes.samples.len(), 2);
}

#[test]
fn reset_timing_rules() {
    let mut deferred = valid();
    deferred["layers"][0]["reset_timing"] = json!("deferred");
    parse_network(&deferred.to_string()).expect("a deferred subtract is valid");
    assert_eq!(
        broken(|m| {
            m["layers"][1]["reset"] = json!("none");
            m["layers"][1]["reset_timing"] = json!("deferred");
        }),
        "layer 1: field `reset_timing`: reset \"none\" has nothing to defer; use \"immediate\" or leave reset_timing out"
    );
    assert_eq!(
        broken(|m| {
            m["output"]["decode"] = json!("readout");
            let last = m["layers"][1].as_object_mut().unwrap();
            last.remove("threshold");
            last.remove("reset");
            last.insert("reset_timing".into(), json!("immediate"));
        }),
        "layer 1: field `reset_timing`: a readout layer does not spike; remove its reset_timing"
    );
    let text = broken(|m| m["layers"][0]["reset_timing"] = json!("later"));
    assert!(
        text.contains("`later`") && text.contains("immediate"),
        "{text}"
    );
}

#[test]
fn max_spikes_and_membrane_floor_rules() {
    let mut multi = valid();
    multi["layers"][0]["max_spikes"] = json!(4);
    multi["layers"][0]["membrane_floor"] = json!(-100);
    parse_network(&multi.to_string()).expect("four spikes a step and a floor are valid");
    assert_eq!(
        broken(|m| m["layers"][1]["max_spikes"] = json!(0)),
        "layer 1: field `max_spikes`: must be between 1 and 255, not 0"
    );
    assert_eq!(
        broken(|m| m["layers"][1]["max_spikes"] = json!(256)),
        "layer 1: field `max_spikes`: must be between 1 and 255, not 256"
    );
    assert_eq!(
        broken(|m| {
            m["layers"][1]["neuron"] = json!({"kind": "ttfs"});
            m["layers"][1]["widths"]["current"] = json!(8);
            m["layers"][1]["max_spikes"] = json!(2);
        }),
        "layer 1: field `max_spikes`: a ttfs neuron fires at most once a sample, so it cannot fire several spikes a step"
    );
    assert_eq!(
        broken(|m| m["layers"][1]["membrane_floor"] = json!(5)),
        "layer 1: field `membrane_floor`: 5 is not below the threshold 5: a neuron held there would fire every step"
    );
    assert_eq!(
        broken(|m| m["layers"][1]["membrane_floor"] = json!(-129)),
        "layer 1: field `membrane_floor`: -129 does not fit the 8-bit membrane width (-128..=127)"
    );
}

#[test]
fn weight_shift_rules() {
    let mut shifted = valid();
    shifted["layers"][0]["weight_shift"] = json!(3);
    let network = parse_network(&shifted.to_string()).expect("a shift of 3 is valid");
    let plain = parse_network(&valid().to_string()).unwrap();
    // The input range is in state units, the accumulator in weight units.
    let (lo, hi) = plain.input_range(0);
    assert_eq!(network.input_range(0), (lo * 8, hi * 8));
    assert_eq!(network.accumulator_width(0), plain.accumulator_width(0));
    assert_eq!(
        broken(|m| m["layers"][1]["weight_shift"] = json!(33)),
        "layer 1: field `weight_shift`: must be between 0 and 32, not 33"
    );
    assert_eq!(
        broken(|m| m["layers"][1]["weight_shift"] = json!(8)),
        "layer 1: field `weight_shift`: 8 makes a weight of 1 worth 2^8, beyond the 8-bit membrane it enters"
    );
    assert_eq!(
        broken(|m| {
            m["layers"][1]["neuron"] = json!({"kind": "ttfs"});
            m["layers"][1]["widths"]["current"] = json!(6);
            m["layers"][1]["weight_shift"] = json!(6);
        }),
        "layer 1: field `weight_shift`: 6 makes a weight of 1 worth 2^6, beyond the 6-bit current it enters"
    );
    assert_eq!(
        broken(|m| {
            m["layers"][1]["widths"] = json!({"weight": 32, "membrane": 32, "threshold": 32});
            m["layers"][1]["weights"] = json!([[2147483647, 2147483647], [2147483647, 2147483647], [2147483647, 2147483647], [2147483647, 2147483647]]);
            m["layers"][1]["weight_shift"] = json!(31);
        }),
        "layer 1: field `weights`: with up to 1 spikes a step from each presynaptic neuron and a weight_shift of 31, the synaptic sum of one step does not fit 63 bits (use narrower weights, a smaller max_spikes or a smaller weight_shift)"
    );
}

/// 1 x 4 x 4 inputs -> conv 2@3x3 (2 x 2 x 2) -> sum pool 2x2 -> dense 3.
fn conv_net() -> Value {
    let kernel = json!([[1, 0, -1], [2, 0, -2], [1, 0, -1]]);
    json!({
        "format": "spikegate-model/1",
        "name": "c",
        "time_steps": 4,
        "inputs": 16,
        "layers": [
            {
                "size": 8,
                "neuron": {"kind": "if"},
                "widths": {"weight": 4, "membrane": 8, "threshold": 8},
                "threshold": 3,
                "reset": "subtract",
                "conv2d": {"input": [1, 4, 4], "out_channels": 2, "kernel": [3, 3],
                           "weights": [[kernel], [kernel]]},
                "bias": [1, -1]
            },
            {
                "size": 3,
                "neuron": {"kind": "if"},
                "widths": {"weight": 4, "membrane": 8, "threshold": 8},
                "threshold": 2,
                "reset": "zero",
                "input_pool": {"input": [2, 2, 2], "kernel": [2, 2]},
                "weights": [[1, 2, 3], [-1, 0, 1]]
            }
        ],
        "output": {"decode": "spike_count"}
    })
}

/// One edit of a model under test.
type Edit = Box<dyn FnOnce(&mut Value)>;

fn conv_broken(edit: impl FnOnce(&mut Value)) -> String {
    let mut m = conv_net();
    edit(&mut m);
    err(&m)
}

#[test]
fn conv_and_pool_shapes_are_checked_by_name() {
    let network = parse_network(&conv_net().to_string()).expect("the conv network is valid");
    // Four pooled spikes can reach one input of layer 1 in a step.
    assert_eq!(network.input_range(1), (-4, 16));
    assert_eq!(network.synaptic_inputs(1), 2);
    let cases: Vec<(Edit, &str)> = vec![
        (
            Box::new(|m| m["layers"][0]["size"] = json!(9)),
            "layer 0: field `size`: a conv2d of a 4 x 4 input, 3 x 3 kernel, stride 1 x 1 and padding 0 x 0 gives 2 x 2 x 2 = 8 neurons, not 9",
        ),
        (
            Box::new(|m| m["layers"][0]["conv2d"]["input"] = json!([1, 4, 5])),
            "layer 0: field `conv2d.input`: 1 x 4 x 5 is not a map of the 16 presynaptic neurons",
        ),
        (
            Box::new(|m| m["layers"][0]["conv2d"]["kernel"] = json!([5, 3])),
            "layer 0: field `conv2d.kernel`: a 5 x 3 kernel does not fit the 4 x 4 input padded by 0 x 0",
        ),
        (
            Box::new(|m| m["layers"][0]["conv2d"]["padding"] = json!([3, 0])),
            "layer 0: field `conv2d.padding`: padding 3 x 0 must be below the 3 x 3 kernel (a window wholly in the padding sees nothing)",
        ),
        (
            Box::new(|m| m["layers"][0]["conv2d"]["stride"] = json!([0, 1])),
            "layer 0: field `conv2d.stride`: a stride must be at least 1",
        ),
        (
            Box::new(|m| m["layers"][0]["conv2d"]["out_channels"] = json!(3)),
            "layer 0: field `size`: a conv2d of a 4 x 4 input, 3 x 3 kernel, stride 1 x 1 and padding 0 x 0 gives 3 x 2 x 2 = 12 neurons, not 8",
        ),
        (
            Box::new(|m| m["layers"][0]["conv2d"]["weights"][1] = json!([])),
            "layer 0: field `conv2d.weights[1]`: expected 1 kernels (one per input channel), found 0",
        ),
        (
            Box::new(|m| m["layers"][0]["conv2d"]["weights"][0][0] = json!([[1, 2], [3, 4]])),
            "layer 0: field `conv2d.weights[0][0]`: expected a 3 x 3 kernel, found 2 x 2",
        ),
        (
            Box::new(|m| m["layers"][0]["conv2d"]["weights"][1][0][2][1] = json!(8)),
            "layer 0: field `conv2d.weights[1][0][2][1]`: 8 does not fit the 4-bit weight width (-8..=7)",
        ),
        (
            Box::new(|m| m["layers"][0]["bias"] = json!([1, 2, 3])),
            "layer 0: field `bias`: expected 2 values (one per output channel), found 3",
        ),
        (
            Box::new(|m| m["layers"][0]["weights"] = json!([[1]])),
            "layer 0: field `weights`: a conv2d layer keeps its weights in conv2d.weights; remove the dense weights",
        ),
        (
            Box::new(|m| {
                m["layers"][0]["delays"] = json!({"max": 1, "values": [[0]]});
            }),
            "layer 0: field `delays`: a conv2d layer carries no delays (its synapses share weights)",
        ),
        (
            Box::new(|m| m["layers"][1]["input_pool"]["kernel"] = json!([2, 3])),
            "layer 1: field `input_pool.kernel`: 2 x 3 windows do not tile the 2 x 2 map (the windows must divide it)",
        ),
        (
            Box::new(|m| m["layers"][1]["input_pool"]["input"] = json!([2, 2, 1])),
            "layer 1: field `input_pool.input`: 2 x 2 x 1 is not a map of the 8 presynaptic neurons",
        ),
        (
            Box::new(|m| m["layers"][1]["weights"] = json!([[1, 2, 3]])),
            "layer 1: field `weights`: expected 2 rows (one per pooled input), found 1",
        ),
        (
            Box::new(|m| m["layers"][1]["conv2d"] = json!({"input": [2, 1, 1], "out_channels": 1, "kernel": [1, 2], "weights": [[[[1, 1]], [[1, 1]]]]})),
            "layer 1: field `weights`: a conv2d layer keeps its weights in conv2d.weights; remove the dense weights",
        ),
    ];
    for (edit, want) in cases {
        assert_eq!(conv_broken(edit), want);
    }
}

#[test]
fn recurrent_weights_are_checked_by_name() {
    let with_feedback = |m: &mut Value| {
        m["layers"][1]["recurrent"] = json!({"width": 4, "weights": [[1, -2], [3, 0]]});
    };
    let mut m = valid();
    with_feedback(&mut m);
    let network = parse_network(&m.to_string()).expect("a recurrent layer is valid");
    // Layer 1's input: feed-forward -8..=16 (one spike each) plus the
    // feedback's -2..=3 (neuron 1 gets -2, neuron 0 gets 1 + 3).
    assert_eq!(network.partial_sum_range(1), (-10, 20));
    let cases: Vec<(Edit, &str)> = vec![
        (
            Box::new(|m| m["layers"][1]["recurrent"]["weights"] = json!([[1, 2]])),
            "layer 1: field `recurrent.weights`: expected 2 rows (one per neuron of this layer, the source), found 1",
        ),
        (
            Box::new(|m| m["layers"][1]["recurrent"]["weights"] = json!([[1], [2]])),
            "layer 1: field `recurrent.weights[0]`: expected 2 values (one per neuron of this layer, the target), found 1",
        ),
        (
            Box::new(|m| m["layers"][1]["recurrent"]["weights"][1][0] = json!(8)),
            "layer 1: field `recurrent.weights[1][0]`: 8 does not fit the 4-bit recurrent weight width (-8..=7)",
        ),
        (
            Box::new(|m| m["layers"][1]["recurrent"]["width"] = json!(0)),
            "layer 1: field `recurrent.width`: widths must be between 2 and 32 bits, not 0",
        ),
        (
            Box::new(|m| {
                m["output"]["decode"] = json!("readout");
                let layer = m["layers"][1].as_object_mut().unwrap();
                layer.remove("threshold");
                layer.remove("reset");
            }),
            "layer 1: field `recurrent`: a readout layer does not spike, so it has nothing to feed back; remove recurrent",
        ),
    ];
    for (edit, want) in cases {
        let mut m = valid();
        with_feedback(&mut m);
        edit(&mut m);
        assert_eq!(err(&m), want);
    }
    let on_conv = conv_broken(|m| {
        m["layers"][0]["recurrent"] = json!({"width": 4, "weights": vec![vec![0; 8]; 8]});
    });
    assert_eq!(
        on_conv,
        "layer 0: field `recurrent`: a conv2d layer cannot carry recurrent weights: recurrence connects every neuron of a dense layer to every other; put it on a dense layer"
    );
}
