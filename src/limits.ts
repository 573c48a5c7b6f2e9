// Every bound and timing default of gossip-namesrv, named, with its unit last and a
// one-line reason. Relationships between bounds are asserted when this module loads.
// Config may lower a limit; setting one above its hard maximum is a ConfigError.
import { assert } from "./assert.js";

// ---- Sizes -------------------------------------------------------------------------
// Back of the envelope: a broker with 10k topics at ~120 B each registers ~1.2 MiB.
// RocketMQ caps a frame at 16 MiB; we allow the same so the biggest brokers fit.

/** Largest native (WebSocket/msgpack) frame; also ws maxPayload. Same as RocketMQ's cap. */
export const FRAME_BYTES_MAX = 16 * 1024 * 1024;
/** Largest RocketMQ remoting frame (RocketMQ's NettyDecoder FRAME_MAX_LENGTH default). */
export const REMOTING_FRAME_BYTES_MAX = 16 * 1024 * 1024;
/**
 * Topics one broker may register; beyond it topics are skipped and counted. RocketMQ users run
 * 60,000-100,000 per broker (apache/rocketmq#5296, #7326); a 100k table is ~15 MiB of JSON,
 * sent whole (under REMOTING_FRAME_BYTES_MAX) or in 800-topic chunks. 25% headroom.
 */
export const TOPICS_PER_BROKER_MAX = 125_000;
/** Topic names a node routes in total: a few brokers of the biggest size, or many small ones. */
export const TOPICS_MAX = 500_000;
/**
 * Topic records (broker instance x topic) a node keeps: ~185 B of heap each with the route view
 * and digest index (docs/performance.md, capacity), so ~350 MiB at the bound. RocketMQ users'
 * biggest shape, 100,000 topics on 16 of 1,000 brokers each (1.6 million), with 25% headroom.
 */
export const TOPIC_RECORDS_MAX = 2_000_000;
/** Broker instances (cluster, addr) a node tracks, alive or tombstoned. */
export const BROKERS_MAX = 10_000;
/**
 * Topic names as brokers register them: RocketMQ caps a topic at 127 chars and a group at 255,
 * and retry topics are `%RETRY%<group>` or `%RETRY%<group>+<topic>` (POP): 512 covers them.
 */
export const TOPIC_NAME_CHARS_MAX = 512;
/** Cluster and broker names: same alphabet and bound as topics. */
export const NAME_CHARS_MAX = 127;
/** Broker addresses "host:port": a DNS name is at most 253 chars, plus the port. */
export const ADDR_CHARS_MAX = 261;
/** The largest broker id a registration may carry (RocketMQ's is a Java long; ids are small). */
export const BROKER_ID_MAX = 0x7fff_ffff;
/** Queue numbers of topics we create (CLI, agent): RocketMQ's tools cap at 1024 by convention. */
export const QUEUE_NUMS_MAX = 1024;
/**
 * Queue numbers a broker may register: RocketMQ takes any int, and a number costs us nothing,
 * so any non-negative int32 (users run topics with more than 1024 queues).
 */
export const REGISTERED_QUEUE_NUMS_MAX = 0x7fff_ffff;
/** KV namespaces a node keeps. */
export const KV_NAMESPACES_MAX = 1_000;
/** Keys per KV namespace. */
export const KV_KEYS_PER_NAMESPACE_MAX = 10_000;
/** KV namespace and key length. */
export const KV_KEY_CHARS_MAX = 255;
/** KV value length: order-topic confs for many brokers fit in 64 KiB. */
export const KV_VALUE_CHARS_MAX = 64 * 1024;
/** Topics one subscription request may name. */
export const SUBSCRIBED_TOPICS_PER_CONNECTION_MAX = 1_000;
/** Subscriptions (connection, topic) a node serves in total. */
export const SUBSCRIPTIONS_MAX = 100_000;
/**
 * Open connections per port (native: brokers + clients + peers; remoting likewise). Measured
 * (test/integration/connection_exhaustion.int.test.ts): an idle connection costs the node ~5.5 KB
 * of RSS on the remoting port and ~10 KB on the native port (ws + HELLO), so 50,000 on each is
 * ~750 MB at worst, and needs ~100,000 file descriptors (`ulimit -n`). Tens of thousands of
 * clients fit; a full port closes its least recently active unauthenticated connection.
 */
export const CONNECTIONS_MAX = 50_000;
/**
 * Requests one connection may have queued and unanswered; past it a request is refused
 * (LIMIT_EXCEEDED, on the remoting port SYSTEM_BUSY). A connection is not read any more once a
 * sixteenth of this (256) is queued (INFLIGHT_READ_PAUSE_RATIO), so a client pipelining a burst (a
 * dashboard asking 20,000 routes at once) waits in its own TCP window instead of being refused;
 * the rest holds what one socket read already carried when reading stopped (64 KiB of the
 * smallest route query, ~60 B, is ~1,100 frames).
 */
export const INFLIGHT_REQUESTS_PER_CONNECTION_MAX = 4_096;
/**
 * Share of a bound at which reading stops (per connection, and for the node's queue); reading
 * resumes at half of that. 256 queued requests keep a node busy for several turns, and fewer
 * queued objects keep young-generation collections short under a flood (profiled: a scavenge
 * copies every queued request).
 */
export const INFLIGHT_READ_PAUSE_RATIO = 1 / 16;
/** Queued request bytes at which one connection is not read any more: a few 800-topic registration chunks (~100 KiB each), or one big registration. */
export const INFLIGHT_BYTES_PER_CONNECTION_PAUSE = 4 * 1024 * 1024;
/**
 * Requests queued on a node across all its connections (native and remoting); past it a request
 * is refused. Reading every connection that adds work stops at a sixteenth of it (64 connections
 * each at their pause point). A queued route query is a few hundred bytes, so ~80 MB at the bound.
 */
export const QUEUED_REQUESTS_MAX = 262_144;
/** Queued request bytes across a node's connections at which every connection that adds work stops being read. */
export const QUEUED_BYTES_PAUSE = 256 * 1024 * 1024;
/**
 * Requests served between two looks at the sockets: the turn is shared evenly among the
 * connections with queued work (at least one each, round-robin), so a new request waits at most
 * about one turn however deep another connection's queue is. Profiled: a remoting route query
 * costs ~25-35 us of the node's CPU all told under a flood, so a turn of 64 is ~2 ms.
 */
export const REQUESTS_PER_TURN_MAX = 64;
/** Bytes buffered for sending on one socket before it is closed as a slow reader. */
export const SEND_BUFFER_BYTES_MAX = 32 * 1024 * 1024;

// ---- Abuse limits (issue #7) ---------------------------------------------------------------
// Sketch: a node serves ~100 brokers and a few thousand clients; one host (a NAT gateway, an
// app server with many pods) rarely holds more than a few hundred of them. No connection gets a
// fixed request rate: heavy clients are legitimate (RocketMQ Dashboard asks every topic's route
// once a minute over one connection), so a flooder is contained by the in-flight bounds above and
// by serving connections round-robin (REQUESTS_PER_TURN_MAX), not refused at a low rate.

/** Native or remoting connections from one IP address; one misbehaving host cannot take all. */
export const CONNECTIONS_PER_ADDRESS_MAX = 512;
/**
 * Share of CONNECTIONS_MAX above which a port is under pressure: a new connection then also
 * closes the unauthenticated ones idle for UNTRUSTED_IDLE_UNDER_PRESSURE_MS. A quarter stays
 * free for bursts (brokers and clients reconnecting after a node restart).
 */
export const CONNECTION_PRESSURE_RATIO = 0.75;
/**
 * Under pressure, an unauthenticated connection (no broker, peer or admin credentials) idle this
 * long is closed: longer than a hello or a TLS handshake, shorter than RocketMQ's 30 s route poll,
 * so an idle client reconnects at its next poll while held-open idle sockets free their slots.
 */
export const UNTRUSTED_IDLE_UNDER_PRESSURE_MS = 10_000;
/**
 * Sockets on the HTTP + WebSocket port not upgraded to WebSocket yet (HTTP requests, upgrades in
 * flight): each lasts milliseconds, so a few thousand cover a reconnect storm; when full, a new
 * socket closes the oldest, so sockets held open without a request lock nobody out.
 */
export const HTTP_PENDING_SOCKETS_MAX = 4_096;
/** A socket of the HTTP port with no traffic and no WebSocket upgrade is closed after this (node never closes a silent one). */
export const HTTP_SOCKET_IDLE_MS = 10_000;
/** Largest frame from a connection not yet authenticated as a broker or peer (HELLO, queries,
 * admin writes): a SUBSCRIBE of 1000 names of 127 chars or a 64 KiB KV value fits. */
export const CLIENT_FRAME_BYTES_MAX = 256 * 1024;
/** A connection must finish its hello (and the peer challenge) within this, or it is closed:
 * slowloris on the WebSocket port. Longer than a TLS handshake plus a round trip anywhere. */
export const HELLO_TIMEOUT_MS = 10_000;
/** A TLS handshake must finish within this (node's default is 120 s). */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;
/** Characters of a token or cluster secret: room for any generated secret, and a bound on input. */
export const SECRET_CHARS_MAX = 1_024;
/** Smallest cluster secret: 16 chars of a random alphabet is ~96 bits, out of brute-force reach. */
export const SECRET_CHARS_MIN = 16;
/** Secrets or tokens one list may hold: current and next during a rotation, plus slack. */
export const SECRETS_PER_LIST_MAX = 8;
/** Remoting ACL accounts: a broker and an admin account, current and next during a rotation, per team. */
export const REMOTING_ACL_ACCOUNTS_MAX = 16;
/** Bytes of a peer-challenge nonce: 256 bits never repeat. */
export const PEER_NONCE_BYTES = 32;

// ---- Timing -------------------------------------------------------------------------

/** Shell tick period: expiry and suspicion deadlines are checked this often. */
export const TICK_MS = 50;
/** A tick this late means the node itself was paused (GC, SIGSTOP): compensate deadlines. */
export const TICK_GAP_MS = 1_000;
/** Agent heartbeat default: 4 per expiry window at the agent's default expiry below. */
export const BROKER_HEARTBEAT_MS = 1_000;
/** Expiry a node applies to native brokers that declare none. */
export const BROKER_EXPIRY_MS = 10_000;
/** RocketMQ's DEFAULT_BROKER_CHANNEL_EXPIRED_TIME, for remoting brokers that declare none. */
export const REMOTING_BROKER_EXPIRY_MS = 120_000;
/** Smallest expiry a broker may declare or config may set: 2 missed 100 ms heartbeats plus slack. */
export const BROKER_EXPIRY_MS_MIN = 500;
/** Largest expiry a broker may declare: one hour. */
export const BROKER_EXPIRY_MS_MAX = 3_600_000;
/** Smallest heartbeat an agent may use: more often than this is load, not safety. */
export const BROKER_HEARTBEAT_MS_MIN = 50;
/** Agent full re-registration period: RocketMQ brokers use 30 s. */
export const BROKER_REGISTER_INTERVAL_MS = 30_000;
/**
 * Time a crash suspicion waits for a refutation before the broker is offline everywhere:
 * a refutation is one hop (well under 10 ms on a LAN) and an agent that lost one link
 * redials in REDIAL_BACKOFF_MS_MIN (100 ms); 300 ms covers both with room, and keeps a
 * crash (suspicion + a tick + a hop) under half a second everywhere.
 */
export const SUSPICION_MS = 300;
/** Client and agent request timeout, as RocketMQ's mqClientApiTimeout. */
export const REQUEST_TIMEOUT_MS = 3_000;
/** Redial backoff: first delay, cap (a healed partition is redialled within ~2 s), and jitter. */
export const REDIAL_BACKOFF_MS_MIN = 100;
export const REDIAL_BACKOFF_MS_MAX = 2_000;
export const REDIAL_JITTER_RATIO = 0.2;
/** How long a route client trusts a cached route without asking again. */
export const ROUTE_CACHE_MS = 30_000;

// ---- Gossip -----------------------------------------------------------------------------

/** Peers a node keeps links to. */
export const PEERS_MAX = 64;
/** Records one gossip frame carries; a record is one topic or one header, well under 4 KiB. */
export const DELTAS_PER_FRAME_MAX = 512;
/**
 * Records of one page of a snapshot for a starting peer (whole buckets, at least one): the
 * sender encodes a page in one go, and the next is asked for once the receiver took this one,
 * so a snapshot never holds more than about a page in the sender's buffers or the receiver's
 * socket (a 100,000-topic x 1,000-broker table is 1.6 million records, about 100 pages).
 */
export const SNAPSHOT_PAGE_RECORDS_MAX = 16_384;
/**
 * Topic records a starting node puts into its deferred routes per tick once its snapshot is in
 * (whole broker names, at least one): 1.6 million in one go held its event loop for seconds.
 */
export const DEFERRED_ROUTE_TOPICS_PER_TICK = 50_000;
/**
 * Records waiting for one peer; beyond this new ones are dropped (counted) and anti-entropy
 * repairs. Two of the biggest brokers' first registrations (one record per topic) fit.
 */
export const OUTBOX_RECORDS_PER_PEER_MAX = 2 * TOPICS_PER_BROKER_MAX;
/**
 * Peer discovery through DNS (`--peer-dns`): how often each name is resolved again. A pod of a
 * headless Service is in its record about as soon as it is scheduled; 5 s finds it well before
 * its startup grace ends, at one lookup per name per 5 s (nothing for any DNS server).
 */
export const PEER_DNS_INTERVAL_MS = 5_000;
/** Addresses taken from one `--peer-dns` name; the rest of a larger answer are ignored (logged). */
export const PEER_DNS_ADDRESSES_MAX = PEERS_MAX;
/** `--peer-dns` names a node resolves: one headless Service is the usual case. */
export const PEER_DNS_NAMES_MAX = 8;
/** Digest exchange with one random peer; two rounds bound the heal time after a partition. */
export const ANTI_ENTROPY_INTERVAL_MS = 1_000;
/** Digest buckets: 256 x 8 B hashes = 2 KiB per digest frame. */
export const DIGEST_BUCKETS = 256;
/**
 * Entries of one PEER_SUMMARY frame (a record's id and version hashes, ~21 B in msgpack): ~2 MiB.
 * Ready nodes name versions before shipping records, so a digest that differs while a big broker
 * streams in costs a summary, not every record of the differing buckets.
 */
export const SUMMARY_ENTRIES_PER_FRAME_MAX = 100_000;
/** Ids of one PEER_WANT frame (~11 B each in msgpack). */
export const WANT_IDS_PER_FRAME_MAX = 100_000;
/**
 * How often a node looks for evidence to share (PEER_HEARD); a broker's own share interval is a
 * multiple of it (EVIDENCE_SHARES_PER_EXPIRY per expiry), so that brokers of one expiry share
 * in one frame.
 */
export const EVIDENCE_SHARE_MS = 200;
/**
 * Evidence shares per expiry window (1.2 s at the 10 s default). A share names the brokers heard
 * since the last one, so its evidence is up to a heartbeat old and its age is rounded up by half
 * a share interval: with eight, a receiver that misses a share still has 7 s before the broker's
 * deadline at the defaults (the per-heartbeat records left 6.5 s, four shares 5 s), for about
 * 1.8 KB/s of gossip per node at 1,000 brokers (four: 0.75).
 */
export const EVIDENCE_SHARES_PER_EXPIRY = 8;
/**
 * Relays a piece of evidence may cross after the node that heard the broker: covers cut links
 * (one node hears the broker, another reaches it only through a third) and keeps evidence that
 * bounces around a loop from living on after the broker went silent.
 */
export const EVIDENCE_RELAY_HOPS_MAX = 2;
/**
 * Broker keys one node's evidence table indexes (PEER_HEARD names brokers by their index in the
 * sender's table). A broker keeps its index for the node's life; a full table starts a new
 * generation (its peers learn the live brokers' keys again). Twice BROKERS_MAX: room for churn.
 */
export const EVIDENCE_TABLE_MAX = 2 * BROKERS_MAX;
/** Groups (relay hops x age) of one PEER_HEARD frame. */
export const EVIDENCE_GROUPS_PER_FRAME_MAX = 256;
/** Peer ping period and the silence after which a peer is suspect, then down. */
export const PEER_PING_MS = 500;
export const PEER_SUSPECT_MS = 1_500;
export const PEER_DOWN_MS = 3_000;
/** Tombstones (offline brokers, deleted KV/topics) outlive the longest partition we heal. */
export const TOMBSTONE_MS = 24 * 3_600_000;
/** A new node waits this long for any peer snapshot before it serves its own table. */
export const STARTUP_GRACE_MS = 5_000;
/** Self-preservation: a node without peers refuses to evict more than this share at once. */
export const SELF_PRESERVATION_RATIO = 0.5;
/** Self-preservation applies only from this many brokers (one broker dying is just that). */
export const SELF_PRESERVATION_BROKERS_MIN = 4;

// ---- Stopping (graceful drain on SIGTERM) -----------------------------------------------------
// Sketch: a drain tells the peers, closes a few thousand sessions (close frames go out at once;
// clients answer within milliseconds) and flushes a KV file of at most a few MiB: well under a
// second. The bound is for what hangs (a peer that never answers its close frame, a stuck disk).

/** Sessions still open this long after the drain's close frames are destroyed. */
export const SHUTDOWN_GRACE_MS = 2_000;
/**
 * A draining node exits within this, finished or not: before the SIGKILL of `docker stop` (10 s
 * by default) and of Kubernetes (terminationGracePeriodSeconds, 30 s by default; the manifests'
 * preStop wait of 5 s plus this fit it, test/deploy checks the sum).
 */
export const DRAIN_TIMEOUT_MS = 8_000;
/** The default grace of `docker stop` / compose before SIGKILL, in ms: the tightest supervisor we run under. */
export const SUPERVISOR_STOP_GRACE_MS = 10_000;

// ---- Operator views: the dashboard, /v1 status APIs and `namesrv status` (issue 15) ----------
// Sketch: a page polls its node about once a second and keeps one events long poll open; a
// few operators at once. Every answer is bounded so that a page on a 100,000-topic, 10,000-broker
// cluster costs a node milliseconds and a few hundred KiB, not its whole table.

/** Broker instances one /v1/brokers answer lists (live first): more than any cluster we serve. */
export const BROKER_DETAILS_MAX = 2_000;
/** Topic names one /v1/topics/search answer lists; the rest are only counted. */
export const TOPIC_SEARCH_RESULTS_MAX = 200;
/** KV namespaces one /v1/kv answer lists: all of them. */
export const KV_NAMESPACES_LISTED_MAX = KV_NAMESPACES_MAX;
/** Events a node keeps for the timeline: minutes of a busy cluster's churn, ~300 B each. */
export const EVENTS_KEPT_MAX = 2_000;
/** Events one /v1/events answer carries; a page asks again from the last one it got. */
export const EVENTS_PER_ANSWER_MAX = 500;
/** Longest wait of a /v1/events long poll: well inside HTTP_REQUEST_TIMEOUT_MS and proxies' idle timeouts. */
export const EVENTS_WAIT_MS_MAX = 10_000;
/** /v1/events long polls waiting at once on one node: a few dozen open pages. */
export const EVENT_WAITERS_MAX = 64;
/** Sample period of the node's own figures, and the window kept: 15 minutes of 5 s samples. */
export const SERIES_SAMPLE_MS = 5_000;
export const SERIES_WINDOW_MS = 15 * 60_000;
export const SERIES_SAMPLES_MAX = SERIES_WINDOW_MS / SERIES_SAMPLE_MS;
/** Request types one sample keeps apart (there are ~20 native codes and HTTP routes); the rest sum as "other". */
export const SERIES_REQUEST_TYPES_MAX = 48;
/**
 * A peer's status must answer within this, or it is shown unreachable: a page polls about every
 * second and must see a stopped node down within PEER_DOWN_MS + 1 s.
 */
export const STATUS_PEER_TIMEOUT_MS = 500;
/** Largest JSON answer taken from a peer or read by `namesrv status`: a node report is ~10 KiB, records lists more. */
export const STATUS_ANSWER_BYTES_MAX = 4 * 1024 * 1024;
/** A cluster status is reused this long: many pages polling at once cost one fan-out to the peers. */
export const STATUS_CACHE_MS = 100;
/** Differing digest buckets whose records a status compares: a few name the differing records. */
export const DIFF_BUCKETS_MAX = 8;
/** Differing records one status lists. */
export const DIFF_RECORDS_MAX = 200;
/** Records one /v1/node/records answer names (id and version hash, ~90 B each): ~2 MiB. */
export const DIGEST_ENTRIES_MAX = 20_000;
/** Body of an HTTP admin write: a KV put of the largest value fits, as in a client frame. */
export const ADMIN_BODY_BYTES_MAX = CLIENT_FRAME_BYTES_MAX;
/** Dashboard files served from memory, and their total size (the build is ~150 KiB). */
export const DASHBOARD_FILES_MAX = 64;
export const DASHBOARD_BYTES_MAX = 8 * 1024 * 1024;

// ---- Native protocol --------------------------------------------------------------------

/** Versions of the native protocol this build speaks; negotiated in the hello. */
export const PROTOCOL_VERSION_MIN = 1;
export const PROTOCOL_VERSION_MAX = 1;

// ---- Relationships, checked at load (and again in limits.test.ts) -------------------------

/** Throws when two limits contradict each other; exported for the unit test. */
export function checkLimitRelationships(): void {
  assert(BROKER_EXPIRY_MS >= 3 * BROKER_HEARTBEAT_MS, "expiry must cover three heartbeats");
  assert(BROKER_EXPIRY_MS_MIN <= BROKER_EXPIRY_MS && BROKER_EXPIRY_MS <= BROKER_EXPIRY_MS_MAX, "expiry in bounds");
  assert(REMOTING_BROKER_EXPIRY_MS <= BROKER_EXPIRY_MS_MAX, "remoting expiry in bounds");
  assert(SUSPICION_MS + ANTI_ENTROPY_INTERVAL_MS <= 2 * BROKER_EXPIRY_MS, "suspicion shorter than expiry");
  assert(TICK_MS * 4 <= SUSPICION_MS, "tick resolves suspicion deadlines");
  assert(TICK_GAP_MS > 4 * TICK_MS, "a pause is well beyond tick jitter");
  assert(EVIDENCE_SHARE_MS * 2 < BROKER_EXPIRY_MS_MIN, "evidence travels twice per shortest expiry");
  assert(PEER_PING_MS < PEER_SUSPECT_MS && PEER_SUSPECT_MS < PEER_DOWN_MS, "peer states ordered");
  assert(REDIAL_BACKOFF_MS_MIN < REDIAL_BACKOFF_MS_MAX, "backoff range");
  assert(PEER_DNS_ADDRESSES_MAX <= PEERS_MAX && PEER_DNS_INTERVAL_MS > REDIAL_BACKOFF_MS_MAX, "DNS finds no more peers than a node links to, and no faster than it redials");
  assert(TOPICS_PER_BROKER_MAX <= TOPICS_MAX, "one broker fits");
  assert(SUMMARY_ENTRIES_PER_FRAME_MAX * 24 < FRAME_BYTES_MAX && WANT_IDS_PER_FRAME_MAX * 12 < FRAME_BYTES_MAX, "a full summary or want fits a frame");
  assert(2 * TOPICS_PER_BROKER_MAX <= TOPIC_RECORDS_MAX, "a master and a slave of the biggest size fit");
  assert(PROTOCOL_VERSION_MIN <= PROTOCOL_VERSION_MAX, "version range");
  assert(TOMBSTONE_MS > 100 * ANTI_ENTROPY_INTERVAL_MS, "tombstones outlive many rounds");
  assert(CONNECTIONS_PER_ADDRESS_MAX <= CONNECTIONS_MAX, "one address cannot exceed the node");
  assert(CONNECTION_PRESSURE_RATIO > 0 && CONNECTION_PRESSURE_RATIO < 1, "pressure starts before the port is full");
  assert(UNTRUSTED_IDLE_UNDER_PRESSURE_MS >= HELLO_TIMEOUT_MS && UNTRUSTED_IDLE_UNDER_PRESSURE_MS >= TLS_HANDSHAKE_TIMEOUT_MS, "an honest handshake finishes before its connection counts as idle");
  assert(UNTRUSTED_IDLE_UNDER_PRESSURE_MS < BROKER_REGISTER_INTERVAL_MS, "idle clients under pressure are closed between polls, not after");
  assert(HTTP_PENDING_SOCKETS_MAX >= CONNECTIONS_PER_ADDRESS_MAX, "one address's upgrades in flight fit");
  assert(HTTP_SOCKET_IDLE_MS >= HELLO_TIMEOUT_MS, "an HTTP socket is closed no sooner than a WebSocket that never says hello");
  assert(INFLIGHT_READ_PAUSE_RATIO > 0 && INFLIGHT_READ_PAUSE_RATIO <= 0.5, "reading stops well before a bound refuses");
  assert(INFLIGHT_REQUESTS_PER_CONNECTION_MAX * (1 - INFLIGHT_READ_PAUSE_RATIO) >= (64 * 1024) / 60, "one socket read of small requests fits after reading stops");
  assert(QUEUED_REQUESTS_MAX >= 64 * INFLIGHT_REQUESTS_PER_CONNECTION_MAX, "64 busy connections reach their own pause point before the node stops reading");
  assert(INFLIGHT_BYTES_PER_CONNECTION_PAUSE * 16 <= QUEUED_BYTES_PAUSE, "many busy connections' bytes fit before the node stops reading");
  assert(REQUESTS_PER_TURN_MAX >= 1 && REQUESTS_PER_TURN_MAX <= INFLIGHT_REQUESTS_PER_CONNECTION_MAX, "a turn is a share of one connection's queue at most");
  assert(CLIENT_FRAME_BYTES_MAX < FRAME_BYTES_MAX, "client frames are smaller than broker frames");
  assert(CLIENT_FRAME_BYTES_MAX > KV_VALUE_CHARS_MAX * 3, "a KV put (UTF-8, 3 B/char worst case) fits a client frame");
  assert(HELLO_TIMEOUT_MS > REQUEST_TIMEOUT_MS, "a slow but honest hello completes");
  assert(SECRET_CHARS_MIN < SECRET_CHARS_MAX, "secret length range");
  assert(EVENTS_PER_ANSWER_MAX <= EVENTS_KEPT_MAX, "an answer fits in what is kept");
  assert(Number.isInteger(SERIES_SAMPLES_MAX) && SERIES_SAMPLES_MAX > 0, "the window is whole samples");
  assert(STATUS_PEER_TIMEOUT_MS + STATUS_CACHE_MS < 1_000, "a page polling each second sees a node down within PEER_DOWN_MS + 1 s");
  assert(ADMIN_BODY_BYTES_MAX > KV_VALUE_CHARS_MAX * 3, "a KV put of the largest value fits an admin body");
  assert(DIFF_RECORDS_MAX <= DIGEST_ENTRIES_MAX, "differing records come from listed entries");
  assert((DIGEST_BUCKETS & (DIGEST_BUCKETS - 1)) === 0, "an odd stride visits every bucket (snapshot pages)");
  assert(SNAPSHOT_PAGE_RECORDS_MAX >= DELTAS_PER_FRAME_MAX, "a page is whole frames or more");
  assert(SHUTDOWN_GRACE_MS * 2 <= DRAIN_TIMEOUT_MS, "sessions close well inside the drain bound, with the listeners and KV flush after them");
  assert(DRAIN_TIMEOUT_MS < SUPERVISOR_STOP_GRACE_MS, "a drain ends before docker's (and Kubernetes') default SIGKILL");
}
checkLimitRelationships();
