//! The generator: a validated model to a complete output folder — the
//! Verilog of the accelerator, its memory images, the board's constraint
//! file and `manifest.json` — written completely or not at all.

use anyhow::Result;

use spikegate_hdl::interface;
use spikegate_hdl::memory::{BlockRam, DP16KD_MODEL, SIM_MODELS};
use spikegate_hdl::plan::CorePlan;
use spikegate_hdl::verilog::{emit, TOP_MODULE};
use spikegate_hdl::{plan, BuildOptions, HardwarePlan};
use spikegate_model::ValidNetwork;

use spikegate_fpga::board::{clocks_per_bit, wrapper_verilog, BOARD_FILE};
use spikegate_fpga::targets::Target;

pub use crate::manifest::MANIFEST_FORMAT;
use crate::manifest::{CoreEntry, Manifest, Memory, Port, MANIFEST_FILE};
/// File name of the generated Verilog.
pub use spikegate_hdl::verilog::VERILOG_FILE;

/// Everything `spikegate gen` writes, in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// File name and contents, in the order they are listed in the manifest.
    pub files: Vec<(String, String)>,
    /// The plan the files were generated from.
    pub plan: HardwarePlan,
}

const CYCLE_FORMULA: &str = "cycles >= max_l(C_l) + max over layers l of sum over steps t of \
    (S_in(l,t) * C_l + C_l + S_out(l,t)), C_l = ceil(N_l / P_l)";

/// The top's ports, as the port table declares them
/// ([`spikegate_hdl::interface`]).
fn ports(plan: &HardwarePlan) -> Vec<Port> {
    interface::ports(interface::tap_count(plan))
        .iter()
        .map(|port| Port {
            name: port.name(),
            direction: port.direction(),
            width: port.width(),
            meaning: port.meaning(),
        })
        .collect()
}

fn core_entry(core: &CorePlan, kind: &str) -> CoreEntry {
    CoreEntry {
        layer: core.index,
        name: core.name.clone(),
        module: format!("{}_core", core.module_stem()),
        kind: kind.to_owned(),
        neurons: core.neurons,
        fan_in: core.fan_in,
        pe: core.lanes,
        chunks: core.chunks,
        weight_memory: Memory {
            words: core.weight_rows(),
            word_bits: core.weight_word_bits(),
            bits: core.weight_memory_bits(),
            file: Some(spikegate_hdl::datapath::weight_file(core)),
        },
        state_memory: Memory {
            words: core.chunks,
            word_bits: core.state_word_bits(),
            bits: core.state_memory_bits(),
            file: None,
        },
        decode_table: spikegate_hdl::walk::table_shape(core).map(|(words, word_bits)| Memory {
            words,
            word_bits,
            bits: words * word_bits,
            file: Some(spikegate_hdl::walk::table_file(core)),
        }),
        spike_list: (core.spike_list_depth() > 0).then(|| Memory {
            words: core.spike_list_depth(),
            word_bits: core.spike_list_entry_bits() as usize,
            bits: core.spike_list_bits(),
            file: None,
        }),
    }
}

/// Plans, checks the fit on `target`, and generates every file.
pub fn generate(
    network: &ValidNetwork,
    options: BuildOptions,
    target: Option<&'static Target>,
) -> Result<Output> {
    let plan = plan(network, options)?
        .for_block_ram(target.map_or(BlockRam::Inferred, |t| t.family.block_ram()));
    let memory_bits: usize = plan
        .cores
        .iter()
        .map(|c| {
            let table = spikegate_hdl::walk::table_shape(c).map_or(0, |(w, b)| w * b);
            c.weight_memory_bits() + c.state_memory_bits() + table
        })
        .sum();
    if let Some(t) = target {
        spikegate_fpga::fit::check(&plan, t)?;
    }
    let design = emit(&plan)?;
    let mut files = vec![(VERILOG_FILE.to_string(), design.verilog)];
    files.extend(design.memory_files);
    if plan.cores.iter().any(|c| c.block_ram == BlockRam::Ecp5) {
        files.push((SIM_MODELS.to_string(), DP16KD_MODEL.to_string()));
    }
    if let Some(t) = target {
        files.push((
            BOARD_FILE.to_string(),
            wrapper_verilog(&plan, t, clocks_per_bit(t)),
        ));
        files.push((t.constraint_file.to_string(), t.constraints.to_string()));
    }
    let net = network.network();
    let manifest = Manifest {
        format: MANIFEST_FORMAT.to_owned(),
        generator: format!("spikegate {}", env!("CARGO_PKG_VERSION")),
        model: plan.name.clone(),
        model_hash: Some(design_hash(network, options, target)?),
        top: TOP_MODULE.to_owned(),
        time_steps: plan.time_steps,
        inputs: plan.inputs,
        pe: options.pe,
        fifo_depth: options.fifo_depth,
        taps: options.taps,
        target: target.map(|t| t.name.to_owned()),
        ports: ports(&plan),
        cores: plan
            .cores
            .iter()
            .zip(&net.layers)
            .map(|(c, l)| core_entry(c, l.neuron.kind_name()))
            .collect(),
        memory_bits,
        cycle_formula: CYCLE_FORMULA.to_owned(),
        files: files
            .iter()
            .map(|(n, _)| n.clone())
            .chain([MANIFEST_FILE.to_string()])
            .collect(),
    };
    let text = spikegate_model::json_text::to_text(&manifest)?;
    files.push((MANIFEST_FILE.into(), text));
    Ok(Output { files, plan })
}

/// SHA-256 (hex) of everything that decides a design: the model's JSON
/// (as parsed and validated, so formatting does not matter), the build
/// options and the board.
pub fn design_hash(
    network: &ValidNetwork,
    options: BuildOptions,
    target: Option<&Target>,
) -> Result<String> {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    hash.update(b"spikegate-design-hash/1\0");
    hash.update(serde_json::to_vec(network.network())?);
    hash.update(
        format!(
            "\0pe={};taps={};fifo_depth={};target={}",
            options.pe,
            options.taps,
            options.fifo_depth,
            target.map_or("none", |t| t.name)
        )
        .as_bytes(),
    );
    Ok(hash.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Writes `files` as the folder `out`, completely or not at all (moved to
/// [`crate::output`], which owns every write of spikegate's outputs).
pub use crate::output::write_folder;
