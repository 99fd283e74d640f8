// Admin console, 予約・閉庁日 / Bookings & closed days: which services citizens can book and how
// (slot length, places, weekly hours, how far ahead, notice, check-in window, grace, walk-in
// share), how long e-mail addresses are kept, and the days the branch is closed (weekends,
// national holidays, 12/29〜1/3 and extra days). Saved through the admin API, checked with the
// configuration's own rules; every change is audited.

import { api } from "../common/api.js";
import { announce, bi, explain, h } from "../common/ui.js";

const WEEKDAYS = [
  ["mon", "月"],
  ["tue", "火"],
  ["wed", "水"],
  ["thu", "木"],
  ["fri", "金"],
  ["sat", "土"],
  ["sun", "日"],
];

const NUMBERS = [
  ["slot_minutes", "1枠の長さ(分)", "Slot length (min)", 5, 480],
  ["capacity", "1枠の人数", "Places per slot", 1, 50],
  ["days_ahead", "何日先まで", "Days ahead", 1, 366],
  ["min_notice_hours", "締切(開始の何時間前)", "Notice (hours)", 0, 336],
  ["check_in_opens_minutes", "受付開始(開始の何分前)", "Check-in opens (min before)", 0, 240],
  ["grace_minutes", "遅刻の猶予(分)", "Grace (min)", 0, 240],
];

const view = { branch: null, spec: null, calendar: null, services: [], error: null, root: null };

/** The panel (admin.js shows it as the 予約・閉庁日 tab). */
export async function appointmentsPanel({ branch }) {
  view.branch = branch;
  const base = `/admin/branches/${encodeURIComponent(branch)}`;
  const [spec, calendar, services] = await Promise.all([
    api(`${base}/appointments`),
    api(`${base}/calendar`),
    api(`/branches/${encodeURIComponent(branch)}/services`),
  ]);
  Object.assign(view, { spec, calendar, services, error: null });
  view.root = h("div", { class: "appointments-admin" });
  draw();
  return view.root;
}

function base() {
  return `/admin/branches/${encodeURIComponent(view.branch)}`;
}

function draw() {
  view.root.replaceChildren(bookingSettings(), closedDays());
}

// -- bookable services --------------------------------------------------------------------------

function hoursText(ranges) {
  return (ranges || []).join(", ");
}

function hoursOf(text) {
  return text
    .split(/[,、\s]+/)
    .map((part) => part.trim().replace(/[〜~]/g, "-"))
    .filter(Boolean);
}

function serviceCard(item, index) {
  const id = (name) => `booking-${index}-${name}`;
  const serviceSelect = h(
    "select",
    { id: id("service"), onchange: (event) => { item.service = event.target.value; } },
    view.services.map((service) => h("option", { value: service.id, selected: service.id === item.service }, `${service.name}(${service.id})`)),
  );
  const numbers = NUMBERS.map(([key, ja, en, min, max]) =>
    h(
      "label",
      { class: "field" },
      h("span", {}, ...bi(ja, en)),
      h("input", {
        type: "number",
        id: id(key),
        min: String(min),
        max: String(max),
        value: String(item[key] ?? ""),
        onchange: (event) => { item[key] = Number(event.target.value); },
      }),
    ),
  );
  const share = h(
    "label",
    { class: "field" },
    h("span", {}, ...bi("予約中の窓口の一般枠(0〜1)", "Walk-in share (0–1)")),
    h("input", {
      type: "number",
      id: id("walk_in_share"),
      min: "0",
      max: "1",
      step: "0.1",
      value: String(item.walk_in_share ?? 0.5),
      onchange: (event) => { item.walk_in_share = Number(event.target.value); },
    }),
  );
  const hours = WEEKDAYS.map(([day, ja]) =>
    h(
      "label",
      { class: "field hours" },
      h("span", {}, ja),
      h("input", {
        id: id(`hours-${day}`),
        placeholder: "09:00-12:00, 13:00-16:30",
        value: hoursText(item.hours?.[day]),
        onchange: (event) => {
          const ranges = hoursOf(event.target.value);
          item.hours = { ...(item.hours || {}) };
          if (ranges.length) item.hours[day] = ranges;
          else delete item.hours[day];
        },
      }),
    ),
  );
  return h(
    "fieldset",
    { class: "card booking-service", "data-service": item.service },
    h("legend", {}, ...bi("予約できる手続き", "Bookable service")),
    h("label", { class: "field", for: id("service") }, h("span", {}, ...bi("手続き", "Service")), serviceSelect),
    h("div", { class: "fields" }, numbers, share),
    h("p", { class: "hint" }, ...bi("予約を受ける時間帯(曜日ごと。空欄の曜日は受けません)", "Hours offered per weekday (empty: none)")),
    h("div", { class: "fields hours-grid" }, hours),
    h(
      "button",
      { type: "button", class: "danger", onclick: () => { view.spec.services.splice(index, 1); draw(); } },
      ...bi("この手続きの予約をやめる", "Stop taking bookings for it"),
    ),
  );
}

function bookingSettings() {
  const spec = view.spec;
  const error = h("p", { class: "form-error", id: "appointments-error", role: "alert" }, view.error || "");
  const save = async () => {
    try {
      view.spec = await api(`${base()}/appointments`, { method: "PUT", body: view.spec });
      view.error = null;
      announce("予約の設定を保存しました。 Booking settings saved.");
    } catch (failure) {
      view.error = explain(failure);
    }
    draw();
  };
  return h(
    "section",
    { class: "card", "aria-labelledby": "bookings-title" },
    h("h2", { id: "bookings-title" }, ...bi("予約の設定", "Booking settings")),
    spec.services.map(serviceCard),
    h(
      "button",
      {
        type: "button",
        id: "add-bookable",
        onclick: () => {
          const taken = new Set(spec.services.map((item) => item.service));
          const next = view.services.find((service) => !taken.has(service.id));
          if (!next) return;
          spec.services.push({ service: next.id, slot_minutes: 30, capacity: 1, hours: { mon: ["09:00-12:00"] }, days_ahead: 30 });
          draw();
        },
      },
      ...bi("予約できる手続きを追加", "Add a bookable service"),
    ),
    h(
      "div",
      { class: "fields" },
      h(
        "label",
        { class: "field" },
        h("span", {}, ...bi("メールアドレスを消すまでの日数(予約日から)", "Days e-mail addresses are kept after the visit")),
        h("input", { type: "number", id: "email-retention-days", min: "0", max: "365", value: String(spec.email_retention_days), onchange: (event) => { spec.email_retention_days = Number(event.target.value); } }),
      ),
      h(
        "label",
        { class: "field" },
        h("span", {}, ...bi("前日のお知らせの時刻", "Reminder time (the day before)")),
        h("input", { type: "time", id: "reminder-at", value: spec.reminder_at, onchange: (event) => { spec.reminder_at = event.target.value; } }),
      ),
    ),
    error,
    h("button", { type: "button", class: "primary", id: "save-appointments", onclick: save }, ...bi("予約の設定を保存", "Save booking settings")),
  );
}

// -- closed days --------------------------------------------------------------------------------

function closedDays() {
  const calendar = view.calendar;
  const result = h("p", { class: "closed-day-result", id: "closed-day-result", role: "status" });
  const rule = (key, ja, en) =>
    h(
      "label",
      { class: "check" },
      h("input", {
        type: "checkbox",
        id: `calendar-${key}`,
        checked: calendar[key],
        onchange: async (event) => {
          try {
            view.calendar = await api(`${base()}/calendar`, { method: "PUT", body: { ...view.calendar, [key]: event.target.checked } });
            announce("閉庁日の設定を保存しました。 Closed days saved.");
          } catch (failure) {
            announce(explain(failure), "error");
          }
          draw();
        },
      }),
      " ",
      ...bi(ja, en),
    );
  const dateInput = h("input", { type: "date", id: "closed-day-date", required: true });
  const add = h(
    "form",
    {
      class: "inline",
      id: "closed-day-form",
      onsubmit: async (event) => {
        event.preventDefault();
        try {
          const added = await api(`${base()}/closed-days`, { method: "POST", body: { date: dateInput.value } });
          view.calendar = added.calendar;
          draw();
          const note = document.getElementById("closed-day-result");
          note.textContent = added.bookings > 0
            ? `${added.date} を閉庁日にしました。この日の予約が${added.bookings}件あります。予約の一覧で確認し、お客様に連絡してください。 ${added.bookings} booking(s) on that day: contact them.`
            : `${added.date} を閉庁日にしました。 Closed on ${added.date}.`;
        } catch (failure) {
          result.textContent = explain(failure);
        }
      },
    },
    h("label", { for: "closed-day-date" }, ...bi("臨時の閉庁日を追加", "Add a closed day")),
    dateInput,
    h("button", { type: "submit", id: "add-closed-day" }, ...bi("追加", "Add")),
  );
  const days = calendar.closed_days.length
    ? h(
      "ul",
      { class: "closed-days", id: "closed-days" },
      calendar.closed_days.map((day) =>
        h(
          "li",
          { "data-date": day },
          day,
          " ",
          h(
            "button",
            {
              type: "button",
              class: "small",
              onclick: async () => {
                try {
                  await api(`${base()}/closed-days/${day}`, { method: "DELETE" });
                  view.calendar = { ...view.calendar, closed_days: view.calendar.closed_days.filter((other) => other !== day) };
                } catch (failure) {
                  announce(explain(failure), "error");
                }
                draw();
              },
            },
            ...bi("取り消す", "Remove"),
          ),
        ),
      ),
    )
    : h("p", { class: "empty" }, ...bi("臨時の閉庁日はありません", "No extra closed days"));
  return h(
    "section",
    { class: "card", "aria-labelledby": "closed-title" },
    h("h2", { id: "closed-title" }, ...bi("閉庁日(発券と予約の両方に適用)", "Closed days (tickets and bookings)")),
    h(
      "div",
      { class: "checks" },
      rule("weekends", "土曜・日曜", "Weekends"),
      rule("national_holidays", "国民の祝日・振替休日", "National holidays"),
      rule("year_end", "年末年始(12/29〜1/3)", "Year-end (29 Dec–3 Jan)"),
    ),
    days,
    add,
    result,
  );
}
