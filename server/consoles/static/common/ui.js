// Small DOM helpers shared by the console pages: element building (never innerHTML with data),
// a polite live region for messages, the sign-in form and the header (who, connection, sign out).

import {
  ApiError,
  SIGNED_OUT_EVENT,
  adoptSignInFromFragment,
  api,
  currentSession,
  login,
  logout,
  rememberProfile,
  signInMethods,
  singleSignOnUrl,
} from "./api.js";

/** Build an element: h("button", {class: "big", onclick: fn, disabled: true}, "text", child…). */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      element.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      element.className = value;
    } else if (key === "dataset") {
      Object.assign(element.dataset, value);
    } else if (value === true) {
      element.setAttribute(key, "");
    } else {
      element.setAttribute(key, String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** Japanese first, English beneath: <span lang="ja">…</span><span lang="en" class="en">…</span>. */
export function bi(ja, en) {
  return [h("span", { lang: "ja" }, ja), " ", h("span", { lang: "en", class: "en" }, en)];
}

export const STOP_STATUS = {
  pending: ["未着手", "Not yet"],
  waiting: ["待ち", "Waiting"],
  called: ["呼出中", "Called"],
  serving: ["対応中", "Serving"],
  done: ["完了", "Done"],
  no_show: ["不在", "No-show"],
  skipped: ["取りやめ", "Skipped"],
};

export const TICKET_STATUS = {
  waiting: ["待ち", "Waiting"],
  called: ["呼出中", "Called"],
  serving: ["対応中", "Serving"],
  processing: ["処理中（お客様はお待ち）", "Back-office work"],
  done: ["すべて完了", "All done"],
  no_show: ["不在", "No-show"],
  cancelled: ["取消", "Cancelled"],
};

/** Whole minutes since an ISO time. */
export function minutesSince(iso, now = Date.now()) {
  return Math.max(0, Math.floor((now - new Date(iso).getTime()) / 60000));
}

export function clockTime(iso) {
  return new Date(iso).toLocaleTimeString("ja-JP", { hour: "2-digit", minute: "2-digit" });
}

/** Say something in the page's live region (role=status, or role=alert for errors). */
export function announce(message, kind = "info") {
  let region = document.getElementById("messages");
  if (!region) {
    region = h("div", { id: "messages", class: "messages", "aria-live": "polite" });
    document.body.append(region);
  }
  const item = h("p", { class: `message ${kind}`, role: kind === "error" ? "alert" : "status" }, message);
  region.append(item);
  setTimeout(() => item.remove(), kind === "error" ? 12000 : 6000);
  return item;
}

/** The message of an error for the person at the console. */
export function explain(error) {
  if (error instanceof ApiError) return error.message;
  return `${error?.message || error}`;
}

/**
 * Resolve with the signed-in session, showing a sign-in form in `container` when needed.
 * A stored token is checked with /auth/me first (it may have expired).
 */
export async function ensureSignedIn(container, { title = "サインイン", titleEn = "Sign in" } = {}) {
  adoptSignInFromFragment();
  if (currentSession()) {
    try {
      const me = await api("/auth/me");
      rememberProfile(me);
      return currentSession();
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
    }
  }
  const methods = await signInMethods();
  return new Promise((resolve) => {
    const sso = methods.oidc
      ? h(
          "a",
          { id: "signin-sso", class: "button primary sso", href: singleSignOnUrl() },
          ...bi("組織のアカウントでサインイン", "Sign in with your organization's account"),
        )
      : null;
    if (!methods.local) {
      const note = methods.oidc
        ? null
        : h("p", { class: "form-error", role: "alert" }, ...bi("サインインの方法が設定されていません。システム管理者にお問い合わせください。", "No way to sign in is configured; ask your system administrator."));
      container.replaceChildren(
        h("section", { class: "card signin", "aria-labelledby": "signin-title" }, h("h2", { id: "signin-title" }, ...bi(title, titleEn)), sso, note),
      );
      sso?.focus();
      return; // the provider brings the browser back to this page, signed in
    }
    const error = h("p", { class: "form-error", role: "alert", id: "signin-error" });
    const username = h("input", { id: "signin-username", name: "username", autocomplete: "username", required: true });
    const password = h("input", {
      id: "signin-password",
      name: "password",
      type: "password",
      autocomplete: "current-password",
      required: true,
    });
    const submit = h("button", { type: "submit", class: "primary" }, ...bi("サインイン", "Sign in"));
    const form = h(
      "form",
      { class: "card signin", "aria-labelledby": "signin-title" },
      h("h2", { id: "signin-title" }, ...bi(title, titleEn)),
      sso,
      sso ? h("p", { class: "signin-or" }, ...bi("または、この窓口システムのアカウントで（緊急用）", "or with a Madoguchi account (break-glass)")) : null,
      h("label", { for: "signin-username" }, ...bi("ユーザー名", "Username")),
      username,
      h("label", { for: "signin-password" }, ...bi("パスワード", "Password")),
      password,
      error,
      submit,
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      submit.disabled = true;
      error.textContent = "";
      try {
        const session = await login(username.value.trim(), password.value);
        form.remove();
        resolve(session);
      } catch (failure) {
        error.textContent = explain(failure);
        password.select();
      } finally {
        submit.disabled = false;
      }
    });
    container.replaceChildren(form);
    username.focus();
  });
}

/**
 * Fill the standard header: #who (user and role), #connection (live state), #signout.
 * Reloads the page when the session ends (sign-out, expiry), which shows the sign-in form.
 */
export function bindHeader(session, branch) {
  const roles = { municipal: ["職員", "Municipal staff"], contractor: ["受託者", "Contractor"], admin: ["管理者", "Admin"] };
  const [roleJa, roleEn] = roles[session.role] || [session.role, session.role];
  const who = document.getElementById("who");
  const show = (branchName) =>
    who?.replaceChildren(`${session.username}（${roleJa} / ${roleEn}）${branchName ? `・${branchName}` : ""}`);
  show(branch);
  // The branch's name (本庁舎), not its code (honcho), once the list has come.
  api("/branches").then(
    (branches) => {
      const found = branches.find((candidate) => candidate.id === branch);
      if (found) show(found.name);
    },
    () => {}, // the code stays: enough to tell branches apart
  );
  const signout = document.getElementById("signout");
  if (signout) {
    signout.hidden = false;
    signout.onclick = () => logout();
  }
  window.addEventListener(SIGNED_OUT_EVENT, () => location.reload(), { once: true });
}

const CONNECTION = {
  connecting: ["接続中…", "Connecting…"],
  live: ["ライブ", "Live"],
  offline: ["再接続中…", "Reconnecting…"],
  refused: ["接続できません", "Not connected"],
};

/** Show the stream's state in #connection. */
export function showConnection(state) {
  const element = document.getElementById("connection");
  if (!element) return;
  const [ja, en] = CONNECTION[state] || [state, state];
  element.dataset.state = state;
  element.replaceChildren(...bi(ja, en));
}

/**
 * A ticket's whole route as an ordered list: each stop's name, where it happens and its state.
 * `nameOf(stop)` names a stop (staff see the procedure; by default the neutral public label).
 */
export function routeList(ticket, nameOf = (stop) => stop.label) {
  return h(
    "ol",
    { class: "route", "aria-label": "経路 Route" },
    ticket.stops.map((stop, index) => {
      const [ja, en] = STOP_STATUS[stop.status] || [stop.status, stop.status];
      const where = stop.citizen_present ? (stop.counter ? `窓口 ${stop.counter}` : "") : "バックオフィス Back office";
      const current = index === ticket.current_stop;
      return h(
        "li",
        {
          class: [current ? "current" : "", stop.status === "done" ? "done" : ""].join(" ").trim(),
          "data-status": stop.status,
          "aria-current": current ? "step" : null,
        },
        h("span", {}, nameOf(stop), " ", h("span", { class: "en" }, `(${stop.label_en})`), h("br"), h("span", { class: "where" }, where)),
        h("span", { class: "stop-status", "data-status": stop.status }, ja, " ", h("span", { class: "en" }, en)),
      );
    }),
  );
}
