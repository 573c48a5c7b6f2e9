// Public API of the RocketMQ remoting codec (port 9876): frames, codes, JSON, bodies, requests.
// Pure code only; the TCP listener and the mapping onto the name-server core live elsewhere.
export * from "./bodies.js";
export * from "./codes.js";
export { bodyCrc32, crc32 } from "./crc32.js";
export * from "./frame.js";
export { IntKeyMap, type JsonMode, type JsonObject, type JsonOut, type JsonValue, StringKeyMap, parseLenientJson, writeJson } from "./json.js";
export { formatProperties, parseProperties } from "./properties.js";
export * from "./register_body.js";
export * from "./remoting_limits.js";
export * from "./response.js";
export * from "./requests/index.js";
