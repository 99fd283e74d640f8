// The counter in use: a public window (call / recall / start / complete / no-show / transfer) or
// an internal desk (take / complete / return 差戻し / transfer). The ticket in hand shows its
// visits; when the same window goes straight on with the next procedure, it says so.
// Hand-offs always go to a queue through the system, never to a named person.

import { api, remember } from "../common/api.js";
import { announce, bi, explain, h, minutesSince } from "../common/ui.js";
import { showChooser } from "./chooser.js";
import { lookupForm, openTicket, reinstate } from "./lookup.js";
import { confirmNoShow, offerUndo } from "./no_show.js";
import { STAGES, fill, reasonName, serviceName, serviceNameEn, state } from "./state.js";
import { continuedFrom, currentStop, isBackOffice, stopStatusText, visitList, windowsText } from "./visits.js";

const ui = {}; // elements of the desk view, built once per counter

function app() {
  return document.getElementById("app");
}

export async function enterCounter(counterId) {
  state.view = "desk";
  state.counterId = counterId;
  state.outcome = null;
  state.recallLimit = null;
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
  // Below the buttons: the clerk acts first, reads the whole route when needed.
  ui.route = h("section", { class: "card hand-route", hidden: true, "aria-labelledby": "hand-route-title" });
  const editRoute = actionButton("edit-route", "経路を変更", "Change route", {
    handler: () => state.desk?.ticket && openTicket(state.desk.ticket.number).catch((error) => announce(explain(error), "error")),
  });
  if (internal) {
    ui.primary = {
      call: actionButton("call-next", "取る", "Take next", { key: "N", className: "call" }),
      complete: actionButton("complete", "完了", "Complete", { className: "complete" }),
    };
    ui.secondary = {
      return: actionButton("return", "差戻し", "Return to front", { handler: () => openTransfer("return") }),
      transfer: actionButton("transfer", "転送", "Transfer", { handler: () => openTransfer("transfer") }),
      editRoute,
    };
    ui.absent = {};
  } else {
    ui.primary = {
      call: actionButton("call-next", "呼出", "Call next", { key: "N", className: "call" }),
      start: actionButton("start", "開始", "Start"),
      complete: actionButton("complete", "完了", "Complete", { className: "complete" }),
    };
    ui.secondary = {
      transfer: actionButton("transfer", "転送", "Transfer", { handler: () => openTransfer("transfer") }),
      backOffice: actionButton("back-office", "バックオフィスへ送る", "Send to back office", {
        handler: () => openTransfer("back-office"),
      }),
      editRoute,
    };
    // Apart from 完了, in their own box: the two things to do when nobody comes to the window.
    ui.absent = {
      recall: actionButton("recall", "再呼出", "Recall", { key: "R" }),
      noShow: actionButton("no-show", "不在…", "No-show…", { className: "no-show", handler: noShow }),
    };
  }
  ui.buttons = { ...ui.primary, ...ui.secondary, ...ui.absent };
  ui.absentBox = internal
    ? null
    : h(
        "div",
        { class: "absent-box", role: "group", "aria-labelledby": "absent-title" },
        h("p", { id: "absent-title", class: "absent-title" }, ...bi("お呼びしても来られないとき", "If nobody comes")),
        h("div", { class: "absent-buttons" }, Object.values(ui.absent)),
      );
  ui.waitingBody = h("tbody");
  ui.waitingCount = h("span", { class: "count" });
  const headers = internal
    ? [["番号", "No."], ["作業", "Work"], ["待ち", "Waited"], ["備考", "Note"]]
    : [["番号", "No."], ["手続き", "Procedure"], ["待ち", "Waited"], ["備考", "Note"]];
  const waiting = h(
    "section",
    { class: "card waiting-list", "aria-labelledby": "waiting-title" },
    h(
      "h2",
      { id: "waiting-title" },
      ...(internal ? bi("作業待ち", "Work items waiting") : bi("お待ちの方（呼出順）", "Waiting, in call order")),
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
  fill(app(),
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
        h(
          "div",
          {},
          ui.inHand,
          h("div", { class: "actions-grid primary", role: "group", "aria-label": "操作 Actions" }, Object.values(ui.primary)),
          h("div", { class: "actions-grid secondary", role: "group", "aria-label": "ほかの操作 More actions" }, Object.values(ui.secondary)),
          ui.absentBox,
          keys,
          ui.route,
          ui.outcome,
        ),
        h("div", { class: "side" }, h("div", { class: "card lookup-card" }, lookupForm()), waiting),
      ),
      ui.dialog,
    ),
  );
}

export function renderDesk() {
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
  const ticket = desk.ticket;
  if (state.recallLimit && state.recallLimit.number !== ticket?.number) state.recallLimit = null;
  renderInHand();
  const stop = currentStop(ticket);
  const called = stop?.status === "called";
  const enable = {
    call: mine && !ticket,
    recall: mine && called && !state.recallLimit,
    start: mine && called,
    complete: mine && Boolean(ticket),
    noShow: mine && called,
    transfer: mine && Boolean(ticket),
    backOffice: mine && Boolean(ticket) && !isBackOffice(stop),
    return: mine && Boolean(ticket),
    editRoute: Boolean(ticket),
  };
  for (const [name, button] of Object.entries(ui.buttons)) {
    button.disabled = state.busy || !enable[name];
  }
  // Only while a call waits for the citizen: once they sit down (or for back-office work, which
  // nobody is called for) there is no one to call again or miss, and the route moves up into view.
  if (ui.absentBox) ui.absentBox.hidden = !called || isBackOffice(stop);
  if (ui.primary.start) ui.primary.start.hidden = isBackOffice(stop);
  renderOutcome();
}

function inHandTitle() {
  return !state.desk.public ? bi("作業中の項目", "Item in hand") : bi("対応中の番号", "Ticket in hand");
}

function renderInHand() {
  const ticket = state.desk.ticket;
  const internal = !state.desk.public;
  ui.route.hidden = !ticket;
  if (!ticket) {
    fill(ui.inHand,
      h("h2", { id: "in-hand-title" }, ...inHandTitle()),
      h("p", { class: "empty" }, ...(internal ? bi("ありません。「取る」で次の作業を取ります。", "None. Press Take next.") : bi("ありません。「呼出」で次の方をお呼びします。", "None. Press Call next."))),
    );
    return;
  }
  const stop = currentStop(ticket);
  const [ja, en] = stopStatusText(stop);
  const taken = isBackOffice(stop);
  const before = continuedFrom(ticket);
  ui.inHand.dataset.kind = taken ? "taken" : "window";
  fill(ui.inHand,
    h("h2", { id: "in-hand-title" }, ...inHandTitle()),
    h(
      "div",
      { class: "hand-head" },
      h("div", { class: "number", id: "current-number" }, ticket.number),
      h(
        "p",
        { class: "status", id: "current-status", "data-status": stop.status, "data-kind": taken ? "taken" : "window" },
        h("span", { class: "procedure-now" }, serviceName(stop.service)),
        h("span", { class: `badge status-badge ${taken ? "taken" : stop.status}` }, ja, " ", h("span", { class: "en" }, en)),
        ticket.priority ? h("span", { class: "badge priority" }, "優先 Priority") : null,
        state.recalls?.number === ticket.number && state.recalls.count
          ? h("span", { class: "badge recalls", id: "recall-count" }, `再呼出 ${state.recalls.count}回 Recalled ×${state.recalls.count}`)
          : null,
        state.desk.returned_reason
          ? h("span", { class: "badge returned" }, `差戻し Returned: ${reasonName(state.desk.returned_reason)}`)
          : null,
        taken
          ? h("span", { class: "hint" }, ...bi("お客様は呼び出しません（番号札をお持ちでお待ちです）。", "Not called aloud; the citizen keeps waiting."))
          : null,
      ),
    ),
    before
      ? h(
          "div",
          { class: "continued", id: "continued", "data-service": stop.service },
          h("p", { class: "continued-next" }, "続けて: ", h("strong", {}, serviceName(stop.service)), " ", h("span", { class: "en" }, `Continue with: ${serviceNameEn(stop.service)}`)),
          h(
            "p",
            { class: "continued-note" },
            ...bi(
              `${before.map((item) => serviceName(item.service)).join("・")}は完了。同じ方がこの${taken ? "デスク" : "窓口"}でそのまま次の手続きです（呼出は不要）。`,
              `${before.map((item) => serviceNameEn(item.service)).join(", ")} done. Same citizen, next procedure here; no new call.`,
            ),
          ),
        )
      : null,
    state.recallLimit
      ? h(
          "div",
          { class: "recall-limit", id: "recall-limit", role: "alert" },
          h("p", { class: "recall-limit-title" }, ...bi("再呼出の上限に達しました。来られない場合は不在にしてください。", "Recall limit reached. If nobody comes, mark absent.")),
          h("p", { class: "server-says" }, state.recallLimit.message),
          h(
            "button",
            { type: "button", class: "no-show", id: "recall-limit-no-show", onclick: noShow },
            ...bi("不在にする…", "Mark absent…"),
          ),
        )
      : null,
  );
  fill(ui.route, h("h2", { id: "hand-route-title" }, ...bi("この方の経路", "This citizen's route")), visitList(ticket, { id: "hand-route" }));
}

function nextLine(ticket, action) {
  const next = currentStop(ticket);
  if (ticket.status === "done" || !next) {
    return h("p", { class: "next", id: "next-stop" }, ...bi("すべての手続きが完了しました。", "All procedures are done."));
  }
  if (next.citizen_present) {
    const [whereJa, whereEn] = windowsText(next.counter);
    return h(
      "p",
      { class: "next", id: "next-stop", "data-next-counters": next.counter || "" },
      "次は ",
      h("span", { class: "counters" }, whereJa),
      "・",
      h("span", { class: "label" }, serviceName(next.service)),
      // At a window the citizen is right there to be told; otherwise the display calls them.
      state.desk.public && action === "complete" ? " へご案内ください" : "(表示板でお呼びします)",
      h("br"),
      h("span", { class: "en" }, `Next: ${whereEn}, ${serviceNameEn(next.service)}`),
    );
  }
  ui.outcome.classList.add("next-back-office");
  return h(
    "p",
    { class: "next", id: "next-stop", "data-next-counters": "" },
    ...bi(
      `次は書類の準備（${serviceName(next.service)}）。お客様には番号札をお持ちのままお待ちいただき、終わりしだい表示板でお呼びします。`,
      "Documents are prepared next; the citizen waits and is called again when they are ready.",
    ),
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
  ui.outcome.classList.remove("next-back-office", "absent");
  let line;
  if (action === "no-show") {
    ui.outcome.classList.add("absent");
    line = h(
      "p",
      { class: "next" },
      ...bi(
        "不在として保留にしました。残りの手続きはそのままです。戻って来られたら「番号で探す」から呼び戻せます。",
        "Marked absent and put on hold; the rest of the route is kept. Reinstate from “Find by number” if they come back.",
      ),
    );
  } else if (action === "reinstated") {
    line = h("p", { class: "next" }, ...bi("呼び戻しました。元の受付時刻の順番で待ち列に戻りました。", "Reinstated: back in line at their original place."));
  } else {
    line = nextLine(ticket, action);
  }
  const verbs = {
    complete: ["完了", "Completed"],
    "no-show": ["不在", "No-show"],
    reinstated: ["呼び戻し", "Reinstated"],
    transfer: ["転送", "Transferred"],
    "back-office": ["バックオフィスへ送付", "Sent to back office"],
    return: ["差戻し", "Returned"],
  };
  const [ja, en] = verbs[action] || [action, action];
  fill(ui.outcome,
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
    line,
    visitList(ticket, { id: "outcome-route" }),
  );
}

function renderWaiting() {
  if (!ui.waitingBody) return;
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
        // The procedure itself: the lobby's neutral label (届出 for every row at windows 1–5) does
        // not tell staff which forms to have ready.
        h("td", {}, serviceName(item.service), " ", h("span", { class: "en" }, serviceNameEn(item.service))),
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
export async function refreshWaiting() {
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
export async function refreshDesk() {
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
  if (state.desk?.mine && state.desk.state === "open" && !confirm("窓口を開いたまま移動しますか？ Leave this counter open?")) return;
  await showChooser();
}

async function act(action, body) {
  await withBusy(async () => {
    const path = action === "back-office" || action === "return" ? "transfer" : action;
    let result;
    try {
      result = await api(`/counters/${state.counterId}/${path}`, { method: "POST", body });
    } catch (error) {
      if (error.code === "recall_limit" && state.desk?.ticket) {
        // The configured limit is reached: say so where the clerk looks, and offer 不在 there.
        // The box in the ticket card says it; no second message in the corner.
        state.recallLimit = { number: state.desk.ticket.number, message: explain(error) };
        return;
      }
      throw error;
    }
    if (action === "call-next") {
      if (result === null) {
        announce("お待ちの方はいません / No one is waiting that you may take");
      } else {
        state.outcome = null; // the previous ticket's hand-off is done with
        state.recalls = { number: result.ticket.number, count: 0 };
      }
      return;
    }
    if (action === "recall") {
      // Shown in the ticket card as 「再呼出 1回」: the clerk sees it took, without a pop-up.
      const count = state.recalls?.number === result.ticket.number ? state.recalls.count + 1 : 1;
      state.recalls = { number: result.ticket.number, count };
      return;
    }
    if (action === "complete" && currentStop(result.ticket)?.status === "serving") {
      // One visit per window: the same citizen goes on here; the in-hand card says what is next.
      state.outcome = null;
      return;
    }
    if (["complete", "no-show", "transfer", "back-office", "return"].includes(action)) {
      state.outcome = { action, ticket: result.ticket, target: body?.service, reason: body?.reason };
    }
  });
}

async function noShow() {
  const ticket = state.desk?.ticket;
  if (!ticket || state.busy) return;
  const number = ticket.number;
  if (!(await confirmNoShow(ui.dialog, number))) return; // cancelled: the ticket stays in hand
  await act("no-show");
  if (state.outcome?.action === "no-show" && state.outcome.ticket.number === number) {
    offerUndo(number, () => undoNoShow(number));
  }
}

async function undoNoShow(number) {
  await withBusy(async () => {
    const ticket = await reinstate(number);
    state.outcome = { action: "reinstated", ticket };
  });
}

/** After a reroute or reinstate from 「番号で探す」: show what it did to the ticket in hand. */
export function ticketChanged() {
  refreshDesk();
  refreshWaiting();
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
    return: ["差戻し（受付チームへ）", "Return to the front team"],
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
  ui.dialog.setAttribute("aria-labelledby", "transfer-title");
  fill(ui.dialog, form);
  ui.dialog.showModal();
  (reasonSelect || select).focus();
}

// --- keyboard ---------------------------------------------------------------------------

export function onKey(event) {
  if (state.view !== "desk" || event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
  if (document.querySelector("dialog[open]")) return;
  const target = event.target;
  const typing = target.closest?.("input, select, textarea, [contenteditable]");
  if (typing) return;
  const key = event.key.toLowerCase();
  // Space on a focused button presses that button, as everywhere else.
  if (key === " " && target.closest?.("button, a, summary")) return;
  const press = (button) => {
    event.preventDefault();
    if (button && !button.disabled && !button.closest("[hidden]")) button.click();
  };
  if (key === "n" || key === " ") press(ui.buttons.call);
  else if (key === "r" && ui.buttons.recall) press(ui.buttons.recall);
}
