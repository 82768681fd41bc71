// Frames between the Python kernel and this host.
//
// A frame is u32 LE json length, u32 LE payload length, the JSON text, the payload bytes. The kernel writes frames to
// the host's stdin (after a key it made for this host: the first KEY_BYTES). The host answers on a pipe of its own (so
// nothing a handler prints to stdout can corrupt the protocol), and writes the frames of one turn of its event loop
// together, as one record:
//
//   u32 LE body length, head tag (16 bytes), body tag (16 bytes), body (the frames)
//
// The tags are SHA-256 keyed by prefix (key, record number, ...) and cut to 16 bytes: the head's covers the length, so
// bytes that are not a record are refused before we wait for any more; the body's covers the frames. Code that finds
// a pipe (it is in /proc/self/fd) cannot forge, replay or reorder a record without the key, which lives only in this
// module; the kernel treats a record that fails as a crash. One record per turn is one write and one check per batch
// of frames, not per frame.
import crypto from 'node:crypto';
import { fs } from './builtins.mjs';
import { performance } from 'node:perf_hooks';

export const KEY_BYTES = 32;
const TAG_BYTES = 16;
const HEAD_BYTES = 4 + 2 * TAG_BYTES;
const EMPTY = Buffer.alloc(0);

let key = null;

// The frames the host writes to its pipe: gathered during a turn of the event loop, written at its end as one
// record, laid out in one buffer: the record's head, then the key and record number (hashed with the frames, never
// written), then the frames.
const SMALL_PAYLOAD = 64 * 1024; // larger payloads are written from where they are, not copied into the record
const RECORD_BYTES = 256 * 1024; // a turn's frames past this size go at once
const HASHED = KEY_BYTES + 8;
const FRAME_ESTIMATE = 64; // a frame's bytes besides its payload, as counted towards RECORD_BYTES

export class Output {
  constructor(fd) {
    this.fd = fd;
    this.sequence = 0n;
    this.pending = []; // message, payload, per frame (null, null: a frame joined into a later one)
    this.answers = new Map(); // request id → where its head (and its one chunk) wait in `pending` (see joined)
    this.size = 0; // the frames' bytes, their JSON estimated
    this.scheduled = false;
    this.holds = 0; // while above 0, frames wait (a request about to end: its `end` goes with them)
    this.lastSent = 0; // when the latest frame was sent (performance.now())
    this.written = null; // called after each record is written (linger.mjs)
    this.flush = this.flush.bind(this);
  }

  hold() {
    this.holds += 1;
  }

  release() {
    this.holds -= 1;
    if (!this.holds && this.pending.length) this.flush();
  }

  send(message, payload = EMPTY, now = performance.now()) {
    this.lastSent = now;
    if (message.id !== undefined && this.answers.size && this.joined(message, payload)) return;
    if (message.ev === 'head') this.answers.set(message.id, { head: this.pending.length, chunk: -1 });
    this.pending.push(message, payload);
    this.size += FRAME_ESTIMATE + payload.length;
    // A turn that makes a lot (a body streamed as fast as it is read) writes as it goes: records stay small, and a
    // full pipe holds the producer back, as one write per frame did.
    if (this.size >= RECORD_BYTES && key) return this.flush(true);
    if (!this.scheduled && key) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  // A response whose head, one chunk (at most) and end all wait in this record goes as one `whole` frame: the kernel
  // reads one frame, not three (the body, then the trace, in its payload). Any other frame of the request in between
  // (a console line, a second chunk) leaves its frames as they are. True if `message` was taken in.
  joined(message, payload) {
    const answer = this.answers.get(message.id);
    if (!answer) return false;
    const { pending } = this;
    if (message.ev === 'chunk' && answer.chunk < 0 && payload.length <= SMALL_PAYLOAD) {
      answer.chunk = pending.length; // (where send puts it)
      return false;
    }
    this.answers.delete(message.id);
    if (message.ev !== 'end') return false;
    const { status, headers } = pending[answer.head];
    const body = answer.chunk < 0 ? EMPTY : pending[answer.chunk + 1];
    pending[answer.head] = pending[answer.head + 1] = null; // (skipped when written)
    if (answer.chunk >= 0) pending[answer.chunk] = pending[answer.chunk + 1] = null;
    const size = answer.chunk < 0 ? null : body.length;
    pending.push({ id: message.id, ev: 'whole', status, headers, cancelled: message.cancelled, body: size },
      payload.length ? Buffer.concat([body, payload]) : body);
    this.size += payload.length;
    return true;
  }

  // A frame that ends a quiet spell (no frame for over a millisecond: a paced stream's next chunk) is written at once,
  // rather than at the end of the turn, where it would also wait for whatever else the turn does (the reader's next
  // read, say). Frames that come back to back, from one request or many, still share the turn's record.
  sendPromptly(message, payload) {
    const now = performance.now();
    const quiet = now - this.lastSent > 1;
    this.send(message, payload, now);
    if (quiet) this.flush();
  }

  // Writes what was gathered as one signed record (`now`: even while held, as before the process exits).
  flush(now = false) {
    this.scheduled = false;
    if (!this.pending.length || !key || (this.holds && now !== true)) return;
    const { pending } = this;
    this.pending = [];
    this.answers.clear();
    this.size = 0;
    const texts = [];
    let size = 0;
    let copied = 0;
    for (let i = 0; i < pending.length; i += 2) {
      if (pending[i] === null) continue;
      const json = JSON.stringify(pending[i]);
      const length = Buffer.byteLength(json);
      const payload = pending[i + 1];
      texts.push(json, length, payload);
      size += 8 + length + payload.length;
      copied += 8 + length + (payload.length > SMALL_PAYLOAD ? 0 : payload.length);
    }
    const record = Buffer.allocUnsafe(HEAD_BYTES + HASHED + copied);
    const pieces = []; // the body in order: spans of the record, and large payloads between them
    let start = HEAD_BYTES + HASHED;
    let offset = start;
    for (let i = 0; i < texts.length; i += 3) {
      const [json, length, payload] = [texts[i], texts[i + 1], texts[i + 2]];
      record.writeUInt32LE(length, offset);
      record.writeUInt32LE(payload.length, offset + 4);
      record.write(json, offset + 8, length, 'utf8');
      offset += 8 + length;
      if (payload.length > SMALL_PAYLOAD) {
        pieces.push(record.subarray(start, offset), payload);
        start = offset;
      } else {
        record.set(payload, offset);
        offset += payload.length;
      }
    }
    pieces.push(record.subarray(start, offset));
    record.writeUInt32LE(size, 0);
    key.copy(record, HEAD_BYTES);
    record.writeBigUInt64LE(this.sequence++, HEAD_BYTES + KEY_BYTES);
    const keyed = record.subarray(HEAD_BYTES, HEAD_BYTES + HASHED);
    tagInto(record, 4, [Buffer.concat([keyed, record.subarray(0, 4)])]);
    tagInto(record, 4 + TAG_BYTES, pieces.length === 1 ? [record.subarray(HEAD_BYTES, offset)] : [keyed, ...pieces]);
    writeAll(this.fd, [record.subarray(0, HEAD_BYTES), ...pieces.filter((piece) => piece.length)]);
    this.written?.();
  }
}

// Writes the tag of `parts` (SHA-256 of them, cut to TAG_BYTES) into `target` at `at`.
function tagInto(target, at, parts) {
  const digest = parts.length === 1 ? crypto.hash('sha256', parts[0], 'buffer')
    : parts.reduce((hash, part) => hash.update(part), crypto.createHash('sha256')).digest();
  digest.copy(target, at, 0, TAG_BYTES);
}

function writeAll(fd, buffers) {
  let written = 0;
  const total = buffers.reduce((sum, buffer) => sum + buffer.length, 0);
  while (written < total) {
    try {
      written += fs.writevSync(fd, written ? remaining(buffers, written) : buffers);
    } catch (error) {
      if (error.code !== 'EAGAIN') throw error;
    }
  }
}

// The buffers from byte `offset` on (after a partial write).
function remaining(buffers, offset) {
  const rest = [];
  for (const buffer of buffers) {
    if (offset >= buffer.length) offset -= buffer.length;
    else {
      rest.push(offset ? buffer.subarray(offset) : buffer);
      offset = 0;
    }
  }
  return rest;
}

// The kernel's frames on `stream`, after its key (on the host's stdin): `output` starts writing once the key is
// known, and then `onOpen` is called. A frame that cannot be read (bad JSON, say) calls onBroken: nothing after it can
// be trusted to line up. Returns the stream's handler of bytes, for bytes of the pipe read another way (linger.mjs).
export function openChannel(stream, output, onFrame, onBroken, onOpen = () => {}) {
  let preamble = EMPTY;
  const frames = frameReader(onFrame);
  const feed = (data) => {
    try {
      if (!key) {
        preamble = Buffer.concat([preamble, data]);
        if (preamble.length < KEY_BYTES) return;
        key = Buffer.from(preamble.subarray(0, KEY_BYTES));
        data = preamble.subarray(KEY_BYTES);
        if (output.pending.length) output.flush();
        onOpen();
      }
      frames(data);
    } catch (error) {
      onBroken(error);
    }
  };
  stream.on('data', feed);
  return feed;
}

// A handler of a byte stream's pieces, however they are split, that calls onFrame(message, payload) for each complete
// frame. Pieces of a large frame are kept in a list and joined once the frame is complete: joining on every read
// copies a 100 MB body ~1,600 times.
export function frameReader(onFrame) {
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
