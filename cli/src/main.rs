//! The `spikegate` command line.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod commands;

/// spikegate: quantized spiking networks to FPGA hardware, proven bit-exact.
///
/// Models are JSON files in the format of docs/model-format.md; their
/// meaning is docs/semantics.md, which the reference model executes.
#[derive(Parser)]
#[command(name = "spikegate", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Check(commands::check::Args),
    Sim(commands::sim::Args),
    Encode(commands::encode::Args),
    Import(commands::import::Args),
    Gen(commands::gen::Args),
    Cosim(commands::cosim::Args),
    Synth(commands::synth::Args),
    Bench(commands::bench::Args),
    BenchHw(commands::bench_hw::Args),
    BenchCosim(commands::bench_cosim::Args),
    BenchDelays(commands::bench_delays::Args),
    BenchRecurrent(commands::bench_recurrent::Args),
    BenchConv(commands::bench_conv::Args),
    DesignSpace(commands::design_space::Args),
    Plot(commands::plot::Args),
}

/// Restores the default action of SIGPIPE, which Rust's runtime ignores: a
/// reader that closes the pipe early (`spikegate sim ... | head`) then ends
/// spikegate quietly, as it ends other Unix tools, instead of making the
/// next `println!` panic on "Broken pipe".
fn die_quietly_on_a_closed_pipe() {
    // SAFETY: called first thing in main, before any thread starts; setting
    // a signal's disposition to SIG_DFL has no other effect on the process.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> ExitCode {
    die_quietly_on_a_closed_pipe();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => commands::check::run(&args),
        Command::Sim(args) => commands::sim::run(&args),
        Command::Encode(args) => commands::encode::run(&args),
        Command::Import(args) => commands::import::run(&args),
        Command::Gen(args) => commands::gen::run(&args),
        Command::Cosim(args) => commands::cosim::run(&args),
        Command::Synth(args) => commands::synth::run(&args),
        Command::Bench(args) => commands::bench::run(&args),
        Command::BenchHw(args) => commands::bench_hw::run(&args),
        Command::BenchCosim(args) => commands::bench_cosim::run(&args),
        Command::BenchDelays(args) => commands::bench_delays::run(&args),
        Command::BenchRecurrent(args) => commands::bench_recurrent::run(&args),
        Command::BenchConv(args) => commands::bench_conv::run(&args),
        Command::DesignSpace(args) => commands::design_space::run(&args),
        Command::Plot(args) => commands::plot::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
