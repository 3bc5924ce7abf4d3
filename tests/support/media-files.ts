/**
 * Small files of each kind, as their first bytes say (what the type check reads): enough for
 * file-type to know them, padded so each is a plausible size.
 */
const pad = (head: Buffer, size = 2048) => Buffer.concat([head, Buffer.alloc(Math.max(0, size - head.length), 0x20)]);

const box = (type: string, brand: string) => {
  const body = Buffer.concat([Buffer.from(brand, 'latin1'), Buffer.from([0, 0, 0, 0]), Buffer.from(`${brand}mp42isom`, 'latin1')]);
  const size = Buffer.alloc(4);
  size.writeUInt32BE(8 + body.length);
  return Buffer.concat([size, Buffer.from(type, 'latin1'), body]);
};

const riff = (form: string, chunk: string) => Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x24, 0x08, 0, 0]), Buffer.from(form), Buffer.from(chunk)]);

export const samples = {
  jpeg: pad(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01])),
  png: pad(Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex')),
  pdf: pad(Buffer.from('%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n')),
  heic: pad(box('ftyp', 'heic')),
  webp: pad(riff('WEBP', 'VP8 ')),
  wav: pad(riff('WAVE', 'fmt ')),
  mp3: pad(Buffer.from([0xff, 0xfb, 0x90, 0x44, 0x00, 0x00, 0x00, 0x00])),
  opus: pad(Buffer.concat([Buffer.from('OggS'), Buffer.from([0x00, 0x02]), Buffer.alloc(22), Buffer.from('OpusHead')])),
  m4a: pad(box('ftyp', 'M4A ')),
  amr: pad(Buffer.from('#!AMR\n')),
  /** A Windows executable. */
  exe: pad(Buffer.concat([Buffer.from('MZ'), Buffer.alloc(58), Buffer.from([0x80, 0, 0, 0]), Buffer.alloc(64), Buffer.from('PE\0\0')])),
  /** A shell script: text, no type read from its bytes. */
  script: Buffer.from('#!/bin/sh\nrm -rf /\n'),
};

/** A different JPEG each call: its last bytes differ. */
export const uniqueJpeg = (tag: string) => Buffer.concat([samples.jpeg, Buffer.from(`${tag}:${Math.random()}`)]);
