// A citizen's ticket status page (/t/{status_token}), live over the ticket's event stream.
// Shows numbers, counters and neutral labels only, as the server sends them.

import { LiveConnection, japaneseWindows, websocketBase } from "./live.js";

const SOON_AHEAD = 2; // "you are next but one": time to walk back to the waiting area
const CALL_VIBRATION = [400, 150, 400, 150, 800];
const SOON_VIBRATION = [200];

const TEXT = {
  ja: {
    title: "番号札の状況",
    switchTo: "English",
    number: "あなたの番号",
    ahead: "前にお待ちの方",
    wait: "待ち時間の目安",
    people: (n) => `${n}人`,
    minutes: (n) => (n > 0 ? `約${n}分` : "まもなく"),
    stops: "本日の手続きの順番",
    status: {
      waiting: "お待ちください",
      called: "お呼びしています",
      serving: "手続き中",
      processing: "書類を準備しています",
      done: "すべての手続きが終わりました",
      no_show: "お呼びしましたが、お越しを確認できませんでした",
      cancelled: "この番号札は取り消されました",
    },
    window: (c) => (c ? `${japaneseWindows(c)}番窓口` : "窓口"),
    goTo: (c) => (c ? `${japaneseWindows(c)}番窓口へお越しください` : "窓口へお越しください"),
    waitNear: (c) => `${japaneseWindows(c)}番窓口付近でお待ちください`,
    waitCall: "お呼びするまでお待ちください",
    servedAt: (c) => (c ? `${japaneseWindows(c)}番窓口で手続き中です` : "窓口で手続き中です"),
    preparing: "お呼びするまで、番号札をお持ちになってお待ちください。準備ができたら、この画面と館内の表示でお知らせします。",
    noShow: "お近くの職員にこの画面か番号札をお見せください。続きの手続きをご案内します。",
    thanks: "ご来庁ありがとうございました。",
    cancelled: "ご不明な点は、お近くの職員にお尋ねください。",
    soon: (n) => (n === 0 ? "次にお呼びします。窓口の近くでお待ちください" : `まもなくお呼びします(あと${n}人)`),
    calledLead: "お越しください",
    backOffice: "書類の準備",
    join: "・",
    visitState: { done: "済み", current: "ただいま", upcoming: "", missed: "職員へ" },
    preparingNow: "準備中",
    notify: "呼ばれたら通知を受け取る",
    live: "最新の状況を表示しています",
    offline: "再接続しています…",
    paused: "更新を一時停止しています(最後に受け取った状況を表示しています)",
    gone: "この番号札は見つかりません。番号札のQRコードをもう一度読み取ってください。",
  },
  en: {
    title: "Your ticket",
    switchTo: "日本語",
    number: "Your number",
    ahead: "People ahead",
    wait: "Estimated wait",
    people: (n) => `${n}`,
    minutes: (n) => (n > 0 ? `about ${n} min` : "soon"),
    stops: "Your route today",
    status: {
      waiting: "Please wait",
      called: "You are being called",
      serving: "Being served",
      processing: "We are preparing your documents",
      done: "All procedures are finished",
      no_show: "We called your number but could not find you",
      cancelled: "This ticket was cancelled",
    },
    window: (c) => (c ? (/[–・,]/.test(c) ? `Counters ${c}` : `Counter ${c}`) : "Counter"),
    goTo: (c) => (c ? `Please go to counter ${c}` : "Please go to the counter"),
    waitNear: (c) => `Please wait near ${/[–・,]/.test(c) ? "counters" : "counter"} ${c}`,
    waitCall: "Please wait until we call you",
    servedAt: (c) => (c ? `Being served at counter ${c}` : "Being served at the counter"),
    preparing: "Please keep your ticket and wait. We will call you on this page and on the lobby screens when it is ready.",
    noShow: "Please show this page or your ticket to a member of staff. They will help you continue.",
    thanks: "Thank you for your visit.",
    cancelled: "If you have any questions, please ask a member of staff.",
    soon: (n) => (n === 0 ? "You are next. Please wait near the counter" : `You will be called soon (${n} ahead)`),
    calledLead: "Please go to ",
    backOffice: "Preparing your documents",
    join: ", ",
    visitState: { done: "Done", current: "Now", upcoming: "", missed: "Ask staff" },
    preparingNow: "In progress",
    notify: "Notify me when I am called",
    live: "Showing live status",
    offline: "Reconnecting…",
    paused: "Updating paused (showing the last status received)",
    gone: "This ticket was not found. Please scan the QR code on your ticket again.",
  },
};

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
  document.documentElement.lang = language;
  byId("title").textContent = text.title;
  byId("language").textContent = text.switchTo;
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

function renderStops(text) {
  const english = language === "en";
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
      label.textContent = visitLine(text, visit, english);
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
    lead.textContent = language === "en" ? text.calledLead : "へお越しください";
    banner.setAttribute("aria-label", text.goTo(counter));
    if (language === "en") banner.append(lead, where);
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
  if (!language) language = ticket.language.startsWith("ja") ? "ja" : "en";
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

byId("language").addEventListener("click", () => {
  language = language === "ja" ? "en" : "ja";
  sessionStorage.setItem("madoguchi.language", language);
  render();
});

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
