// The events timeline's feed: one long poll of /v1/events at a time, asking for what came after
// the last event seen, so the page is at most a round trip behind the node. Keeps the newest
// EVENTS_SHOWN_MAX events.
import { useEffect, useState } from "preact/hooks";
import { getJson, type ApiError } from "./api.js";
import type { EventsAnswerBody, NodeEvent } from "./types.js";

/** Events the page keeps. */
export const EVENTS_SHOWN_MAX = 500;
/** Wait per poll (the node's EVENTS_WAIT_MS_MAX is 10 s). */
const WAIT_MS = 8_000;
/** Pause after a failed poll. */
const RETRY_MS = 1_000;

/** The feed: newest events last, the last error, and whether events were missed. */
export interface EventsFeed {
  readonly events: readonly NodeEvent[];
  readonly error: ApiError | null;
  readonly gap: boolean;
}

export function useEvents(refreshKey: number): EventsFeed {
  const [feed, setFeed] = useState<EventsFeed>({ events: [], error: null, gap: false });
  useEffect(() => {
    let live = true;
    let after = 0;
    const controller = new AbortController();
    const loop = async (): Promise<void> => {
      while (live) {
        try {
          const answer = await getJson<EventsAnswerBody>(`v1/events?after=${after}&waitMs=${WAIT_MS}`, controller.signal);
          if (!live) return;
          const lastSeq = answer.events.length > 0 ? (answer.events[answer.events.length - 1] as NodeEvent).seq : answer.lastSeq;
          const restarted = answer.lastSeq < after;
          after = restarted ? 0 : Math.max(after, lastSeq);
          setFeed((previous) => ({
            events: [...(restarted ? [] : previous.events), ...answer.events].slice(-EVENTS_SHOWN_MAX),
            error: null,
            gap: previous.gap || answer.gap,
          }));
        } catch (error) {
          if (!live || (error as Error).name === "AbortError") return;
          setFeed((previous) => ({ ...previous, error: error as ApiError }));
          await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
        }
      }
    };
    void loop();
    return () => {
      live = false;
      controller.abort();
    };
  }, [refreshKey]);
  return feed;
}
