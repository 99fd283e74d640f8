// The staff console's 予約 panel: the day's bookings per service (time, code, status, ticket once
// checked in; never a name), check-in by code, and a telephone booking that shows the code to
// read out. Opened from the counter chooser; events refresh it (staff.js).

import { api } from "../common/api.js";
import { bookableServices, branchToday, checkInForm, dayRows, phoneBookingForm, refusal } from "../common/appointments.js";
import { announce, bi, h } from "../common/ui.js";
import { showChooser } from "./chooser.js";
import { fill, state } from "./state.js";

const view = { services: [], date: null, service: "", body: null, loading: false };

/** The chooser's card that opens this panel. */
export function appointmentsEntry() {
  return h(
    "button",
    { type: "button", class: "counter-card appointments-entry", id: "open-appointments", onclick: () => showAppointments() },
    h("span", { class: "code" }, "予約"),
    h("span", {}, ...bi("予約の一覧・電話予約・受付", "Bookings of the day, telephone booking, check-in")),
  );
}

export async function showAppointments() {
  state.view = "appointments";
  document.getElementById("counter-title").replaceChildren(...bi("予約", "Appointments"));
  view.services = await bookableServices(state.branch);
  view.date = view.date || branchToday();
  const names = new Map(view.services.map((service) => [service.id, service.name]));
  view.body = h("tbody", { id: "appointments-body" });
  const dateInput = h("input", { type: "date", id: "appointments-date", value: view.date, onchange: (event) => { view.date = event.target.value; refreshAppointments(); } });
  const serviceSelect = h(
    "select",
    { id: "appointments-service", onchange: (event) => { view.service = event.target.value; refreshAppointments(); } },
    h("option", { value: "" }, "すべての手続き All"),
    view.services.map((service) => h("option", { value: service.id, selected: service.id === view.service }, service.name)),
  );
  fill(
    document.getElementById("app"),
    h(
      "section",
      { class: "appointments", "aria-labelledby": "appointments-title" },
      h(
        "div",
        { class: "appointments-head" },
        h("button", { type: "button", class: "secondary", id: "appointments-back", onclick: () => showChooser() }, ...bi("← 窓口の選択へ", "← Counters")),
        h("h2", { id: "appointments-title" }, ...bi("予約", "Appointments")),
        h("label", { for: "appointments-date" }, ...bi("日にち", "Day")),
        dateInput,
        h("label", { for: "appointments-service" }, ...bi("手続き", "Procedure")),
        serviceSelect,
      ),
      h(
        "div",
        { class: "appointments-grid" },
        h(
          "div",
          { class: "card" },
          h(
            "table",
            { id: "appointments-table" },
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                h("th", {}, ...bi("時刻", "Time")),
                h("th", {}, ...bi("予約番号", "Code")),
                h("th", {}, ...bi("手続き", "Procedure")),
                h("th", {}, ...bi("状況", "Status")),
                h("th", {}, ...bi("番号札", "Ticket")),
                h("th", {}, ""),
              ),
            ),
            view.body,
          ),
        ),
        h(
          "div",
          { class: "stack" },
          h("div", { class: "card" }, checkInForm(state.branch, () => refreshAppointments())),
          h("div", { class: "card" }, phoneBookingForm(state.branch, view.services, () => refreshAppointments())),
        ),
      ),
    ),
  );
  view.names = names;
  await refreshAppointments();
}

export async function refreshAppointments() {
  if (state.view !== "appointments" || !view.body) return;
  const query = new URLSearchParams({ date: view.date });
  if (view.service) query.set("service", view.service);
  try {
    const rows = await api(`/branches/${state.branch}/appointments?${query}`);
    if (state.view !== "appointments") return;
    view.body.replaceChildren(...dayRows(rows, view.names, checkIn));
  } catch (error) {
    announce(refusal(error), "error");
  }
}

async function checkIn(code) {
  try {
    const ticket = await api(`/branches/${state.branch}/appointments/${encodeURIComponent(code)}/check-in`, { method: "POST", body: {} });
    announce(`${code}: 受付しました。番号札 ${ticket.number} / Checked in, ticket ${ticket.number}`);
  } catch (error) {
    announce(refusal(error), "error");
  }
  await refreshAppointments();
}
