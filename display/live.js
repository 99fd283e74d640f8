// A WebSocket that stays connected: reconnects with backoff, resumes after the last event id,
// and starts over from a fresh snapshot when the server says "resync". Shared by the lobby
// board and the ticket status page.

const FATAL_CODES = new Set([4401, 4403, 4404]); // bad token, wrong device/branch, unknown
const RECONNECT_NOW = 4000; // lifetime reached or resync: come straight back
const MAX_BACKOFF_MS = 15000;

export class LiveConnection {
  /**
   * @param {(after: number|null) => string} urlFor  WebSocket URL, resuming after an id or not
   * @param {{snapshot: Function, event: Function, message?: Function, status?: Function, fatal?: Function}} handlers
   * @param {{resume?: boolean}} options  resume=false: always start from a snapshot
   */
  constructor(urlFor, handlers, { resume = true } = {}) {
    this.urlFor = urlFor;
    this.handlers = handlers;
    this.resume = resume;
    this.lastId = null;
    this.failures = 0;
    this.socket = null;
    this.stopped = false;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    if (this.socket) this.socket.close(1000, "page closed");
  }

  connect() {
    const after = this.resume ? this.lastId : null;
    const socket = new WebSocket(this.urlFor(after));
    this.socket = socket;
    socket.addEventListener("open", () => this.status("live"));
    socket.addEventListener("message", (event) => this.receive(JSON.parse(event.data)));
    socket.addEventListener("close", (event) => this.closed(event));
  }

  receive(message) {
    if (message.type === "ping") return;
    this.failures = 0;
    if (message.type === "snapshot") {
      this.lastId = message.last_event_id;
      this.handlers.snapshot(message);
    } else if (message.type === "resync") {
      // What we hold may have a gap: forget our place and take a fresh snapshot next.
      this.lastId = null;
    } else if (typeof message.id === "number") {
      if (this.lastId !== null && message.id <= this.lastId) return;
      this.lastId = message.id;
      this.handlers.event(message);
    } else if (this.handlers.message) {
      this.handlers.message(message);
    }
  }

  closed(event) {
    if (this.stopped) return;
    this.status("offline");
    if (FATAL_CODES.has(event.code)) {
      if (this.handlers.fatal) this.handlers.fatal(event.code, event.reason);
      return;
    }
    let delay = 0;
    if (event.code !== RECONNECT_NOW) {
      // 0.5 s, 1 s, 2 s … up to 15 s, with jitter so a room of boards does not return in step.
      const base = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.failures);
      delay = base / 2 + Math.random() * (base / 2);
      this.failures += 1;
    }
    setTimeout(() => this.connect(), delay);
  }

  status(state) {
    if (this.handlers.status) this.handlers.status(state);
  }
}

export function websocketBase() {
  return (location.protocol === "https:" ? "wss://" : "ws://") + location.host;
}

/** The server's window group ("1–5") as Japanese writes a range: 「1〜5」. */
export function japaneseWindows(counters) {
  return counters.replaceAll("–", "〜");
}

/** "10–11" → ["10", "11"]; "7・8" → ["7", "8"]; "6" → ["6"]. */
export function countersIn(text) {
  if (!text) return [];
  const range = text.match(/^(\d+)–(\d+)$/);
  if (range) {
    const codes = [];
    for (let n = Number(range[1]); n <= Number(range[2]); n += 1) codes.push(String(n));
    return codes;
  }
  return text.split("・");
}
