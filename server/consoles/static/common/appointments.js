// Appointments (予約) for staff: the day view per service (time, code, status, ticket; no names),
// a telephone booking that shows the code to read out, and check-in by code. Used by the staff
// console's 予約 panel (staff/appointments.js) and the concierge tablet (check-in only).

import { api } from "./api.js";
import { announce, bi, explain, h } from "./ui.js";

export const APPOINTMENT_STATUS = {
  booked: ["予約済み", "Booked"],
  checked_in: ["受付済み", "Checked in"],
  missed: ["来庁なし", "Missed"],
  cancelled: ["取消", "Cancelled"],
};

// Refusals in the clerk's words (the server's detail follows for anything else).
const REFUSALS = {
  too_early: "まだ受付時刻前です",
  appointment_missed: "予約時刻を過ぎています(猶予時間切れ)",
  appointment_cancelled: "この予約は取り消されています",
  appointment_not_found: "この予約番号はありません",
  appointment_other_branch: "他の庁舎の予約です",
  slot_full: "その時間は満員になりました。時間を選び直してください",
  slot_unavailable: "その時間は予約できません。時間を選び直してください",
};

export function refusal(error) {
  const words = REFUSALS[error?.code];
  return words ? `${words}。 ${explain(error)}` : explain(error);
}

/** Today in the branch's zone (Japanese city halls: Asia/Tokyo). */
export function branchToday() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Tokyo" }).format(new Date());
}

/** "2026-12-07T10:30:00+09:00" → "10:30": the branch's wall clock as the server wrote it. */
export function wallClock(iso) {
  return typeof iso === "string" ? iso.slice(11, 16) : "";
}

/** K7Q3X9 → "K・7・Q・3・X・9": one character at a time, for reading out on the telephone. */
export function spelled(code) {
  return [...code].join("・");
}

export async function bookableServices(branch) {
  return api(`/branches/${branch}/appointments/services?lang=ja`);
}

/** The 予約番号で受付 form: `onCheckedIn(ticket)` after a check-in. */
export function checkInForm(branch, onCheckedIn = () => {}) {
  const input = h("input", {
    id: "checkin-code",
    name: "code",
    autocomplete: "off",
    autocapitalize: "characters",
    spellcheck: "false",
    placeholder: "K7Q3X9",
    required: true,
    maxlength: "16",
    "aria-describedby": "checkin-result",
  });
  const result = h("p", { class: "checkin-result", id: "checkin-result", role: "status" });
  const button = h("button", { type: "submit", id: "checkin-submit" }, ...bi("受付", "Check in"));
  const form = h(
    "form",
    { class: "appointment-checkin", id: "checkin-form" },
    h("label", { for: "checkin-code" }, ...bi("予約番号で受付", "Check in by booking code")),
    h("div", { class: "lookup-row" }, input, button),
    result,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const code = input.value.normalize("NFKC").replace(/[\s-]/g, "").toUpperCase();
    if (!code) return;
    button.disabled = true;
    result.classList.remove("form-error");
    try {
      const ticket = await api(`/branches/${branch}/appointments/${encodeURIComponent(code)}/check-in`, { method: "POST", body: {} });
      result.replaceChildren(...bi(`受付しました。番号札 ${ticket.number}`, `Checked in: ticket ${ticket.number}`));
      result.dataset.ticket = ticket.number;
      input.value = "";
      onCheckedIn(ticket);
    } catch (error) {
      result.classList.add("form-error");
      result.textContent = refusal(error);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

/** The telephone booking form: service, day, a free time, optional e-mail → the code to read out. */
export function phoneBookingForm(branch, services, onBooked = () => {}) {
  const serviceSelect = h(
    "select",
    { id: "phone-service", required: true },
    services.map((service) => h("option", { value: service.id }, service.name)),
  );
  const dayInput = h("input", { id: "phone-day", type: "date", value: branchToday(), min: branchToday(), required: true });
  const slots = h("div", { class: "phone-slots", id: "phone-slots", role: "radiogroup", "aria-label": "時間 Time" });
  const email = h("input", { id: "phone-email", type: "email", autocomplete: "off", maxlength: "254", placeholder: "任意 optional" });
  const result = h("div", { class: "phone-result", id: "phone-result", "aria-live": "polite" });
  const submit = h("button", { type: "submit", id: "phone-book", disabled: true }, ...bi("予約する", "Book"));
  let chosen = null;

  async function loadSlots() {
    chosen = null;
    submit.disabled = true;
    slots.replaceChildren(h("span", { class: "empty" }, "…"));
    try {
      const query = new URLSearchParams({ service: serviceSelect.value, date: dayInput.value });
      const list = await api(`/branches/${branch}/appointments/slots?${query}`);
      const free = list.filter((slot) => slot.available > 0);
      if (free.length === 0) {
        slots.replaceChildren(h("p", { class: "empty" }, ...bi("この日は空きがありません(休みの日を含む)", "No free time on this day (or closed)")));
        return;
      }
      slots.replaceChildren(
        ...free.map((slot) =>
          h(
            "button",
            {
              type: "button",
              class: "slot",
              role: "radio",
              "aria-checked": "false",
              "data-start": slot.start,
              onclick: (event) => {
                chosen = slot.start;
                for (const other of slots.querySelectorAll("button")) other.setAttribute("aria-checked", String(other === event.currentTarget));
                submit.disabled = false;
              },
            },
            `${wallClock(slot.start)}(残${slot.available})`,
          ),
        ),
      );
    } catch (error) {
      slots.replaceChildren(h("p", { class: "form-error" }, refusal(error)));
    }
  }

  const form = h(
    "form",
    { class: "phone-booking", id: "phone-form" },
    h("h3", {}, ...bi("電話予約", "Telephone booking")),
    h("label", { for: "phone-service" }, ...bi("手続き", "Procedure")),
    serviceSelect,
    h("label", { for: "phone-day" }, ...bi("日にち", "Day")),
    dayInput,
    h("p", { class: "field-label" }, ...bi("時間", "Time")),
    slots,
    h("label", { for: "phone-email" }, ...bi("メールアドレス(任意・確認と前日のお知らせ用)", "E-mail (optional: confirmation and reminder)")),
    email,
    submit,
    result,
  );
  serviceSelect.addEventListener("change", loadSlots);
  dayInput.addEventListener("change", loadSlots);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!chosen) return;
    submit.disabled = true;
    const body = { service: serviceSelect.value, start: chosen, language: "ja" };
    if (email.value.trim()) body.email = email.value.trim();
    try {
      const booking = await api(`/branches/${branch}/appointments`, { method: "POST", body });
      result.replaceChildren(
        h("p", {}, ...bi("予約しました。お客様にこの予約番号をお伝えください", "Booked. Read this code to the caller")),
        h("p", { class: "phone-code", id: "phone-code" }, booking.code),
        h("p", { class: "phone-spelled" }, spelled(booking.code)),
        h("p", {}, `${dayInput.value} ${wallClock(booking.start)}〜${wallClock(booking.end)} ${serviceSelect.selectedOptions[0]?.textContent ?? ""}`),
      );
      email.value = "";
      announce(`予約番号 ${booking.code}`);
      onBooked(booking);
      await loadSlots();
    } catch (error) {
      result.replaceChildren(h("p", { class: "form-error", role: "alert" }, refusal(error)));
      await loadSlots();
    }
  });
  if (services.length > 0) loadSlots();
  return form;
}

/** The day's bookings as table rows; `onCheckIn(code)` for the 受付 button of a booked one. */
export function dayRows(rows, serviceNames, onCheckIn) {
  if (rows.length === 0) {
    return [h("tr", {}, h("td", { colspan: "6", class: "empty" }, ...bi("この日の予約はありません", "No bookings on this day")))];
  }
  return rows.map((row) => {
    const [ja, en] = APPOINTMENT_STATUS[row.status] ?? [row.status, row.status];
    return h(
      "tr",
      { "data-code": row.code, "data-status": row.status, class: `appointment-${row.status}` },
      h("td", { class: "num" }, `${wallClock(row.start)}〜${wallClock(row.end)}`),
      h("td", { class: "code" }, row.code),
      h("td", {}, serviceNames.get(row.service) ?? row.service),
      h(
        "td",
        { class: "status" },
        h("span", { class: `badge appointment-status status-${row.status}` }, ja, " ", h("span", { class: "en" }, en)),
        row.late && row.status !== "missed" ? h("span", { class: "badge late" }, "遅れ ", h("span", { class: "en" }, "Late")) : null,
        row.by_staff ? h("span", { class: "badge phone", title: "電話予約 Telephone booking" }, "電話") : null,
      ),
      h("td", { class: "ticket" }, row.ticket ?? "—"),
      h(
        "td",
        {},
        row.status === "booked"
          ? h("button", { type: "button", class: "small", "data-check-in": row.code, onclick: () => onCheckIn(row.code) }, ...bi("受付", "Check in"))
          : null,
      ),
    );
  });
}
