// 「番号で探す」: look a ticket of today up by its number, see where it stands (its visits), change
// the part of its route not yet begun (add the procedure the citizen forgot, take one out, change
// the order; always with a reason, kept in the audit log), and bring back a citizen marked absent.

import { api } from "../common/api.js";
import { announce, bi, explain, h } from "../common/ui.js";
import { STAGES, fill, serviceName, serviceNameEn, state } from "./state.js";
import { currentStop, stopStatusText, visitList, windowsText } from "./visits.js";

// Not yet begun: the part of a route that staff may replace (server/tickets/visit.py).
const NOT_STARTED = new Set(["pending", "waiting"]);

export const TICKET_STATUS = {
  waiting: ["お待ち", "Waiting"],
  called: ["呼出中", "Called"],
  serving: ["窓口で対応中", "At a counter"],
  processing: ["受付済み・処理中（お客様はお待ち）", "Taken, in progress (citizen waits)"],
  done: ["すべて完了", "All done"],
  no_show: ["不在（保留中）", "Absent (on hold)"],
  cancelled: ["取消", "Cancelled"],
};

// The server's words come in English for some refusals; the clerk reads Japanese first.
const REFUSALS = {
  ticket_finished: ["この番号札は終了したか不在のため、経路を変えられません（不在なら先に呼び戻してください）。"],
  duplicate_service: ["同じ手続きが二度入っています。"],
  service_not_found: ["その手続きはこの庁舎では受け付けていません。"],
};

const REASONS = [
  ["手続きの追加（お客様の申し出）", "Added at the citizen's request"],
  ["不要な手続きを外す", "Procedure not needed"],
  ["順番の変更", "Order changed"],
];

const panel = {
  dialog: null,
  ticket: null,
  draft: null, // service keys of the route not yet begun, as the clerk is editing it
  dirty: false,
  reason: "",
  error: null,
  onChanged: () => {},
};

/** Full-width digits and letters (Ｌ００１) as typed on a Japanese keyboard → L001. */
export function normalizeNumber(text) {
  return text
    .normalize("NFKC")
    .replace(/[\s-]/g, "")
    .toUpperCase();
}

/** `callback(ticket)` runs after a reroute or reinstate, so the other panels show it. */
export function whenTicketChanged(callback) {
  panel.onChanged = callback;
}

/** The 「番号で探す」 form. */
export function lookupForm() {
  const input = h("input", {
    id: "lookup-number",
    name: "number",
    inputmode: "latin",
    autocomplete: "off",
    autocapitalize: "characters",
    spellcheck: "false",
    placeholder: "L001",
    required: true,
    "aria-describedby": "lookup-error",
  });
  const error = h("p", { class: "form-error lookup-error", id: "lookup-error", role: "alert" });
  const form = h(
    "form",
    { class: "lookup", id: "lookup-form", role: "search" },
    h("label", { for: "lookup-number" }, ...bi("番号で探す", "Find by number")),
    h("div", { class: "lookup-row" }, input, h("button", { type: "submit", id: "lookup-submit" }, ...bi("探す", "Find"))),
    error,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const number = normalizeNumber(input.value);
    error.textContent = "";
    if (!/^[A-Z0-9]{1,12}$/.test(number)) {
      error.textContent = "番号札の番号を入力してください（例: L001）。 Type the ticket number, e.g. L001.";
      return;
    }
    input.value = number;
    try {
      await openTicket(number);
    } catch (failure) {
      error.textContent = explain(failure);
    }
  });
  return form;
}

function ensureDialog() {
  if (!panel.dialog) {
    panel.dialog = h("dialog", { id: "ticket-dialog", class: "wide", "aria-labelledby": "ticket-title" });
    panel.dialog.addEventListener("close", () => {
      panel.ticket = null;
      panel.draft = null;
      panel.dirty = false;
    });
    document.body.append(panel.dialog);
  }
  return panel.dialog;
}

/** Fetch today's ticket `number` and show it; rejects (ApiError) when there is none. */
export async function openTicket(number) {
  const ticket = await api(`/branches/${state.branch}/tickets/${encodeURIComponent(number)}`);
  showTicket(ticket, { fresh: true });
  const dialog = ensureDialog();
  if (!dialog.open) dialog.showModal();
  dialog.querySelector("#ticket-close")?.focus();
}

function showTicket(ticket, { fresh = false } = {}) {
  panel.ticket = ticket;
  if (fresh || !panel.dirty) {
    panel.draft = ticket.stops.filter((stop) => NOT_STARTED.has(stop.status)).map((stop) => stop.service);
    panel.dirty = false;
    panel.error = null;
    if (fresh) panel.reason = "";
  }
  render();
}

/** Live: the ticket on screen changed elsewhere; show it, unless the clerk is mid-edit. */
export function onTicketEvent(message) {
  const number = message.ticket?.number;
  if (!panel.dialog?.open || !panel.ticket || number !== panel.ticket.number || panel.dirty) return;
  refresh();
}

async function refresh() {
  if (!panel.ticket) return;
  try {
    showTicket(await api(`/branches/${state.branch}/tickets/${encodeURIComponent(panel.ticket.number)}`));
  } catch (error) {
    announce(explain(error), "error");
  }
}

function render() {
  const ticket = panel.ticket;
  const dialog = ensureDialog();
  const [ja, en] = TICKET_STATUS[ticket.status] || [ticket.status, ticket.status];
  const stop = currentStop(ticket);
  const where = stop ? stopStatusText(stop) : null;
  const close = h("button", { type: "button", id: "ticket-close", onclick: () => dialog.close() }, ...bi("閉じる", "Close"));
  let body;
  if (ticket.status === "no_show") body = reinstatePart(ticket);
  else if (ticket.status === "done" || ticket.status === "cancelled") {
    body = h("p", { class: "note" }, ...bi("この番号札の手続きは終わっています。経路は変更できません。", "This ticket is finished; its route can no longer change."));
  } else body = editorPart(ticket);
  // A refusal that ended the editing (the ticket finished meanwhile) still says why.
  const refused =
    panel.error && !body.matches("form") ? h("p", { class: "form-error", id: "route-error", role: "alert" }, panel.error) : null;
  fill(dialog,
    h(
      "div",
      { class: "ticket-head" },
      h("h2", { id: "ticket-title" }, h("span", { class: "visually-hidden" }, "番号札 Ticket "), h("span", { class: "ticket-number", id: "found-number" }, ticket.number)),
      h(
        "p",
        { class: "ticket-state", id: "found-status", "data-status": ticket.status },
        h("span", { class: "badge" }, ja, " ", h("span", { class: "en" }, en)),
        stop && ticket.status !== "no_show"
          ? [" ", serviceName(stop.service), "・", where[0], " ", h("span", { class: "en" }, where[1])]
          : null,
        ticket.priority ? [" ", h("span", { class: "badge priority" }, "優先 Priority")] : null,
      ),
      close,
    ),
    refused,
    h("h3", {}, ...bi("経路", "Route")),
    visitList(ticket, { id: "found-route" }),
    body,
  );
}

function reinstatePart(ticket) {
  const missed = ticket.stops.find((stop) => stop.status === "no_show");
  const button = h(
    "button",
    { type: "button", class: "primary", id: "reinstate" },
    ...bi("呼び戻す（順番を戻す）", "Reinstate (back in line)"),
  );
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const updated = await reinstate(ticket.number);
      showTicket(updated, { fresh: true });
    } catch (error) {
      announce(explain(error), "error");
    } finally {
      button.disabled = false;
    }
  });
  return h(
    "section",
    { class: "reinstate-box" },
    h(
      "p",
      {},
      ...bi(
        `この方は${missed ? `「${serviceName(missed.service)}」で` : ""}不在になっています。戻って来られたら呼び戻してください。元の受付時刻の順番でお呼びします。`,
        `Marked absent${missed ? ` at ${serviceNameEn(missed.service)}` : ""}. If the citizen is back, reinstate: they keep their original place in line.`,
      ),
    ),
    h("div", { class: "actions" }, button),
  );
}

/** Reinstate a no-show; resolves with the ticket and tells the other panels. */
export async function reinstate(number) {
  const ticket = await api(`/branches/${state.branch}/tickets/${encodeURIComponent(number)}/reinstate`, { method: "POST" });
  announce(`${number}番を呼び戻しました。待ち列に戻りました。 ${number} is back in line.`, "success");
  panel.onChanged(ticket);
  return ticket;
}

function editorPart(ticket) {
  const draft = panel.draft;
  const inHand = ticket.stops.filter((stop) => !NOT_STARTED.has(stop.status) && stop.status !== "done" && stop.status !== "skipped");
  const edit = (change) => {
    change();
    panel.dirty = true;
    panel.error = null;
    render();
  };
  const move = (index, by) => edit(() => draft.splice(index + by, 0, ...draft.splice(index, 1)));
  const rows = draft.map((key, index) => {
    const service = state.services.get(key);
    const existing = ticket.stops.find((stop) => stop.service === key && NOT_STARTED.has(stop.status));
    const where = service && !service.citizen_present ? "バックオフィス" : existing?.counter ? windowsText(existing.counter)[0] : "";
    return h(
      "li",
      { "data-service": key, class: existing ? "" : "added" },
      h(
        "span",
        { class: "draft-name" },
        serviceName(key),
        " ",
        h("span", { class: "en" }, serviceNameEn(key)),
        where ? [h("br"), h("span", { class: "where" }, where)] : null,
        existing ? null : [" ", h("span", { class: "badge added" }, "追加 New")],
      ),
      h(
        "span",
        { class: "draft-actions" },
        h("button", { type: "button", class: "small", "data-move": "up", disabled: index === 0, "aria-label": `${serviceName(key)} を上へ Move up`, onclick: () => move(index, -1) }, "↑ 上へ"),
        h("button", { type: "button", class: "small", "data-move": "down", disabled: index === draft.length - 1, "aria-label": `${serviceName(key)} を下へ Move down`, onclick: () => move(index, 1) }, "↓ 下へ"),
        h("button", { type: "button", class: "small danger", "data-remove": key, "aria-label": `${serviceName(key)} を外す Remove`, onclick: () => edit(() => draft.splice(index, 1)) }, "外す"),
      ),
    );
  });
  const taken = new Set([...draft, ...inHand.map((stop) => stop.service)]);
  const picker = h("select", { id: "route-add", "aria-label": "追加する手続き Procedure to add" }, h("option", { value: "" }, "手続きを選ぶ / Choose a procedure"));
  for (const [stage, [ja, en]] of Object.entries(STAGES)) {
    const options = [...state.services.values()].filter((service) => service.stage === stage && !taken.has(service.id));
    if (!options.length) continue;
    picker.append(
      h(
        "optgroup",
        { label: `${ja} / ${en}` },
        options.map((service) => h("option", { value: service.id }, `${service.name}${service.citizen_present ? "" : "(バックオフィス)"}`)),
      ),
    );
  }
  const add = h(
    "button",
    {
      type: "button",
      id: "route-add-button",
      onclick: () => {
        if (picker.value) edit(() => draft.push(picker.value));
      },
    },
    ...bi("追加", "Add"),
  );
  const reason = h("input", {
    id: "route-reason",
    name: "reason",
    required: true,
    maxlength: 200,
    value: panel.reason,
    autocomplete: "off",
    oninput: (event) => {
      panel.reason = event.target.value;
    },
  });
  const chips = REASONS.map(([ja, en]) =>
    h(
      "button",
      {
        type: "button",
        class: "chip",
        title: en,
        onclick: () => {
          reason.value = ja;
          panel.reason = ja;
        },
      },
      ja,
    ),
  );
  const error = h("p", { class: "form-error", id: "route-error", role: "alert" }, panel.error || "");
  const save = h("button", { type: "submit", class: "primary", id: "route-save", disabled: !panel.dirty }, ...bi("この順番で保存", "Save this route"));
  const reset = h(
    "button",
    { type: "button", id: "route-reset", disabled: !panel.dirty, onclick: () => showTicket(panel.ticket, { fresh: true }) },
    ...bi("変更を取り消す", "Discard changes"),
  );
  const form = h(
    "form",
    { class: "route-editor", id: "route-editor" },
    h("h3", {}, ...bi("これからの手続き（変更できます）", "Procedures still to come (you may change them)")),
    inHand.length
      ? h("p", { class: "note" }, ...bi(`いま対応中の「${inHand.map((stop) => serviceName(stop.service)).join("・")}」はそのままです。`, "The procedure in progress stays as it is."))
      : null,
    draft.length
      ? h("ol", { class: "draft", id: "route-draft" }, rows)
      : h("p", { class: "empty", id: "route-draft" }, ...bi("これからの手続きはありません。保存すると、対応中の手続きで終わります。", "Nothing left after the current procedure.")),
    h("div", { class: "add-row" }, picker, add),
    h("label", { for: "route-reason" }, ...bi("変更の理由（必須・記録に残ります）", "Reason (required, kept in the audit log)")),
    reason,
    h("div", { class: "chips" }, chips),
    error,
    h("div", { class: "actions" }, reset, save),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    save.disabled = true;
    try {
      const updated = await api(`/branches/${state.branch}/tickets/${encodeURIComponent(ticket.number)}/route`, {
        method: "PUT",
        body: { stops: draft.map((service) => ({ service })), reason: reason.value.trim() },
      });
      announce(`${ticket.number}番の経路を変更しました。 Route of ${ticket.number} changed.`, "success");
      showTicket(updated, { fresh: true });
      panel.onChanged(updated);
    } catch (failure) {
      // Refused: the server changed nothing. Show its words and what the route really is now,
      // keeping the clerk's draft so the change can be fixed and tried again.
      const message = explain(failure);
      try {
        panel.ticket = await api(`/branches/${state.branch}/tickets/${encodeURIComponent(ticket.number)}`);
      } catch {
        // Keep what we had on screen.
      }
      const [ja] = REFUSALS[failure.code] || [""];
      panel.error = `変更できませんでした。${ja} ${message}`;
      render();
    }
  });
  return form;
}
