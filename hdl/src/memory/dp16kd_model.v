// Behavioural model of the Lattice ECP5 DP16KD block RAM, for simulation
// only: synthesis and place-and-route use the real primitive and never
// read this file (yosys 0.23 ships DP16KD as a black box with no
// behaviour). What it models, from Lattice's ECP5 sysMEM usage guide
// (TN1264) and checked against yosys's own DP16KD mapping by spikegate's
// tests: 18 Kbit as 1024 units of 18 bits, each unit two 9-bit bytes;
// port widths 18, 9, 4, 2 and 1 (a narrow word packs into the low 8 bits
// of a byte); the word address in AD[13:4], [13:3], [13:2], [13:1] or
// [13:0] by width, AD[1:0] the byte enables of an 18-bit write;
// INITVAL_xx holds units xx*16 to xx*16+15, 20 bits each, the low 18
// used; a read registers the word at the clock edge, and with
// REGMODE = "OUTREG" passes a second register (OCE its enable); the
// WRITEMODEs NORMAL (the port's output holds), WRITETHROUGH and
// READBEFOREWRITE; RST clears a port's registers (synchronous); a port
// works only when its CS pins equal its CSDECODE. A read of bits the
// other port writes at the same edge gives x: the data sheet leaves it
// undefined, and spikegate's datapath must never depend on it.
/* verilator lint_off DECLFILENAME */
/* verilator lint_off WIDTH */
/* verilator lint_off UNUSEDPARAM */
/* verilator lint_off UNUSEDSIGNAL */
module DP16KD (
  input DIA17, DIA16, DIA15, DIA14, DIA13, DIA12, DIA11, DIA10, DIA9, DIA8, DIA7, DIA6, DIA5, DIA4, DIA3, DIA2, DIA1, DIA0,
  input ADA13, ADA12, ADA11, ADA10, ADA9, ADA8, ADA7, ADA6, ADA5, ADA4, ADA3, ADA2, ADA1, ADA0,
  input CEA, OCEA, CLKA, WEA, RSTA, CSA2, CSA1, CSA0,
  output DOA17, DOA16, DOA15, DOA14, DOA13, DOA12, DOA11, DOA10, DOA9, DOA8, DOA7, DOA6, DOA5, DOA4, DOA3, DOA2, DOA1, DOA0,
  input DIB17, DIB16, DIB15, DIB14, DIB13, DIB12, DIB11, DIB10, DIB9, DIB8, DIB7, DIB6, DIB5, DIB4, DIB3, DIB2, DIB1, DIB0,
  input ADB13, ADB12, ADB11, ADB10, ADB9, ADB8, ADB7, ADB6, ADB5, ADB4, ADB3, ADB2, ADB1, ADB0,
  input CEB, OCEB, CLKB, WEB, RSTB, CSB2, CSB1, CSB0,
  output DOB17, DOB16, DOB15, DOB14, DOB13, DOB12, DOB11, DOB10, DOB9, DOB8, DOB7, DOB6, DOB5, DOB4, DOB3, DOB2, DOB1, DOB0
);
  parameter DATA_WIDTH_A = 18;
  parameter DATA_WIDTH_B = 18;
  parameter REGMODE_A = "NOREG";
  parameter REGMODE_B = "NOREG";
  parameter RESETMODE = "SYNC";
  parameter ASYNC_RESET_RELEASE = "SYNC";
  parameter CSDECODE_A = "0b000";
  parameter CSDECODE_B = "0b000";
  parameter WRITEMODE_A = "NORMAL";
  parameter WRITEMODE_B = "NORMAL";
  parameter GSR = "ENABLED";
  parameter CLKAMUX = "CLKA";
  parameter CLKBMUX = "CLKB";
  parameter INITVAL_00 = 320'h0;
  parameter INITVAL_01 = 320'h0;
  parameter INITVAL_02 = 320'h0;
  parameter INITVAL_03 = 320'h0;
  parameter INITVAL_04 = 320'h0;
  parameter INITVAL_05 = 320'h0;
  parameter INITVAL_06 = 320'h0;
  parameter INITVAL_07 = 320'h0;
  parameter INITVAL_08 = 320'h0;
  parameter INITVAL_09 = 320'h0;
  parameter INITVAL_0A = 320'h0;
  parameter INITVAL_0B = 320'h0;
  parameter INITVAL_0C = 320'h0;
  parameter INITVAL_0D = 320'h0;
  parameter INITVAL_0E = 320'h0;
  parameter INITVAL_0F = 320'h0;
  parameter INITVAL_10 = 320'h0;
  parameter INITVAL_11 = 320'h0;
  parameter INITVAL_12 = 320'h0;
  parameter INITVAL_13 = 320'h0;
  parameter INITVAL_14 = 320'h0;
  parameter INITVAL_15 = 320'h0;
  parameter INITVAL_16 = 320'h0;
  parameter INITVAL_17 = 320'h0;
  parameter INITVAL_18 = 320'h0;
  parameter INITVAL_19 = 320'h0;
  parameter INITVAL_1A = 320'h0;
  parameter INITVAL_1B = 320'h0;
  parameter INITVAL_1C = 320'h0;
  parameter INITVAL_1D = 320'h0;
  parameter INITVAL_1E = 320'h0;
  parameter INITVAL_1F = 320'h0;
  parameter INITVAL_20 = 320'h0;
  parameter INITVAL_21 = 320'h0;
  parameter INITVAL_22 = 320'h0;
  parameter INITVAL_23 = 320'h0;
  parameter INITVAL_24 = 320'h0;
  parameter INITVAL_25 = 320'h0;
  parameter INITVAL_26 = 320'h0;
  parameter INITVAL_27 = 320'h0;
  parameter INITVAL_28 = 320'h0;
  parameter INITVAL_29 = 320'h0;
  parameter INITVAL_2A = 320'h0;
  parameter INITVAL_2B = 320'h0;
  parameter INITVAL_2C = 320'h0;
  parameter INITVAL_2D = 320'h0;
  parameter INITVAL_2E = 320'h0;
  parameter INITVAL_2F = 320'h0;
  parameter INITVAL_30 = 320'h0;
  parameter INITVAL_31 = 320'h0;
  parameter INITVAL_32 = 320'h0;
  parameter INITVAL_33 = 320'h0;
  parameter INITVAL_34 = 320'h0;
  parameter INITVAL_35 = 320'h0;
  parameter INITVAL_36 = 320'h0;
  parameter INITVAL_37 = 320'h0;
  parameter INITVAL_38 = 320'h0;
  parameter INITVAL_39 = 320'h0;
  parameter INITVAL_3A = 320'h0;
  parameter INITVAL_3B = 320'h0;
  parameter INITVAL_3C = 320'h0;
  parameter INITVAL_3D = 320'h0;
  parameter INITVAL_3E = 320'h0;
  parameter INITVAL_3F = 320'h0;

  reg [18431:0] mem;
  task load(input integer row, input [319:0] value);
    integer i;
    for (i = 0; i < 16; i = i + 1) mem[(row * 16 + i) * 18 +: 18] = value[i * 20 +: 18];
  endtask
  initial begin
    load(0, INITVAL_00);
    load(1, INITVAL_01);
    load(2, INITVAL_02);
    load(3, INITVAL_03);
    load(4, INITVAL_04);
    load(5, INITVAL_05);
    load(6, INITVAL_06);
    load(7, INITVAL_07);
    load(8, INITVAL_08);
    load(9, INITVAL_09);
    load(10, INITVAL_0A);
    load(11, INITVAL_0B);
    load(12, INITVAL_0C);
    load(13, INITVAL_0D);
    load(14, INITVAL_0E);
    load(15, INITVAL_0F);
    load(16, INITVAL_10);
    load(17, INITVAL_11);
    load(18, INITVAL_12);
    load(19, INITVAL_13);
    load(20, INITVAL_14);
    load(21, INITVAL_15);
    load(22, INITVAL_16);
    load(23, INITVAL_17);
    load(24, INITVAL_18);
    load(25, INITVAL_19);
    load(26, INITVAL_1A);
    load(27, INITVAL_1B);
    load(28, INITVAL_1C);
    load(29, INITVAL_1D);
    load(30, INITVAL_1E);
    load(31, INITVAL_1F);
    load(32, INITVAL_20);
    load(33, INITVAL_21);
    load(34, INITVAL_22);
    load(35, INITVAL_23);
    load(36, INITVAL_24);
    load(37, INITVAL_25);
    load(38, INITVAL_26);
    load(39, INITVAL_27);
    load(40, INITVAL_28);
    load(41, INITVAL_29);
    load(42, INITVAL_2A);
    load(43, INITVAL_2B);
    load(44, INITVAL_2C);
    load(45, INITVAL_2D);
    load(46, INITVAL_2E);
    load(47, INITVAL_2F);
    load(48, INITVAL_30);
    load(49, INITVAL_31);
    load(50, INITVAL_32);
    load(51, INITVAL_33);
    load(52, INITVAL_34);
    load(53, INITVAL_35);
    load(54, INITVAL_36);
    load(55, INITVAL_37);
    load(56, INITVAL_38);
    load(57, INITVAL_39);
    load(58, INITVAL_3A);
    load(59, INITVAL_3B);
    load(60, INITVAL_3C);
    load(61, INITVAL_3D);
    load(62, INITVAL_3E);
    load(63, INITVAL_3F);
  end

  // First bit of the word a port of `width` bits addresses with `ad`.
  function integer first_bit(input integer width, input [13:0] ad);
    case (width)
      18: first_bit = ad[13:4] * 18;
      9: first_bit = ad[13:3] * 9;
      4: first_bit = (ad[13:2] / 2) * 9 + (ad[13:2] % 2) * 4;
      2: first_bit = (ad[13:1] / 4) * 9 + (ad[13:1] % 4) * 2;
      default: first_bit = (ad[13:0] / 8) * 9 + ad[13:0] % 8;
    endcase
  endfunction
  function [2:0] decode(input [39:0] text);
    decode = {text[16], text[8], text[0]};
  endfunction

  wire [13:0] ad_a = {ADA13, ADA12, ADA11, ADA10, ADA9, ADA8, ADA7, ADA6, ADA5, ADA4, ADA3, ADA2, ADA1, ADA0};
  wire [17:0] di_a = {DIA17, DIA16, DIA15, DIA14, DIA13, DIA12, DIA11, DIA10, DIA9, DIA8, DIA7, DIA6, DIA5, DIA4, DIA3, DIA2, DIA1, DIA0};
  wire on_a = CEA && {CSA2, CSA1, CSA0} == decode(CSDECODE_A);
  wire writes_a = on_a && WEA && !RSTA;
  wire [17:0] mask_a = (18'd1 << DATA_WIDTH_A) - 18'd1;
  wire [31:0] at_a = first_bit(DATA_WIDTH_A, ad_a);
  wire [13:0] ad_b = {ADB13, ADB12, ADB11, ADB10, ADB9, ADB8, ADB7, ADB6, ADB5, ADB4, ADB3, ADB2, ADB1, ADB0};
  wire [17:0] di_b = {DIB17, DIB16, DIB15, DIB14, DIB13, DIB12, DIB11, DIB10, DIB9, DIB8, DIB7, DIB6, DIB5, DIB4, DIB3, DIB2, DIB1, DIB0};
  wire on_b = CEB && {CSB2, CSB1, CSB0} == decode(CSDECODE_B);
  wire writes_b = on_b && WEB && !RSTB;
  wire [17:0] mask_b = (18'd1 << DATA_WIDTH_B) - 18'd1;
  wire [31:0] at_b = first_bit(DATA_WIDTH_B, ad_b);
  // Does port `p`'s word overlap the bits the other port writes now?
  wire same_edge = CLKA === CLKB;
  wire hit_a = same_edge && writes_b && at_a < at_b + DATA_WIDTH_B && at_b < at_a + DATA_WIDTH_A;
  wire hit_b = same_edge && writes_a && at_b < at_a + DATA_WIDTH_A && at_a < at_b + DATA_WIDTH_B;

  reg [17:0] read_a, out_a;
  integer k_a;
  always @(posedge CLKA) begin
    if (RSTA) begin
      read_a <= 18'd0;
      out_a <= 18'd0;
    end else begin
      if (on_a) begin
        if (WEA) begin
          for (k_a = 0; k_a < DATA_WIDTH_A; k_a = k_a + 1)
            if (DATA_WIDTH_A != 18 || ad_a[k_a / 9])
              mem[at_a + k_a] <= di_a[k_a];
          if (WRITEMODE_A == "WRITETHROUGH") read_a <= di_a & mask_a;
          else if (WRITEMODE_A == "READBEFOREWRITE") read_a <= mem[at_a +: 18] & mask_a;
        end else if (hit_a) begin
          read_a <= 18'bx;
        end else begin
          read_a <= mem[at_a +: 18] & mask_a;
        end
      end
      if (OCEA) out_a <= read_a;
    end
  end
  wire [17:0] do_a = REGMODE_A == "OUTREG" ? out_a : read_a;
  assign {DOA17, DOA16, DOA15, DOA14, DOA13, DOA12, DOA11, DOA10, DOA9, DOA8, DOA7, DOA6, DOA5, DOA4, DOA3, DOA2, DOA1, DOA0} = do_a;
  reg [17:0] read_b, out_b;
  integer k_b;
  always @(posedge CLKB) begin
    if (RSTB) begin
      read_b <= 18'd0;
      out_b <= 18'd0;
    end else begin
      if (on_b) begin
        if (WEB) begin
          for (k_b = 0; k_b < DATA_WIDTH_B; k_b = k_b + 1)
            if (DATA_WIDTH_B != 18 || ad_b[k_b / 9])
              mem[at_b + k_b] <= di_b[k_b];
          if (WRITEMODE_B == "WRITETHROUGH") read_b <= di_b & mask_b;
          else if (WRITEMODE_B == "READBEFOREWRITE") read_b <= mem[at_b +: 18] & mask_b;
        end else if (hit_b) begin
          read_b <= 18'bx;
        end else begin
          read_b <= mem[at_b +: 18] & mask_b;
        end
      end
      if (OCEB) out_b <= read_b;
    end
  end
  wire [17:0] do_b = REGMODE_B == "OUTREG" ? out_b : read_b;
  assign {DOB17, DOB16, DOB15, DOB14, DOB13, DOB12, DOB11, DOB10, DOB9, DOB8, DOB7, DOB6, DOB5, DOB4, DOB3, DOB2, DOB1, DOB0} = do_b;
endmodule
