// The citizen's booking page (/book/{branch}): procedure → day → time → (e-mail) → code, QR,
// manage link and calendar file. No sign-in and no name: the code is all the kiosk needs.

import { ApiError, addDays, api, byId, clockTime, dayParts, h, languagePicker, pathBase, rememberLanguage, startLanguage } from "./common.js";
import { card, facts } from "./card.js";
import { TEXT, WEEKDAYS } from "./text.js";

const DAYS_SHOWN = 14; // two weeks of a calendar at a time
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const base = pathBase("/book/");
const branch = decodeURIComponent(location.pathname.slice(base.length + "/book/".length).split("/")[0]);

const state = {
  language: startLanguage(),
  services: null,
  service: null, // the chosen service (object from the list)
  from: null, // first day of the calendar shown
  days: null, // [{date, open, free}] for the calendar shown
  date: null,
  slots: null,
  slot: null, // {start, end}
  email: "",
  alert: null, // key of TEXT, or {message}
  booking: null,
  busy: false,
};

function t() {
  return TEXT[state.language];
}

/** Today in the branch's zone: the first day the server offers is as good a start as any. */
function today() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Tokyo" }).format(new Date());
}

function serviceId(service) {
  return service.id ?? service.service;
}

// -- loading ------------------------------------------------------------------------------------

async function loadServices() {
  state.services = await api(base, "GET", `/branches/${encodeURIComponent(branch)}/appointments/services?lang=${state.language}`);
  if (state.service) state.service = state.services.find((service) => serviceId(service) === serviceId(state.service)) || null;
}

async function loadDays() {
  const to = addDays(state.from, DAYS_SHOWN - 1);
  const query = new URLSearchParams({ service: serviceId(state.service), from: state.from, to });
  const answer = await api(base, "GET", `/branches/${encodeURIComponent(branch)}/appointments/days?${query}`);
  state.days = Array.isArray(answer) ? answer : answer.days;
}

async function loadSlots() {
  const query = new URLSearchParams({ service: serviceId(state.service), date: state.date });
  state.slots = await api(base, "GET", `/branches/${encodeURIComponent(branch)}/appointments/slots?${query}`);
}

function freeCount(slot) {
  return typeof slot.available === "number" ? slot.available : slot.available ? 1 : 0;
}

// -- what the citizen does ----------------------------------------------------------------------

async function act(work) {
  if (state.busy) return;
  state.busy = true;
  state.alert = null;
  try {
    await work();
  } catch (error) {
    state.alert = explain(error);
  } finally {
    state.busy = false;
    render();
  }
}

function explain(error) {
  if (!(error instanceof ApiError)) return "failed";
  if (error.code === "offline") return "offline";
  if (error.status === 429) return "tooMany";
  if (error.code === "slot_full") return "slotFull";
  if (error.code === "slot_unavailable") return "slotUnavailable";
  return { message: error.message };
}

function chooseService(service) {
  return act(async () => {
    state.service = service;
    state.date = null;
    state.slots = null;
    state.slot = null;
    state.from = today();
    await loadDays();
    focusSoon("day-heading");
  });
}

function moveCalendar(days) {
  return act(async () => {
    state.from = addDays(state.from, days);
    await loadDays();
  });
}

function chooseDay(date) {
  return act(async () => {
    state.date = date;
    state.slot = null;
    await loadSlots();
    focusSoon("time-heading");
  });
}

function chooseSlot(slot) {
  state.slot = slot;
  state.alert = null;
  render();
  focusSoon("confirm-heading");
}

function undo(step) {
  if (step === "service") Object.assign(state, { service: null, days: null, date: null, slots: null, slot: null });
  if (step === "day") Object.assign(state, { date: null, slots: null, slot: null });
  if (step === "time") state.slot = null;
  state.alert = null;
  render();
}

function book() {
  const email = byId("email").value.trim();
  state.email = email;
  if (email && !EMAIL_PATTERN.test(email)) {
    state.alert = "emailInvalid";
    render();
    byId("email").focus();
    return undefined;
  }
  return act(async () => {
    const body = { service: serviceId(state.service), start: state.slot.start, language: state.language };
    if (email) body.email = email;
    try {
      state.booking = await api(base, "POST", `/branches/${encodeURIComponent(branch)}/appointments`, body);
      state.email = "";
      focusSoon("done-heading");
    } catch (error) {
      if (error instanceof ApiError && ["slot_full", "slot_unavailable"].includes(error.code)) {
        // Someone was quicker: show the day's free times as they are now.
        state.slot = null;
        await Promise.all([loadSlots(), loadDays()]).catch(() => {});
        focusSoon("time-heading");
      }
      throw error;
    }
  });
}

function startAgain() {
  Object.assign(state, { service: null, days: null, date: null, slots: null, slot: null, booking: null, alert: null });
  render();
  focusSoon("service-heading");
}

async function switchLanguage(language) {
  state.language = language;
  rememberLanguage(language);
  render();
  await act(loadServices); // procedure names in the new language
}

// -- drawing ------------------------------------------------------------------------------------

function focusSoon(id) {
  window.setTimeout(() => {
    const element = byId(id);
    if (element) {
      element.focus();
      element.scrollIntoView({ block: "start" });
    }
  }, 0);
}

function alertBox() {
  if (!state.alert) return null;
  const message = typeof state.alert === "string" ? t()[state.alert] : state.alert.message;
  return h("p", { class: "alert", id: "alert", role: "alert" }, message);
}

function chosen(label, value, step) {
  return h(
    "div",
    { class: "chosen" },
    h("span", { class: "chosen-label" }, label),
    h("span", { class: "chosen-value" }, value),
    state.booking ? null : h("button", { type: "button", class: "link-button", "data-undo": step, onclick: () => undo(step) }, t().change),
  );
}

function serviceStep() {
  const text = t();
  if (state.service) return chosen(text.service, state.service.name, "service");
  if (state.services.length === 0) return h("p", { class: "empty" }, text.noServices);
  return h(
    "section",
    {},
    h("h2", { id: "service-heading", tabindex: "-1" }, text.stepService),
    h(
      "ul",
      { class: "choices", id: "services" },
      state.services.map((service) =>
        h(
          "li",
          {},
          h(
            "button",
            { type: "button", class: "choice", "data-service": serviceId(service), onclick: () => chooseService(service) },
            h("span", { class: "choice-name" }, service.name),
            h("span", { class: "choice-detail" }, serviceDetail(text, service)),
          ),
        ),
      ),
    ),
  );
}

function serviceDetail(text, service) {
  const parts = [];
  const minutes = service.slot_minutes ?? service.slot_length_minutes;
  if (minutes) parts.push(text.minutes(minutes));
  const ahead = service.days_ahead ?? service.book_days_ahead;
  if (ahead) parts.push(text.daysAhead(ahead));
  return parts.join(" · ");
}

function dayStep() {
  const text = t();
  if (!state.service) return null;
  if (state.date) return chosen(text.date, text.date_(dayParts(state.date)), "day");
  const first = dayParts(state.from);
  // Blank cells before the first day, so each column is one weekday.
  const cells = Array.from({ length: first.weekday }, () => h("li", { class: "blank", "aria-hidden": "true" }));
  for (const day of state.days) {
    const parts = dayParts(day.date);
    // Closed (weekend, holiday, a closed day the city set), outside the booking period, full.
    const open = day.open !== false && !day.closed;
    const free = day.free ?? null;
    const usable = open && free !== 0;
    const note = day.closed ? text.closed : !open ? text.notBookable : free === 0 ? text.full : free !== null ? text.free(free) : "";
    cells.push(
      h(
        "li",
        {},
        h(
          "button",
          {
            type: "button",
            class: `day${day.closed ? " closed" : !open ? " unavailable" : ""}${open && free === 0 ? " full" : ""}`,
            "data-date": day.date,
            disabled: !usable,
            "aria-label": `${text.date_(parts)} ${note}`,
            onclick: () => chooseDay(day.date),
          },
          h("span", { class: "day-date" }, `${parts.month}/${parts.day}`),
          h("span", { class: `day-week w${parts.weekday}` }, WEEKDAYS[state.language][parts.weekday]),
          h("span", { class: "day-note" }, note),
        ),
      ),
    );
  }
  const atStart = state.from <= today();
  return h(
    "section",
    {},
    h("h2", { id: "day-heading", tabindex: "-1" }, text.stepDay),
    h(
      "div",
      { class: "calendar-nav" },
      h("button", { type: "button", class: "secondary", id: "earlier", disabled: atStart, onclick: () => moveCalendar(-7) }, `‹ ${text.earlier}`),
      h("button", { type: "button", class: "secondary", id: "later", onclick: () => moveCalendar(7) }, `${text.later} ›`),
    ),
    h("ul", { class: "calendar", id: "days" }, cells),
  );
}

function timeStep() {
  const text = t();
  if (!state.date || !state.slots) return null;
  if (state.slot) return chosen(text.time, text.range(clockTime(state.slot.start), clockTime(state.slot.end)), "time");
  const free = state.slots.filter((slot) => freeCount(slot) > 0);
  return h(
    "section",
    {},
    h("h2", { id: "time-heading", tabindex: "-1" }, text.stepTime),
    free.length === 0
      ? h("p", { class: "empty" }, text.noSlots)
      : h(
        "ul",
        { class: "slots", id: "slots" },
        state.slots.map((slot) =>
          h(
            "li",
            {},
            h(
              "button",
              { type: "button", class: "slot", "data-start": slot.start, disabled: freeCount(slot) === 0, onclick: () => chooseSlot(slot) },
              clockTime(slot.start),
            ),
          ),
        ),
      ),
  );
}

function confirmStep() {
  const text = t();
  if (!state.slot) return null;
  const retention = state.service.email_retention_days;
  return h(
    "section",
    { class: "confirm" },
    h("h2", { id: "confirm-heading", tabindex: "-1" }, text.stepConfirm),
    h("label", { for: "email", class: "field-label" }, text.emailLabel),
    h("input", { id: "email", type: "email", inputmode: "email", autocomplete: "email", maxlength: "254", value: state.email, "aria-describedby": "email-note" }),
    h("p", { class: "note", id: "email-note" }, text.emailNote(retention)),
    h("button", { type: "button", class: "primary", id: "book", disabled: state.busy, onclick: book }, state.busy ? text.booking : text.book),
  );
}

function doneView() {
  const text = t();
  const booking = state.booking;
  const name = state.services.find((service) => serviceId(service) === booking.service)?.name;
  return h(
    "section",
    { class: "done" },
    h("h2", { id: "done-heading", class: "done-heading", tabindex: "-1" }, `✓ ${text.booked}`),
    facts(text, booking, name),
    card(text, base, booking),
    h("p", {}, h("button", { type: "button", class: "secondary", id: "again", onclick: startAgain }, text.anotherBooking)),
  );
}

function render() {
  const text = t();
  document.documentElement.lang = text.htmlLang;
  document.title = `${text.bookTitle} — Madoguchi`;
  byId("title").textContent = text.bookTitle;
  byId("language-label").textContent = text.language;
  const main = byId("main");
  if (!state.services) {
    main.replaceChildren(alertBox() || h("p", { class: "loading" }, text.loading));
    return;
  }
  if (state.booking) {
    main.replaceChildren(doneView());
    return;
  }
  // Keep what the citizen is typing across a redraw.
  if (byId("email")) state.email = byId("email").value;
  const steps = [serviceStep(), dayStep(), timeStep(), confirmStep()].filter(Boolean);
  // The message goes just above the step it concerns (the last one shown).
  steps.splice(Math.max(steps.length - 1, 0), 0, alertBox());
  main.replaceChildren(...steps.filter(Boolean));
}

async function main() {
  languagePicker(byId("language"), state.language, switchLanguage);
  render();
  await act(loadServices);
}

main();
