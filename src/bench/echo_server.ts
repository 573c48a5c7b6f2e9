// The physical limit for figure 3: `node dist/bench/echo_server.js <ws|tcp|http> <port> <bytes>`.
// Answers every request with a prebuilt reply of <bytes> bytes (the size of the name server's
// route answer), so request and reply sizes match the real servers under the same load.
import { createServer as createHttpServer } from "node:http";
import { createServer as createTcpServer } from "node:net";
import { WebSocketServer } from "ws";

const [kind, portText, bytesText] = process.argv.slice(2);
const port = Number(portText);
const bytes = Number(bytesText);
const reply = Buffer.alloc(bytes, 0x61);

if (kind === "ws") {
  const server = new WebSocketServer({ host: "127.0.0.1", port, perMessageDeflate: false, maxPayload: 16 * 1024 * 1024 });
  server.on("connection", (socket) => {
    socket.on("message", () => socket.send(reply));
    socket.on("error", () => socket.terminate());
  });
  server.on("listening", () => process.stdout.write("listening\n"));
} else if (kind === "tcp") {
  // Length-prefixed frames, as RocketMQ remoting: 4-byte big-endian length, then the frame.
  const framed = Buffer.alloc(4 + bytes, 0x61);
  framed.writeUInt32BE(bytes, 0);
  const server = createTcpServer((socket) => {
    socket.setNoDelay(true);
    let buffered: Buffer = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4) {
        const length = buffered.readUInt32BE(0);
        if (buffered.length < 4 + length) break;
        buffered = buffered.subarray(4 + length);
        socket.write(framed);
      }
    });
    socket.on("error", () => socket.destroy());
  });
  server.listen(port, "127.0.0.1", () => process.stdout.write("listening\n"));
} else if (kind === "http") {
  const server = createHttpServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json", "content-length": String(bytes) });
      res.end(reply);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(port, "127.0.0.1", () => process.stdout.write("listening\n"));
} else {
  process.stderr.write(`unknown kind '${String(kind)}'\n`);
  process.exit(2);
}
