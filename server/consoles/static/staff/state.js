// What every panel of the staff console shares: the session, the branch's services and reason
// codes, the counter in use and the ticket in hand. Panels read it; staff.js fills it.

import { h } from "../common/ui.js";

/** element.replaceChildren(), but like h(): arrays flattened, null and false left out. */
export function fill(element, ...children) {
  element.replaceChildren(...h("div", {}, ...children).childNodes);
}

export const STAGES = {
  front: ["受付・お渡し", "Front"],
  middle: ["審査・決定（職員）", "Review (municipal staff)"],
  back: ["入力・作成", "Back office"],
};

export const state = {
  session: null,
  branch: null,
  services: new Map(), // key → service
  reasons: [], // [{id, name, name_en}]
  counterId: null,
  desk: null, // GET /counters/{id}
  waiting: [],
  outcome: null, // what the last action did to the last ticket
  recalls: null, // {number, count}: recalls of the ticket in hand, from this console
  recallLimit: null, // {number, message} once the server refused another recall
  busy: false,
  view: null, // "chooser" | "desk" | "appointments"
};

export function serviceName(key) {
  return state.services.get(key)?.name || key;
}

export function serviceNameEn(key) {
  return state.services.get(key)?.name_en || key;
}

export function reasonName(id) {
  const reason = state.reasons.find((item) => item.id === id);
  return reason ? `${reason.name} / ${reason.name_en}` : id;
}

export function mayHandle(service) {
  return !(service?.staff_only && state.session.role === "contractor");
}
