// The route as the citizen lives it, told the same way as on the slip and the status page: one
// line per window visit (「1〜5番窓口: 転入届・印鑑登録」), back-office work as one line
// (「書類の準備」). Staff also see the procedure names behind neutral public labels.

import { h } from "../common/ui.js";
import { serviceName, serviceNameEn } from "./state.js";

/** The stop the ticket is at, or null when it has none (done, cancelled). */
export function currentStop(ticket) {
  return ticket && ticket.current_stop !== null ? ticket.stops[ticket.current_stop] : null;
}

/** Back-office work is taken by a desk, never called: nobody is announced, the citizen waits. */
export function isBackOffice(stop) {
  return Boolean(stop) && !stop.citizen_present;
}

const WINDOW_STATUS = {
  pending: ["これから", "Later"],
  waiting: ["待ち", "Waiting"],
  called: ["呼出中", "Called"],
  serving: ["対応中", "Serving"],
  done: ["完了", "Done"],
  no_show: ["不在", "No-show"],
  skipped: ["取りやめ", "Skipped"],
};

const BACK_OFFICE_STATUS = {
  pending: ["これから", "Later"],
  waiting: ["作業待ち", "Waiting for a desk"],
  called: ["受付済み・処理中", "Taken, in progress"],
  serving: ["受付済み・処理中", "Taken, in progress"],
  done: ["完了", "Done"],
  no_show: ["不在", "No-show"],
  skipped: ["取りやめ", "Skipped"],
};

/** How a stop stands, in words that fit its kind: a window calls, a desk takes. */
export function stopStatusText(stop) {
  const table = isBackOffice(stop) ? BACK_OFFICE_STATUS : WINDOW_STATUS;
  return table[stop.status] || [stop.status, stop.status];
}

/** "1–5" → 「1〜5番窓口」 (a Japanese range) / "Counters 1–5". */
export function windowsText(counters) {
  if (!counters) return ["窓口", "Counter"];
  const many = /[–・,]/.test(counters);
  return [`${counters.replaceAll("–", "〜")}番窓口`, `${many ? "Counters" : "Counter"} ${counters}`];
}

/**
 * The procedures done at this window just before the one in hand, when the citizen stayed
 * seated and the clerk went straight on (one visit per window); else null.
 */
export function continuedFrom(ticket) {
  const stop = currentStop(ticket);
  if (!stop || stop.status !== "serving") return null;
  const visit = ticket.visits?.find((item) => item.stops.includes(ticket.current_stop));
  if (!visit) return null;
  const before = visit.stops.filter((index) => index < ticket.current_stop && ticket.stops[index].status === "done");
  const here = before.filter((index) => !stop.counter || !ticket.stops[index].counter || ticket.stops[index].counter === stop.counter);
  return here.length ? here.map((index) => ticket.stops[index]) : null;
}

function unique(values) {
  return [...new Set(values)];
}

function visitWords(ticket, visit) {
  const stops = visit.stops.map((index) => ticket.stops[index]);
  if (visit.kind === "back_office") {
    return {
      where: ["書類の準備", "Preparing the documents"],
      whatEn: unique(stops.map((stop) => serviceNameEn(stop.service))),
      internal: true,
    };
  }
  return {
    where: windowsText(visit.counters),
    what: unique(stops.map((stop) => serviceName(stop.service))),
    whatEn: unique(stops.map((stop) => serviceNameEn(stop.service))),
    internal: false,
  };
}

const VISIT_STATUS = {
  done: ["済", "Done"],
  upcoming: ["これから", "Later"],
  missed: ["不在", "Missed"],
};

function visitStatusText(ticket, visit) {
  if (visit.status !== "current") return VISIT_STATUS[visit.status] || [visit.status, visit.status];
  const index = visit.stops.includes(ticket.current_stop) ? ticket.current_stop : visit.stops.find((i) => ticket.stops[i].status !== "done");
  return index === undefined ? ["対応中", "In progress"] : stopStatusText(ticket.stops[index]);
}

/** The visits of a ticket as an ordered list; the current one marked. */
export function visitList(ticket, { id } = {}) {
  const visits = ticket.visits || [];
  return h(
    "ol",
    { class: "visits", id: id || null, "aria-label": "経路 Route" },
    visits.map((visit) => {
      const words = visitWords(ticket, visit);
      const [statusJa, statusEn] = visitStatusText(ticket, visit);
      const current = visit.status === "current";
      const seen = new Set();
      const what = [];
      for (const index of visit.stops) {
        const stop = ticket.stops[index];
        if (seen.has(stop.service)) continue;
        seen.add(stop.service);
        what.push(
          h(
            "span",
            {
              class: "procedure",
              "data-service": stop.service,
              "data-status": stop.status,
              "aria-current": index === ticket.current_stop ? "step" : null,
            },
            serviceName(stop.service),
          ),
        );
      }
      return h(
        "li",
        {
          class: `visit ${visit.kind === "back_office" ? "back-office" : "window"}`,
          "data-status": visit.status,
          "aria-current": current ? "step" : null,
        },
        h(
          "span",
          { class: "visit-text" },
          h("span", { class: "where" }, words.where[0]),
          words.internal
            ? [" ", h("span", { class: "what internal" }, "(", joinNodes(what), ")")]
            : [": ", h("span", { class: "what" }, joinNodes(what))],
          h("br"),
          h("span", { class: "en" }, words.internal ? words.where[1] : `${words.where[1]}: ${words.whatEn.join(", ")}`),
        ),
        h("span", { class: "visit-status", "data-status": visit.status }, statusJa, " ", h("span", { class: "en" }, statusEn)),
      );
    }),
  );
}

function joinNodes(nodes) {
  return nodes.flatMap((node, index) => (index ? ["・", node] : [node]));
}
