// A citizen's ticket status page (/t/{status_token}), live over the ticket's event stream.
// Shows numbers, counters and neutral labels only, as the server sends them.

import { LiveConnection, websocketBase } from "./live.js";

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
    minutes: (n) => `約${n}分`,
    stops: "本日の手続き",
    status: {
      waiting: "お待ちください",
      called: "お呼びしています",
      serving: "手続き中",
      processing: "書類を準備しています",
      done: "すべての手続きが終わりました",
      no_show: "お呼びしましたが、いらっしゃいませんでした",
      cancelled: "この番号札は取り消されました",
    },
    goTo: (c) => `${c}番窓口へお越しください`,
    waitNear: (c) => `${c}番窓口付近でお待ちください`,
    servedAt: (c) => `${c}番窓口で手続き中です`,
    preparing: "お呼びするまで、番号札をお持ちになってお待ちください",
    noShow: "お近くの職員にお声がけください",
    thanks: "ご来庁ありがとうございました",
    soon: (n) => (n === 0 ? "次にお呼びします。窓口の近くでお待ちください" : `まもなくお呼びします(あと${n}人)`),
    calledBanner: (c) => `${c}番窓口へお越しください`,
    notify: "呼ばれたら通知を受け取る",
    live: "最新の状況を表示しています",
    offline: "再接続しています…",
    gone: "この番号札は見つかりません。番号札のQRコードをもう一度読み取ってください。",
    marks: { done: "✓", current: "▶", pending: "・", skipped: "–" },
  },
  en: {
    title: "Your ticket",
    switchTo: "日本語",
    number: "Your number",
    ahead: "People ahead",
    wait: "Estimated wait",
    people: (n) => `${n}`,
    minutes: (n) => `about ${n} min`,
    stops: "Your procedures today",
    status: {
      waiting: "Please wait",
      called: "You are being called",
      serving: "Being served",
      processing: "We are preparing your documents",
      done: "All procedures are finished",
      no_show: "You were called but did not come",
      cancelled: "This ticket was cancelled",
    },
    goTo: (c) => `Please go to counter ${c}`,
    waitNear: (c) => `Please wait near counter ${c}`,
    servedAt: (c) => `Being served at counter ${c}`,
    preparing: "Please keep your ticket and wait until we call you",
    noShow: "Please speak to a member of staff",
    thanks: "Thank you for your visit",
    soon: (n) => (n === 0 ? "You are next. Please wait near the counter" : `You will be called soon (${n} ahead)`),
    calledBanner: (c) => `Please go to counter ${c}`,
    notify: "Notify me when I am called",
    live: "Showing live status",
    offline: "Reconnecting…",
    gone: "This ticket was not found. Please scan the QR code on your ticket again.",
    marks: { done: "✓", current: "▶", pending: "・", skipped: "–" },
  },
};

const statusToken = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop());
let ticket = null;
let language = sessionStorage.getItem("madoguchi.language");
let connectionState = "offline";
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
  byId("connection").textContent = connectionState === "live" ? text.live : text.offline;
  byId("connection").dataset.state = connectionState;
  if (!ticket) return;

  const stop = currentStop();
  const counter = stop?.counter;
  byId("number").textContent = ticket.number;
  byId("status").textContent = text.status[ticket.status] ?? ticket.status;
  byId("where").textContent = whereToGo(text, stop, counter);
  const waiting = ticket.status === "waiting" && ticket.position !== null;
  byId("ahead").textContent = waiting ? text.people(ticket.position) : "–";
  byId("wait").textContent = waiting && ticket.estimated_wait_minutes !== null ? text.minutes(ticket.estimated_wait_minutes) : "–";
  renderStops(text);
  renderBanner(text, counter);
}

function whereToGo(text, stop, counter) {
  switch (ticket.status) {
    case "called":
      return counter ? text.goTo(counter) : "";
    case "waiting":
      return counter ? text.waitNear(counter) : "";
    case "serving":
      return counter ? text.servedAt(counter) : "";
    case "processing":
      return text.preparing;
    case "no_show":
      return text.noShow;
    case "done":
      return text.thanks;
    default:
      return "";
  }
}

function renderStops(text) {
  byId("stops").replaceChildren(
    ...ticket.stops.map((stop, index) => {
      const item = document.createElement("li");
      const kind = index === ticket.current_stop && !["done", "skipped"].includes(stop.status)
        ? "current"
        : stop.status === "done" ? "done" : stop.status === "skipped" ? "skipped" : "pending";
      item.className = kind;
      item.dataset.status = stop.status;
      const mark = document.createElement("span");
      mark.className = "mark";
      mark.textContent = text.marks[kind];
      const label = document.createElement("span");
      label.textContent = language === "en" ? stop.label_en : stop.label;
      const where = document.createElement("span");
      where.className = "counter";
      where.textContent = stop.counter ? (language === "en" ? `Counter ${stop.counter}` : `${stop.counter}番`) : "";
      item.append(mark, label, where);
      return item;
    }),
  );
}

function renderBanner(text, counter) {
  const banner = byId("banner");
  let kind = null;
  let message = "";
  if (ticket.status === "called") {
    kind = "called";
    message = text.calledBanner(counter ?? "");
  } else if (ticket.status === "waiting" && ticket.position !== null && ticket.position <= SOON_AHEAD) {
    kind = "soon";
    message = text.soon(ticket.position);
  } else if (ticket.status === "done") {
    kind = "finished";
    message = text.status.done;
  }
  banner.hidden = kind === null;
  banner.className = `banner ${kind ?? ""}`;
  banner.textContent = message;
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
    alertOnce(`called:${ticket.current_stop}:${callEventId ?? 0}`, CALL_VIBRATION, t().calledBanner(stop?.counter ?? ""));
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
  () => `${websocketBase()}/api/v1/tickets/${encodeURIComponent(statusToken)}/events`,
  {
    snapshot: (message) => show(message.ticket, null),
    event: (message) => {
      // A recall buzzes again: remember which call the next view belongs to.
      if (message.type === "ticket.called" || message.type === "ticket.recalled") lastCallEventId = message.id;
    },
    message: (message) => {
      if (message.type === "ticket") show(message.ticket, lastCallEventId);
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
  button.hidden = false;
  button.addEventListener("click", async () => {
    await Notification.requestPermission();
    button.hidden = true;
  });
}

render();
connection.start();
window.madoguchiStatus = { connection, get ticket() { return ticket; } };
