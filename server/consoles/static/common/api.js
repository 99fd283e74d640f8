// Talking to the Madoguchi API from a console page.
//
// The bearer token lives in sessionStorage (one tab, gone when it closes) and travels only in the
// Authorization header: no cookie is ever set, so there is nothing for another site to forge.

export const API = "/api/v1";
const TOKEN_KEY = "madoguchi.token";
const PROFILE_KEY = "madoguchi.profile";
export const SIGNED_OUT_EVENT = "madoguchi:signed-out";

/** An API error: HTTP status, machine code and a human message (the server's "detail"). */
export class ApiError extends Error {
  constructor(status, code, detail) {
    super(describeDetail(detail) || `HTTP ${status}`);
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

function describeDetail(detail) {
  if (Array.isArray(detail)) {
    // 422 validation errors keep FastAPI's list form.
    return detail.map((item) => `${(item.loc || []).slice(1).join(".")}: ${item.msg}`).join("; ");
  }
  return typeof detail === "string" ? detail : "";
}

/** The signed-in staff member ({token, role, username, branch}) or null. */
export function currentSession() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return null;
  let profile = {};
  try {
    profile = JSON.parse(sessionStorage.getItem(PROFILE_KEY) || "{}");
  } catch {
    profile = {};
  }
  return { token, ...profile };
}

export function clearSession() {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(PROFILE_KEY);
}

function signedOut() {
  clearSession();
  window.dispatchEvent(new CustomEvent(SIGNED_OUT_EVENT));
}

/**
 * Call the API. `path` is relative to /api/v1. Resolves with the JSON body (null for 204);
 * rejects with ApiError. A 401 signs the page out (the token expired or was revoked).
 */
/** A fresh Idempotency-Key (crypto.randomUUID needs HTTPS; consoles may run on plain HTTP in a LAN). */
export function requestKey() {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

export async function api(path, { method = "GET", body, signal, auth = true, headers: extra = {} } = {}) {
  const headers = { ...extra, Accept: "application/json" };
  const session = currentSession();
  if (auth && session) headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(API + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      credentials: "omit",
      cache: "no-store",
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, "network_error", "サーバーに接続できません。 Cannot reach the server.");
  }
  if (response.status === 204) return null;
  let payload = null;
  try {
    payload = await response.json();
  } catch {
    payload = null;
  }
  if (!response.ok) {
    const error = new ApiError(response.status, payload?.code || "http_error", payload?.detail ?? response.statusText);
    if (response.status === 401 && auth) signedOut();
    throw error;
  }
  return payload;
}

/** Sign in; stores the token and returns the session. */
export async function login(username, password) {
  const result = await api("/auth/login", { method: "POST", body: { username, password }, auth: false });
  sessionStorage.setItem(TOKEN_KEY, result.access_token);
  const profile = { role: result.role, username: result.username, branch: result.branch ?? null };
  sessionStorage.setItem(PROFILE_KEY, JSON.stringify(profile));
  return currentSession();
}

/**
 * Single sign-on came back: the server put the token in this URL's fragment (#signin=…), which
 * no server or log ever sees. Keep it like a password sign-in's and take it out of the address
 * bar and history at once. True when there was one.
 */
export function adoptSignInFromFragment() {
  const match = /^#signin=([A-Za-z0-9_-]+)$/.exec(location.hash);
  if (!match) return false;
  history.replaceState(null, "", location.pathname + location.search);
  sessionStorage.setItem(TOKEN_KEY, match[1]);
  sessionStorage.setItem(PROFILE_KEY, JSON.stringify({ sso: true }));
  return true;
}

/** Keep what /auth/me said next to the token (the single sign-on mark stays). */
export function rememberProfile(me) {
  const previous = currentSession() || {};
  const profile = { role: me.role, username: me.username, branch: me.branch ?? null, sso: Boolean(previous.sso) };
  sessionStorage.setItem(PROFILE_KEY, JSON.stringify(profile));
}

/** How people sign in here ({oidc, local}); both on if the server cannot be asked. */
export async function signInMethods() {
  try {
    return await api("/auth/methods", { auth: false });
  } catch {
    return { oidc: false, local: true };
  }
}

/** Where the single sign-on button leads: the provider, then back to this page signed in. */
export function singleSignOnUrl() {
  return `${API}/auth/oidc/login?next=${encodeURIComponent(location.pathname)}`;
}

/**
 * Sign out on the server (best effort) and forget the token. A single sign-on session also ends
 * at the identity provider (the server sends the browser there, and back to this page).
 */
export async function logout() {
  const sso = Boolean(currentSession()?.sso);
  try {
    if (currentSession()) await api("/auth/logout", { method: "POST" });
  } catch {
    // The token is forgotten either way.
  }
  if (sso) {
    clearSession();
    location.assign(`${API}/auth/oidc/logout?next=${encodeURIComponent(location.pathname)}`);
    return;
  }
  signedOut();
}

/** Remember something for this tab (e.g. the chosen counter), next to the token. */
export function remember(key, value) {
  if (value === null || value === undefined) sessionStorage.removeItem(`madoguchi.${key}`);
  else sessionStorage.setItem(`madoguchi.${key}`, JSON.stringify(value));
}

export function recall(key) {
  try {
    return JSON.parse(sessionStorage.getItem(`madoguchi.${key}`) || "null");
  } catch {
    return null;
  }
}

/** The branch this console works for: the account's own, else the first one the server runs. */
export async function resolveBranch(session) {
  if (session.branch) return session.branch;
  const wanted = new URLSearchParams(location.search).get("branch");
  const branches = await api("/branches");
  const found = branches.find((branch) => branch.id === wanted) || branches[0];
  if (!found) throw new ApiError(404, "branch_not_found", "支所が設定されていません。 No branch is configured.");
  return found.id;
}
