// The API's JSON shapes, as the server declares them (src/server/dashboard_types.ts): types only,
// nothing of the server is bundled into the page.
export type {
  Agreement,
  BrokerDetail,
  BrokersAnswer,
  ClusterStatus,
  DiffRecord,
  EventKind,
  EventsAnswerBody,
  KvNamespacesAnswer,
  LinkState,
  MemberStatus,
  NodeEvent,
  NodeReport,
  RouteAnswer,
  RoutesAcross,
  SeriesAnswer,
  SeriesSample,
  TopicSearchAnswer,
} from "../../src/server/dashboard_types.js";
export type { QueueData, TopicRouteData } from "../../src/model/types.js";
