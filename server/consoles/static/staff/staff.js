// Staff console (/staff): choose a counter, open it, call / recall / start / complete / no-show /
// transfer, see the waiting list live; an internal desk takes back-office work. 「番号で探す」 looks
// a ticket up to change the rest of its route or bring back a citizen marked absent.
// One module per panel: chooser.js, desk.js (the counter in use), lookup.js (番号で探す),
// no_show.js (confirm and undo), visits.js (the route as visits), appointments.js (予約: the day's
// bookings, telephone booking, check-in), state.js (what they share).

import { api, recall, resolveBranch } from "../common/api.js";
import { coalesce, connectBranchStream } from "../common/live.js";
import { announce, bindHeader, ensureSignedIn, explain, minutesSince, showConnection } from "../common/ui.js";
import { refreshAppointments } from "./appointments.js";
import { showChooser } from "./chooser.js";
import { enterCounter, onKey, refreshDesk, refreshWaiting, ticketChanged } from "./desk.js";
import { onTicketEvent, whenTicketChanged } from "./lookup.js";
import { state } from "./state.js";

const app = document.getElementById("app");

const refreshSoon = coalesce(() => {
  if (state.view === "desk") {
    refreshWaiting();
    refreshDesk();
  } else if (state.view === "chooser") {
    showChooser().catch((error) => announce(explain(error), "error"));
  } else if (state.view === "appointments") {
    refreshAppointments();
  }
});

function onEvent(message) {
  if (message.type?.startsWith("ticket.") || message.type?.startsWith("counter.")) refreshSoon();
  if (message.type?.startsWith("ticket.")) onTicketEvent(message);
}

async function main() {
  state.session = await ensureSignedIn(app, { title: "窓口コンソールにサインイン", titleEn: "Sign in to the staff console" });
  state.branch = await resolveBranch(state.session);
  bindHeader(state.session, state.branch);
  const [services, reasons] = await Promise.all([
    api(`/branches/${state.branch}/services`),
    api(`/branches/${state.branch}/reason-codes`),
  ]);
  state.services = new Map(services.map((service) => [service.id, service]));
  state.reasons = reasons;
  whenTicketChanged(ticketChanged);
  document.addEventListener("keydown", onKey);
  // Minutes waited tick locally; only events make the page ask the server again.
  setInterval(() => {
    for (const cell of document.querySelectorAll("td.waited[data-since]")) {
      cell.textContent = `${minutesSince(cell.dataset.since)}分`;
    }
  }, 30000);
  connectBranchStream(state.branch, {
    onSnapshot: refreshSoon,
    onResync: refreshSoon,
    onEvent,
    onStatus: showConnection,
  });
  const remembered = recall("counter");
  if (remembered) await enterCounter(remembered);
  else await showChooser();
}

main().catch((error) => {
  announce(explain(error), "error");
});
