// Lobby display board: live over the branch event stream, never polling.
// URL: /display/{branch}?token=DISPLAY_TOKEN[&counters=1,2,3][&areas=shimin_sogo][&lang=ja,en][&sound=off]

import { LiveConnection, countersIn, japaneseWindows, websocketBase } from "./live.js";

// No cap on the calls shown: every counter holding a called or serving ticket has its tile, and
// fitCalling sizes the tiles so that all of them fit. These bound a tile for one or two calls.
const TILE_MAX_VH = 17;
const HERO_MAX_VH = 27;
// The newest call gets a double tile when that costs the other tiles at most this share.
const HERO_COST = 0.2;
const RECENT_ROWS = 10;
// Kept beyond the rows shown: with 20 windows calling, the numbers just served are older than 12 calls.
const RECENT_KEPT = 40;
const GUIDANCE_ROWS = 5;
const GUIDANCE_MINUTES = 15;
// A call replayed after an outage is shown, but only announced while it is still news.
const ANNOUNCE_WITHIN_MS = 90_000;
const BLINK_MS = 2400; // three blinks of the card (board.css)

const params = new URLSearchParams(location.search);
const branch = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop());
const token = params.get("token") || "";
const onlyCounters = listParam("counters");
const onlyAreas = listParam("areas");
const languages = listParam("lang") || ["ja", "en"];
// The branch's clock, not the PC's: the snapshot names the time zone (Asia/Tokyo by default).
let clock = clockFormats("Asia/Tokyo");

const state = {
  counters: new Map(), // counter id → {id, name, label_ja, label_en, area, state, ticket, calledAt}
  recent: [], // newest first: {number, counter}
  guidance: [], // newest first: {number, next_counters, at}
  waiting: [],
};

function listParam(name) {
  const value = params.get(name);
  return value ? value.split(",").map((item) => item.trim()).filter(Boolean) : null;
}

function shownCode(code) {
  const counter = [...state.counters.values()].find((candidate) => candidate.name === code);
  if (!counter) return false;
  if (onlyCounters && !onlyCounters.includes(code)) return false;
  if (onlyAreas && !onlyAreas.includes(counter.area)) return false;
  return true;
}

function shown(counterRef) {
  // Only public windows this board is set up for; internal desks are never in state.counters.
  return Boolean(counterRef) && state.counters.has(counterRef.id) && shownCode(counterRef.name);
}

// ---------------------------------------------------------------- audio

// The voice keeps up with the screen: it says the newest call or the one before it, never an
// older one. A call that has to wait is said briefly (chime and Japanese once, `?brief=true`);
// when a third call comes while one is being said and one waits, the one being said stops and
// the waiting one follows. Every call stays on the board, said or not.
class AudioQueue {
  constructor(button) {
    this.button = button;
    this.current = null; // the call being said: {url, number, brief}
    this.waiting = null;
    this.blocked = false;
    this.played = [];
    // For operators' debugging and the browser tests (times from performance.now(), in ms).
    this.arrivals = []; // {number, at, saying}: what was being said once this call had come
    this.starts = []; // {number, at, brief}
    this.cut = []; // numbers stopped part-way
    this.skipped = []; // numbers shown but not said
    this.player = new Audio();
    this.player.addEventListener("ended", () => this.next());
    this.player.addEventListener("error", () => this.next());
    button.addEventListener("click", () => this.unlock());
  }

  enqueue(url, number) {
    if (this.current && this.waiting) {
      this.cut.push(this.current.number);
      this.next();
    }
    if (this.waiting) this.skipped.push(this.waiting.number); // sound still blocked: the newest waits
    const behind = this.current !== null || this.blocked;
    this.waiting = { url: behind ? briefUrl(url) : url, number, brief: behind };
    if (!behind) this.next();
    this.arrivals.push({ number, at: performance.now(), saying: this.current?.number ?? null });
  }

  next() {
    if (this.current) {
      this.player.pause();
      this.current = null;
    }
    const call = this.waiting;
    if (!call || this.blocked) return;
    this.waiting = null;
    this.current = call;
    this.player.src = call.url;
    this.player.play().then(
      () => {
        if (this.current !== call) return;
        this.played.push(call.url);
        this.starts.push({ number: call.number, at: performance.now(), brief: call.brief });
        document.body.dataset.announcementsPlayed = String(this.played.length);
      },
      (error) => {
        if (this.current !== call) return; // stopped for a newer call: nothing to do
        this.current = null;
        if (error && error.name === "NotAllowedError") {
          // The browser wants one touch before it plays sound: ask once, keep the call.
          this.waiting = this.waiting || call;
          this.blocked = true;
          this.button.hidden = false;
        } else {
          this.next();
        }
      },
    );
  }

  unlock() {
    this.blocked = false;
    this.button.hidden = true;
    if (!this.current) this.next();
  }
}

function briefUrl(url) {
  return url + (url.includes("?") ? "&" : "?") + "brief=true";
}

const audio = new AudioQueue(document.getElementById("enable-sound"));

// ---------------------------------------------------------------- state changes

function applySnapshot(snapshot) {
  state.counters = new Map(
    snapshot.counters.map((counter, position) => [counter.id, { ...counter, calledAt: -position }]),
  );
  const callOrder = new Map(snapshot.recent_calls.map((call) => [call.number, call.id]));
  for (const counter of state.counters.values()) {
    if (counter.ticket && callOrder.has(counter.ticket.number)) counter.calledAt = callOrder.get(counter.ticket.number);
  }
  state.recent = snapshot.recent_calls.filter((call) => shown(call.counter)).map(brief);
  state.guidance = snapshot.guidance.filter(guidanceShown).map(brief);
  state.waiting = snapshot.waiting;
  showBranch(snapshot.branch);
  render();
}

function brief(message) {
  return {
    number: message.number ?? message.ticket?.number,
    counter: message.counter,
    next_counters: message.next_counters,
    at: message.at,
  };
}

function guidanceShown(message) {
  return countersIn(message.next_counters).some(shownCode);
}

function applyEvent(message) {
  const counter = message.counter ? state.counters.get(message.counter.id) : undefined;
  const number = message.ticket?.number;
  switch (message.type) {
    case "ticket.called":
    case "ticket.recalled":
      if (!counter || !shown(message.counter)) break;
      counter.ticket = message.ticket;
      counter.calledAt = message.id;
      counter.blinkUntil = Date.now() + BLINK_MS;
      state.recent = [brief(message), ...state.recent.filter((call) => call.number !== number)].slice(0, RECENT_KEPT);
      state.guidance = state.guidance.filter((row) => row.number !== number);
      render();
      flash();
      if (message.audio_url && Date.now() - Date.parse(message.at) < ANNOUNCE_WITHIN_MS && params.get("sound") !== "off") {
        audio.enqueue(message.audio_url, number);
      }
      return;
    case "ticket.serving":
      if (counter) counter.ticket = message.ticket;
      break;
    case "ticket.completed":
      // The same citizen goes on with the next procedure at this window: no new call, the
      // number stays up (a ticket.serving for this counter follows).
      if (message.continued) return;
      if (counter && counter.ticket?.number === number) counter.ticket = null;
      break;
    case "ticket.taken": // an internal desk taking back-office work: never on a board
      return;
    case "ticket.no_show":
    case "ticket.transferred":
      if (counter && counter.ticket?.number === number) counter.ticket = null;
      break;
    case "ticket.routed":
      if (message.next_counters && guidanceShown(message)) {
        state.guidance = [brief(message), ...state.guidance.filter((row) => row.number !== number)].slice(0, 8);
      }
      break;
    case "counter.opened":
    case "counter.closed":
      if (counter) counter.state = message.type === "counter.opened" ? "open" : "closed";
      break;
    default:
      return;
  }
  render();
}

function applyMessage(message) {
  if (message.type === "waiting") {
    state.waiting = message.waiting;
    renderWaiting();
    fitBoard(); // the footer's height may have changed
  }
}

// ---------------------------------------------------------------- rendering

function element(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children) node.append(child);
  return node;
}

function bilingual(tag, className, ja, en) {
  const node = element(tag, className);
  if (languages.includes("ja")) node.append(element("span", "", ja));
  if (languages.includes("en")) {
    const english = element("span", "", en);
    english.dataset.lang = "en";
    node.append(english);
  }
  return node;
}

function render() {
  renderCalling();
  renderRecent();
  renderGuidance();
  renderWaiting();
  fitBoard();
}

function renderCalling() {
  // Newest call first: it takes the top-left (and, with room, a double) tile; every call is shown.
  const cards = [...state.counters.values()]
    .filter((counter) => counter.ticket && shownCode(counter.name) && ["called", "serving"].includes(counter.ticket.status))
    .sort((a, b) => b.calledAt - a.calledAt);
  const list = document.getElementById("now-calling");
  list.replaceChildren(
    ...cards.map((counter) => {
      const blinking = counter.ticket.status === "called" && Date.now() < (counter.blinkUntil ?? 0);
      const card = element("li", `card ${counter.ticket.status}${blinking ? " blink" : ""}`);
      card.dataset.counter = counter.name;
      card.dataset.number = counter.ticket.number;
      card.append(element("div", "number", counter.ticket.number));
      card.append(bilingual("div", "counter", `${counter.name}番窓口`, `Counter ${counter.name}`));
      if (counter.ticket.status === "serving") card.append(bilingual("div", "state", "対応中", "Now serving"));
      return card;
    }),
  );
  document.getElementById("nobody").hidden = cards.length > 0;
}

function renderRecent() {
  const inCards = new Set([...document.querySelectorAll("#now-calling .card")].map((card) => card.dataset.number));
  const rows = state.recent.filter((call) => !inCards.has(call.number)).slice(0, RECENT_ROWS);
  document.getElementById("recent").replaceChildren(
    ...rows.map((call) =>
      element("li", "", element("span", "number", call.number), element("span", "counter", `${call.counter?.name ?? ""}番`)),
    ),
  );
}

function renderGuidance() {
  const cutoff = Date.now() - GUIDANCE_MINUTES * 60_000;
  const rows = state.guidance.filter((row) => Date.parse(row.at) >= cutoff).slice(0, GUIDANCE_ROWS);
  document.getElementById("guidance").replaceChildren(
    ...rows.map((row) => {
      const item = element("li");
      item.dataset.number = row.number;
      const line = element("div", "line");
      if (languages.includes("ja")) {
        line.append(element("span", "number", row.number), ` → ${japaneseWindows(row.next_counters)}番窓口付近でお待ちください`);
      }
      if (languages.includes("en")) {
        const english = element("span", "", `${row.number}: please wait near counter ${row.next_counters}`);
        english.dataset.lang = "en";
        line.append(english);
      }
      item.append(line);
      return item;
    }),
  );
}

function renderWaiting() {
  document.getElementById("waiting").replaceChildren(
    ...state.waiting.map((row) => {
      const item = element("li");
      item.dataset.label = row.label_ja;
      item.append(bilingual("span", "label", row.label_ja, row.label_en));
      item.append(bilingual("span", "count", `${row.waiting}人`, `${row.waiting} waiting`));
      if (row.waiting > 0) {
        item.append(
          bilingual("span", "minutes", `約${row.estimated_wait_minutes}分`, `about ${row.estimated_wait_minutes} min`),
        );
      }
      return item;
    }),
  );
}

function showBranch(branchInfo) {
  document.getElementById("branch-ja").textContent = branchInfo.name_ja;
  document.getElementById("branch-en").textContent = branchInfo.name_en;
  clock = (branchInfo.timezone && clockFormats(branchInfo.timezone)) || clock;
  tick();
}

// ---------------------------------------------------------------- fitting the screen

// Sizes the call tiles from their number and the area left to them, measured in the page: a
// grid of equal tiles, or the newest call on a double tile when that costs the others little.
function fitCalling() {
  const list = document.getElementById("now-calling");
  const cards = [...list.children];
  // Many calls: the side panel narrows, so the calls get the room (set before measuring).
  document.body.toggleAttribute("data-crowded", cards.length > 6);
  if (!cards.length) return;
  list.removeAttribute("data-hero");
  list.classList.add("measuring"); // each tile at its natural size for a 100px number
  const natural = { width: 1, height: 1 };
  for (const card of cards) {
    natural.width = Math.max(natural.width, card.offsetWidth);
    natural.height = Math.max(natural.height, card.offsetHeight);
  }
  list.classList.remove("measuring");
  const area = list.getBoundingClientRect();
  const gap = parseFloat(getComputedStyle(list).rowGap) || 0;
  const vh = window.innerHeight / 100;
  const fontFor = (width, height) => 100 * Math.min(width / natural.width, height / natural.height);
  const best = { 1: null, 2: null };
  for (const hero of cards.length > 1 ? [1, 2] : [1]) {
    const cells = cards.length - 1 + hero * hero;
    for (let cols = hero; cols <= cells; cols += 1) {
      const rows = Math.max(hero, Math.ceil(cells / cols));
      const cellWidth = (area.width - gap * (cols - 1)) / cols;
      const cellHeight = (area.height - gap * (rows - 1)) / rows;
      const tile = Math.min(fontFor(cellWidth, cellHeight), (cards.length === 1 ? HERO_MAX_VH : TILE_MAX_VH) * vh);
      const heroFont =
        hero === 1 ? tile : Math.min(fontFor(2 * cellWidth + gap, 2 * cellHeight + gap), HERO_MAX_VH * vh);
      const current = best[hero];
      if (!current || tile > current.tile + 0.5 || (Math.abs(tile - current.tile) <= 0.5 && heroFont > current.heroFont)) {
        best[hero] = { hero, cols, rows, tile, heroFont };
      }
    }
  }
  const withHero = best[2];
  const layout =
    withHero && withHero.tile >= (1 - HERO_COST) * best[1].tile && withHero.heroFont > 1.2 * withHero.tile
      ? withHero
      : best[1];
  list.toggleAttribute("data-hero", layout.hero === 2);
  list.style.setProperty("--cols", String(layout.cols));
  list.style.setProperty("--rows", String(layout.rows));
  // Check with the real layout (fonts, rounding) and shrink until no tile overflows its cell.
  for (let scale = 1, round = 0; round < 12; round += 1, scale *= 0.94) {
    list.style.setProperty("--tile-font", `${Math.floor(layout.tile * scale)}px`);
    list.style.setProperty("--hero-font", `${Math.floor(layout.heroFont * scale)}px`);
    if (!cards.some((card) => overflows(card, area))) break;
  }
}

function overflows(card, area) {
  const box = card.getBoundingClientRect();
  return (
    card.scrollWidth > card.clientWidth + 1 ||
    card.scrollHeight > card.clientHeight + 1 ||
    box.right > area.right + 1 ||
    box.bottom > area.bottom + 1
  );
}

// A list in a bounded panel shows the rows that fit whole, never a row cut off or behind another.
function trimToFit(list) {
  const panel = list.parentElement;
  const limit = panel.getBoundingClientRect().bottom - parseFloat(getComputedStyle(panel).paddingBottom);
  while (list.lastElementChild && list.lastElementChild.getBoundingClientRect().bottom > limit + 1) {
    list.lastElementChild.remove();
  }
}

function fitBoard() {
  fitCalling();
  trimToFit(document.getElementById("recent"));
  trimToFit(document.getElementById("guidance"));
}

function flash() {
  // Hidden → shown restarts the edge animation, also for a recall of the same number.
  const edge = document.getElementById("edge-flash");
  edge.hidden = true;
  void edge.offsetWidth;
  edge.hidden = false;
}

function clockFormats(timeZone) {
  try {
    return {
      time: new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }),
      date: new Intl.DateTimeFormat("ja-JP", { timeZone, month: "numeric", day: "numeric", weekday: "short" }),
    };
  } catch {
    return null; // an unknown zone name: keep the clock we have
  }
}

function tick() {
  const now = new Date();
  const part = Object.fromEntries(clock.date.formatToParts(now).map(({ type, value }) => [type, value]));
  document.getElementById("time").textContent = clock.time.format(now);
  document.getElementById("date").textContent = `${part.month}月${part.day}日(${part.weekday})`;
}

function setConnection(stateName) {
  document.getElementById("connection").dataset.state = stateName;
  document.querySelector(".connection-ja").textContent = stateName === "live" ? "接続中" : "再接続しています…";
  document.querySelector(".connection-en").textContent = stateName === "live" ? "Live" : "Reconnecting…";
}

function showFatal(code, reason) {
  document.getElementById("fatal").hidden = false;
  document.getElementById("fatal-reason").textContent = `${code}: ${reason}`;
}

// ---------------------------------------------------------------- start

if (languages.length === 1) document.body.classList.add(`lang-${languages[0]}`);
document.documentElement.lang = languages[0];
tick();
setInterval(tick, 1000);
setInterval(() => {
  renderGuidance();
  fitBoard();
}, 60_000);
window.addEventListener("resize", () => render());

const connection = new LiveConnection(
  (after) => {
    const query = new URLSearchParams({ token });
    if (after !== null) query.set("after", String(after));
    return `${websocketBase()}/api/v1/branches/${encodeURIComponent(branch)}/events?${query}`;
  },
  { snapshot: applySnapshot, event: applyEvent, message: applyMessage, status: setConnection, fatal: showFatal },
);
connection.start();

// For operators' debugging and the browser tests: what the board holds and has played.
window.madoguchiBoard = { state, audio, connection };
