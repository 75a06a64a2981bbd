import test from 'ava';
import { sniffImageType } from '../../src/domain/image.js';
import { IMAGES } from '../helpers/index.js';

test('when the bytes are a PNG, JPEG or WebP, the sniffer names that type', (t) => {
  t.is(sniffImageType(IMAGES.png), 'image/png');
  t.is(sniffImageType(IMAGES.jpeg), 'image/jpeg');
  t.is(sniffImageType(IMAGES.webp), 'image/webp');
});

test('when the bytes are SVG, HTML, GIF, empty or a truncated signature, the sniffer names nothing', (t) => {
  t.is(sniffImageType(IMAGES.svg), undefined);
  t.is(sniffImageType(IMAGES.html), undefined);
  t.is(sniffImageType(IMAGES.gif), undefined);
  t.is(sniffImageType(Buffer.alloc(0)), undefined);
  t.is(sniffImageType(IMAGES.png.subarray(0, 8)), undefined);
  t.is(sniffImageType(Buffer.from('RIFF\0\0\0\0WAVEfmt ')), undefined);
});
