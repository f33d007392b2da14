// The part of npm `qrcode` (1.5.4) that lanchat calls, typed locally: the
// package ships no types.

/** How `toString` draws the code. */
export interface QRCodeToStringOptions {
  /** `utf8`: half blocks (two modules a character), no colours. */
  type: "utf8";
  /** Error correction: L, M, Q or H. */
  errorCorrectionLevel?: "L" | "M" | "Q" | "H";
  /** Quiet zone, in modules. */
  margin?: number;
}

/** Draws `text` as a QR code. */
export function toString(text: string, options: QRCodeToStringOptions): Promise<string>;

declare const QRCode: { toString: typeof toString };
export default QRCode;
