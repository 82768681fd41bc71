// Frames between the Python kernel and this host.
// A frame is: u32 LE json length, u32 LE payload length, the JSON text, the raw payload bytes.
// Python writes frames to our stdin; we write ours to a pipe of our own (NBRUNTIME_FD) so nothing a handler prints
// to stdout can ever corrupt the protocol.
import fs from 'node:fs';

const OUT_FD = Number(process.env.NBRUNTIME_FD ?? 3);
const EMPTY = Buffer.alloc(0);

export function send(message, payload = EMPTY) {
  const json = Buffer.from(JSON.stringify(message));
  const head = Buffer.allocUnsafe(8);
  head.writeUInt32LE(json.length, 0);
  head.writeUInt32LE(payload.length, 4);
  writeAll(payload.length ? Buffer.concat([head, json, payload]) : Buffer.concat([head, json]));
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

// Calls onFrame(message, payload) for each complete frame read from a byte stream. Pieces of a large frame are
// kept in a list and joined once the frame is complete: joining on every read copies a 100 MB body ~1,600 times.
export function readFrames(stream, onFrame) {
  let pending = EMPTY;
  const pieces = [];
  let piecesLength = 0;
  let needed = 0; // the length of the frame being gathered in pieces
  stream.on('data', (data) => {
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
  });
}
