// The manage page (/a/{manage_token}): the booking, its code and QR, the calendar file, and
// cancelling it after a confirmation. A cancelled or unknown booking says so plainly.

import { ApiError, api, byId, h, languagePicker, pathBase, rememberLanguage, startLanguage } from "./common.js";
import { card, facts } from "./card.js";
import { TEXT } from "./text.js";

const base = pathBase("/a/");
const token = decodeURIComponent(location.pathname.slice(base.length + "/a/".length).split("/")[0]);

const state = {
  language: startLanguage(),
  booking: null,
  serviceName: null,
  missing: false,
  confirming: false,
  busy: false,
  alert: null,
};

function t() {
  return TEXT[state.language];
}

function explain(error) {
  if (!(error instanceof ApiError)) return t().failed;
  if (error.code === "offline") return t().offline;
  if (error.status === 429) return t().tooMany;
  return error.message;
}

async function load() {
  try {
    state.booking = await api(base, "GET", `/appointments/${encodeURIComponent(token)}`);
    state.missing = false;
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 422)) state.missing = true;
    else state.alert = explain(error);
  }
  await loadServiceName();
}

/** The procedure's name in the page language (the booking names its service by id). */
async function loadServiceName() {
  const booking = state.booking;
  if (!booking) return;
  state.serviceName = booking.service_name ?? null;
  const branch = booking.branch ?? booking.branch_id;
  if (!branch) return;
  try {
    const services = await api(base, "GET", `/branches/${encodeURIComponent(branch)}/appointments/services?lang=${state.language}`);
    state.serviceName = services.find((service) => (service.id ?? service.service) === booking.service)?.name ?? state.serviceName;
  } catch {
    // The name from the booking (or its id) will do.
  }
}

async function cancel() {
  if (state.busy) return;
  state.busy = true;
  state.alert = null;
  render();
  try {
    const answer = await api(base, "DELETE", `/appointments/${encodeURIComponent(token)}`);
    state.booking = answer && answer.status ? { ...state.booking, ...answer } : { ...state.booking, status: "cancelled" };
    state.confirming = false;
  } catch (error) {
    state.alert = explain(error);
  } finally {
    state.busy = false;
    render();
    byId("status")?.focus();
  }
}

function bookingView() {
  const text = t();
  const booking = state.booking;
  const status = booking.status || "booked";
  const children = [
    h("p", { class: `status status-${status}`, id: "status", tabindex: "-1" }, text.status[status] ?? status),
    facts(text, booking, state.serviceName),
  ];
  if (status === "cancelled") {
    children.push(h("p", { class: "notice", id: "cancelled" }, text.cancelled), h("p", { class: "note" }, text.cancelledNote));
    if (booking.branch) children.push(h("p", {}, h("a", { class: "button secondary", href: `${base}/book/${encodeURIComponent(booking.branch)}` }, text.bookAgain)));
    return children;
  }
  children.push(card(text, base, booking, { withLink: false }));
  if (status === "booked") {
    if (state.confirming) {
      children.push(
        h(
          "div",
          { class: "confirm-box", role: "alertdialog", "aria-labelledby": "cancel-question" },
          h("p", { id: "cancel-question" }, text.cancelConfirm),
          h(
            "div",
            { class: "buttons" },
            h("button", { type: "button", class: "danger", id: "cancel-yes", disabled: state.busy, onclick: cancel }, text.cancelYes),
            h("button", { type: "button", class: "secondary", id: "cancel-no", onclick: () => { state.confirming = false; render(); } }, text.cancelNo),
          ),
        ),
      );
    } else {
      children.push(h("button", { type: "button", class: "danger-outline", id: "cancel", onclick: () => { state.confirming = true; render(); byId("cancel-no").focus(); } }, text.cancel));
    }
  }
  return children;
}

function render() {
  const text = t();
  document.documentElement.lang = text.htmlLang;
  document.title = `${text.manageTitle} — Madoguchi`;
  byId("title").textContent = text.manageTitle;
  byId("language-label").textContent = text.language;
  const alert = state.alert ? h("p", { class: "alert", role: "alert" }, state.alert) : null;
  let body;
  if (state.missing) body = [h("p", { class: "notice", id: "missing", role: "alert" }, text.notFound)];
  else if (state.booking) body = bookingView();
  else body = [alert ? null : h("p", { class: "loading" }, text.loading)];
  byId("main").replaceChildren(...[alert, ...body].filter(Boolean));
}

async function switchLanguage(language) {
  state.language = language;
  rememberLanguage(language);
  render();
  await loadServiceName();
  render();
}

async function main() {
  languagePicker(byId("language"), state.language, switchLanguage);
  render();
  await load();
  render();
}

main();
