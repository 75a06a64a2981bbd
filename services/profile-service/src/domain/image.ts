import type { ImageType } from './profile.js';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const JPEG = Buffer.from([0xff, 0xd8, 0xff]);
const RIFF = Buffer.from('RIFF', 'ascii');
const WEBP = Buffer.from('WEBP', 'ascii');
const IHDR = Buffer.from('IHDR', 'ascii');

/**
 * The image type that the bytes really are, from their magic numbers, or
 * undefined when they are none of PNG, JPEG or WebP (an SVG, HTML, a
 * truncated file...). The declared Content-Type is never trusted on its own.
 *
 * - PNG: the 8-byte signature followed by the IHDR chunk (RFC 2083, 3.1 and 4.1.1).
 * - JPEG: SOI (FF D8) followed by a marker (FF ..).
 * - WebP: a RIFF container whose form type is `WEBP`.
 */
export function sniffImageType(bytes: Uint8Array): ImageType | undefined {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length >= 16 && b.subarray(0, 8).equals(PNG) && b.subarray(12, 16).equals(IHDR)) return 'image/png';
  if (b.length >= 4 && b.subarray(0, 3).equals(JPEG)) return 'image/jpeg';
  if (b.length >= 16 && b.subarray(0, 4).equals(RIFF) && b.subarray(8, 12).equals(WEBP)) return 'image/webp';
  return undefined;
}

export const IMAGE_EXTENSIONS: Record<ImageType, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
};
