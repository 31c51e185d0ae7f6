/**
 * Reads a PNG far enough to know it is a real image: the signature, every chunk's CRC, the
 * header (size, bit depth, colour type), and the image data inflated to exactly the bytes that
 * size needs. No dependency: node's zlib has inflate and crc32.
 */
import { readFileSync } from "node:fs";
import { crc32, inflateSync } from "node:zlib";
import { TrellisError } from "../core/errors.js";

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Samples per pixel of each PNG colour type (greyscale, RGB, palette, grey+alpha, RGBA). */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

export interface PngInfo {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
}

class PngError extends TrellisError {}

export function decodePng(file: string): PngInfo {
  const buf = readFileSync(file);
  if (buf.length < SIGNATURE.length || !buf.subarray(0, 8).equals(SIGNATURE))
    throw new PngError(`${file}: not a PNG (bad signature)`);
  let offset = 8;
  let info: PngInfo | undefined;
  const data: Buffer[] = [];
  let ended = false;
  while (offset + 12 <= buf.length && !ended) {
    const length = buf.readUInt32BE(offset);
    const type = buf.toString("latin1", offset + 4, offset + 8);
    const body = buf.subarray(offset + 8, offset + 8 + length);
    const crc = buf.readUInt32BE(offset + 8 + length);
    if (crc32(buf.subarray(offset + 4, offset + 8 + length)) !== crc)
      throw new PngError(`${file}: chunk ${type} has a bad CRC`);
    if (type === "IHDR")
      info = { width: body.readUInt32BE(0), height: body.readUInt32BE(4), bitDepth: body[8]!, colorType: body[9]! };
    else if (type === "IDAT") data.push(body);
    else if (type === "IEND") ended = true;
    offset += 12 + length;
  }
  if (!info) throw new PngError(`${file}: no IHDR chunk`);
  if (!ended) throw new PngError(`${file}: truncated (no IEND chunk)`);
  const channels = CHANNELS[info.colorType];
  if (!channels) throw new PngError(`${file}: unknown colour type ${info.colorType}`);
  // Each row: one filter byte, then the row's samples (non-interlaced images).
  const rowBytes = 1 + Math.ceil((info.width * channels * info.bitDepth) / 8);
  const pixels = inflateSync(Buffer.concat(data));
  if (pixels.length !== rowBytes * info.height)
    throw new PngError(
      `${file}: image data is ${pixels.length} bytes, ${rowBytes * info.height} expected for ${info.width}x${info.height}`,
    );
  return info;
}
