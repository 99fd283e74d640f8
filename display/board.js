// Lobby display board: live over the branch event stream, never polling.
// URL: /display/{branch}?token=DISPLAY_TOKEN[&counters=1,2,3][&areas=shimin_sogo][&lang=ja,en][&sound=off]

import { LiveConnection, countersIn, websocketBase } from "./live.js";

const NOW_CALLING_CARDS = 8;
const RECENT_ROWS = 10;
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

class AudioQueue {
  constructor(button) {
    this.button = button;
    this.queue = [];
    this.playing = false;
    this.blocked = false;
    this.played = [];
    this.player = new Audio();
    this.player.addEventListener("ended", () => this.next());
    this.player.addEventListener("error", () => this.next());
    button.addEventListener("click", () => this.unlock());
  }

  enqueue(url) {
    this.queue.push(url);
    if (!this.playing && !this.blocked) this.next();
  }

  next() {
    this.playing = false;
    const url = this.queue.shift();
    if (!url) return;
    this.playing = true;
    this.player.src = url;
    this.player.play().then(
      () => {
        this.played.push(url);
        document.body.dataset.announcementsPlayed = String(this.played.length);
      },
      (error) => {
        if (error && error.name === "NotAllowedError") {
          // The browser wants one touch before it plays sound: ask once, keep the queue.
          this.queue.unshift(url);
          this.playing = false;
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
    if (!this.playing) this.next();
  }
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
      state.recent = [brief(message), ...state.recent.filter((call) => call.number !== number)].slice(0, 12);
      state.guidance = state.guidance.filter((row) => row.number !== number);
      render();
      flash();
      if (message.audio_url && Date.now() - Date.parse(message.at) < ANNOUNCE_WITHIN_MS && params.get("sound") !== "off") {
        audio.enqueue(message.audio_url);
      }
      return;
    case "ticket.serving":
      if (counter) counter.ticket = message.ticket;
      break;
    case "ticket.completed":
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
}

function renderCalling() {
  const cards = [...state.counters.values()]
    .filter((counter) => counter.ticket && shownCode(counter.name) && ["called", "serving"].includes(counter.ticket.status))
    .sort((a, b) => (a.ticket.status === b.ticket.status ? b.calledAt - a.calledAt : a.ticket.status === "called" ? -1 : 1))
    .slice(0, NOW_CALLING_CARDS);
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
        line.append(element("span", "number", row.number), ` → ${row.next_counters}番窓口付近でお待ちください`);
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
}

function flash() {
  // Hidden → shown restarts the edge animation, also for a recall of the same number.
  const edge = document.getElementById("edge-flash");
  edge.hidden = true;
  void edge.offsetWidth;
  edge.hidden = false;
}

const WEEKDAYS = ["日", "月", "火", "水", "木", "金", "土"];

function tick() {
  const now = new Date();
  const hours = String(now.getHours()).padStart(2, "0");
  const minutes = String(now.getMinutes()).padStart(2, "0");
  document.getElementById("time").textContent = `${hours}:${minutes}`;
  document.getElementById("date").textContent = `${now.getMonth() + 1}月${now.getDate()}日(${WEEKDAYS[now.getDay()]})`;
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
setInterval(renderGuidance, 60_000);

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
