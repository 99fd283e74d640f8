// One booking as the citizen keeps it: the code in big type, the QR of the manage link, the link
// and the calendar file. Shown after booking (/book/…) and on the manage page (/a/…).

import { clockTime, dayParts, h } from "./common.js";

export function manageUrl(base, token) {
  return `${location.origin}${base}/a/${encodeURIComponent(token)}`;
}

export function when(text, booking) {
  const date = text.date_(dayParts(booking.start));
  return `${date} ${text.range(clockTime(booking.start), clockTime(booking.end))}`;
}

/** The facts of a booking as a <dl>. */
export function facts(text, booking, serviceName) {
  return h(
    "dl",
    { class: "facts" },
    h("div", {}, h("dt", {}, text.service), h("dd", { id: "booked-service" }, serviceName || booking.service)),
    h("div", {}, h("dt", {}, text.when), h("dd", { id: "booked-when" }, when(text, booking))),
  );
}

/** Code, QR, manage link, calendar; `withLink`: also the link itself (not on the manage page). */
export function card(text, base, booking, { withLink = true } = {}) {
  const token = encodeURIComponent(booking.manage_token);
  const link = manageUrl(base, booking.manage_token);
  return h(
    "div",
    { class: "card" },
    h(
      "div",
      { class: "code-box" },
      h("p", { class: "caption" }, text.code),
      h("p", { class: "code", id: "code", translate: "no" }, booking.code),
    ),
    h(
      "figure",
      { class: "qr" },
      h("img", { id: "qr", src: `${base}/a/${token}/qr.svg`, alt: text.qrAlt, width: "200", height: "200" }),
    ),
    booking.check_in_opens && booking.check_in_until
      ? h("p", { class: "window", id: "check-in-window" }, text.checkInWindow(clockTime(booking.check_in_opens), clockTime(booking.check_in_until)))
      : null,
    h("p", { class: "note" }, text.codeNote),
    withLink ? h("p", { class: "link" }, h("a", { id: "manage-link", href: link }, text.manageLink)) : null,
    withLink ? h("p", { class: "note" }, text.manageNote) : null,
    h(
      "p",
      { class: "link" },
      h("a", { id: "calendar", class: "button secondary", href: `${base}/api/v1/appointments/${token}/calendar.ics`, download: `madoguchi-${booking.code}.ics` }, text.calendar),
    ),
  );
}
