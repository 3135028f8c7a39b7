// spikegate_board: the board-level wrapper around spikegate_top.
//
// Written by spikegate (fpga/src/board/spikegate_board.v); the parameter
// defaults below are filled in per board by `spikegate gen --target`.
// The UART protocol is docs/board.md; fpga/src/board/protocol.rs is its
// host side.
//
// Ports are the ones the files in constraints/ pin: the board oscillator,
// a reset button, the USB-UART bridge (8 data bits, no parity, 1 stop bit)
// and two LEDs.
//
//   uart_rx -> receiver -> byte FIFO (RX_DEPTH) -> parser -> spikegate_top
//   uart_tx <- transmitter <- message serializer <- spikegate_top
//                                                <- credit counter (FIFO pops)
//
// The host may have at most RX_DEPTH bytes in flight: it starts with
// RX_DEPTH credits, spends one per byte sent, and gets CREDIT_CHUNK back
// with every credit message (0x04) the board sends after popping that many
// bytes from its FIFO. Bytes past the credit are dropped.

module spikegate_board #(
    parameter [15:0] CLKS_PER_BIT = 16'd@CLKS_PER_BIT@,
    parameter integer RESET_ACTIVE_LOW = @RESET_ACTIVE_LOW@,
    parameter integer LED_ACTIVE_LOW = @LED_ACTIVE_LOW@,
    parameter integer READOUT = @READOUT@
) (
    input  wire clock,
    input  wire reset_button,
    input  wire uart_rx,
    output wire uart_tx,
    output wire led_done,
    output wire led_busy
);
    localparam integer RX_BITS = 9;              // FIFO of 2^9 = 512 bytes
    localparam integer CREDIT_CHUNK_BITS = 6;    // a credit returns 64 bytes

    // ---- Reset: 16 cycles after configuration, and while the button is held.
    reg [1:0] button_sync = 2'b00;
    reg [3:0] power_on = 4'd0;
    reg reset = 1'b1;
    wire button_pressed = (RESET_ACTIVE_LOW != 0) ? ~button_sync[1] : button_sync[1];
    always @(posedge clock) begin
        button_sync <= {button_sync[0], reset_button};
        if (power_on != 4'hf) power_on <= power_on + 4'd1;
        reset <= (power_on != 4'hf) | button_pressed;
    end

    // ---- UART receiver: start bit found on a falling edge, bits sampled
    // in their middle.
    reg [1:0] rx_sync = 2'b11;
    reg [15:0] rx_count = 16'd0;
    reg [3:0] rx_bit = 4'd0;         // 0: idle, 1: start, 2..9: data, 10: stop
    reg [7:0] rx_shift = 8'd0;
    reg rx_strobe = 1'b0;
    always @(posedge clock) begin
        rx_sync <= {rx_sync[0], uart_rx};
        rx_strobe <= 1'b0;
        if (reset) begin
            rx_bit <= 4'd0;
        end else if (rx_bit == 4'd0) begin
            if (!rx_sync[1]) begin
                rx_bit <= 4'd1;
                rx_count <= CLKS_PER_BIT / 16'd2;
            end
        end else if (rx_count != 16'd0) begin
            rx_count <= rx_count - 16'd1;
        end else begin
            rx_count <= CLKS_PER_BIT - 16'd1;
            if (rx_bit == 4'd1) begin
                rx_bit <= rx_sync[1] ? 4'd0 : 4'd2;   // a glitch, not a start bit
            end else if (rx_bit == 4'd10) begin
                rx_bit <= 4'd0;
                rx_strobe <= rx_sync[1];               // no stop bit: byte dropped
            end else begin
                rx_shift <= {rx_sync[1], rx_shift[7:1]};
                rx_bit <= rx_bit + 4'd1;
            end
        end
    end

    // ---- Byte FIFO between the receiver and the parser.
    reg [7:0] rx_mem [0:(1 << RX_BITS) - 1];
    reg [RX_BITS:0] rx_wr = 0;
    reg [RX_BITS:0] rx_rd = 0;
    reg [7:0] rx_data = 8'd0;
    reg [7:0] rx_head = 8'd0;
    wire rx_full = (rx_wr[RX_BITS] != rx_rd[RX_BITS]) && (rx_wr[RX_BITS-1:0] == rx_rd[RX_BITS-1:0]);
    wire rx_empty = rx_wr == rx_rd;
    wire rx_pop;
    always @(posedge clock) begin
        if (rx_strobe && !rx_full) rx_mem[rx_wr[RX_BITS-1:0]] <= rx_shift;
        rx_data <= rx_mem[rx_rd[RX_BITS-1:0]];
        rx_head <= rx_data;
        if (reset) begin
            rx_wr <= 0;
            rx_rd <= 0;
        end else begin
            if (rx_strobe && !rx_full) rx_wr <= rx_wr + 1'b1;
            if (rx_pop) rx_rd <= rx_rd + 1'b1;
        end
    end
    // rx_head is the byte at rx_rd two edges after rx_rd moved: the block
    // RAM's read (rx_data), then a fabric register, so the RAM's slow
    // clock-to-out feeds nothing but that register. The head is good when
    // nothing was popped in the last two cycles and the FIFO held the byte
    // two cycles ago (a byte written in that cycle is read as the old
    // word). The address is the pointer register alone. The UART brings a
    // byte every few hundred cycles, so the wait costs nothing.
    reg rx_ok1 = 1'b0;
    reg rx_head_ok = 1'b0;
    always @(posedge clock) begin
        rx_ok1 <= !rx_empty && !rx_pop && !reset;
        rx_head_ok <= rx_ok1 && !rx_pop && !reset;
    end

    // ---- Parser: host messages to accelerator beats.
    localparam [1:0] P_OP = 2'd0, P_HI = 2'd1, P_LO = 2'd2, P_BEAT = 2'd3;
    reg [1:0] p_state = P_OP;
    reg [15:0] p_neuron = 16'd0;
    reg p_eos = 1'b0;
    reg start = 1'b0;
    wire in_ready;
    wire busy;
    // A start byte waits until the running sample has finished: a start
    // during a sample would abandon it.
    wire start_waits = (rx_head == 8'h02) && busy;
    wire take_byte = rx_head_ok && !rx_empty && (p_state != P_BEAT)
        && !(p_state == P_OP && start_waits);
    assign rx_pop = take_byte;
    always @(posedge clock) begin
        start <= 1'b0;
        if (reset) begin
            p_state <= P_OP;
        end else begin
            case (p_state)
                P_OP: if (take_byte) begin
                    case (rx_head)
                        8'h00: p_state <= P_HI;
                        8'h01: begin p_eos <= 1'b1; p_neuron <= 16'd0; p_state <= P_BEAT; end
                        8'h02: start <= 1'b1;
                        default: ;                     // unknown opcode: ignored
                    endcase
                end
                P_HI: if (take_byte) begin p_neuron[15:8] <= rx_head; p_state <= P_LO; end
                P_LO: if (take_byte) begin
                    p_neuron[7:0] <= rx_head;
                    p_eos <= 1'b0;
                    p_state <= P_BEAT;
                end
                P_BEAT: if (in_ready) p_state <= P_OP;
            endcase
        end
    end

    // ---- Credits: one message per CREDIT_CHUNK bytes popped.
    reg [CREDIT_CHUNK_BITS-1:0] popped = 0;
    // `credits_none` registers `credits_owed == 0`, so that the
    // accelerator's out_ready reads no comparison; both follow the count's
    // steps (a credit earned, one sent), so no adder lies between a
    // handshake and a register.
    reg [7:0] credits_owed = 8'd0;
    reg credits_none = 1'b1;
    wire credit_sent;
    wire credit_earned = rx_pop && (&popped);
    always @(posedge clock) begin
        if (reset) begin
            popped <= 0;
            credits_owed <= 8'd0;
            credits_none <= 1'b1;
        end else begin
            if (rx_pop) popped <= popped + 1'b1;
            // The count one up and one down come from the register; the
            // cycle's handshakes only choose.
            if (credit_earned && !credit_sent) begin
                credits_owed <= credits_owed + 8'd1;
                credits_none <= 1'b0;
            end else if (credit_sent && !credit_earned) begin
                credits_owed <= credits_owed - 8'd1;
                credits_none <= credits_owed == 8'd1;
            end
        end
    end

    // ---- The accelerator.
    wire out_valid, out_eos, done;
    wire [15:0] out_neuron;
    wire [31:0] out_value;
    wire out_ready;
    spikegate_top accelerator (
        .clock(clock),
        .reset(reset),
        .start(start),
        .in_valid(p_state == P_BEAT),
        .in_ready(in_ready),
        .in_neuron(p_neuron),
        .in_eos(p_eos),
        .out_valid(out_valid),
        .out_ready(out_ready),
        .out_neuron(out_neuron),
        .out_eos(out_eos),
        .out_value(out_value),
        .busy(busy),
        .done(done)
    );

    // ---- Message serializer: up to 7 bytes, first byte in msg[55:48].
    reg [55:0] msg = 56'd0;
    reg [2:0] msg_len = 3'd0;
    reg done_seen = 1'b0;
    reg done_owed = 1'b0;
    wire tx_busy;
    wire idle = msg_len == 3'd0;
    assign credit_sent = idle && !credits_none;
    wire send_done = idle && !credit_sent && done_owed;
    assign out_ready = idle && credits_none && !done_owed;
    wire tx_start = !idle && !tx_busy;
    always @(posedge clock) begin
        done_seen <= done;
        if (reset) begin
            msg_len <= 3'd0;
            done_owed <= 1'b0;
        end else begin
            if (done && !done_seen) done_owed <= 1'b1;
            if (credit_sent) begin
                msg <= {8'h04, 48'd0};
                msg_len <= 3'd1;
            end else if (send_done) begin
                msg <= {8'h02, 48'd0};
                msg_len <= 3'd1;
                done_owed <= 1'b0;
            end else if (out_valid && out_ready) begin
                if (out_eos) begin
                    msg <= {8'h01, 48'd0};
                    msg_len <= 3'd1;
                end else if (READOUT != 0) begin
                    msg <= {8'h03, out_neuron, out_value};
                    msg_len <= 3'd7;
                end else begin
                    msg <= {8'h00, out_neuron, 32'd0};
                    msg_len <= 3'd3;
                end
            end else if (tx_start) begin
                msg <= {msg[47:0], 8'd0};
                msg_len <= msg_len - 3'd1;
            end
        end
    end

    // ---- UART transmitter.
    reg [15:0] tx_count = 16'd0;
    reg [3:0] tx_bit = 4'd0;         // 0: idle, 1..10: start, 8 data, stop
    reg [9:0] tx_shift = 10'h3ff;
    always @(posedge clock) begin
        if (reset) begin
            tx_bit <= 4'd0;
            tx_shift <= 10'h3ff;
        end else if (tx_bit == 4'd0) begin
            if (tx_start) begin
                tx_shift <= {1'b1, msg[55:48], 1'b0};
                tx_bit <= 4'd1;
                tx_count <= CLKS_PER_BIT - 16'd1;
            end
        end else if (tx_count != 16'd0) begin
            tx_count <= tx_count - 16'd1;
        end else begin
            tx_count <= CLKS_PER_BIT - 16'd1;
            tx_shift <= {1'b1, tx_shift[9:1]};
            tx_bit <= (tx_bit == 4'd10) ? 4'd0 : tx_bit + 4'd1;
        end
    end
    assign tx_busy = tx_bit != 4'd0;
    assign uart_tx = tx_shift[0] | (tx_bit == 4'd0);

    assign led_done = (LED_ACTIVE_LOW != 0) ? ~done : done;
    assign led_busy = (LED_ACTIVE_LOW != 0) ? ~busy : busy;
endmodule
