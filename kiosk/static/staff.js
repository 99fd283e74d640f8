// The kiosk's staff page: sign in with a server staff account, then reprint or discard slips
// that could not be printed. The kiosk never prints them unasked (see kiosk/printing.py).
"use strict";

(() => {
  const TOKEN_KEY = "madoguchi-kiosk-staff-token";
  const $ = (id) => document.getElementById(id);

  async function call(method, path, body) {
    const headers = { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) || ""}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const data = response.status === 204 ? null : await response.json();
    if (response.status === 401) signOut();
    return { ok: response.ok, data };
  }

  function say(text) {
    $("staff-message").textContent = text;
  }

  function signOut() {
    sessionStorage.removeItem(TOKEN_KEY);
    $("jobs").hidden = true;
    $("sign-out").hidden = true;
    $("sign-in").hidden = false;
  }

  function button(label, onClick) {
    const element = document.createElement("button");
    element.type = "button";
    element.className = "secondary";
    element.textContent = label;
    element.addEventListener("click", onClick);
    return element;
  }

  async function act(method, path, done) {
    const response = await call(method, path);
    if (!response.ok) say(response.data.detail);
    else if (response.data && response.data.print && !response.data.print.ok) say(`印刷できませんでした / Not printed: ${response.data.print.error}`);
    else say(done);
    await refresh();
  }

  async function refresh() {
    const status = await call("GET", "/kiosk/status");
    if (status.ok) {
      const printer = status.data.printer;
      $("printer-state").textContent = `プリンター / Printer: ${printer.status}${printer.detail ? ` (${printer.detail})` : ""}`;
    }
    const response = await call("GET", "/kiosk/print-jobs");
    if (!response.ok) {
      say(response.data.detail);
      return;
    }
    const rows = $("job-rows");
    rows.replaceChildren();
    for (const job of response.data) {
      const row = document.createElement("tr");
      for (const value of [job.number, new Date(job.queued_at).toLocaleTimeString("ja-JP"), job.attempts, job.last_error || ""]) {
        const cell = document.createElement("td");
        cell.textContent = String(value);
        row.append(cell);
      }
      const actions = document.createElement("td");
      actions.append(
        button(`${job.number} を印刷 / Print`, () => act("POST", `/kiosk/print-jobs/${job.job_id}/print`, `${job.number}: 印刷しました / Printed`)),
        " ",
        button(`${job.number} を削除 / Discard`, () => act("DELETE", `/kiosk/print-jobs/${job.job_id}`, `${job.number}: 削除しました / Discarded`)),
      );
      row.append(actions);
      rows.append(row);
    }
    $("no-jobs").hidden = response.data.length > 0;
  }

  function showJobs() {
    $("sign-in").hidden = true;
    $("sign-out").hidden = false;
    $("jobs").hidden = false;
    refresh();
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("sign-in").addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = new FormData(event.target);
      const response = await fetch("/kiosk/staff/login", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username: form.get("username"), password: form.get("password") }),
      });
      const data = await response.json();
      if (!response.ok) {
        say(typeof data.detail === "string" ? data.detail : "ログインできませんでした / Sign-in failed");
        return;
      }
      sessionStorage.setItem(TOKEN_KEY, data.access_token);
      say("");
      showJobs();
    });
    $("sign-out").addEventListener("click", signOut);
    $("refresh").addEventListener("click", refresh);
    if (sessionStorage.getItem(TOKEN_KEY)) showJobs();
  });
})();
