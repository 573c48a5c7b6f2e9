// A rogue on the RocketMQ remoting port, for the compose end-to-end check: from a fresh,
// unsigned connection to each name server it sends the writes of the remoting-port attack, a
// spoofed UNREGISTER_BROKER (104) of a live broker, DELETE_TOPIC_IN_NAMESRV (216) of its topic,
// WIPE_WRITE_PERM_OF_BROKER (205) of its name and PUT_KV_CONFIG (100, namespace e2e-rogue), and
// prints every reply code as one JSON line. Exit 0 when every reply is NO_PERMISSION (16).
// Only node built-ins: it runs in a rogue container of the image, copied in with `docker cp`.
//
//   node remoting-rogue.mjs --addrs ns1:9876,ns2:9876 --cluster E2E --broker b-all-a \
//     --addr b-all-a:10911 --topic e2e-all
//   -> {"ns1:9876":{"100":16,"104":16,"205":16,"216":16},...}
/* global process, console, Buffer, setTimeout, clearTimeout */
import { connect } from "node:net";

/** RocketMQ's NO_PERMISSION response code. */
const NO_PERMISSION = 16;
/** Deadline of one reply. */
const REPLY_DEADLINE_MS = 5_000;

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i + 1 < argv.length; i += 2) out[argv[i].replace(/^--/, "")] = argv[i + 1];
  return out;
}

/** One request with a JSON header (ROCKETMQ.md §1.1) on `socket`; resolves with the reply header. */
function ask(socket, code, extFields, opaque) {
  const header = Buffer.from(JSON.stringify({ code, language: "JAVA", version: 479, opaque, flag: 0, extFields, serializeTypeCurrentRPC: "JSON" }));
  const frame = Buffer.alloc(8 + header.length);
  frame.writeInt32BE(4 + header.length, 0);
  frame.writeInt32BE(header.length, 4);
  header.copy(frame, 8);
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(() => reject(new Error(`no reply to ${code} within ${REPLY_DEADLINE_MS} ms`)), REPLY_DEADLINE_MS);
    const onData = (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 8 || buffered.length < 4 + buffered.readInt32BE(0)) return;
      socket.off("data", onData);
      clearTimeout(timer);
      const headerLength = buffered.readInt32BE(4) & 0xffffff;
      resolve(JSON.parse(buffered.subarray(8, 8 + headerLength).toString("utf8")));
    };
    socket.on("data", onData);
    socket.once("close", () => reject(new Error(`connection closed before the reply to ${code}`)));
    socket.write(frame);
  });
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const spoofs = [
    [104, { clusterName: args.cluster, brokerName: args.broker, brokerAddr: args.addr, brokerId: "0" }],
    [216, { topic: args.topic }],
    [205, { brokerName: args.broker }],
    [100, { namespace: "e2e-rogue", key: "k", value: "spoofed" }],
  ];
  const results = {};
  let ok = true;
  for (const addr of args.addrs.split(",")) {
    const at = addr.lastIndexOf(":");
    const socket = connect({ host: addr.slice(0, at), port: Number(addr.slice(at + 1)) });
    socket.on("error", () => undefined);
    const result = {};
    try {
      await new Promise((resolve, reject) => {
        socket.once("connect", resolve);
        socket.once("error", reject);
      });
      for (const [index, [code, extFields]] of spoofs.entries()) {
        result[code] = (await ask(socket, code, extFields, index + 1)).code;
        if (result[code] !== NO_PERMISSION) ok = false;
      }
    } catch (error) {
      result.error = error.message;
      ok = false;
    } finally {
      socket.destroy();
    }
    results[addr] = result;
  }
  console.log(JSON.stringify(results));
  process.exit(ok ? 0 : 1);
}

await main();
