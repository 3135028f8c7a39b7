//! One module per subcommand: its arguments (with their `--help` text) and
//! what it does.

pub mod bench;
pub mod bench_cosim;
pub mod bench_delays;
pub mod bench_hw;
pub mod check;
pub mod cosim;
pub mod design_space;
pub mod encode;
pub mod gen;
pub mod import;
pub mod sim;
pub mod synth;
