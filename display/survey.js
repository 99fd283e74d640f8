// The one-question survey on a ticket's status page, shown once every procedure is done.
//
// Kept apart from status.js: it watches what that page renders (the status line and the page
// language), asks GET /api/v1/tickets/{token}/satisfaction whether to ask, and posts the answer.
// No polling: it checks once when the page first shows "done". Anonymous: only the score and
// the reason code are sent; the token is the only capability. Its words follow the page's
// language (all kiosk languages, display/citizen_text.js); the reasons' come from the server.

import { SURVEY, TEXT, rubyNodes } from "./citizen_text.js";

const token = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop());
// Under the city hall's prefix on a shared public edge (server/edge/), "" on the server.
const pathBase = location.pathname.slice(0, location.pathname.lastIndexOf("/t/"));
const endpoint = `${pathBase}/api/v1/tickets/${encodeURIComponent(token)}/satisfaction`;
let phase = "idle"; // idle → checking → asking → sent | closed
let reasons = [];
let section = null;

/** The page's kiosk language (status.js writes it; やさしい日本語 shares lang="ja"). */
function language() {
  const code = document.documentElement.dataset.language || document.documentElement.lang;
  return SURVEY[code] ? code : "ja";
}

function text() {
  return SURVEY[language()];
}

/** A reason in the page's language; in English (Japanese) for want of it, marked so. */
function reasonLabel(reason) {
  const code = language();
  const labels = reason.labels ?? { ja: reason.label, en: reason.label_en };
  if (labels[code]) return el("span", {}, ...rubyNodes(labels[code]));
  const shownIn = code === "ja_easy" || code === "en" ? "ja" : "en";
  return el(
    "span",
    { "data-fallback": shownIn },
    el("span", { lang: TEXT[shownIn].html }, labels[shownIn]),
    el("small", { class: "survey-shown-in" }, ` ${text().shownIn}`),
  );
}

function el(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") element.className = value;
    else if (value === true) element.setAttribute(key, "");
    else element.setAttribute(key, String(value));
  }
  element.append(...children.filter((child) => child !== null && child !== undefined));
  return element;
}

function stylesheet() {
  // The page's CSP allows our own stylesheets only: link one rather than style inline.
  if (document.querySelector("link[data-survey]")) return;
  document.head.append(el("link", { rel: "stylesheet", href: "/static/display/survey.css", "data-survey": true }));
}

function render() {
  if (!section) return;
  renderedLanguage = language();
  const t = text();
  section.lang = TEXT[renderedLanguage].html;
  if (phase === "sent") {
    section.replaceChildren(el("p", { class: "survey-thanks", role: "status" }, ...rubyNodes(t.thanks)));
    return;
  }
  const checked = section.querySelector("input[name=score]:checked")?.value;
  const reasonChecked = section.querySelector("input[name=reason]:checked")?.value ?? "";
  const scores = el(
    "fieldset",
    { class: "survey-scores" },
    el("legend", {}, ...rubyNodes(t.question)),
    ...[1, 2, 3, 4, 5].map((score) =>
      el(
        "label",
        { class: "survey-score" },
        el("input", { type: "radio", name: "score", value: score, checked: String(score) === checked, required: true }),
        el("span", { class: "survey-score-number" }, String(score)),
        el("span", { class: "survey-score-text" }, ...rubyNodes(t.scale[score])),
      ),
    ),
  );
  const reasonList = el(
    "fieldset",
    { class: "survey-reasons" },
    el("legend", {}, ...rubyNodes(t.reason)),
    el("label", {}, el("input", { type: "radio", name: "reason", value: "", checked: reasonChecked === "" }), el("span", {}, ...rubyNodes(t.none))),
    ...reasons.map((reason) =>
      el(
        "label",
        {},
        el("input", { type: "radio", name: "reason", value: reason.code, checked: reasonChecked === reason.code }),
        reasonLabel(reason),
      ),
    ),
  );
  const error = el("p", { class: "survey-error", role: "alert", id: "survey-error" });
  const send = el("button", { type: "submit", class: "survey-send" }, phase === "sending" ? t.sending : t.send);
  send.disabled = phase === "sending";
  // novalidate: our own message, in the page's language, explains a missing score.
  const form = el("form", { class: "survey-form", "aria-describedby": "survey-anonymous", novalidate: true }, scores, reasonList, error, send);
  form.addEventListener("submit", submit);
  form.addEventListener("change", () => {
    error.textContent = "";
  });
  section.replaceChildren(
    el("h2", { id: "survey-heading" }, ...rubyNodes(t.heading)),
    el("p", { class: "survey-anonymous", id: "survey-anonymous" }, ...rubyNodes(t.anonymous)),
    form,
  );
}

async function submit(event) {
  event.preventDefault();
  const score = section.querySelector("input[name=score]:checked")?.value;
  if (!score) {
    section.querySelector("#survey-error").replaceChildren(...rubyNodes(text().pick));
    return;
  }
  const reason = section.querySelector("input[name=reason]:checked")?.value || null;
  phase = "sending";
  render();
  try {
    const response = await fetch(endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ score: Number(score), reason }),
      credentials: "omit",
    });
    // 409 = already answered (another tab): thank them all the same.
    if (!response.ok && response.status !== 409) throw new Error(`HTTP ${response.status}`);
    phase = "sent";
    render();
  } catch {
    phase = "asking";
    render();
    section.querySelector("#survey-error").replaceChildren(...rubyNodes(text().failed));
  }
}

async function check() {
  phase = "checking";
  try {
    const response = await fetch(endpoint, { headers: { Accept: "application/json" }, credentials: "omit" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const question = await response.json();
    if (!question.ask) {
      phase = "closed";
      return;
    }
    reasons = question.reasons;
    stylesheet();
    section = el("section", { class: "survey", id: "survey", "aria-labelledby": "survey-heading" });
    (document.querySelector("section.ticket") || document.querySelector("main")).after(section);
    phase = "asking";
    render();
  } catch {
    phase = "idle"; // try again on the page's next update
  }
}

let renderedLanguage = null;

function onPageUpdate() {
  const status = window.madoguchiStatus?.ticket?.status;
  if (status === "done" && phase === "idle") check();
  if ((phase === "asking" || phase === "sent") && language() !== renderedLanguage) render();
}

// Watch only what status.js writes (the status line, the page language), never our own section.
const observer = new MutationObserver(onPageUpdate);
observer.observe(document.documentElement, { attributes: true, attributeFilter: ["lang", "data-language"] });
const statusLine = document.getElementById("status");
if (statusLine) observer.observe(statusLine, { childList: true, characterData: true, subtree: true });
onPageUpdate();
