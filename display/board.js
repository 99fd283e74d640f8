// Lobby display board: live over the branch event stream, never polling.
// URL: /display/{branch}?token=DISPLAY_TOKEN[&counters=1,2,3][&areas=shimin_sogo][&lang=ja,en][&sound=off][&rotate=8]
//
// Japanese is the main line of every text; the line under (or beside) it shows the board's other
// languages in turn, every ROTATE_SECONDS, English more often. `lang` names the languages (all
// kiosk languages by default); `lang=ja,en` keeps a fixed English line, `lang=ja` Japanese only.

import { BOARD, LANGUAGES, readingOf, rubyNodes } from "./citizen_text.js";
import { LiveConnection, countersIn, websocketBase } from "./live.js";

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
const ROTATE_SECONDS = Number(params.get("rotate")) || 8;
const asked = (listParam("lang") || LANGUAGES).filter((code) => BOARD[code]);
const languages = asked.length ? asked : ["ja"];
// The main line: Japanese (or, on a board without it, the first language named).
const main = languages.includes("ja") ? "ja" : languages[0];
// The rotating line: each other language once per round, English before every two others.
const rotation = rotationOf(languages.filter((code) => code !== main));
let second = rotation[0] ?? null;
// The branch's clock, not the PC's: the snapshot names the time zone (Asia/Tokyo by default).
let clock = clockFormats("Asia/Tokyo");

const state = {
  counters: new Map(), // counter id → {id, name, label_ja, label_en, area, state, ticket, calledAt}
  recent: [], // newest first: {number, counter}
  guidance: [], // newest first: {number, next_counters, at}
  waiting: [],
};

function rotationOf(codes) {
  const others = codes.filter((code) => code !== "en");
  if (!codes.includes("en") || others.length < 2) return codes;
  const order = [];
  for (let index = 0; index < others.length; index += 2) order.push("en", ...others.slice(index, index + 2));
  return order;
}

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

  enqueue(url, number, counter) {
    if (this.current && this.waiting) {
      this.cut.push(this.current.number);
      this.next();
    }
    if (this.waiting) this.skipped.push(this.waiting.number); // sound still blocked: the newest waits
    const behind = this.current !== null || this.blocked;
    this.waiting = { url: behind ? briefUrl(url) : url, number, counter, brief: behind };
    if (!behind) this.next();
    this.arrivals.push({ number, at: performance.now(), saying: this.current?.number ?? null });
  }

  next() {
    if (this.current) {
      this.player.pause();
      this.current = null;
      showSaying(null);
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
        showSaying(call);
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
          fitLines(this.button);
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
        audio.enqueue(message.audio_url, number, message.counter.name);
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
      if (counter && counter.ticket?.number === number) counter.ticket = null;
      break;
    // A number is in one place on the board (as in the snapshot, server/realtime/service.py): sent
    // on or transferred, it leaves the "called" list, which would send the citizen back to the
    // window that called it.
    case "ticket.transferred":
    case "ticket.routed":
      if (counter && counter.ticket?.number === number) counter.ticket = null;
      state.recent = state.recent.filter((call) => call.number !== number);
      state.guidance = state.guidance.filter((row) => row.number !== number);
      if (message.type === "ticket.routed" && message.next_counters && guidanceShown(message)) {
        state.guidance = [brief(message), ...state.guidance].slice(0, 8);
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

// ---------------------------------------------------------------- the two lines of each text

/** A text as the board shows it: the Japanese line and the rotating line, under it ("stack"),
 * beside it ("row") or wrapping freely ("free": the empty board, the fatal message).
 * `words(t, code)` gives the rotating line in one language: a string, or {text, shownIn} for a
 * name shown in English (Japanese) for want of a translation, marked so. */
function pair(tag, className, words, layout = "stack", japanese = null) {
  const node = element(tag, className);
  setPair(node, words, layout, japanese);
  return node;
}

/** `japanese`: the Japanese line as nodes, when it is more than the words' text. */
function setPair(node, words, layout = "stack", japanese = null) {
  node.classList.add("pair", layout);
  const first = element("span", "main");
  first.words = words;
  if (main === "ja" && japanese) first.append(...japanese);
  else fillLine(first, main);
  const parts = [first];
  if (second) {
    const line = element("span", "second");
    line.words = words;
    fillLine(line, second);
    parts.push(line);
  }
  node.replaceChildren(...parts);
}

function setWords(node, key, layout) {
  setPair(node, (t) => t[key], layout ?? node.dataset.layout ?? "row");
}

function fillLine(line, code) {
  const t = BOARD[code];
  const said = line.words(t, code);
  const { text, shownIn } = typeof said === "string" ? { text: said } : said;
  // やさしい日本語 on the rotating line is its reading alone, under the Japanese line that shows
  // the kanji: furigana at that line's size could not be read across a lobby.
  const nodes = line.classList.contains("second") ? [readingOf(text)] : rubyNodes(text);
  line.lang = t.html;
  line.dataset.lang = code;
  const fit = element("span", "fit");
  if (shownIn) {
    const name = element("span", "", ...nodes);
    name.lang = BOARD[shownIn].html;
    fit.append(name, " ", element("small", "shown-in", t.shownIn));
    line.dataset.fallback = shownIn;
  } else {
    fit.append(...nodes);
    delete line.dataset.fallback;
  }
  line.replaceChildren(fit);
}

/** A name from the server ({lang: text}) in one language, or marked as shown in another. */
function localName(names, code) {
  if (names[code]) return names[code];
  const shownIn = BOARD[code].fallback;
  return { text: names[shownIn] ?? names.en ?? names.ja, shownIn };
}

/** The names a server older than the translations sends: Japanese and English only. */
function namesOf(row, ja, en) {
  return row.names ?? { ja: row[ja], en: row[en] };
}

// Each rotating line keeps the box it was given (a fixed height, the width its place allows):
// text longer than the box is set smaller inside it, so the tiles never move when it changes.
function fitLines(root = document) {
  const fits = [...root.querySelectorAll(".pair:not(.free) > .second > .fit")];
  for (const fit of fits) fit.style.fontSize = "";
  const scales = fits.map((fit) => {
    const box = fit.parentElement;
    if (!box.clientWidth || !box.clientHeight) return 1; // not shown now: fitted when it is
    return Math.min(1, box.clientWidth / Math.max(1, fit.offsetWidth), box.clientHeight / Math.max(1, fit.offsetHeight));
  });
  fits.forEach((fit, index) => {
    if (scales[index] < 1) fit.style.fontSize = `${Math.max(0.4, Math.floor(scales[index] * 100) / 100)}em`;
  });
}

function showLanguage(code) {
  second = code;
  document.body.dataset.second = code;
  for (const line of document.querySelectorAll(".second")) fillLine(line, code);
  fitLines();
}

let rotationIndex = 0;
function rotate() {
  rotationIndex = (rotationIndex + 1) % rotation.length;
  showLanguage(rotation[rotationIndex]);
}

// The sentence being said, shown like every other text: Japanese and the rotating line, never
// the language the call is said in (that would tell the lobby the citizen's language).
function showSaying(call) {
  const saying = document.getElementById("saying");
  if (!call || !call.counter) {
    delete saying.dataset.active;
    saying.replaceChildren();
    return;
  }
  setPair(saying, (t) => t.saying(call.number, call.counter));
  saying.dataset.active = "";
  saying.dataset.number = call.number;
  fitLines(saying);
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
      card.append(pair("div", "counter", (t) => t.window(counter.name)));
      if (counter.ticket.status === "serving") card.append(pair("div", "state", (t) => t.serving));
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
      element(
        "li",
        "",
        element("span", "number", call.number),
        pair("span", "counter", (t) => t.window(call.counter?.name ?? ""), "stack", [`${call.counter?.name ?? ""}番`]),
      ),
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
      const near = (t, code) => {
        const text = t.waitNear(row.next_counters);
        return `${row.number}: ${code === "en" ? text[0].toLowerCase() + text.slice(1) : text}`;
      };
      const japanese = [element("span", "number", row.number), ` → ${BOARD.ja.waitNear(row.next_counters)}`];
      item.append(pair("div", "line", near, "stack", japanese));
      return item;
    }),
  );
}

function renderWaiting() {
  document.getElementById("waiting").replaceChildren(
    ...state.waiting.map((row) => {
      const item = element("li");
      item.dataset.label = row.label_ja;
      const names = namesOf(row, "label_ja", "label_en");
      item.append(pair("span", "label named", (_, code) => localName(names, code)));
      item.append(pair("span", "count", (t) => t.count(row.waiting), "row"));
      if (row.waiting > 0) {
        const minutes = row.estimated_wait_minutes;
        item.append(pair("span", "minutes", (t) => t.minutes(minutes), "row"));
      }
      return item;
    }),
  );
}

function showBranch(branchInfo) {
  const names = namesOf(branchInfo, "name_ja", "name_en");
  const branchLine = document.getElementById("branch");
  branchLine.classList.add("named");
  setPair(branchLine, (_, code) => localName(names, code));
  branchLine.querySelector(".main")?.setAttribute("id", "branch-ja");
  fitLines(branchLine);
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
  fitLines();
  fitLabels();
}

// A long label's Japanese line (マイナンバーカード in a narrow column) is set smaller, never cut.
function fitLabels() {
  for (const label of document.querySelectorAll("#waiting .label > .main")) {
    label.style.fontSize = "";
    const scale = label.clientWidth / Math.max(1, label.scrollWidth);
    if (scale < 1) label.style.fontSize = `${Math.max(0.5, Math.floor(scale * 100) / 100)}em`;
  }
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
  const text = document.getElementById("connection-text");
  setWords(text, stateName === "live" ? "live" : "offline");
  fitLines(text);
}

function showFatal(code, reason) {
  document.getElementById("fatal").hidden = false;
  document.getElementById("fatal-reason").textContent = `${code}: ${reason}`;
}

// ---------------------------------------------------------------- start

if (languages.length === 1) document.body.classList.add(`lang-${languages[0]}`);
if (rotation.length > 1) document.body.dataset.rotating = "";
if (second) document.body.dataset.second = second;
document.documentElement.lang = BOARD[main].html;
for (const node of document.querySelectorAll("[data-words]")) setWords(node, node.dataset.words);
tick();
setInterval(tick, 1000);
setInterval(() => {
  renderGuidance();
  fitBoard();
}, 60_000);
window.addEventListener("resize", () => render());
if (rotation.length > 1) setInterval(rotate, ROTATE_SECONDS * 1000);

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
window.madoguchiBoard = {
  state,
  audio,
  connection,
  languages: { main, rotation, get second() { return second; }, show: showLanguage },
  words: BOARD,
};
