//! Verilog emission: the rust-hdl design rules, rust-hdl's Verilog writer,
//! then stable module names derived from the plan's parameters.

use rust_hdl::prelude::*;

use crate::datapath::{weight_file, weight_image};
use crate::interface;
use crate::plan::HardwarePlan;
use crate::top::Accelerator;
use crate::walk::{table_file, table_image};

/// Name of the top-level module of every generated design.
pub const TOP_MODULE: &str = "spikegate_top";
/// The file the design's Verilog is written to, in a design folder.
pub const VERILOG_FILE: &str = "spikegate_top.v";

/// A generated design: one Verilog file and the memory images it reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Design {
    /// The Verilog-2005 source of the whole accelerator.
    pub verilog: String,
    /// `$readmemh` images: file name and contents.
    pub memory_files: Vec<(String, String)>,
}

/// A design that failed rust-hdl's design-rule checks (unconnected
/// signals, logic loops, writes to inputs): a bug in spikegate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the generated design breaks a rust-hdl design rule (a spikegate bug): {0}")]
pub struct DesignRuleError(pub String);

/// Builds the accelerator of `plan` and writes it as Verilog.
pub fn emit(plan: &HardwarePlan) -> Result<Design, DesignRuleError> {
    let mut top = Accelerator::new(plan);
    top.connect_all();
    check_all(&top).map_err(|e| DesignRuleError(format!("{e:?}")))?;
    let raw = generate_verilog_unchecked(&top);
    let renamed = rename_tap_ports(&rename_modules(&raw, &module_names(plan)), plan);
    let verilog = header(plan) + &drop_unused_localparams(&renamed);
    let memory_files = plan
        .cores
        .iter()
        .flat_map(|c| {
            let table = table_image(c).map(|image| (table_file(c), image));
            std::iter::once((weight_file(c), weight_image(c))).chain(table)
        })
        .collect();
    Ok(Design {
        verilog,
        memory_files,
    })
}

/// rust-hdl names modules by their path in the design (`top$core$0`);
/// these become names derived from the parameters, so that two designs of
/// the same layer share module names and reports stay comparable.
fn module_names(plan: &HardwarePlan) -> Vec<(String, String)> {
    let depth = plan.options.fifo_depth;
    let mut names = vec![
        ("top".to_string(), TOP_MODULE.to_string()),
        ("top$control".into(), "sg_sample_control".into()),
    ];
    for (l, core) in plan.cores.iter().enumerate() {
        let stem = core.module_stem();
        names.push((format!("top$core${l}"), format!("{stem}_core")));
        names.push((format!("top$core${l}$datapath"), format!("{stem}_datapath")));
        names.push((format!("top$core${l}$walker"), format!("{stem}_walker")));
        names.push((
            format!("top$core${l}$encoder"),
            format!("{stem}_lowest_set_bit"),
        ));
        names.push((format!("top$fifo${l}"), format!("sg_l{l}_fifo_d{depth}")));
        names.push((
            format!("top$fifo${l}$store"),
            format!("sg_l{l}_fifo_d{depth}_store"),
        ));
    }
    names
}

/// Replaces whole module names in declarations, `endmodule` comments and
/// instantiations. A module below a named one (rust-hdl's flip-flops,
/// `top$core$0$mode`) takes the name of its nearest named ancestor plus its
/// path below it (`sg_l0_..._core_mode`).
fn rename_modules(text: &str, names: &[(String, String)]) -> String {
    let map: std::collections::HashMap<&str, &str> = names
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let rename = |name: &str| -> Option<String> {
        if let Some(new) = map.get(name) {
            return Some(new.to_string());
        }
        let mut prefix = name;
        while let Some(cut) = prefix.rfind('$') {
            prefix = &prefix[..cut];
            if let Some(new) = map.get(prefix) {
                return Some(format!("{new}_{}", name[cut + 1..].replace('$', "_")));
            }
        }
        None
    };
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let renamed = if let Some(rest) = trimmed.strip_prefix("module ") {
            let (name, tail) = split_name(rest);
            format!("module {}{tail}", rename(name).unwrap_or(name.into()))
        } else if let Some(rest) = trimmed.strip_prefix("endmodule // ") {
            format!("endmodule // {}", rename(rest).unwrap_or(rest.into()))
        } else {
            let (name, tail) = split_name(trimmed);
            match rename(name) {
                Some(new) if tail.starts_with(' ') && name.starts_with("top") => {
                    format!("{new}{tail}")
                }
                _ => trimmed.to_string(),
            }
        };
        out.push_str(indent);
        out.push_str(&renamed);
        out.push('\n');
    }
    out
}

/// rust-hdl names the fields of the top's `tap` list `tap$0$valid`; the
/// port table's names are `tap0_valid` ([`interface::tap_name`]).
fn rename_tap_ports(text: &str, plan: &HardwarePlan) -> String {
    let mut text = text.to_string();
    for l in 0..interface::tap_count(plan) {
        for field in interface::TAP {
            let field = field.name;
            text = text.replace(&format!("tap${l}${field}"), &interface::tap_name(l, field));
        }
    }
    text
}

/// Drops `localparam` lines a module never uses: rust-hdl declares every
/// enum's values in every module that carries the enum, even a flip-flop
/// that only stores it.
fn drop_unused_localparams(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut keep = vec![true; lines.len()];
    let mut start = 0;
    for (end, line) in lines.iter().enumerate() {
        if !line.trim_start().starts_with("endmodule") {
            continue;
        }
        let module = start..=end;
        for i in module.clone() {
            if let Some(rest) = lines[i].trim_start().strip_prefix("localparam ") {
                let (name, _) = split_name(rest.trim_start());
                keep[i] = module
                    .clone()
                    .any(|j| j != i && contains_word(lines[j], name));
            }
        }
        start = end + 1;
    }
    let mut out = String::with_capacity(text.len());
    for (line, _) in lines.iter().zip(&keep).filter(|(_, &k)| k) {
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn contains_word(line: &str, word: &str) -> bool {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    line.match_indices(word).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let after = line[at + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

fn split_name(s: &str) -> (&str, &str) {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$'))
        .unwrap_or(s.len());
    s.split_at(end)
}

/// `text` made safe inside a Verilog `//` comment, or any one-line text
/// file: printable ASCII other than `\` and `"` stays, `\` and `"` are
/// escaped with a backslash, and every other character (newlines, other
/// control characters, anything outside ASCII) becomes `\u{HEX}`. A user's
/// string (a model or layer name) can then neither end the comment nor
/// carry Verilog, a tool's pragma or a terminal escape into the file, and
/// the same name always gives the same bytes.
pub fn comment_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '"' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
        }
    }
    out
}

fn header(plan: &HardwarePlan) -> String {
    format!(
        "// Generated by spikegate {version} from model \"{name}\": {layers} layer(s), P = {pe},\n\
         // {steps} time steps per sample. Top module: {TOP_MODULE} (ports: docs/hardware.md).\n\
         // Memory images ($readmemh) are read from the working directory.\n\
         //\n\
         // Lint waivers, for `verilator --lint-only -Wall`:\n\
         // - DECLFILENAME: every module of the design is in this one file by choice.\n\
         // - WIDTH: rust-hdl writes each integer literal as a 32-bit constant masked\n\
         //   to the width of its use (`x + ((32'h1) & 8'hff)`), which is exact but\n\
         //   wider than its operand.\n\
         /* verilator lint_off DECLFILENAME */\n\
         /* verilator lint_off WIDTH */\n",
        version = env!("CARGO_PKG_VERSION"),
        // The name is the user's: escaped, it stays inside this comment.
        name = comment_text(&plan.name),
        layers = plan.cores.len(),
        pe = plan.options.pe,
        steps = plan.time_steps,
    )
}

#[cfg(test)]
mod tests {
    use super::comment_text;

    #[test]
    fn comment_text_keeps_plain_names_and_escapes_the_rest() {
        assert_eq!(comment_text("mnist_lif-2 (v3)"), "mnist_lif-2 (v3)");
        assert_eq!(
            comment_text("a\"\\b\nmodule evil;\r\u{2028}\u{1b}[2J\u{e9}"),
            "a\\\"\\\\b\\u{a}module evil;\\u{d}\\u{2028}\\u{1b}[2J\\u{e9}"
        );
        // Nothing but printable ASCII survives.
        let hostile: String = (0u32..0x300).filter_map(char::from_u32).collect();
        assert!(comment_text(&hostile)
            .chars()
            .all(|c| (' '..='~').contains(&c)));
    }
}
