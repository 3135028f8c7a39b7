//! The board-level wrapper `spikegate gen --target BOARD` writes beside the
//! accelerator: `spikegate_board.v`, whose ports are the ones the board's
//! constraint file pins (clock, reset button, USB-UART, two LEDs), and the
//! host side of its UART protocol ([`protocol`], docs/board.md).

pub mod protocol;

use spikegate_hdl::HardwarePlan;

use crate::targets::Target;

/// The wrapper's module name: the top of a board build.
pub const BOARD_TOP: &str = "spikegate_board";
/// The wrapper's file name.
pub const BOARD_FILE: &str = "spikegate_board.v";
/// The UART's baud rate on every board.
pub const BAUD: u32 = 115_200;

/// The wrapper's source, with `@NAME@` placeholders (its first line has
/// none: a leftover file is recognised by it).
pub const TEMPLATE: &str = include_str!("spikegate_board.v");

/// Clock cycles per UART bit on `target` (its oscillator over [`BAUD`],
/// rounded).
pub fn clocks_per_bit(target: &Target) -> u32 {
    (target.clock_hz + BAUD / 2) / BAUD
}

/// The wrapper's Verilog for `plan` on `target`, with `clocks_per_bit`
/// clock cycles a UART bit (pass [`clocks_per_bit`] for the board; a
/// testbench may pass a small value to simulate faster).
pub fn wrapper_verilog(plan: &HardwarePlan, target: &Target, clocks_per_bit: u32) -> String {
    assert!(
        (2..=u32::from(u16::MAX)).contains(&clocks_per_bit),
        "clocks a UART bit must be 2..=65535, not {clocks_per_bit}"
    );
    let readout = plan.cores.last().is_some_and(|c| c.readout);
    TEMPLATE
        .replace("@CLKS_PER_BIT@", &clocks_per_bit.to_string())
        .replace(
            "@RESET_ACTIVE_LOW@",
            &u8::from(target.reset_active_low).to_string(),
        )
        .replace(
            "@LED_ACTIVE_LOW@",
            &u8::from(target.led_active_low).to_string(),
        )
        .replace("@READOUT@", &u8::from(readout).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::TARGETS;

    #[test]
    fn divides_each_board_clock_to_the_baud_rate_within_one_percent() {
        for t in TARGETS {
            let cpb = clocks_per_bit(t);
            let baud = f64::from(t.clock_hz) / f64::from(cpb);
            let error = (baud - f64::from(BAUD)).abs() / f64::from(BAUD);
            assert!(error < 0.01, "{}: {cpb} clocks a bit, {error}", t.name);
        }
        assert_eq!(clocks_per_bit(&TARGETS[0]), 104);
    }

    /// The wrapper's instance of `spikegate_top` is written by hand: it
    /// must connect exactly the port table's ports (a design without
    /// taps), each once.
    #[test]
    fn the_wrapper_connects_every_port_of_the_table() {
        let instance = TEMPLATE
            .split("spikegate_top accelerator (")
            .nth(1)
            .and_then(|rest| rest.split(");").next())
            .expect("the wrapper instantiates spikegate_top");
        let connected: Vec<&str> = instance
            .split('.')
            .skip(1)
            .map(|c| c.split('(').next().unwrap_or_default().trim())
            .collect();
        let table: Vec<String> = spikegate_hdl::interface::ports(0)
            .iter()
            .map(|p| p.name())
            .collect();
        assert_eq!(connected, table);
    }
}
