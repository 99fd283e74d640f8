// A branch's live event stream for console pages: connect, resume after a drop, resync.
//
// The server sends a snapshot (or, when we reconnect with ?after=<last id>, just the events we
// missed), then each event as it commits, with strictly increasing ids. {"type": "resync"} means
// events may have been lost: we reconnect without `after`, get a fresh snapshot, and the page
// refetches what it shows. No polling: between events nothing is requested.

import { API, SIGNED_OUT_EVENT, clearSession, currentSession } from "./api.js";

const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 15000;
// Close codes from server/realtime/stream.py.
const UNAUTHORIZED = 4401;
const FORBIDDEN = 4403;
const NOT_FOUND = 4404;

/**
 * Follow a branch's events.
 *
 * handlers (all optional):
 *   onSnapshot(message)  a fresh snapshot: refetch everything the page shows
 *   onEvent(message)     one logged event ({id, type, at, ticket, counter, ...}), each once, in order
 *   onMessage(message)   any other message (e.g. {"type": "waiting"} summaries)
 *   onResync()           events may have been missed: refetch (a snapshot follows)
 *   onStatus(state)      "connecting" | "live" | "offline" | "refused"
 * Returns {close()}.
 */
export function connectBranchStream(branch, handlers = {}) {
  let socket = null;
  let lastId = null;
  let attempts = 0;
  let timer = null;
  let stopped = false;

  const status = (state, detail) => handlers.onStatus?.(state, detail);

  function url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const params = new URLSearchParams({ token: currentSession()?.token || "" });
    if (lastId !== null) params.set("after", String(lastId));
    return `${scheme}//${location.host}${API}/branches/${encodeURIComponent(branch)}/events?${params}`;
  }

  function open() {
    if (stopped) return;
    if (!currentSession()) {
      status("refused", "signed out");
      return;
    }
    status("connecting");
    socket = new WebSocket(url());
    socket.addEventListener("open", () => {
      attempts = 0;
      status("live");
    });
    socket.addEventListener("message", (frame) => {
      let message;
      try {
        message = JSON.parse(frame.data);
      } catch {
        return;
      }
      dispatch(message);
    });
    socket.addEventListener("close", (closing) => {
      socket = null;
      if (stopped) return;
      if (closing.code === UNAUTHORIZED) {
        clearSession();
        window.dispatchEvent(new CustomEvent(SIGNED_OUT_EVENT));
        status("refused", closing.reason);
        return;
      }
      if (closing.code === FORBIDDEN || closing.code === NOT_FOUND) {
        status("refused", closing.reason);
        return;
      }
      status("offline", closing.reason);
      schedule();
    });
  }

  function dispatch(message) {
    switch (message.type) {
      case "ping":
        return;
      case "snapshot":
        lastId = message.last_event_id ?? lastId;
        handlers.onSnapshot?.(message);
        return;
      case "resync":
        // Start over from a snapshot: whatever follows a resync may follow a gap.
        lastId = null;
        handlers.onResync?.();
        return;
      default:
        if (typeof message.id === "number") {
          if (lastId !== null && message.id <= lastId) return;
          lastId = message.id;
          handlers.onEvent?.(message);
        } else {
          handlers.onMessage?.(message);
        }
    }
  }

  function schedule() {
    clearTimeout(timer);
    attempts += 1;
    const ceiling = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** Math.min(attempts, 6));
    // Jitter, so a restarted server is not hit by every console in the same millisecond.
    timer = setTimeout(open, ceiling / 2 + Math.random() * (ceiling / 2));
  }

  open();
  return {
    close() {
      stopped = true;
      clearTimeout(timer);
      socket?.close(1000, "page closed");
    },
    get lastEventId() {
      return lastId;
    },
  };
}

/** Run `fn` once shortly after the first of a burst of calls (many events → one refetch, never starved). */
export function coalesce(fn, delayMs = 250) {
  let timer = null;
  return () => {
    if (timer !== null) return;
    timer = setTimeout(() => {
      timer = null;
      fn();
    }, delayMs);
  };
}
