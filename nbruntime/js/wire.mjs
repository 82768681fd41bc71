// Frames between the Python kernel and this host.
// Python writes frames to our stdin: u32 LE json length, u32 LE payload length, the JSON text, the payload bytes.
// The first KEY_BYTES on stdin are a key the kernel made for this host. We write our frames to a pipe of our own
// (NBRUNTIME_FD), so nothing a handler prints to stdout can corrupt the protocol, and sign each one: after the
// two lengths come a tag of the lengths and a tag of the JSON and payload, HMACs under the key that also cover the
// frame's sequence number. Code that finds the pipe (it is in /proc/self/fd) cannot forge, replay or reorder a
// frame without the key, which lives only in this module; the kernel treats a frame that fails as a crash.
import crypto from 'node:crypto';
import fs from 'node:fs';

const OUT_FD = Number(process.env.NBRUNTIME_FD ?? 3);
const EMPTY = Buffer.alloc(0);
export const KEY_BYTES = 32;
const TAG_BYTES = 16;
const HEAD_BYTES = 8 + 2 * TAG_BYTES;

let key = null;
let sequence = 0n;
const waiting = []; // frames sent before the key arrived

function tag(seq, ...parts) {
  const mac = crypto.createHmac('sha256', key).update(seq);
  for (const part of parts) mac.update(part);
  return mac.digest().subarray(0, TAG_BYTES);
}

export function send(message, payload = EMPTY) {
  if (!key) {
    waiting.push([message, payload]);
    return;
  }
  const json = Buffer.from(JSON.stringify(message));
  const frame = Buffer.allocUnsafe(HEAD_BYTES + json.length + payload.length);
  frame.writeUInt32LE(json.length, 0);
  frame.writeUInt32LE(payload.length, 4);
  const seq = Buffer.allocUnsafe(8);
  seq.writeBigUInt64LE(sequence++);
  tag(seq, frame.subarray(0, 8)).copy(frame, 8);
  tag(seq, json, payload).copy(frame, 8 + TAG_BYTES);
  json.copy(frame, HEAD_BYTES);
  payload.copy(frame, HEAD_BYTES + json.length);
  writeAll(frame);
}

function writeAll(buffer) {
  let offset = 0;
  while (offset < buffer.length) {
    try {
      offset += fs.writeSync(OUT_FD, buffer, offset);
    } catch (error) {
      if (error.code !== 'EAGAIN') throw error;
    }
  }
}

// The kernel's frames on `stream`, after its key: the key signs what we send from then on. A frame that cannot be
// read (bad JSON, say) calls onBroken: nothing after it can be trusted to line up.
export function openChannel(stream, onFrame, onBroken) {
  let preamble = EMPTY;
  const frames = frameReader(onFrame);
  stream.on('data', (data) => {
    try {
      if (!key) {
        preamble = Buffer.concat([preamble, data]);
        if (preamble.length < KEY_BYTES) return;
        key = crypto.createSecretKey(preamble.subarray(0, KEY_BYTES));
        data = preamble.subarray(KEY_BYTES);
        for (const [message, payload] of waiting.splice(0)) send(message, payload);
      }
      frames(data);
    } catch (error) {
      onBroken(error);
    }
  });
}

// Calls onFrame(message, payload) for each complete frame read from a byte stream. Pieces of a large frame are
// kept in a list and joined once the frame is complete: joining on every read copies a 100 MB body ~1,600 times.
export function readFrames(stream, onFrame) {
  stream.on('data', frameReader(onFrame));
}

function frameReader(onFrame) {
  let pending = EMPTY;
  const pieces = [];
  let piecesLength = 0;
  let needed = 0; // the length of the frame being gathered in pieces
  return (data) => {
    if (needed) {
      pieces.push(data);
      piecesLength += data.length;
      if (piecesLength < needed) return;
      pending = Buffer.concat(pieces, piecesLength);
      pieces.length = piecesLength = needed = 0;
    } else {
      pending = pending.length ? Buffer.concat([pending, data]) : data;
    }
    while (pending.length >= 8) {
      const jsonLength = pending.readUInt32LE(0);
      const total = 8 + jsonLength + pending.readUInt32LE(4);
      if (pending.length < total) {
        if (total > 1 << 20) {
          pieces.push(pending);
          piecesLength = pending.length;
          needed = total;
          pending = EMPTY;
        }
        break;
      }
      const message = JSON.parse(pending.toString('utf8', 8, 8 + jsonLength));
      const payload = pending.subarray(8 + jsonLength, total);
      pending = pending.subarray(total);
      onFrame(message, payload);
    }
  };
}
