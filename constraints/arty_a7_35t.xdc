# spikegate -- pin and clock constraints for the Digilent Arty A7-35T
#
# Board : Digilent Arty A7-35T (Rev. D / Rev. E)
# Part  : AMD/Xilinx Artix-7 XC7A35TICSG324-1L
# Tool  : Vivado, or an open flow that reads XDC (yosys + nextpnr-xilinx)
#
# Pin numbers: checked against Digilent's master constraint file
# Digilent/digilent-xdc Arty-A7-35-Master.xdc. Every pin below is
# confirmed there.
#
# The ports named here are those of the board-level wrapper
# `spikegate_board` (spikegate_board.v, docs/board.md) that
# `spikegate gen --target arty_a7_35t` writes around `spikegate_top`.

# ---- Clock ---------------------------------------------------------------
# 100 MHz oscillator on E3 (a clock-capable MRCC pin in bank 35).
set_property -dict { PACKAGE_PIN E3 IOSTANDARD LVCMOS33 } [get_ports clock]
create_clock -period 10.000 -name clock [get_ports clock]

# ---- Reset ---------------------------------------------------------------
# Push button BTN0 on D9. ACTIVE HIGH: reads 1 while pressed.
# (The board's red RESET button, ck_rst on C2, is active low; it is not
# used here.)
set_property -dict { PACKAGE_PIN D9 IOSTANDARD LVCMOS33 } [get_ports reset_button]

# ---- USB-UART (FTDI FT2232HQ) --------------------------------------------
# Directions as seen from the FPGA. Digilent names the nets from the
# host's side: uart_txd_in (A9) enters the FPGA, uart_rxd_out (D10) leaves it.
set_property -dict { PACKAGE_PIN A9  IOSTANDARD LVCMOS33 } [get_ports uart_rx]
set_property -dict { PACKAGE_PIN D10 IOSTANDARD LVCMOS33 } [get_ports uart_tx]

# ---- Status LEDs ---------------------------------------------------------
# Green LEDs LD4 (H5) and LD5 (J5), both ACTIVE HIGH: drive 1 to light them.
set_property -dict { PACKAGE_PIN H5 IOSTANDARD LVCMOS33 } [get_ports led_done]
set_property -dict { PACKAGE_PIN J5 IOSTANDARD LVCMOS33 } [get_ports led_busy]

# ---- Asynchronous inputs -------------------------------------------------
# The button and the UART receive line are not related to `clock`; the
# wrapper synchronises them. Uncomment if timing reports flag them:
# set_false_path -from [get_ports {reset_button uart_rx}]
