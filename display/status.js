// A citizen's ticket status page (/t/{status_token}), live over the ticket's event stream.
// Shows numbers, counters and neutral labels only, as the server sends them.

import { LANGUAGES, TEXT, rubyNodes } from "./citizen_text.js";
import { LiveConnection, websocketBase } from "./live.js";

const SOON_AHEAD = 2; // "you are next but one": time to walk back to the waiting area
const CALL_VIBRATION = [400, 150, 400, 150, 800];
const SOON_VIBRATION = [200];

const MARKS = { done: "✓", current: "▶", upcoming: "・", missed: "!" };

const statusToken = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop());
// "" on the server; a city hall's prefix on a shared public edge (server/edge/).
const pathBase = location.pathname.slice(0, location.pathname.lastIndexOf("/t/"));
let linkPaused = false; // the edge lost its link to the city hall: what we show may be stale
let ticket = null;
let language = sessionStorage.getItem("madoguchi.language");
let connectionState = "offline";
let notifyOffered = false; // the browser may still ask for notification permission
const alerted = new Set(); // alerts already given, so a refresh never buzzes twice

function t() {
  return TEXT[language] || TEXT.ja;
}

function byId(id) {
  return document.getElementById(id);
}

function currentStop() {
  return ticket && ticket.current_stop !== null ? ticket.stops[ticket.current_stop] : null;
}

function render() {
  const text = t();
  document.documentElement.lang = text.html;
  // The kiosk language itself (やさしい日本語 and Japanese share lang="ja"), for survey.js.
  document.documentElement.dataset.language = TEXT[language] ? language : "ja";
  byId("title").textContent = text.title;
  byId("language").textContent = text.switchTo;
  byId("language-choice").value = TEXT[language] ? language : "ja";
  byId("number-label").textContent = text.number;
  byId("ahead-label").textContent = text.ahead;
  byId("wait-label").textContent = text.wait;
  byId("stops-label").textContent = text.stops;
  byId("notify").textContent = text.notify;
  const shown = connectionState === "live" && linkPaused ? "paused" : connectionState;
  byId("connection").textContent = { live: text.live, paused: text.paused }[shown] ?? text.offline;
  byId("connection").dataset.state = shown;
  if (!ticket) return;

  const stop = currentStop();
  // Back-office work is never a call: a desk's name means nothing to the citizen.
  const counter = stop && stop.citizen_present !== false ? stop.counter : null;
  document.body.dataset.status = ticket.status;
  byId("number").textContent = ticket.number;
  byId("status").textContent = text.status[ticket.status] ?? ticket.status;
  byId("where").textContent = whereToGo(text, counter);
  // Figures only while they mean something: waiting in a queue for a window.
  const waiting = ticket.status === "waiting" && ticket.position !== null;
  byId("facts").hidden = !waiting;
  byId("ahead").textContent = waiting ? text.people(ticket.position) : "";
  byId("wait").textContent = waiting && ticket.estimated_wait_minutes !== null ? text.minutes(ticket.estimated_wait_minutes) : "–";
  renderStops(text);
  renderBanner(text, counter);
  byId("notify").hidden = !notifyOffered || FINISHED.has(ticket.status);
}

const FINISHED = new Set(["done", "cancelled", "no_show"]);

function whereToGo(text, counter) {
  switch (ticket.status) {
    case "called":
      return ""; // the banner says where, large
    case "waiting":
      return counter ? text.waitNear(counter) : text.waitCall;
    case "serving":
      return text.servedAt(counter);
    case "processing":
      return text.preparing;
    case "no_show":
      return text.noShow;
    case "done":
      return text.thanks;
    case "cancelled":
      return text.cancelled;
    default:
      return "";
  }
}

/** The route as visits: one line per window visit, back-office work as one line of progress. */
function visitsOf(view) {
  if (Array.isArray(view.visits)) return view.visits;
  // A server older than the visit presentation: fold consecutive stops at the same place.
  const visits = [];
  view.stops.forEach((stop, index) => {
    const backOffice = stop.citizen_present === false;
    const status = stop.status === "done" || stop.status === "skipped" ? "done"
      : stop.status === "no_show" ? "missed"
      : index === view.current_stop ? "current" : "upcoming";
    const last = visits[visits.length - 1];
    if (last && last.kind === (backOffice ? "back_office" : "counter") && (backOffice || last.counters === stop.counter)) {
      last.stops.push(index);
      if (!last.labels.includes(stop.label)) last.labels.push(stop.label);
      if (!last.labels_en.includes(stop.label_en)) last.labels_en.push(stop.label_en);
      if (status !== "done" && last.status === "done") last.status = status;
      return;
    }
    visits.push({
      kind: backOffice ? "back_office" : "counter",
      counters: backOffice ? null : stop.counter,
      labels: [stop.label],
      labels_en: [stop.label_en],
      status,
      stops: [index],
    });
  });
  return visits;
}

/** 「1〜5番窓口: 転入届・印鑑登録」 / "Counters 1–5: Moving-in notification, Seal registration". */
export function visitLine(text, visit, english) {
  if (visit.kind === "back_office") return text.backOffice;
  const labels = (english ? visit.labels_en : visit.labels) || [];
  return `${text.window(visit.counters)}: ${labels.join(text.join)}`;
}

/** The visit's line in the ticket's own language (its names come with the ticket), each name
 * that is shown in English or Japanese for want of a translation marked so; null when the page
 * is in another language than the ticket's. */
function localVisitLine(text, visit) {
  if (visit.kind === "back_office" || language !== ticket.language || !Array.isArray(visit.labels_local) || !visit.labels_local.length) {
    return null;
  }
  const nodes = [document.createTextNode(`${text.window(visit.counters)}: `)];
  visit.labels_local.forEach((label, index) => {
    if (index > 0) nodes.push(document.createTextNode(text.join));
    const name = document.createElement("span");
    name.append(...rubyNodes(label));
    const shownIn = visit.labels_local_lang?.[index];
    if (shownIn && shownIn !== language) {
      name.lang = TEXT[shownIn]?.html ?? shownIn;
      name.dataset.fallback = shownIn;
      const note = document.createElement("small");
      note.className = "fallback-note";
      note.lang = text.html;
      note.textContent = ` (${text.fallbackNote})`;
      name.append(note);
    }
    nodes.push(name);
  });
  return nodes;
}

function renderStops(text) {
  // A page in another language than the ticket's has the names in English (Japanese for
  // やさしい日本語), marked so.
  const english = !language.startsWith("ja");
  const visits = visitsOf(ticket).filter(
    (visit) => !visit.stops.every((index) => ticket.stops[index]?.status === "skipped"),
  );
  byId("stops").replaceChildren(
    ...visits.map((visit) => {
      const item = document.createElement("li");
      item.className = `${visit.status} ${visit.kind === "back_office" ? "back-office" : "window"}`;
      item.dataset.status = visit.status;
      if (visit.status === "current") item.setAttribute("aria-current", "step");
      const mark = document.createElement("span");
      mark.className = "mark";
      mark.setAttribute("aria-hidden", "true");
      mark.textContent = MARKS[visit.status] ?? "・";
      const label = document.createElement("span");
      label.className = "line";
      const local = localVisitLine(text, visit);
      if (local) label.replaceChildren(...local);
      else {
        label.textContent = visitLine(text, visit, english);
        if (visit.kind !== "back_office" && language !== "ja" && language !== "en") {
          label.dataset.fallback = english ? "en" : "ja";
          const note = document.createElement("small");
          note.className = "fallback-note";
          note.textContent = ` (${text.fallbackNote})`;
          label.append(note);
        }
      }
      const state = document.createElement("span");
      state.className = "state";
      state.textContent = visit.kind === "back_office" && visit.status === "current" ? text.preparingNow : text.visitState[visit.status] ?? "";
      item.append(mark, label, state);
      return item;
    }),
  );
}

function renderBanner(text, counter) {
  const banner = byId("banner");
  banner.replaceChildren();
  let kind = null;
  if (ticket.status === "called") {
    kind = "called";
    // The window in large type: what a citizen walking across the lobby needs to read.
    const where = document.createElement("span");
    where.className = "banner-window";
    where.textContent = language === "en" ? (counter ? `counter ${counter}` : "the counter") : text.window(counter);
    const lead = document.createElement("span");
    lead.className = "banner-lead";
    lead.textContent = text.calledLead;
    banner.setAttribute("aria-label", text.goTo(counter));
    if (text.leadFirst) banner.append(lead, where);
    else banner.append(where, lead);
  } else if (ticket.status === "waiting" && ticket.position !== null && ticket.position <= SOON_AHEAD) {
    kind = "soon";
    banner.textContent = text.soon(ticket.position);
    banner.removeAttribute("aria-label");
  } else {
    banner.removeAttribute("aria-label");
  }
  banner.hidden = kind === null;
  banner.className = `banner ${kind ?? ""}`;
}

function alertOnce(key, vibration, notificationText) {
  if (alerted.has(key)) return;
  alerted.add(key);
  if (navigator.vibrate) navigator.vibrate(vibration);
  if (notificationText && "Notification" in window && Notification.permission === "granted") {
    new Notification(`${ticket.number}`, { body: notificationText, tag: "madoguchi-call" });
  }
}

function checkAlerts(callEventId) {
  const stop = currentStop();
  if (ticket.status === "called") {
    alertOnce(`called:${ticket.current_stop}:${callEventId ?? 0}`, CALL_VIBRATION, t().goTo(stop?.counter));
  } else if (ticket.status === "waiting" && ticket.position !== null && ticket.position <= SOON_AHEAD) {
    alertOnce(`soon:${ticket.current_stop}`, SOON_VIBRATION, null);
  }
}

function show(view, callEventId) {
  ticket = view;
  if (!language) language = TEXT[ticket.language] ? ticket.language : "en";
  render();
  checkAlerts(callEventId);
}

let lastCallEventId = null;

const connection = new LiveConnection(
  () => `${websocketBase()}${pathBase}/api/v1/tickets/${encodeURIComponent(statusToken)}/events`,
  {
    snapshot: (message) => show(message.ticket, null),
    event: (message) => {
      // A recall buzzes again: remember which call the next view belongs to.
      if (message.type === "ticket.called" || message.type === "ticket.recalled") lastCallEventId = message.id;
    },
    message: (message) => {
      if (message.type === "ticket") show(message.ticket, lastCallEventId);
      if (message.type === "link") {
        linkPaused = message.state === "paused";
        render();
      }
    },
    status: (state) => {
      connectionState = state;
      render();
    },
    fatal: () => {
      byId("gone").hidden = false;
      byId("gone").textContent = t().gone;
    },
  },
  { resume: false }, // the view is the whole state: a reconnect simply takes it afresh
);

function choose(chosen) {
  language = chosen;
  sessionStorage.setItem("madoguchi.language", language);
  render();
}

// The quick switch: Japanese ⇄ the ticket's language (English for a Japanese ticket).
byId("language").addEventListener("click", () => {
  const other = ticket && !ticket.language.startsWith("ja") && TEXT[ticket.language] ? ticket.language : "en";
  choose(language === "ja" ? other : "ja");
});

// Every kiosk language, each named in itself.
for (const code of LANGUAGES) {
  const option = document.createElement("option");
  option.value = code;
  option.lang = TEXT[code].html;
  option.textContent = TEXT[code].name;
  byId("language-choice").append(option);
}
byId("language-choice").addEventListener("change", (event) => choose(event.target.value));

if ("Notification" in window && Notification.permission === "default") {
  const button = byId("notify");
  notifyOffered = true;
  button.hidden = false;
  button.addEventListener("click", async () => {
    await Notification.requestPermission();
    notifyOffered = false;
    button.hidden = true;
  });
}

render();
connection.start();
window.madoguchiStatus = { connection, get ticket() { return ticket; } };
