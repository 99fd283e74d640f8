// Kiosk touch screen. Plain JavaScript, no build step, no network beyond the kiosk agent.
// Screens: start → (life event: one question per screen → summary) or (procedure → summary)
// → result. Any screen returns to the start, in Japanese, after the idle timeout.
"use strict";

(() => {
  const CLOSED_CODES = new Set(["issuing_closed", "issuing_not_open", "issuing_stopped"]);
  const UNAVAILABLE_CODES = new Set(["server_unreachable", "server_error"]);
  const HELP_NOTICE_SECONDS = 30;
  // A double tap must not answer the next question too, nor issue a ticket by accident.
  const TAP_GUARD_MILLISECONDS = 300;
  // How long a request that got no ticket keeps its key for the same request asked again.
  const RETRY_KEY_MS = 2 * 60 * 1000;

  const state = {
    catalogue: null,
    config: null,
    language: "ja",
    menu: null,
    screen: "loading",
    shown: 0, // screens shown so far: a redraw that waited on the server yields to a newer one
    choice: null, // {kind: "life_event" | "service", id}
    questionIndex: 0,
    answers: {},
    result: null, // {ticket, print}
    // The Idempotency-Key of a request that got no ticket on screen, with the request it names
    // and when it was made: asking the same again soon after (the error screen only offers to
    // start over) reuses the key, so a ticket whose answer was lost is handed out, not doubled.
    pending: null, // {key, body, at}
    printKey: null,
    emoji: undefined, // whether this PC can draw the life events' pictograms
    printerDown: false,
    // What the message screen says, as functions so a language switch can re-word it:
    // {kind: "closed" | "stopped" | "unavailable" | "error", heading(), text()}.
    message: null,
    idleTimer: null,
    helpTimer: null,
    resultTimer: null,
    resultDeadline: 0,
  };

  const $ = (id) => document.getElementById(id);

  // -- text ----------------------------------------------------------------------------------

  function t(key, values = {}) {
    const strings = state.catalogue.strings;
    const template = strings[state.language][key] ?? strings.ja[key] ?? key;
    return template.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
  }

  function usesJapaneseNames() {
    return state.language === "ja" || state.language === "ja_easy";
  }

  // What the city configured (names, questions, notes, the branch) in the screen language.
  // やさしい日本語 writes ruby as {漢字|かんじ}, drawn here as <ruby>; a string the city has not
  // translated comes in English (or Japanese) with `lang` naming that, and says so beside it.
  const RUBY = /\{([^{}|]+)\|([^{}|]+)\}/g;

  function rubyRun(text) {
    const nodes = [];
    let last = 0;
    for (const match of text.matchAll(RUBY)) {
      if (match.index > last) nodes.push(document.createTextNode(text.slice(last, match.index)));
      const ruby = document.createElement("ruby");
      const reading = document.createElement("rt");
      reading.textContent = match[2];
      ruby.append(match[1], reading);
      nodes.push(ruby);
      last = match.index + match[0].length;
    }
    if (last < text.length) nodes.push(document.createTextNode(text.slice(last)));
    return nodes;
  }

  // やさしい日本語 is written a word at a time (分かち書き). A word with ruby is one box (.word), so
  // that a line breaks between words: the breaker would end one between ruby and kana
  // (「{引|ひ}っ / {越|こ}して」).
  function rubyNodes(text) {
    if (!text.includes("{")) return [document.createTextNode(text)];
    return text.split(/(\s+)/).filter(Boolean).map((part) => {
      const nodes = rubyRun(part);
      if (!nodes.some((node) => node.nodeName === "RUBY")) return nodes[0];
      const word = document.createElement("span");
      word.className = "word";
      word.append(...nodes);
      return word;
    });
  }

  function content(element, text, lang) {
    element.replaceChildren(...rubyNodes(text || ""));
    if (lang && lang !== state.language) {
      element.lang = state.catalogue.strings[lang]?.html_lang ?? lang;
      element.dataset.fallback = lang;
      const note = document.createElement("small");
      note.className = "fallback-note";
      note.lang = t("html_lang");
      note.textContent = t("fallback_note");
      element.append(note);
    } else {
      element.removeAttribute("lang");
      delete element.dataset.fallback;
    }
    return element;
  }

  function labelSeparator() {
    if (usesJapaneseNames()) return "・";
    return state.language.startsWith("zh") ? "、" : ", ";
  }

  // Same rounding as the printed slip (printer/render.py format_wait_range): a range, because
  // an estimate that looks exact is read as a promise.
  function waitText(minutes) {
    if (minutes === null || minutes === undefined) return null;
    if (minutes <= 0) return t("wait_soon");
    const low = Math.floor((minutes * 0.7) / 5) * 5;
    const high = Math.max(5, Math.ceil((minutes * 1.3) / 5) * 5);
    return low === 0 ? t("wait_within", { high }) : t("wait_range", { low, high });
  }

  function announce(text) {
    // Clearing first makes screen readers read a repeated message again.
    const announcer = $("announcer");
    announcer.textContent = "";
    window.setTimeout(() => { announcer.textContent = text; }, 50);
  }

  // -- talking to the kiosk agent ------------------------------------------------------------

  async function call(method, path, body, headers = {}) {
    try {
      const response = await fetch(path, {
        method,
        headers: body === undefined ? headers : { ...headers, "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
      });
      const data = response.status === 204 ? null : await response.json();
      return { ok: response.ok, status: response.status, data };
    } catch (error) {
      // The agent itself is down (it runs on this PC, so this is rare).
      return { ok: false, status: 0, data: { code: "server_unreachable", message: t("error.system_unavailable") } };
    }
  }

  function errorMessage(data) {
    return (data && data.message) || t("error.unknown");
  }

  async function loadMenu() {
    const language = state.language;
    const response = await call("GET", `/kiosk/menu?lang=${encodeURIComponent(language)}`);
    if (!response.ok) return response;
    // A background check's menu that arrives after a language switch is not this screen's.
    if (language === state.language) state.menu = response.data;
    return response;
  }

  // -- screens -------------------------------------------------------------------------------

  function guardAgainstDoubleTap(...buttons) {
    for (const button of buttons) button.disabled = true;
    window.setTimeout(() => { for (const button of buttons) button.disabled = false; }, TAP_GUARD_MILLISECONDS);
  }

  function show(screen, focusId) {
    for (const section of document.querySelectorAll(".screen")) {
      section.hidden = section.id !== `screen-${screen}`;
    }
    state.screen = screen;
    state.shown += 1;
    $("appointment-button").hidden = Boolean(state.config && state.config.appointments === false);
    // Said before anyone chooses; afterwards the result screen speaks for itself.
    $("printer-notice").hidden = !(state.printerDown && screen === "start");
    window.scrollTo(0, 0);
    $("main").scrollTop = 0;
    const section = $(`screen-${screen}`);
    for (const area of section.querySelectorAll(".screen-info, .screen-controls")) area.scrollTop = 0;
    fitScreen();
    // Without scrolling: a long text's area stays at its top, where the screen begins.
    if (focusId) $(focusId).focus({ preventScroll: true });
    announceScreen(section);
    if (voice.on) speakScreen();
    else stopSpeaking();
    resetIdleTimer();
  }

  function renderChrome() {
    document.documentElement.lang = t("html_lang");
    // やさしい日本語 and Japanese share lang="ja"; kiosk.css breaks their lines differently.
    document.documentElement.dataset.language = state.language;
    document.title = t("page_title");
    for (const element of document.querySelectorAll("[data-i18n]")) {
      element.textContent = t(element.dataset.i18n);
    }
    $("languages").setAttribute("aria-label", t("language_label"));
    $("access").setAttribute("aria-label", t("a11y_label"));
    renderVoiceButton();
    for (const button of $("languages").querySelectorAll("button")) {
      button.setAttribute("aria-pressed", String(button.dataset.language === state.language));
    }
    const names = state.config && state.config.branch_name;
    if (state.menu && state.menu.branch_name && state.menu.language === state.language) {
      content($("branch-name"), state.menu.branch_name, state.menu.branch_name_lang);
    } else {
      $("branch-name").textContent = names ? (usesJapaneseNames() ? names.ja : names.en) : "";
    }
  }

  function buildLanguageButtons() {
    const strings = state.catalogue.strings;
    for (const language of state.catalogue.languages) {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.language = language;
      button.lang = strings[language].html_lang;
      button.textContent = strings[language].language_name;
      button.addEventListener("click", () => switchLanguage(language));
      $("languages").append(button);
    }
  }

  function tile(listId, label, onChoose, decoration, lang) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "tile";
    if (decoration) button.append(decoration);
    const name = document.createElement("span");
    name.className = "name";
    content(name, label, lang);
    button.append(name);
    button.addEventListener("click", onChoose);
    item.append(button);
    $(listId).append(item);
    return button;
  }

  // A kiosk PC without a colour emoji font would draw the configured pictograms as empty
  // boxes; then the tiles show their names alone.
  function canDrawEmoji(sample) {
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 32;
    const context = canvas.getContext("2d", { willReadFrequently: true });
    context.font = '24px "Noto Color Emoji", "Segoe UI Emoji", "Apple Color Emoji", sans-serif';
    context.textBaseline = "top";
    context.fillStyle = "#000";
    context.fillText(sample, 2, 2);
    const pixels = context.getImageData(0, 0, 32, 32).data;
    for (let i = 0; i < pixels.length; i += 4) {
      if (pixels[i + 3] > 0 && (pixels[i] !== pixels[i + 1] || pixels[i + 1] !== pixels[i + 2])) return true;
    }
    return false;
  }

  function renderStart() {
    $("life-events").replaceChildren();
    $("services").replaceChildren();
    if (state.emoji === undefined) {
      const sample = state.menu.life_events.map((event) => event.icon).find(Boolean);
      state.emoji = sample ? canDrawEmoji(sample) : false;
    }
    for (const event of state.menu.life_events) {
      const icon = document.createElement("span");
      icon.className = "icon";
      icon.setAttribute("aria-hidden", "true");
      icon.textContent = event.icon || "";
      icon.hidden = !state.emoji || !event.icon;
      const button = tile("life-events", event.name, () => choose("life_event", event.id), icon, event.name_lang);
      button.dataset.lifeEvent = event.id;
    }
    for (const service of state.menu.services) {
      const prefix = document.createElement("span");
      prefix.className = "prefix";
      prefix.setAttribute("aria-hidden", "true");
      prefix.textContent = service.prefix;
      const button = tile("services", service.name, () => choose("service", service.id), prefix, service.name_lang);
      button.dataset.service = service.id;
    }
  }

  function lifeEvent() {
    return state.menu.life_events.find((event) => event.id === state.choice.id);
  }

  function showChoiceName(element) {
    const list = state.choice.kind === "life_event" ? state.menu.life_events : state.menu.services;
    const found = list.find((item) => item.id === state.choice.id);
    content(element, found ? found.name : "", found && found.name_lang);
  }

  function choose(kind, id) {
    state.choice = { kind, id };
    state.answers = {};
    state.questionIndex = 0;
    if (kind === "life_event" && lifeEvent().questions.length > 0) {
      renderQuestion();
    } else {
      renderSummary();
    }
  }

  // The questions to ask with the answers given so far: one shown only after earlier "yes"
  // answers (show_when, e.g. 75歳以上 after 65歳以上) is skipped once one of them is "no". The
  // server applies the same rule (server/tickets/routing.py: answers_that_count).
  function askedQuestions() {
    return lifeEvent().questions.filter((question) =>
      (question.show_when || []).every((earlier) => state.answers[earlier] !== false),
    );
  }

  function renderQuestion() {
    const questions = askedQuestions();
    const index = state.questionIndex;
    showChoiceName($("question-event"));
    // The total shrinks with a "no" that makes later questions moot; it never grows.
    $("question-progress").textContent = t("question_progress", { current: index + 1, total: questions.length });
    $("question-bar").style.width = `${(index / questions.length) * 100}%`;
    content($("question-text"), questions[index].text, questions[index].text_lang);
    // A long question (the longest languages, or furigana lines) is set a little smaller, so
    // that it and its answers share one screen.
    const width = [...plainText($("question-text"))].reduce((sum, letter) => sum + (letter.codePointAt(0) >= 0x2e80 ? 2 : 1), 0);
    $("question-text").classList.toggle("long", width > LONG_QUESTION);
    const answer = state.answers[questions[index].id];
    $("answer-yes").setAttribute("aria-pressed", String(answer === true));
    $("answer-no").setAttribute("aria-pressed", String(answer === false));
    guardAgainstDoubleTap($("answer-yes"), $("answer-no"));
    show("question", "question-text");
  }

  function answer(value) {
    state.answers[askedQuestions()[state.questionIndex].id] = value;
    const questions = askedQuestions(); // a "no" may skip the questions that depended on it
    if (state.questionIndex + 1 < questions.length) {
      state.questionIndex += 1;
      renderQuestion();
    } else {
      renderSummary();
    }
  }

  function back() {
    if (state.screen === "summary" && state.choice.kind === "life_event" && askedQuestions().length > 0) {
      state.questionIndex = askedQuestions().length - 1;
      renderQuestion();
    } else if (state.screen === "question" && state.questionIndex > 0) {
      state.questionIndex -= 1;
      renderQuestion();
    } else {
      goToStart();
    }
  }

  function renderSummary() {
    showChoiceName($("summary-choice"));
    const list = $("summary-answers");
    list.replaceChildren();
    let note = "";
    let noteLang;
    if (state.choice.kind === "life_event") {
      const event = lifeEvent();
      note = event.note || "";
      noteLang = event.note_lang;
      for (const question of askedQuestions()) {
        const term = document.createElement("dt");
        content(term, question.text, question.text_lang);
        const value = document.createElement("dd");
        const yes = state.answers[question.id] === true;
        value.className = yes ? "yes" : "no";
        value.textContent = yes ? t("yes") : t("no");
        // One <div> per question and answer: the list flows in columns without splitting a pair.
        const pair = document.createElement("div");
        pair.append(term, value);
        list.append(pair);
      }
    }
    list.hidden = list.childElementCount === 0;
    $("summary-note").hidden = !note;
    content($("summary-note-text"), note, noteLang);
    guardAgainstDoubleTap($("issue-button"));
    show("summary", "summary-heading");
  }

  function ticketRequest() {
    const body = { language: state.language };
    if (state.choice.kind === "life_event") {
      body.life_event = state.choice.id;
      // Only what was asked: an answer given before a later "no" made its question moot is dropped.
      body.answers = Object.fromEntries(askedQuestions().map((question) => [question.id, state.answers[question.id] === true]));
    } else {
      body.service = state.choice.id;
    }
    return body;
  }

  function requestKey() {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  }

  async function issue() {
    if (state.screen === "issuing") return;
    show("issuing", "issuing-text");
    const body = JSON.stringify(ticketRequest());
    const reusable = state.pending && state.pending.body === body && Date.now() - state.pending.at < RETRY_KEY_MS;
    if (!reusable) state.pending = { key: requestKey(), body, at: Date.now() };
    const response = await call("POST", "/kiosk/tickets", JSON.parse(body), { "Idempotency-Key": state.pending.key });
    if (response.ok) {
      state.pending = null;
      state.result = response.data;
      renderResult();
      startResultTimer();
      return;
    }
    const code = response.data && response.data.code;
    const message = errorMessage(response.data);
    if (CLOSED_CODES.has(code)) {
      // The catalogue words these three codes under their own names.
      showMessage("closed", () => t(`error.${code}`), () => t("closed_hint"));
    } else if (UNAVAILABLE_CODES.has(code)) {
      showMessage("unavailable", () => t("unavailable_heading"), () => t("error.system_unavailable"));
    } else {
      // In the language it was issued in: the agent worded it from the server's code.
      showMessage("error", () => message, () => "");
    }
  }

  // A server without `visits` (older than the visit presentation): consecutive stops at the
  // same place fold into one line; back-office steps become one line of progress.
  function visitsOf(ticket) {
    const visits = Array.isArray(ticket.visits) ? ticket.visits : [];
    if (Array.isArray(ticket.visits)) {
      return visits.filter((visit) => !visit.stops.every((index) => ticket.stops[index]?.status === "skipped"));
    }
    for (const [index, stop] of ticket.stops.entries()) {
      if (stop.status === "skipped") continue;
      const kind = stop.citizen_present === false ? "back_office" : "counter";
      const last = visits[visits.length - 1];
      if (last && last.kind === kind && (kind === "back_office" || last.counters === stop.counter)) {
        if (!last.labels.includes(stop.label)) last.labels.push(stop.label);
        if (!last.labels_en.includes(stop.label_en)) last.labels_en.push(stop.label_en);
        last.stops.push(index);
        continue;
      }
      visits.push({ kind, counters: kind === "counter" ? stop.counter : null, labels: [stop.label], labels_en: [stop.label_en || stop.label], stops: [index] });
    }
    return visits;
  }

  // -- the result screen clears itself -------------------------------------------------------
  // The number and the status QR code belong to the person who just left with the slip: the
  // next person at the kiosk must not be able to scan them. Printers here cannot tell when the
  // slip is taken, so the screen clears after a short time (longer when the slip did not
  // print and the screen is all the citizen has), or at once with 「次の方へ」.

  function resultSeconds() {
    const config = state.config || {};
    return state.result && state.result.print.ok ? config.result_seconds ?? 20 : config.result_unprinted_seconds ?? 60;
  }

  function startResultTimer() {
    stopResultTimer();
    state.resultDeadline = Date.now() + resultSeconds() * 1000;
    tickResult();
    state.resultTimer = window.setInterval(tickResult, 250);
  }

  function stopResultTimer() {
    window.clearInterval(state.resultTimer);
    state.resultTimer = null;
  }

  function tickResult() {
    if (state.screen !== "result" || state.result === null) {
      stopResultTimer();
      return;
    }
    const left = Math.ceil((state.resultDeadline - Date.now()) / 1000);
    if (left <= 0) {
      clearResult();
      return;
    }
    $("result-countdown").textContent = t("result_clears", { seconds: left });
  }

  function clearResult() {
    stopResultTimer();
    // Nothing of this ticket stays in the page, not even hidden.
    $("result-number").textContent = "";
    $("result-qr").removeAttribute("src");
    $("result-stops").replaceChildren();
    $("result-wait").replaceChildren();
    goToStart({ resetLanguage: true, resetAccess: true });
  }

  function renderResult() {
    const { ticket } = state.result;
    $("result-number").textContent = ticket.number;
    $("result-appointment").hidden = !ticket.appointment;
    const wait = $("result-wait");
    wait.replaceChildren();
    if (ticket.position !== null && ticket.position !== undefined) {
      const ahead = document.createElement("p");
      ahead.textContent = t("people_ahead", { count: ticket.position });
      wait.append(ahead);
    }
    const estimate = waitText(ticket.estimated_wait_minutes);
    if (estimate) {
      const line = document.createElement("p");
      const label = document.createElement("span");
      label.textContent = t("wait_estimate");
      const value = document.createElement("strong");
      value.textContent = estimate;
      line.append(label, " ", value);
      wait.append(line);
    }

    // The route as the server tells it everywhere (slip, status page, staff console): one line
    // per window visit, back-office work as one line of progress.
    const stops = $("result-stops");
    stops.replaceChildren();
    for (const visit of visitsOf(ticket)) {
      const item = document.createElement("li");
      item.className = visit.kind === "back_office" ? "back-office" : "window";
      const where = document.createElement("span");
      where.className = "where";
      const what = document.createElement("span");
      what.className = "what";
      if (visit.kind === "back_office") {
        where.textContent = t("back_office");
        what.textContent = t("back_office_hint");
      } else {
        // Japanese writes a range of windows 「1〜5」.
        const counters = usesJapaneseNames() ? visit.counters?.replaceAll("–", "〜") : visit.counters;
        where.textContent = counters ? t("stop_counter", { counter: counters }) : t("stop_counter_later");
        if (ticket.language === state.language && Array.isArray(visit.labels_local) && visit.labels_local.length) {
          // The names in the ticket's language, each marked when it is a fallback.
          what.replaceChildren();
          visit.labels_local.forEach((label, index) => {
            if (index > 0) what.append(labelSeparator());
            what.append(content(document.createElement("span"), label, visit.labels_local_lang[index]));
          });
        } else {
          const labels = usesJapaneseNames() ? visit.labels : (visit.labels_en || visit.labels);
          what.textContent = labels.join(usesJapaneseNames() ? "・" : ", ");
        }
      }
      item.append(where, what);
      stops.append(item);
    }

    $("result-qr").src = `/kiosk/qr?data=${encodeURIComponent(ticket.status_url)}`;
    $("result-qr").alt = t("qr_alt");
    renderPrintStatus(state.result.print.ok ? "print_ok" : "print_failed");
    state.printerDown = !state.result.print.ok;
    show("result", "result-label");
    announce(`${t("announce_number", { number: ticket.number })} ${$("print-message").textContent}`);
  }

  function renderPrintStatus(key) {
    const failed = key !== "print_ok";
    $("print-status").classList.toggle("failed", failed);
    $("print-status").setAttribute("role", failed ? "alert" : "status");
    $("print-message").textContent = t(key);
    $("print-retry").hidden = !failed;
    state.printKey = key;
  }

  async function retryPrint() {
    const { ticket } = state.result;
    $("print-retry").disabled = true;
    $("print-message").textContent = t("printing");
    const response = await call("POST", "/kiosk/tickets/reprint", {
      status_token: ticket.status_token,
      language: state.language,
    });
    $("print-retry").disabled = false;
    if (state.result === null) return; // the screen timed out meanwhile
    if (response.ok && response.data.print.ok) {
      state.result.print = response.data.print;
      state.printerDown = false;
      renderPrintStatus("print_ok");
      startResultTimer(); // the slip is out now: the usual short time to take it
    } else if (response.ok) {
      renderPrintStatus("print_retry_failed");
    } else {
      renderPrintStatus("print_retry_failed");
      $("print-message").textContent = errorMessage(response.data);
      $("print-retry").hidden = true;
    }
    announce($("print-message").textContent);
    resetIdleTimer();
  }

  function showMessage(kind, heading, text) {
    state.message = { kind, heading, text };
    renderMessage();
  }

  function renderMessage() {
    const { kind, heading, text } = state.message;
    $("message-heading").textContent = heading();
    $("message-text").textContent = text();
    // While issuing is stopped there is nothing to start over; the screen reopens by itself.
    $("message-button").hidden = kind === "stopped";
    show("message", "message-heading");
    announce(`${heading()} ${text()}`);
  }

  // -- returning to the start ----------------------------------------------------------------

  // resetAccess: the citizen has gone (ticket taken, or idle): their settings go with them.
  async function goToStart({ resetLanguage = false, resetAccess: forget = false } = {}) {
    stopResultTimer();
    if (forget) resetAccess();
    state.choice = null;
    state.result = null;
    state.answers = {};
    if (resetLanguage && state.language !== state.catalogue.languages[0]) {
      state.language = state.catalogue.languages[0];
      renderChrome();
    }
    const { shown, language } = state;
    const response = await loadMenu();
    // Meanwhile the citizen went on (a tile touched as the page came) or chose a language (its
    // switch draws the screen): theirs wins.
    if (state.shown !== shown || state.language !== language) return;
    if (!response.ok) {
      showMessage("unavailable", () => t("unavailable_heading"), () => t("error.system_unavailable"));
      return;
    }
    renderChrome();
    if (!state.menu.issuing_open) {
      showMessage("stopped", () => t("error.issuing_stopped"), () => t("closed_hint"));
      return;
    }
    renderStart();
    show("start", "start-heading");
  }

  async function switchLanguage(language) {
    state.language = language;
    renderChrome();
    // The screen's own words change when the menu in this language has come: busy until then.
    $("main").setAttribute("aria-busy", "true");
    const response = await loadMenu();
    if (language !== state.language) return; // another language was chosen meanwhile
    $("main").removeAttribute("aria-busy");
    if (!response.ok) {
      showMessage("unavailable", () => t("unavailable_heading"), () => t("error.system_unavailable"));
      return;
    }
    renderChrome(); // the branch's name, from the menu in this language
    // Stay where the citizen is; only the words change.
    switch (state.screen) {
      case "message": renderMessage(); break;
      case "question": renderQuestion(); break;
      case "summary": renderSummary(); break;
      case "result": {
        const key = state.printKey;
        renderResult();
        renderPrintStatus(key);
        tickResult();
        break;
      }
      case "start": renderStart(); show("start", "start-heading"); break;
      case "checkin": renderCheckIn(); break;
      case "checkin-refused": renderRefusal(); break;
      default: await goToStart();
    }
  }

  function resetIdleTimer() {
    window.clearTimeout(state.idleTimer);
    const seconds = state.config ? state.config.idle_timeout_seconds : 60;
    state.idleTimer = window.setTimeout(onIdle, seconds * 1000);
  }

  function customised() {
    return access.lowReach || access.largeText || access.contrast || voice.on;
  }

  function onIdle() {
    const atRest = state.screen === "start" && state.language === state.catalogue.languages[0] && !customised();
    if (atRest || state.screen === "issuing") {
      resetIdleTimer();
      return;
    }
    goToStart({ resetLanguage: true, resetAccess: true });
  }

  // -- background checks: closed/open, printer -----------------------------------------------

  async function poll() {
    const waitingForService = state.screen === "message" && ["stopped", "unavailable"].includes(state.message.kind);
    if (state.screen !== "start" && !waitingForService) return;
    const status = await call("GET", "/kiosk/status");
    state.printerDown = status.ok && !status.data.printer.can_print;
    $("printer-notice").hidden = !(state.printerDown && state.screen === "start");
    if (waitingForService) {
      // Reopening after a stop or an outage shows without anyone touching the screen.
      await goToStart();
    } else if (state.screen === "start") {
      const response = await loadMenu();
      if (!response.ok || !state.menu.issuing_open) await goToStart();
    }
  }

  // -- help ----------------------------------------------------------------------------------

  async function callForHelp() {
    const button = $("help-button");
    button.disabled = true;
    const response = await call("POST", "/kiosk/help", { language: state.language });
    button.disabled = false;
    const notice = $("help-notice");
    notice.textContent = response.ok ? t("help_sent") : t("help_failed");
    notice.hidden = false;
    window.clearTimeout(state.helpTimer);
    state.helpTimer = window.setTimeout(() => { notice.hidden = true; }, HELP_NOTICE_SECONDS * 1000);
    resetIdleTimer();
  }

  // -- appointments: check-in with the booking code ------------------------------------------
  // 「予約のある方」 opens a keypad. A keyboard-wedge scanner types what the booking's QR code
  // holds (the code, or the manage link) followed by Enter: that works on the keypad screen and
  // straight from the start screen. The agent checks the booking in and prints its ticket.

  const CODE_KEYS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  const MAX_CODE_LENGTH = 12;
  // A scanner types a whole code within this time; a person at the start screen does not.
  const SCAN_GAP_MILLISECONDS = 300;
  const checkIn = { typed: "", status: "", busy: false, scan: "", scanAt: 0, refusal: null };

  function looksLikeLink(text) {
    return text.includes("/");
  }

  function renderCheckIn() {
    const shown = $("checkin-code");
    shown.textContent = looksLikeLink(checkIn.typed) ? t("checkin_scanned") : checkIn.typed;
    shown.classList.toggle("scanned", looksLikeLink(checkIn.typed));
    $("checkin-status").textContent = checkIn.busy ? t("checkin_working") : checkIn.status || "";
    $("checkin-status").classList.toggle("error", Boolean(checkIn.status) && !checkIn.busy);
    $("checkin-submit").disabled = checkIn.busy || checkIn.typed.length === 0;
    for (const button of document.querySelectorAll("#keypad button, #checkin-delete, #checkin-clear")) {
      button.disabled = checkIn.busy;
    }
  }

  function openCheckIn(typed = "") {
    checkIn.typed = typed;
    checkIn.status = "";
    renderCheckIn();
    show("checkin", "checkin-heading");
  }

  function typeKey(key) {
    if (checkIn.busy) return;
    if (looksLikeLink(checkIn.typed)) checkIn.typed = "";
    if (checkIn.typed.length < MAX_CODE_LENGTH) checkIn.typed += key;
    checkIn.status = "";
    renderCheckIn();
  }

  function buildKeypad() {
    const keypad = $("keypad");
    for (const key of CODE_KEYS) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "key";
      button.textContent = key;
      button.dataset.key = key;
      button.addEventListener("click", () => typeKey(key));
      keypad.append(button);
    }
  }

  /** The time the server's refusal names (opens_at or start, branch time with its offset):
   *  "9:30", or "12/7 9:30" when it is not today there. */
  function refusalTime(data) {
    const at = data.code === "too_early" ? data.opens_at : data.start;
    const match = typeof at === "string" && at.match(/^(\d{4}-(\d{2})-(\d{2}))T(\d{2}):(\d{2}).*?([+-]\d{2}):(\d{2})$/);
    if (!match) return "";
    const time = `${Number(match[4])}:${match[5]}`;
    const offsetMinutes = Number(match[6]) * 60 + Math.sign(Number(match[6]) || 1) * Number(match[7]);
    const todayThere = new Date(Date.now() + offsetMinutes * 60_000).toISOString().slice(0, 10);
    return match[1] === todayThere ? time : `${Number(match[2])}/${Number(match[3])} ${time}`;
  }

  async function submitCheckIn(typed = checkIn.typed) {
    if (checkIn.busy || !typed) return;
    checkIn.typed = typed;
    checkIn.busy = true;
    renderCheckIn();
    const response = await call("POST", "/kiosk/check-in", { code: typed, language: state.language });
    checkIn.busy = false;
    if (response.ok) {
      checkIn.typed = "";
      state.result = response.data;
      renderResult();
      startResultTimer();
      return;
    }
    const data = response.data || {};
    if (data.code === "too_early" || data.code === "appointment_missed") {
      checkIn.refusal = data;
      checkIn.typed = "";
      renderRefusal();
      return;
    }
    if (UNAVAILABLE_CODES.has(data.code)) {
      showMessage("unavailable", () => t("unavailable_heading"), () => t("error.system_unavailable"));
      return;
    }
    // Not found, cancelled, mistyped: stay on the keypad to correct it.
    checkIn.status = errorMessage(data);
    renderCheckIn();
    announce(checkIn.status);
  }

  function renderRefusal() {
    const data = checkIn.refusal;
    const early = data.code === "too_early";
    const time = refusalTime(data);
    $("refused-heading").textContent = t(early ? "checkin_too_early_heading" : "checkin_missed_heading");
    $("refused-text").textContent = time
      ? t(early ? "checkin_too_early" : "checkin_missed", { time })
      : t(early ? "error.appointment_too_early" : "error.appointment_missed");
    show("checkin-refused", "refused-heading");
    announce(`${$("refused-heading").textContent} ${$("refused-text").textContent} ${t("walk_in_offer")}`);
  }

  /** The walk-in ticket offered instead: the booked procedure when the kiosk has it, else the menu. */
  function walkIn() {
    const service = checkIn.refusal && checkIn.refusal.service;
    checkIn.refusal = null;
    if (service && state.menu && state.menu.services.some((item) => item.id === service)) {
      choose("service", service);
    } else {
      goToStart();
    }
  }

  // Keys typed anywhere: on the keypad screen they are the code; on the start screen a fast
  // burst ending in Enter is a scan, checked in at once.
  function onCheckInKey(event) {
    if (event.ctrlKey || event.altKey || event.metaKey || event.isComposing) return;
    // Enter or Space on a button reached by keyboard presses that button.
    if ((event.key === "Enter" || event.key === " ") && event.target instanceof HTMLButtonElement && event.target.matches(":focus-visible")) return;
    if (state.screen === "checkin") {
      if (event.key === "Enter") {
        event.preventDefault();
        submitCheckIn();
      } else if (event.key === "Backspace") {
        event.preventDefault();
        checkIn.typed = checkIn.typed.slice(0, -1);
        renderCheckIn();
      } else if (event.key.length === 1 && !checkIn.busy) {
        event.preventDefault();
        // A scanned link is kept whole (lowercase, slashes); a typed code is capitals.
        checkIn.typed = looksLikeLink(checkIn.typed + event.key) ? checkIn.typed + event.key : (checkIn.typed + event.key.toUpperCase()).slice(0, MAX_CODE_LENGTH * 3);
        checkIn.status = "";
        renderCheckIn();
      }
      return;
    }
    if (state.screen !== "start") return;
    const now = Date.now();
    if (now - checkIn.scanAt > SCAN_GAP_MILLISECONDS) checkIn.scan = "";
    checkIn.scanAt = now;
    if (event.key === "Enter" && checkIn.scan.length >= 4) {
      event.preventDefault();
      const scanned = checkIn.scan;
      checkIn.scan = "";
      openCheckIn(scanned);
      submitCheckIn(scanned);
    } else if (event.key.length === 1) {
      checkIn.scan += event.key;
    }
  }

  function wireCheckIn() {
    buildKeypad();
    $("appointment-button").addEventListener("click", () => openCheckIn());
    $("checkin-submit").addEventListener("click", () => submitCheckIn());
    $("checkin-delete").addEventListener("click", () => {
      checkIn.typed = looksLikeLink(checkIn.typed) ? "" : checkIn.typed.slice(0, -1);
      renderCheckIn();
    });
    $("checkin-clear").addEventListener("click", () => {
      checkIn.typed = "";
      checkIn.status = "";
      renderCheckIn();
    });
    $("walk-in-button").addEventListener("click", walkIn);
    document.addEventListener("keydown", onCheckInKey);
  }

  // -- accessibility: wheelchair layout, larger text, high contrast, voice guide ---------------
  // Each is this citizen's choice: it stays while they move through the screens (and start
  // over), and ends with their ticket or the idle timeout, like the language.

  const LONG_QUESTION = 80; // in half-width letters (a kanji or kana counts two)
  const REACH_FROM = 0.45; // controls sit below this share of the screen's height
  const SPEECH_CHARACTERS = 400; // the server's limit per request (server/voice_guide)
  const access = { lowReach: false, largeText: false, contrast: false };
  const voice = { on: false, generation: 0, audio: null, languages: null };

  function applyAccess() {
    const root = document.documentElement;
    root.classList.toggle("low-reach", access.lowReach);
    root.classList.toggle("large-text", access.largeText);
    root.classList.toggle("high-contrast", access.contrast);
    $("low-reach-button").setAttribute("aria-pressed", String(access.lowReach));
    $("large-text-button").setAttribute("aria-pressed", String(access.largeText));
    $("contrast-button").setAttribute("aria-pressed", String(access.contrast));
    renderVoiceButton();
    fitScreen();
  }

  function resetAccess() {
    Object.assign(access, { lowReach: false, largeText: false, contrast: false });
    voice.on = false;
    stopSpeaking();
    applyAccess();
  }

  function toggleAccess(name) {
    access[name] = !access[name];
    applyAccess();
    resetIdleTimer();
  }

  // The wheelchair layout gives the screen's buttons the room between 45 % of the height and the
  // header below them; text that does not fit above scrolls. A text area that scrolls is made
  // reachable by keyboard and named, so nobody needs a mouse wheel to read it.
  function fitScreen() {
    const main = $("main");
    if (access.lowReach) {
      const bottom = main.getBoundingClientRect().bottom - parseFloat(getComputedStyle(main).paddingBottom);
      const room = Math.max(0, Math.floor(bottom - window.innerHeight * REACH_FROM));
      document.documentElement.style.setProperty("--reach-height", `${room}px`);
    }
    const section = document.querySelector(".screen:not([hidden])");
    if (!section) return;
    const heading = section.querySelector("h1");
    for (const area of section.querySelectorAll(".screen-info, .screen-controls, .result-details")) {
      if (area.scrollHeight > area.clientHeight + 1 && getComputedStyle(area).overflowY !== "visible") {
        area.tabIndex = 0;
        area.setAttribute("role", "region");
        area.setAttribute("aria-label", t("scroll_region", { heading: heading ? plainText(heading) : "" }));
      } else {
        area.removeAttribute("tabindex");
        area.removeAttribute("role");
        area.removeAttribute("aria-label");
      }
    }
  }

  // What an element says: its text with ruby kept as {漢字|かんじ} (the server speaks the reading),
  // without the "shown in English" notes.
  function spokenFrom(element) {
    const copy = element.cloneNode(true);
    copy.querySelectorAll(".fallback-note").forEach((note) => note.remove());
    copy.querySelectorAll("ruby").forEach((ruby) => {
      const reading = ruby.querySelector("rt");
      const base = [...ruby.childNodes].filter((node) => node !== reading).map((node) => node.textContent).join("");
      ruby.replaceWith(reading ? `{${base}|${reading.textContent}}` : base);
    });
    return copy.textContent.replace(/\s+/g, " ").trim();
  }

  // What a screen reader's live region says: the text as shown, without the readings.
  function plainText(element) {
    const copy = element.cloneNode(true);
    copy.querySelectorAll("rt, .fallback-note").forEach((node) => node.remove());
    return copy.textContent.replace(/\s+/g, " ").trim();
  }

  function announceScreen(section) {
    const headingId = section.getAttribute("aria-labelledby");
    const heading = headingId ? $(headingId) : section.querySelector("h1, .working");
    const region = $("screen-announcer");
    region.textContent = "";
    if (heading) window.setTimeout(() => { region.textContent = plainText(heading); }, 100);
  }

  // Which languages have a voice, asked once the page runs (until known, every language is
  // offered, and a refusal then says so on the button).
  async function loadVoices() {
    const response = await call("GET", "/kiosk/speech");
    if (response.ok) {
      voice.languages = response.data.languages;
      renderVoiceButton();
    }
  }

  function voiceAvailable() {
    return !voice.languages || voice.languages[state.language] !== false;
  }

  function renderVoiceButton() {
    const available = voiceAvailable();
    const button = $("voice-button");
    // A language without a voice says so on the button, in that language: no silent switch.
    $("voice-label").textContent = available ? t("voice_guide") : t("voice_none");
    button.setAttribute("aria-disabled", String(!available));
    button.setAttribute("aria-pressed", String(voice.on && available));
    $("voice-repeat").hidden = !(voice.on && available);
  }

  function toggleVoice() {
    resetIdleTimer();
    if (!voiceAvailable()) {
      announce(t("voice_none"));
      return;
    }
    voice.on = !voice.on;
    renderVoiceButton();
    if (voice.on) speakScreen();
    else stopSpeaking();
  }

  // The parts of the current screen, in reading order: [element or text, language].
  function screenParts() {
    const here = (selector) => [...document.querySelectorAll(selector)].filter((element) => element.offsetParent !== null);
    switch (state.screen) {
      case "start":
        return [...here("#start-heading, #screen-start .hint, #appointment-button, #screen-start h2, #life-events .name, #services .name")];
      case "question":
        return [...here("#question-event, #question-progress, #question-text"), t("voice_answer_hint", { yes: t("yes"), no: t("no") })];
      case "summary": {
        const parts = here("#summary-heading, #summary-choice");
        for (const pair of here("#summary-answers > div")) parts.push(...pair.children);
        return [...parts, ...here("#summary-note h2, #summary-note-text, #screen-summary .hint, #issue-button")];
      }
      case "result": {
        const number = state.result ? state.result.ticket.number : "";
        return [t("announce_number", { number: `{#${number}}` }), ...here("#print-message, #result-wait p, #screen-result h2, #result-stops .where, #result-stops .what")];
      }
      case "issuing": return here("#issuing-text");
      case "checkin": return here("#checkin-heading, #screen-checkin .hint, #checkin-status");
      case "checkin-refused": return here("#refused-heading, #screen-checkin-refused .message");
      case "message": return here("#message-heading, #message-text");
      default: return [];
    }
  }

  const SENTENCE_END = /[.!?。！？:：।]$/;

  function sentence(text, lang) {
    if (!text || SENTENCE_END.test(text)) return text;
    if (lang.startsWith("ja") || lang.startsWith("zh")) return `${text}。`;
    return lang === "ne" ? `${text}।` : `${text}.`;
  }

  // The screen as requests of at most SPEECH_CHARACTERS each, one language per request (a name
  // the city has not translated is read in the language it is shown in).
  function speechChunks() {
    const chunks = [];
    for (const part of screenParts()) {
      const text = typeof part === "string" ? part : spokenFrom(part);
      const lang = (typeof part !== "string" && part.dataset.fallback) || state.language;
      if (!text) continue;
      for (const piece of splitLong(sentence(text, lang))) {
        const last = chunks[chunks.length - 1];
        if (last && last.lang === lang && last.text.length + piece.length + 1 <= SPEECH_CHARACTERS) {
          last.text += ` ${piece}`;
        } else {
          chunks.push({ lang, text: piece });
        }
      }
    }
    return chunks;
  }

  function splitLong(text) {
    const pieces = [];
    let rest = text;
    while (rest.length > SPEECH_CHARACTERS) {
      const head = rest.slice(0, SPEECH_CHARACTERS);
      // At the last sentence or clause end in reach, never inside a {漢字|かんじ}.
      let cut = Math.max(...[...head.matchAll(/[.!?。！？、,।]\s*/g)].map((match) => match.index + match[0].length), 0);
      if (cut === 0) cut = head.lastIndexOf(" ") > 0 ? head.lastIndexOf(" ") : SPEECH_CHARACTERS;
      const open = head.lastIndexOf("{", cut);
      if (open > head.lastIndexOf("}", cut)) cut = open || SPEECH_CHARACTERS;
      pieces.push(rest.slice(0, cut).trim());
      rest = rest.slice(cut).trim();
    }
    if (rest) pieces.push(rest);
    return pieces;
  }

  async function fetchSpeech(chunk) {
    try {
      const response = await fetch("/kiosk/speech", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(chunk),
        cache: "no-store",
      });
      if (response.ok) return { audio: await response.blob() };
      const data = await response.json().catch(() => ({}));
      return { code: data.code || "speech_failed" };
    } catch (error) {
      return { code: "server_unreachable" };
    }
  }

  function playAudio(blob, generation) {
    return new Promise((resolve) => {
      if (generation !== voice.generation) { resolve(); return; }
      const url = URL.createObjectURL(blob);
      const audio = new Audio(url);
      voice.audio = audio;
      const done = () => { URL.revokeObjectURL(url); resolve(); };
      audio.addEventListener("ended", done);
      audio.addEventListener("error", done);
      audio.addEventListener("pause", done);
      audio.play().catch(done);
    });
  }

  function setVoiceState(value) {
    $("voice-button").dataset.state = value;
  }

  async function speakScreen() {
    stopSpeaking();
    if (!voice.on || !voiceAvailable()) return;
    const generation = voice.generation;
    const chunks = speechChunks();
    if (chunks.length === 0) return;
    setVoiceState("loading");
    // The next part is asked while this one plays: one request at a time per kiosk, so that the
    // lobby's calls, which share the server's speech processes, are not kept waiting.
    let next = fetchSpeech(chunks[0]);
    for (let index = 0; index < chunks.length; index += 1) {
      const result = await next;
      if (generation !== voice.generation) return;
      if (!result.audio) {
        if (result.code === "no_voice") {
          voice.languages = { ...(voice.languages || {}), [chunks[index].lang]: false };
          renderVoiceButton();
          announce(t("voice_none"));
        } else {
          announce(t("voice_failed"));
        }
        setVoiceState("failed");
        return;
      }
      next = index + 1 < chunks.length ? fetchSpeech(chunks[index + 1]) : null;
      setVoiceState("playing");
      resetIdleTimer(); // a long screen read aloud is not an idle kiosk
      await playAudio(result.audio, generation);
      if (generation !== voice.generation) return;
    }
    setVoiceState("idle");
  }

  function stopSpeaking() {
    voice.generation += 1;
    if (voice.audio) {
      voice.audio.pause();
      voice.audio = null;
    }
    setVoiceState("idle");
  }

  function wireAccess() {
    $("low-reach-button").addEventListener("click", () => toggleAccess("lowReach"));
    $("large-text-button").addEventListener("click", () => toggleAccess("largeText"));
    $("contrast-button").addEventListener("click", () => toggleAccess("contrast"));
    $("voice-button").addEventListener("click", toggleVoice);
    $("voice-repeat").addEventListener("click", () => { resetIdleTimer(); speakScreen(); });
    window.addEventListener("resize", fitScreen);
    new ResizeObserver(() => fitScreen()).observe($("main"));
  }

  // -- start-up ------------------------------------------------------------------------------

  function wireButtons() {
    $("help-button").addEventListener("click", callForHelp);
    $("answer-yes").addEventListener("click", () => answer(true));
    $("answer-no").addEventListener("click", () => answer(false));
    $("issue-button").addEventListener("click", issue);
    $("print-retry").addEventListener("click", retryPrint);
    for (const button of document.querySelectorAll("[data-action='back']")) {
      button.addEventListener("click", back);
    }
    for (const button of document.querySelectorAll("[data-action='start-over']")) {
      button.addEventListener("click", () => goToStart({ resetLanguage: true }));
    }
    $("next-person").addEventListener("click", clearResult);
    wireCheckIn();
    wireAccess();
    for (const type of ["pointerdown", "keydown", "touchstart"]) {
      document.addEventListener(type, resetIdleTimer, { passive: true });
    }
  }

  async function start() {
    state.catalogue = await (await fetch("/static/i18n.json", { cache: "no-store" })).json();
    buildLanguageButtons();
    wireButtons();
    renderChrome();
    const config = await call("GET", "/kiosk/config");
    state.config = config.ok ? config.data : null;
    renderChrome();
    applyAccess();
    await goToStart();
    const seconds = state.config ? state.config.status_poll_seconds : 30;
    window.setInterval(poll, seconds * 1000);
    poll();
    loadVoices();
  }

  document.addEventListener("DOMContentLoaded", start);
})();
