// The one-question survey on a ticket's status page, shown once every procedure is done.
//
// Kept apart from status.js: it watches what that page renders (the status line and the page
// language), asks GET /api/v1/tickets/{token}/satisfaction whether to ask, and posts the answer.
// No polling: it checks once when the page first shows "done". Anonymous: only the score and
// the reason code are sent; the token is the only capability.

const TEXT = {
  ja: {
    heading: "アンケートにご協力ください",
    question: "本日の窓口の手続きはいかがでしたか?",
    scale: { 1: "とても不満", 2: "不満", 3: "ふつう", 4: "満足", 5: "とても満足" },
    reason: "気になった点があれば、ひとつお選びください(任意)",
    none: "特になし",
    send: "送信する",
    sending: "送信しています…",
    thanks: "ご回答ありがとうございました。今後の改善に活かします。",
    anonymous: "回答は匿名です。お名前などは記録しません。",
    pick: "1〜5 のいずれかをお選びください。",
    failed: "送信できませんでした。もう一度お試しください。",
  },
  en: {
    heading: "One quick question",
    question: "How was your visit today?",
    scale: { 1: "Very dissatisfied", 2: "Dissatisfied", 3: "Neutral", 4: "Satisfied", 5: "Very satisfied" },
    reason: "Anything that bothered you? Pick one if you like (optional)",
    none: "Nothing in particular",
    send: "Send",
    sending: "Sending…",
    thanks: "Thank you for your answer. We will use it to improve.",
    anonymous: "Anonymous: nothing about you is recorded.",
    pick: "Please choose a score from 1 to 5.",
    failed: "Could not send. Please try again.",
  },
};

const token = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop());
// Under the city hall's prefix on a shared public edge (server/edge/), "" on the server.
const pathBase = location.pathname.slice(0, location.pathname.lastIndexOf("/t/"));
const endpoint = `${pathBase}/api/v1/tickets/${encodeURIComponent(token)}/satisfaction`;
let phase = "idle"; // idle → checking → asking → sent | closed
let reasons = [];
let section = null;

function text() {
  return document.documentElement.lang === "en" ? TEXT.en : TEXT.ja;
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
  renderedLanguage = document.documentElement.lang;
  const t = text();
  const english = document.documentElement.lang === "en";
  if (phase === "sent") {
    section.replaceChildren(el("p", { class: "survey-thanks", role: "status" }, t.thanks));
    return;
  }
  const checked = section.querySelector("input[name=score]:checked")?.value;
  const reasonChecked = section.querySelector("input[name=reason]:checked")?.value ?? "";
  const scores = el(
    "fieldset",
    { class: "survey-scores" },
    el("legend", {}, t.question),
    ...[1, 2, 3, 4, 5].map((score) =>
      el(
        "label",
        { class: "survey-score" },
        el("input", { type: "radio", name: "score", value: score, checked: String(score) === checked, required: true }),
        el("span", { class: "survey-score-number" }, String(score)),
        el("span", { class: "survey-score-text" }, t.scale[score]),
      ),
    ),
  );
  const reasonList = el(
    "fieldset",
    { class: "survey-reasons" },
    el("legend", {}, t.reason),
    el("label", {}, el("input", { type: "radio", name: "reason", value: "", checked: reasonChecked === "" }), el("span", {}, t.none)),
    ...reasons.map((reason) =>
      el(
        "label",
        {},
        el("input", { type: "radio", name: "reason", value: reason.code, checked: reasonChecked === reason.code }),
        el("span", {}, english ? reason.label_en : reason.label),
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
    el("h2", { id: "survey-heading" }, t.heading),
    el("p", { class: "survey-anonymous", id: "survey-anonymous" }, t.anonymous),
    form,
  );
}

async function submit(event) {
  event.preventDefault();
  const score = section.querySelector("input[name=score]:checked")?.value;
  if (!score) {
    section.querySelector("#survey-error").textContent = text().pick;
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
    section.querySelector("#survey-error").textContent = text().failed;
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
  const language = document.documentElement.lang;
  if ((phase === "asking" || phase === "sent") && language !== renderedLanguage) render();
}

// Watch only what status.js writes (the status line, the page language), never our own section.
const observer = new MutationObserver(onPageUpdate);
observer.observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });
const statusLine = document.getElementById("status");
if (statusLine) observer.observe(statusLine, { childList: true, characterData: true, subtree: true });
onPageUpdate();
