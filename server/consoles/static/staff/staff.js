// Staff console (/staff): choose a counter, open it, call / recall / start / complete / no-show /
// transfer, see the waiting list live. An internal desk (public = false) becomes the back-office
// desk: take the next work item, complete it, or return it (差戻し) with a contract reason code.
// Hand-offs always go to a queue through the system, never to a named person.

import { api, recall, remember, resolveBranch } from "../common/api.js";
import { coalesce, connectBranchStream } from "../common/live.js";
import {
  STOP_STATUS,
  announce,
  bi,
  bindHeader,
  ensureSignedIn,
  explain,
  h,
  minutesSince,
  routeList,
  showConnection,
} from "../common/ui.js";

const app = document.getElementById("app");
const STAGES = {
  front: ["受付・お渡し", "Front"],
  middle: ["審査・決定(職員)", "Review (municipal staff)"],
  back: ["入力・作成", "Back office"],
};

const state = {
  session: null,
  branch: null,
  services: new Map(), // key → service
  reasons: [], // [{id, name, name_en}]
  counterId: null,
  desk: null, // GET /counters/{id}
  waiting: [],
  outcome: null, // what the last action did to the last ticket
  busy: false,
  view: null, // "chooser" | "desk"
};
const ui = {}; // elements of the desk view, built once per counter

function serviceName(key) {
  return state.services.get(key)?.name || key;
}

function reasonName(id) {
  const reason = state.reasons.find((item) => item.id === id);
  return reason ? `${reason.name} / ${reason.name_en}` : id;
}

function mayHandle(service) {
  return !(service?.staff_only && state.session.role === "contractor");
}

// --- counter chooser ---------------------------------------------------------------------

async function showChooser() {
  state.view = "chooser";
  state.counterId = null;
  remember("counter", null);
  document.getElementById("counter-title").replaceChildren();
  const counters = await api(`/branches/${state.branch}/counters`);
  if (state.view !== "chooser") return;
  const card = (counter) => {
    const services = counter.services.map((key) => state.services.get(key)).filter(Boolean);
    // A contractor never opens a desk that only does municipal decisions (公権力の行使).
    const reserved = services.length > 0 && services.every((service) => !mayHandle(service));
    const stateBadge = h(
      "span",
      { class: `badge state-${counter.state}` },
      counter.state === "open" ? "開 Open" : "閉 Closed",
    );
    return h(
      "button",
      {
        type: "button",
        class: "counter-card",
        "data-counter": counter.name,
        "aria-disabled": reserved ? "true" : null,
        onclick: reserved ? null : () => enterCounter(counter.id),
      },
      h("span", { class: "code" }, counter.name),
      h("span", {}, counter.label, " ", h("span", { class: "en" }, counter.label_en)),
      h("span", {}, stateBadge, counter.current_ticket ? ` ${counter.current_ticket}` : ""),
      reserved ? h("span", { class: "note" }, ...bi("職員専用の窓口です", "Municipal staff only")) : null,
    );
  };
  const windows = counters.filter((counter) => counter.public);
  const desks = counters.filter((counter) => !counter.public);
  app.replaceChildren(
    h(
      "section",
      { class: "chooser", "aria-labelledby": "chooser-title" },
      h("h2", { id: "chooser-title" }, ...bi("窓口を選んでください", "Choose your counter")),
      h("h3", {}, ...bi("窓口", "Public counters")),
      h("div", { class: "counter-grid" }, windows.map(card)),
      h("h3", {}, ...bi("内部デスク(バックオフィス)", "Internal desks (back office)")),
      h("div", { class: "counter-grid" }, desks.map(card)),
    ),
  );
}

// --- desk view ----------------------------------------------------------------------------

async function enterCounter(counterId) {
  state.view = "desk";
  state.counterId = counterId;
  state.outcome = null;
  remember("counter", counterId);
  try {
    state.desk = await api(`/counters/${counterId}`);
  } catch (error) {
    announce(explain(error), "error");
    await showChooser();
    return;
  }
  buildDesk();
  renderDesk();
  await refreshWaiting();
}

function actionButton(action, ja, en, { key, className = "", handler } = {}) {
  return h(
    "button",
    {
      type: "button",
      class: className,
      "data-action": action,
      "aria-keyshortcuts": key || null,
      onclick: handler || (() => act(action)),
    },
    h("span", { lang: "ja" }, ja),
    h("span", { lang: "en", class: "en" }, en),
    key ? h("kbd", {}, key) : null,
  );
}

function buildDesk() {
  const desk = state.desk;
  const internal = !desk.public;
  document
    .getElementById("counter-title")
    .replaceChildren(`${internal ? "" : "窓口 "}${desk.name}・${desk.label}`);
  ui.stateBadge = h("span", { class: "badge" });
  ui.open = h("button", { type: "button", class: "primary", "data-action": "open", onclick: openCounter }, ...bi("開く", "Open"));
  ui.close = h("button", { type: "button", "data-action": "close", onclick: closeCounter }, ...bi("閉じる", "Close"));
  ui.change = h("button", { type: "button", onclick: changeCounter }, ...bi("窓口を変更", "Change counter"));
  ui.notMine = h("p", { class: "card not-mine", hidden: true });
  ui.inHand = h("section", { class: "card in-hand", "aria-labelledby": "in-hand-title", "aria-live": "polite" });
  ui.outcome = h("section", { class: "card outcome", id: "outcome", hidden: true, "aria-live": "polite" });
  if (internal) {
    ui.buttons = {
      call: actionButton("call-next", "取る", "Take next", { key: "N", className: "call" }),
      complete: actionButton("complete", "完了", "Complete"),
      return: actionButton("return", "差戻し", "Return to front", { handler: () => openTransfer("return") }),
      transfer: actionButton("transfer", "転送", "Transfer", { handler: () => openTransfer("transfer") }),
    };
  } else {
    ui.buttons = {
      call: actionButton("call-next", "呼出", "Call next", { key: "N", className: "call" }),
      recall: actionButton("recall", "再呼出", "Recall", { key: "R" }),
      start: actionButton("start", "開始", "Start"),
      complete: actionButton("complete", "完了", "Complete"),
      noShow: actionButton("no-show", "不在", "No-show"),
      transfer: actionButton("transfer", "転送", "Transfer", { handler: () => openTransfer("transfer") }),
      backOffice: actionButton("back-office", "バックオフィスへ送る", "Send to back office", {
        handler: () => openTransfer("back-office"),
      }),
    };
  }
  ui.waitingBody = h("tbody");
  ui.waitingCount = h("span", { class: "count" });
  const headers = internal
    ? [["番号", "No."], ["作業", "Work"], ["待ち", "Waited"], ["備考", "Note"]]
    : [["番号", "No."], ["区分", "Label"], ["待ち", "Waited"], ["備考", "Note"]];
  const waiting = h(
    "section",
    { class: "card waiting-list", "aria-labelledby": "waiting-title" },
    h(
      "h2",
      { id: "waiting-title" },
      ...(internal ? bi("作業待ち", "Work items waiting") : bi("お待ちの方(呼出順)", "Waiting, in call order")),
      " ",
      ui.waitingCount,
    ),
    h(
      "table",
      { id: "waiting-table" },
      h("thead", {}, h("tr", {}, h("th", { class: "num" }, "#"), headers.map(([ja, en]) => h("th", {}, ja, " ", h("span", { class: "en" }, en))))),
      ui.waitingBody,
    ),
  );
  const keys = internal
    ? h("p", { class: "keys" }, "キー操作 Keys: N / Space = 取る Take next")
    : h("p", { class: "keys" }, "キー操作 Keys: N / Space = 呼出 Call next・R = 再呼出 Recall");
  ui.dialog = h("dialog", { id: "transfer-dialog", "aria-labelledby": "transfer-title" });
  app.replaceChildren(
    h(
      "div",
      { class: "desk", "data-internal": internal ? "true" : "false" },
      h(
        "div",
        { class: "desk-bar" },
        h("span", { class: "name" }, desk.name, " ", desk.label, " ", h("span", { class: "en" }, desk.label_en)),
        ui.stateBadge,
        h("span", { class: "spacer" }),
        ui.open,
        ui.close,
        ui.change,
      ),
      ui.notMine,
      h(
        "div",
        { class: "grid-2" },
        h("div", {}, ui.inHand, h("div", { class: "actions-grid", role: "group", "aria-label": "操作 Actions" }, Object.values(ui.buttons)), keys, ui.outcome),
        waiting,
      ),
      ui.dialog,
    ),
  );
}

function renderDesk() {
  const desk = state.desk;
  if (!desk || state.view !== "desk") return;
  const open = desk.state === "open";
  const mine = desk.mine || (open && state.session.role === "admin");
  ui.stateBadge.className = `badge state-${desk.state}`;
  ui.stateBadge.replaceChildren(open ? (desk.mine ? "開 Open(あなた / you)" : "開 Open") : "閉 Closed");
  ui.open.hidden = open && desk.mine;
  ui.open.disabled = state.busy || (open && !desk.mine);
  ui.close.hidden = !(open && desk.mine);
  ui.close.disabled = state.busy || Boolean(desk.ticket);
  ui.notMine.hidden = !(open && !desk.mine);
  ui.notMine.replaceChildren(...bi("この窓口は他の職員が使用中です。", "This counter is open by another staff member."));
  renderInHand();
  const ticket = desk.ticket;
  const stop = ticket ? ticket.stops[ticket.current_stop] : null;
  const called = stop?.status === "called";
  const enable = {
    call: mine && !ticket,
    recall: mine && called,
    start: mine && called,
    complete: mine && Boolean(ticket),
    noShow: mine && called,
    transfer: mine && Boolean(ticket),
    backOffice: mine && Boolean(ticket),
    return: mine && Boolean(ticket),
  };
  for (const [name, button] of Object.entries(ui.buttons)) {
    button.disabled = state.busy || !enable[name];
  }
  renderOutcome();
}

function renderInHand() {
  const ticket = state.desk.ticket;
  const internal = !state.desk.public;
  if (!ticket) {
    ui.inHand.replaceChildren(
      h("h2", { id: "in-hand-title" }, ...(internal ? bi("作業中の項目", "Item in hand") : bi("対応中の番号", "Ticket in hand"))),
      h("p", { class: "empty" }, ...(internal ? bi("ありません。「取る」で次の作業を取ります。", "None. Press Take next.") : bi("ありません。「呼出」で次の方をお呼びします。", "None. Press Call next."))),
    );
    return;
  }
  const stop = ticket.stops[ticket.current_stop];
  const [ja, en] = STOP_STATUS[stop.status] || [stop.status, stop.status];
  ui.inHand.replaceChildren(
    h("h2", { id: "in-hand-title" }, ...(internal ? bi("作業中の項目", "Item in hand") : bi("対応中の番号", "Ticket in hand"))),
    h("div", { class: "number", id: "current-number" }, ticket.number),
    h(
      "p",
      { class: "status" },
      serviceName(stop.service),
      "・",
      ja,
      " ",
      h("span", { class: "en" }, en),
      ticket.priority ? [" ", h("span", { class: "badge priority" }, "優先 Priority")] : null,
      state.desk.returned_reason
        ? [" ", h("span", { class: "badge returned" }, `差戻し Returned: ${reasonName(state.desk.returned_reason)}`)]
        : null,
    ),
    h("h3", {}, ...bi("経路", "Route")),
    routeList(ticket, (stop) => serviceName(stop.service)),
  );
}

function renderOutcome() {
  const outcome = state.outcome;
  if (!outcome) {
    ui.outcome.hidden = true;
    return;
  }
  const { ticket, action, target, reason } = outcome;
  ui.outcome.hidden = false;
  ui.outcome.classList.remove("next-back-office");
  const lines = [];
  const next = ticket.current_stop !== null ? ticket.stops[ticket.current_stop] : null;
  if (action === "no-show") {
    lines.push(h("p", { class: "next" }, ...bi("不在として処理しました。", "Marked as no-show.")));
  } else if (ticket.status === "done" || !next) {
    lines.push(h("p", { class: "next", id: "next-stop" }, ...bi("すべての手続きが完了しました。", "All procedures are done.")));
  } else if (next.citizen_present) {
    lines.push(
      h(
        "p",
        { class: "next", id: "next-stop", "data-next-counters": next.counter || "" },
        "次は ",
        h("span", { class: "label" }, next.label),
        next.counter ? [" ・ 窓口 ", h("span", { class: "counters" }, next.counter)] : null,
        // At a window the citizen is right there to be told; otherwise the display calls them.
        state.desk.public && action === "complete" ? " へご案内ください" : "(表示板でお呼びします)",
        h("br"),
        h("span", { class: "en" }, `Next: ${next.label_en}${next.counter ? `, counter ${next.counter}` : ""}`),
      ),
    );
  } else {
    ui.outcome.classList.add("next-back-office");
    lines.push(
      h(
        "p",
        { class: "next", id: "next-stop", "data-next-counters": "" },
        ...bi(
          `次はバックオフィスで処理(${serviceName(next.service)})。お客様には番号札をお持ちのうえお待ちいただきます。`,
          "Back-office work next; the citizen waits and will be called again.",
        ),
      ),
    );
  }
  const verbs = {
    complete: ["完了", "Completed"],
    "no-show": ["不在", "No-show"],
    transfer: ["転送", "Transferred"],
    "back-office": ["バックオフィスへ送付", "Sent to back office"],
    return: ["差戻し", "Returned"],
  };
  const [ja, en] = verbs[action] || [action, action];
  ui.outcome.replaceChildren(
    h(
      "h2",
      {},
      h("span", { class: "ticket-number", id: "outcome-number" }, ticket.number),
      ` ${ja}`,
      " ",
      h("span", { class: "en" }, en),
      target ? ` → ${serviceName(target)}` : "",
      reason ? `(${reasonName(reason)})` : "",
    ),
    ...lines,
    routeList(ticket, (stop) => serviceName(stop.service)),
  );
}

function renderWaiting() {
  if (!ui.waitingBody) return;
  const internal = !state.desk.public;
  ui.waitingCount.textContent = `(${state.waiting.length})`;
  if (state.waiting.length === 0) {
    ui.waitingBody.replaceChildren(
      h("tr", {}, h("td", { colspan: 5, class: "empty" }, ...bi("お待ちの方はいません", "No one is waiting"))),
    );
    return;
  }
  ui.waitingBody.replaceChildren(
    ...state.waiting.map((item, index) =>
      h(
        "tr",
        { class: item.priority ? "priority" : "", "data-number": item.number },
        h("td", { class: "num" }, index + 1),
        h("td", { class: "ticket-number" }, item.number),
        h("td", {}, internal ? serviceName(item.service) : item.label, " ", h("span", { class: "en" }, internal ? "" : item.label_en)),
        h("td", { class: "num waited", "data-since": item.waiting_since }, `${minutesSince(item.waiting_since)}分`),
        h(
          "td",
          {},
          item.priority ? h("span", { class: "badge priority", title: "優先 Priority" }, "優先") : null,
          item.returned_reason ? [" ", h("span", { class: "badge returned" }, `差戻し: ${reasonName(item.returned_reason)}`)] : null,
        ),
      ),
    ),
  );
}

// --- data -----------------------------------------------------------------------------

let waitingRequest = 0;
async function refreshWaiting() {
  if (state.view !== "desk") return;
  const mine = ++waitingRequest;
  try {
    const items = await api(`/counters/${state.counterId}/waiting`);
    if (mine !== waitingRequest) return; // a newer refresh has started; its answer wins
    state.waiting = items;
    renderWaiting();
  } catch (error) {
    announce(explain(error), "error");
  }
}

let deskRequest = 0;
async function refreshDesk() {
  if (state.view !== "desk") return;
  const mine = ++deskRequest;
  try {
    const desk = await api(`/counters/${state.counterId}`);
    if (mine !== deskRequest) return;
    state.desk = desk;
    renderDesk();
  } catch (error) {
    announce(explain(error), "error");
  }
}

const refreshSoon = coalesce(() => {
  if (state.view === "desk") {
    refreshWaiting();
    refreshDesk();
  } else if (state.view === "chooser") {
    showChooser().catch((error) => announce(explain(error), "error"));
  }
});

function onEvent(message) {
  if (message.type?.startsWith("ticket.") || message.type?.startsWith("counter.")) refreshSoon();
}

// --- actions --------------------------------------------------------------------------

async function withBusy(work) {
  if (state.busy) return;
  state.busy = true;
  renderDesk();
  try {
    await work();
  } catch (error) {
    announce(explain(error), "error");
  } finally {
    state.busy = false;
    await refreshDesk();
    await refreshWaiting();
  }
}

async function openCounter() {
  await withBusy(async () => {
    await api(`/counters/${state.counterId}/open`, { method: "POST" });
    announce(`${state.desk.name} を開きました / Opened`, "success");
  });
}

async function closeCounter() {
  await withBusy(async () => {
    await api(`/counters/${state.counterId}/close`, { method: "POST" });
    announce(`${state.desk.name} を閉じました / Closed`, "success");
  });
}

async function changeCounter() {
  if (state.desk?.mine && state.desk.state === "open" && !confirm("窓口を開いたまま移動しますか? Leave this counter open?")) return;
  await showChooser();
}

async function act(action, body) {
  await withBusy(async () => {
    const path = action === "back-office" || action === "return" ? "transfer" : action;
    const result = await api(`/counters/${state.counterId}/${path}`, { method: "POST", body });
    if (action === "call-next") {
      if (result === null) {
        announce("お待ちの方はいません / No one is waiting that you may take");
      } else {
        state.outcome = null; // the previous ticket's hand-off is done with
        announce(`${result.ticket.number} をお呼びしました / Called`, "success");
      }
      return;
    }
    if (["complete", "no-show", "transfer", "back-office", "return"].includes(action)) {
      state.outcome = { action, ticket: result.ticket, target: body?.service, reason: body?.reason };
    }
  });
}

// Transfer, send to back office, or return (差戻し) with a reason code: one dialog, three filters.
function openTransfer(mode) {
  const ticket = state.desk?.ticket;
  if (!ticket) return;
  const current = ticket.stops[ticket.current_stop]?.service;
  const later = new Set(ticket.stops.filter((stop) => stop.status === "pending").map((stop) => stop.service));
  const candidates = [...state.services.values()].filter((service) => {
    if (service.id === current || later.has(service.id)) return false;
    if (mode === "back-office") return !service.citizen_present;
    if (mode === "return") return service.stage === "front" && service.citizen_present;
    return true;
  });
  // A return goes back to the front service that took the ticket in, unless staff choose another.
  const original = [...ticket.stops.slice(0, ticket.current_stop)]
    .reverse()
    .find((stop) => stop.status === "done" && state.services.get(stop.service)?.stage === "front");
  const select = h("select", { id: "transfer-service", name: "service", required: true });
  select.append(h("option", { value: "" }, "選んでください / Choose"));
  for (const [stage, [ja, en]] of Object.entries(STAGES)) {
    const options = candidates.filter((service) => service.stage === stage);
    if (!options.length) continue;
    select.append(
      h(
        "optgroup",
        { label: `${ja} / ${en}` },
        options.map((service) =>
          h(
            "option",
            { value: service.id, selected: original && service.id === original.service ? true : null },
            `${service.name}${service.citizen_present ? "" : "(バックオフィス)"}`,
          ),
        ),
      ),
    );
  }
  const reasonSelect =
    mode === "return"
      ? h(
          "select",
          { id: "return-reason", name: "reason", required: true },
          h("option", { value: "" }, "選んでください / Choose"),
          state.reasons.map((reason) => h("option", { value: reason.id }, `${reason.name} / ${reason.name_en}`)),
        )
      : null;
  const titles = {
    transfer: ["転送", "Transfer to another service"],
    "back-office": ["バックオフィスへ送る", "Send to back office"],
    return: ["差戻し(受付チームへ)", "Return to the front team"],
  };
  const notes = {
    transfer: ["担当者ではなく、手続きのキューへ送ります。", "Work goes to a queue, never to a named person."],
    "back-office": ["お客様はお待ちいただき、完了後に改めてお呼びします。", "The citizen waits and is called again afterwards."],
    return: [
      "受託者チームのキューへ理由コード付きで戻します。修正後、この作業に戻ってきます。",
      "Goes to the contractor team's queue with a reason code; it comes back here once fixed.",
    ],
  };
  const [ja, en] = titles[mode];
  const form = h(
    "form",
    { method: "dialog" },
    h("h2", { id: "transfer-title" }, ticket.number, " ", ja, " ", h("span", { class: "en" }, en)),
    h("p", {}, ...bi(...notes[mode])),
    reasonSelect ? [h("label", { for: "return-reason" }, ...bi("理由", "Reason")), reasonSelect] : null,
    h("label", { for: "transfer-service" }, ...bi(mode === "return" ? "戻し先" : "送り先", mode === "return" ? "Return to" : "Send to")),
    select,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", onclick: () => ui.dialog.close() }, ...bi("やめる", "Cancel")),
      h("button", { type: "submit", class: "primary", id: "transfer-confirm" }, ...bi(ja, en)),
    ),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    ui.dialog.close();
    const body = { service: select.value };
    if (reasonSelect) body.reason = reasonSelect.value;
    act(mode, body);
  });
  ui.dialog.replaceChildren(form);
  ui.dialog.showModal();
  (reasonSelect || select).focus();
}

// --- keyboard ---------------------------------------------------------------------------

function onKey(event) {
  if (state.view !== "desk" || event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
  if (ui.dialog?.open) return;
  const target = event.target;
  const typing = target.closest?.("input, select, textarea, [contenteditable]");
  if (typing) return;
  const key = event.key.toLowerCase();
  // Space on a focused button presses that button, as everywhere else.
  if (key === " " && target.closest?.("button, a, summary")) return;
  const press = (button) => {
    event.preventDefault();
    if (button && !button.disabled) button.click();
  };
  if (key === "n" || key === " ") press(ui.buttons.call);
  else if (key === "r" && ui.buttons.recall) press(ui.buttons.recall);
}

// --- start ------------------------------------------------------------------------------

async function main() {
  state.session = await ensureSignedIn(app, { title: "窓口コンソールにサインイン", titleEn: "Sign in to the staff console" });
  state.branch = await resolveBranch(state.session);
  bindHeader(state.session, state.branch);
  const [services, reasons] = await Promise.all([
    api(`/branches/${state.branch}/services`),
    api(`/branches/${state.branch}/reason-codes`),
  ]);
  state.services = new Map(services.map((service) => [service.id, service]));
  state.reasons = reasons;
  document.addEventListener("keydown", onKey);
  // Minutes waited tick locally; only events make the page ask the server again.
  setInterval(() => {
    for (const cell of document.querySelectorAll("td.waited[data-since]")) {
      cell.textContent = `${minutesSince(cell.dataset.since)}分`;
    }
  }, 30000);
  connectBranchStream(state.branch, {
    onSnapshot: refreshSoon,
    onResync: refreshSoon,
    onEvent,
    onStatus: showConnection,
  });
  const remembered = recall("counter");
  if (remembered) await enterCounter(remembered);
  else await showChooser();
}

main().catch((error) => {
  announce(explain(error), "error");
});
