// Internals re-exported for tests and tools inside this repository only; not a stable API.
export { NameServerNode, defaultNodeOptions, type NodeOptions } from "./core/node.js";
export { SeededRng, type Clock, type Rng } from "./core/clock.js";
export { NodeHost, type PeerEffect, type NodeHostHooks } from "./host/node_host.js";
export { NativeSession, type InboundPeerAcceptor, type InboundPeerLink, type SessionObserver } from "./server/native_session.js";
export { nodeOptionsOf, SHUTDOWN_GRACE_MS } from "./server/server.js";
export { routeHttp, type HttpDeps } from "./server/http.js";
export { ServerMetrics } from "./server/metrics.js";
export { KvFile, parseKvFile, KV_FILE_NAME } from "./server/kv_file.js";
export { createLogger } from "./host/logger.js";
export { MemoryConnection } from "./transport/memory_connection.js";
export { CloseCode, TransportError, type Connection, type Listener } from "./transport/connection.js";
export { listenHttpWs } from "./transport/ws_transport.js";
