// Floor concierge tablet (/concierge): issue a ticket on a citizen's behalf (with priority when
// they ask for consideration, 合理的配慮), see every queue at a glance, and hear kiosk help calls
// live. Acknowledging a call is local to this tablet: it only clears the alert here.

import { checkInForm } from "../common/appointments.js";
import { api, requestKey, resolveBranch } from "../common/api.js";
import { coalesce, connectBranchStream } from "../common/live.js";
// The visit at the counter, as in the staff console: find a number, change its route, reinstate.
import { lookupForm, onTicketEvent } from "../staff/lookup.js";
import { state as visitDesk } from "../staff/state.js";
import { windowsText } from "../staff/visits.js";
import {
  announce,
  bi,
  bindHeader,
  clockTime,
  ensureSignedIn,
  explain,
  h,
  showConnection,
} from "../common/ui.js";

const app = document.getElementById("app");
const LANGUAGES = [
  ["ja", "日本語"],
  ["en", "English"],
  ["zh", "中文"],
  ["ko", "한국어"],
  ["vi", "Tiếng Việt"],
  ["pt", "Português"],
  ["tl", "Tagalog"],
  ["id", "Bahasa Indonesia"],
];
const PRINTER = {
  paper_near_end: "用紙残りわずか Paper low",
  paper_out: "用紙切れ Paper out",
  cover_open: "カバーが開いています Cover open",
  offline: "オフライン Offline",
  unknown: "状態不明 Unknown",
};

const state = { session: null, branch: null, menu: null, names: new Map(), services: [], categories: [], kiosks: [] };
const ui = {};

// --- help calls ------------------------------------------------------------------------

function addAlert(kind, what, at, detail) {
  const acknowledge = h(
    "button",
    { type: "button", class: "primary", onclick: () => item.remove() },
    ...bi("対応しました", "Handled"),
  );
  const item = h(
    "div",
    { class: `alert ${kind}`, role: "alert", "data-kind": kind },
    h("span", { class: "what" }, what, detail ? [" ", h("span", { class: "en" }, detail)] : null),
    h("span", { class: "when" }, clockTime(at)),
    acknowledge,
  );
  ui.alerts.prepend(item);
}

function onEvent(message) {
  if (message.type === "kiosk.help_requested") {
    const name = message.device?.name || "発券機";
    const language = LANGUAGES.find(([code]) => code === message.language)?.[1] || message.language;
    addAlert("help", `${name} でお手伝いが必要です`, message.at, `Help needed at ${name}・${language}`);
    return;
  }
  if (message.type === "device.health" && (message.level === "fault" || message.level === "warning")) {
    const name = message.device?.name || "発券機";
    if (message.board === "silent") {
      addAlert("printer", `${name}: 表示盤から応答がありません`, message.at, `Display board ${name} is silent`);
      return;
    }
    addAlert("printer", `${name}: プリンター ${PRINTER[message.printer] || message.printer}`, message.at, "");
    return;
  }
  if (message.type?.startsWith("ticket.")) onTicketEvent(message);
  if (message.type?.startsWith("ticket.") || message.type?.startsWith("counter.")) refreshQueuesSoon();
}

// --- queues ------------------------------------------------------------------------------

let queuesRequest = 0;
async function refreshQueues() {
  const mine = ++queuesRequest;
  try {
    const queues = await api(`/branches/${state.branch}/queues`);
    if (mine !== queuesRequest) return;
    ui.queues.replaceChildren(
      ...queues.map((queue) =>
        h(
          "tr",
          { "data-service": queue.service },
          // Sensitive procedures come as one neutral row ("notification", 届出).
          h("td", {}, state.names.get(queue.service) || queue.label),
          h("td", {}, queue.label, " ", h("span", { class: "en" }, queue.label_en)),
          h("td", { class: "num waiting" }, queue.waiting),
          h("td", { class: "num" }, queue.waiting ? `${queue.estimated_wait_minutes}分` : "—"),
        ),
      ),
    );
  } catch (error) {
    announce(explain(error), "error");
  }
}
const refreshQueuesSoon = coalesce(refreshQueues, 300);

// --- issuing -------------------------------------------------------------------------------

function buildIssueForm() {
  const kindService = h("input", { type: "radio", name: "kind", value: "service", id: "kind-service", checked: true });
  const kindEvent = h("input", { type: "radio", name: "kind", value: "life_event", id: "kind-life-event" });
  const service = h(
    "select",
    { id: "issue-service", name: "service" },
    h("option", { value: "" }, "選んでください / Choose"),
    state.services.map((item) => h("option", { value: item.id }, `${item.name}(${item.prefix})`)),
  );
  const lifeEvent = h(
    "select",
    { id: "issue-life-event", name: "life_event" },
    h("option", { value: "" }, "選んでください / Choose"),
    state.menu.life_events.map((item) => h("option", { value: item.id }, `${item.icon} ${item.name}`)),
  );
  const questions = h("fieldset", { class: "questions", hidden: true }, h("legend", {}, ...bi("お客様に確認してください", "Ask the citizen")));
  const language = h(
    "select",
    { id: "issue-language", name: "language" },
    LANGUAGES.map(([code, name]) => h("option", { value: code }, name)),
  );
  const needsPriority = h("input", { type: "checkbox", id: "issue-needs-priority", name: "needs_priority" });
  const category = h(
    "select",
    { id: "issue-priority", name: "priority", disabled: true },
    h("option", { value: "" }, "選んでください / Choose"),
    state.categories.map((item) => h("option", { value: item.id }, `${item.name} / ${item.name_en}`)),
  );
  const serviceBlock = h("div", {}, h("label", { for: "issue-service" }, ...bi("手続き", "Procedure")), service);
  const eventBlock = h("div", { hidden: true }, h("label", { for: "issue-life-event" }, ...bi("ライフイベント", "Life event")), lifeEvent, questions);

  const syncKind = () => {
    const byEvent = kindEvent.checked;
    serviceBlock.hidden = byEvent;
    eventBlock.hidden = !byEvent;
    service.required = !byEvent;
    lifeEvent.required = byEvent;
  };
  kindService.addEventListener("change", syncKind);
  kindEvent.addEventListener("change", syncKind);
  // The same questions as the kiosk, each answered はい or いいえ: ask the citizen every one
  // (an unanswered question would silently drop a counter from the route).
  lifeEvent.addEventListener("change", () => {
    const chosen = state.menu.life_events.find((item) => item.id === lifeEvent.value);
    questions.replaceChildren(questions.firstChild);
    questions.hidden = !chosen || chosen.questions.length === 0;
    for (const [index, question] of (chosen?.questions || []).entries()) {
      const name = `question-${question.id}`;
      const choice = (value, ja, en) =>
        h(
          "label",
          { class: `inline answer ${value}`, for: `${name}-${value}` },
          h("input", { type: "radio", name, id: `${name}-${value}`, value, required: true, "data-question": question.id }),
          ...bi(ja, en),
        );
      questions.append(
        h(
          "div",
          {
            class: "question",
            role: "radiogroup",
            "aria-labelledby": `${name}-text`,
            "data-show-when": (question.show_when || []).join(" "),
          },
          h("p", { class: "question-text", id: `${name}-text` }, `${index + 1}. ${question.text}`),
          h("div", { class: "answers" }, choice("yes", "はい", "Yes"), choice("no", "いいえ", "No")),
        ),
      );
    }
  });
  // As at the kiosk, a question asked only after earlier "yes" answers (75歳以上 after 65歳以上)
  // is hidden, and needs no answer, once one of them is "no".
  questions.addEventListener("change", () => {
    const answered = (id) => questions.querySelector(`input[data-question="${id}"]:checked`)?.value;
    for (const row of questions.querySelectorAll(".question[data-show-when]")) {
      const conditions = row.dataset.showWhen.split(" ").filter(Boolean);
      const moot = conditions.some((id) => answered(id) === "no");
      row.hidden = moot;
      for (const input of row.querySelectorAll("input")) {
        input.disabled = moot;
        if (moot) input.checked = false;
      }
    }
  });
  needsPriority.addEventListener("change", () => {
    category.disabled = !needsPriority.checked;
    category.required = needsPriority.checked;
    if (!needsPriority.checked) category.value = "";
  });
  syncKind();

  const submit = h("button", { type: "submit", class: "primary", id: "issue-submit" }, ...bi("発券する", "Issue ticket"));
  const form = h(
    "form",
    { class: "card issue-form", "aria-labelledby": "issue-title" },
    h("h2", { id: "issue-title" }, ...bi("代理発券", "Issue a ticket for a citizen")),
    h(
      "fieldset",
      {},
      h("legend", {}, ...bi("種類", "Kind")),
      h(
        "div",
        { class: "kind" },
        h("label", { class: "inline", for: "kind-service" }, kindService, ...bi("手続き", "Procedure")),
        h("label", { class: "inline", for: "kind-life-event" }, kindEvent, ...bi("ライフイベント", "Life event")),
      ),
    ),
    serviceBlock,
    eventBlock,
    h("label", { for: "issue-language" }, ...bi("ご案内の言語", "Language")),
    language,
    h(
      "fieldset",
      {},
      h("legend", {}, ...bi("合理的配慮", "Reasonable accommodation")),
      h("label", { class: "inline", for: "issue-needs-priority" }, needsPriority, ...bi("優先案内の申出あり", "Priority requested")),
      h("label", { for: "issue-priority" }, ...bi("区分", "Category")),
      category,
    ),
    submit,
  );
  let pending = null; // {key, request}: the Idempotency-Key of the request not yet answered
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    const body = { language: language.value };
    if (kindEvent.checked) {
      body.life_event = lifeEvent.value;
      body.answers = Object.fromEntries(
        [...questions.querySelectorAll("input[data-question]:checked")].map((box) => [box.dataset.question, box.value === "yes"]),
      );
    } else {
      body.service = service.value;
    }
    if (needsPriority.checked) body.priority = category.value;
    // The same request sent again after an error (say, the network dropped the answer) keeps
    // its Idempotency-Key, so the server hands back the ticket it may already have issued.
    const request = JSON.stringify(body);
    if (!pending || pending.request !== request) pending = { key: requestKey(), request };
    submit.disabled = true;
    try {
      const ticket = await api(`/branches/${state.branch}/tickets`, {
        method: "POST",
        body,
        headers: { "Idempotency-Key": pending.key },
      });
      pending = null;
      showIssued(ticket);
      announce(`${ticket.number} を発券しました / Issued`, "success");
      form.reset();
      category.disabled = true;
      questions.replaceChildren(questions.firstChild);
      questions.hidden = true;
      syncKind();
    } catch (error) {
      announce(explain(error), "error");
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

/** 「1〜5番窓口: 転入届・印鑑登録」: the route as on the slip, the kiosk and the status page. */
function visitItems(ticket) {
  return (ticket.visits || []).map((visit) => {
    const [windowsJa, windowsEn] = windowsText(visit.counters);
    const [ja, en] =
      visit.kind === "back_office"
        ? ["書類の準備", "Preparing the documents"]
        : [`${windowsJa}: ${visit.labels.join("・")}`, `${windowsEn}: ${visit.labels_en.join(", ")}`];
    return h("li", { "data-status": visit.status, class: visit.kind === "back_office" ? "back-office" : "window" }, ja, " ", h("span", { class: "en" }, en));
  });
}

function showIssued(ticket) {
  const category = state.categories.find((item) => item.id === ticket.priority);
  const link = new URL(ticket.status_url, location.href);
  const printStatus = h("p", { class: "print-status", id: "print-status", role: "status" });
  const kiosks = state.kiosks;
  const kioskSelect = h(
    "select",
    { id: "print-kiosk", "aria-label": "印刷する発券機 Kiosk to print at" },
    kiosks.map((kiosk) => h("option", { value: kiosk.id }, `${kiosk.name}${kiosk.level === "fault" ? "(プリンター異常)" : ""}`)),
  );
  const printButton = h(
    "button",
    { type: "button", id: "print-at-kiosk", disabled: kiosks.length === 0, onclick: () => printAtKiosk(ticket, Number(kioskSelect.value), printButton, printStatus) },
    ...bi("発券機で印刷", "Print at kiosk"),
  );
  const showButton = h(
    "button",
    { type: "button", class: "primary", id: "show-qr", onclick: () => showLarge(ticket) },
    ...bi("番号とQRを大きく表示", "Show number and QR large"),
  );
  ui.issued.hidden = false;
  ui.issued.replaceChildren(
    h("h2", {}, ...bi("発券しました", "Issued")),
    h("div", { class: "number", id: "issued-number" }, ticket.number),
    h(
      "div",
      { class: "facts" },
      category ? h("span", { class: "badge priority", id: "issued-priority" }, `優先: ${category.name}`) : null,
      ticket.position !== null ? h("span", {}, ...bi(`前に ${ticket.position} 人`, `${ticket.position} ahead`)) : null,
      ticket.estimated_wait_minutes !== null
        ? h("span", {}, ...bi(`目安 ${ticket.estimated_wait_minutes} 分`, `about ${ticket.estimated_wait_minutes} min`))
        : null,
    ),
    h("ol", { class: "visits", id: "issued-visits", "aria-label": "手続きの順番 Route" }, visitItems(ticket)),
    h("div", { class: "handover" }, showButton, h("span", { class: "print-at" }, kioskSelect, printButton)),
    printStatus,
    h(
      "p",
      {},
      ...bi("お客様のスマートフォンで状況を確認できます:", "Status page for the citizen's phone:"),
      " ",
      // Only our own status page: never follow a link the API did not build for this server.
      link.origin === location.origin ? h("a", { href: link.href, target: "_blank", rel: "noopener noreferrer" }, link.pathname) : null,
    ),
  );
}

// --- handing the number over ---------------------------------------------------------------

/** The number and the status QR full screen, for the citizen to scan from the tablet. */
function showLarge(ticket) {
  const close = h("button", { type: "button", class: "primary", id: "close-qr" }, ...bi("閉じる", "Close"));
  const overlay = h(
    "div",
    { class: "qr-overlay", id: "qr-overlay", role: "dialog", "aria-modal": "true", "aria-labelledby": "qr-number" },
    h("p", { class: "qr-caption" }, "あなたの番号", " ", h("span", { class: "en" }, "Your number")),
    h("p", { class: "qr-number", id: "qr-number" }, ticket.number),
    h("img", { class: "qr-code", id: "qr-code", alt: "呼び出し状況のQRコード Status QR code", src: `/api/v1/tickets/${encodeURIComponent(ticket.status_token)}/qr.svg` }),
    h("p", { class: "qr-caption" }, "スマートフォンで読み取ると、呼び出し状況を確認できます", h("br"), h("span", { class: "en" }, "Scan with your phone to follow your place in the queue")),
    close,
  );
  // The QR is as good as the ticket: it leaves the screen by itself, like the kiosk's.
  const timer = window.setTimeout(() => overlay.remove(), 60_000);
  close.addEventListener("click", () => {
    window.clearTimeout(timer);
    overlay.remove();
  });
  document.body.append(overlay);
  close.focus();
}

const PRINT_STATE = {
  pending: ["発券機に送っています…", "Sending to the kiosk…"],
  sent: ["印刷しています…", "Printing…"],
  printed: ["印刷しました。発券機から番号札をお取りください。", "Printed: take the slip from the kiosk."],
  failed: ["印刷できませんでした", "Could not print"],
  expired: ["発券機が応答しません。別の発券機を選ぶか、番号を大きく表示してください。", "The kiosk did not answer: choose another or show the number large."],
};

async function printAtKiosk(ticket, kioskId, button, status) {
  button.disabled = true;
  const say = (key, extra = "") => {
    const [ja, en] = PRINT_STATE[key];
    status.dataset.state = key;
    status.replaceChildren(ja + extra, " ", h("span", { class: "en" }, en));
  };
  try {
    let request = await api(`/devices/${kioskId}/print`, { method: "POST", body: { status_token: ticket.status_token } });
    say(request.state);
    const deadline = Date.now() + 30_000;
    while (["pending", "sent"].includes(request.state) && Date.now() < deadline) {
      await new Promise((resolve) => window.setTimeout(resolve, 700));
      request = await api(`/devices/${kioskId}/print/${request.id}`);
      say(request.state);
    }
    if (request.state === "failed") {
      const reason = PRINTER[request.error] ? `(${PRINTER[request.error]})` : "";
      say("failed", `${reason}。発券機の係員画面から再印刷できます。`);
    } else if (["pending", "sent"].includes(request.state)) {
      say("expired");
    }
  } catch (error) {
    status.dataset.state = "error";
    status.textContent = explain(error);
  } finally {
    button.disabled = false;
  }
}

// --- start ---------------------------------------------------------------------------------

async function main() {
  state.session = await ensureSignedIn(app, { title: "コンシェルジュ端末にサインイン", titleEn: "Sign in to the concierge tablet" });
  state.branch = await resolveBranch(state.session);
  bindHeader(state.session, state.branch);
  const [menu, services, categories, devices] = await Promise.all([
    api(`/branches/${state.branch}/menu?lang=ja`),
    api(`/branches/${state.branch}/services`),
    api(`/branches/${state.branch}/priority-categories`),
    api(`/branches/${state.branch}/devices`),
  ]);
  state.kiosks = devices.filter((device) => device.kind === "kiosk");
  state.menu = menu;
  state.names = new Map(services.map((service) => [service.id, service.name]));
  // Staff may issue what a citizen can be called for at a window, including non-kiosk ones (予約, お渡し).
  state.services = services.filter((service) => service.citizen_present && service.stage === "front");
  state.categories = categories;
  Object.assign(visitDesk, {
    session: state.session,
    branch: state.branch,
    services: new Map(services.map((service) => [service.id, service])),
  });

  ui.alerts = h("section", { class: "alerts", id: "alerts", "aria-label": "発券機からの呼出 Kiosk help calls", "aria-live": "assertive" });
  ui.issued = h("section", { class: "card issued", id: "issued", hidden: true, "aria-live": "polite" });
  ui.queues = h("tbody");
  const queues = h(
    "section",
    { class: "card queues", "aria-labelledby": "queues-title" },
    h("h2", { id: "queues-title" }, ...bi("待ち状況", "Queues")),
    h(
      "table",
      { id: "queues-table" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", {}, ...bi("手続き", "Procedure")),
          h("th", {}, ...bi("表示区分", "Public label")),
          h("th", { class: "num" }, ...bi("待ち", "Waiting")),
          h("th", { class: "num" }, ...bi("目安", "Est. wait")),
        ),
      ),
      ui.queues,
    ),
  );
  app.replaceChildren(
    ui.alerts,
    h(
      "div",
      { class: "grid-2" },
      h("div", { class: "stack" }, buildIssueForm(), ui.issued),
      h(
        "div",
        { class: "stack" },
        h("div", { class: "card lookup-card" }, lookupForm()),
        // A citizen with a booking who cannot use the kiosk: check them in by the code.
        h("div", { class: "card" }, checkInForm(state.branch, (ticket) => showIssued(ticket))),
        queues,
      ),
    ),
  );
  await refreshQueues();
  connectBranchStream(state.branch, {
    onSnapshot: refreshQueuesSoon,
    onResync: refreshQueuesSoon,
    onEvent,
    onMessage: (message) => {
      if (message.type === "waiting") refreshQueuesSoon();
    },
    onStatus: showConnection,
  });
}

main().catch((error) => announce(explain(error), "error"));
