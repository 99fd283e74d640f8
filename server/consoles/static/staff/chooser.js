// The counter chooser: public windows and internal desks, each as a big card.

import { api, remember } from "../common/api.js";
import { bi, h } from "../common/ui.js";
import { appointmentsEntry } from "./appointments.js";
import { enterCounter } from "./desk.js";
import { lookupForm } from "./lookup.js";
import { fill, mayHandle, state } from "./state.js";

export async function showChooser() {
  state.view = "chooser";
  state.counterId = null;
  remember("counter", null);
  document.getElementById("counter-title").replaceChildren();
  const counters = await api(`/branches/${state.branch}/counters`);
  if (state.view !== "chooser") return;
  const card = (counter) => {
    const services = counter.services.map((key) => state.services.get(key)).filter(Boolean);
    // A contractor never opens a desk that only does municipal decisions (公権力の行使).
    const reserved = services.length > 0 && services.every((service) => !mayHandle(service));
    const stateBadge = h(
      "span",
      { class: `badge state-${counter.state}` },
      counter.state === "open" ? "開 Open" : "閉 Closed",
    );
    return h(
      "button",
      {
        type: "button",
        class: "counter-card",
        "data-counter": counter.name,
        "aria-disabled": reserved ? "true" : null,
        onclick: reserved ? null : () => enterCounter(counter.id),
      },
      h("span", { class: "code" }, counter.name),
      h("span", {}, counter.label, " ", h("span", { class: "en" }, counter.label_en)),
      h("span", {}, stateBadge, counter.current_ticket ? ` ${counter.current_ticket}` : ""),
      reserved ? h("span", { class: "note" }, ...bi("職員専用の窓口です", "Municipal staff only")) : null,
    );
  };
  const windows = counters.filter((counter) => counter.public);
  const desks = counters.filter((counter) => !counter.public);
  fill(app(),
    h(
      "section",
      { class: "chooser", "aria-labelledby": "chooser-title" },
      h("div", { class: "chooser-top" }, h("div", { class: "card lookup-card" }, lookupForm()), appointmentsEntry()),
      h("h2", { id: "chooser-title" }, ...bi("窓口を選んでください", "Choose your counter")),
      h("h3", {}, ...bi("窓口", "Public counters")),
      h("div", { class: "counter-grid" }, windows.map(card)),
      h("h3", {}, ...bi("内部デスク（バックオフィス）", "Internal desks (back office)")),
      h("div", { class: "counter-grid" }, desks.map(card)),
    ),
  );
}

function app() {
  return document.getElementById("app");
}
