// The flooders of helpers/flood.ts, in a process of their own so that their work never delays
// the test's probes in its event loop. Plain JavaScript on node:net only (the batches arrive
// encoded over IPC): each connection writes its batch whenever its socket takes it, one batch per
// turn of the event loop, and counts the replies by their framing without decoding them.
/* global Buffer, process, setImmediate */
import * as net from "node:net";

const connections = [];

/** Bytes of the whole frame at `offset`, or null while incomplete: remoting length prefix, or an unmasked WebSocket frame. */
function frameBytes(framing, buffer, offset) {
  const left = buffer.length - offset;
  if (framing === "remoting") {
    if (left < 4) return null;
    const total = 4 + buffer.readUInt32BE(offset);
    return left >= total ? total : null;
  }
  if (left < 2) return null;
  const short = buffer[offset + 1] & 0x7f;
  let head = 2;
  let length = short;
  if (short === 126) {
    if (left < 4) return null;
    head = 4;
    length = buffer.readUInt16BE(offset + 2);
  } else if (short === 127) {
    if (left < 10) return null;
    head = 10;
    length = Number(buffer.readBigUInt64BE(offset + 2));
  }
  return left >= head + length ? head + length : null;
}

/** One flooding connection: `opening` bytes first (upgrade and hello), `batch` after the first reply. */
function flood({ port, framing, opening, batch }) {
  const socket = net.connect({ host: "127.0.0.1", port, noDelay: true });
  const state = { answered: 0, running: true, socket };
  let pending = Buffer.alloc(0);
  let upgraded = framing === "remoting";
  const pump = () => {
    if (state.running && socket.write(batch)) setImmediate(pump);
  };
  socket.on("error", () => undefined);
  socket.on("drain", pump);
  socket.on("connect", () => {
    if (opening.length > 0) socket.write(opening);
    else pump();
  });
  socket.on("data", (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    if (!upgraded) {
      const end = pending.indexOf("\r\n\r\n");
      if (end < 0) return;
      upgraded = true;
      pending = pending.subarray(end + 4);
    }
    let offset = 0;
    for (;;) {
      const bytes = frameBytes(framing, pending, offset);
      if (bytes === null) break;
      state.answered += 1;
      offset += bytes;
      // The first reply on a native connection answers the hello: the flood starts.
      if (state.answered === 1 && opening.length > 0) pump();
    }
    pending = pending.subarray(offset);
  });
  connections.push(state);
}

process.on("message", (message) => {
  if (message.kind === "start") {
    for (let index = 0; index < message.connections; index += 1) {
      flood({ port: message.port, framing: message.framing, opening: Buffer.from(message.opening, "base64"), batch: Buffer.from(message.batch, "base64") });
    }
  } else if (message.kind === "count") {
    process.send({ kind: "count", answered: connections.map((state) => state.answered) });
  } else if (message.kind === "stop") {
    for (const state of connections) {
      state.running = false;
      state.socket.destroy();
    }
    process.exit(0);
  }
});
