// What the booking and manage pages share: the language, calls to the API (relative URLs, so
// the pages work the same under a city hall's prefix on the public edge), and dates and times
// read in the branch's own time (the offset the server writes), whatever the phone's zone.

import { LANGUAGES, TEXT } from "./text.js";

const LANGUAGE_KEY = "madoguchi.language";

export class ApiError extends Error {
  constructor(status, code, detail) {
    super(typeof detail === "string" ? detail : code);
    this.status = status;
    this.code = code;
  }
}

/** The page's base: "" on the server, a city hall's prefix on a shared edge ("/kita"). */
export function pathBase(marker) {
  const path = location.pathname;
  return path.slice(0, path.lastIndexOf(marker));
}

export async function api(base, method, path, body) {
  let response;
  try {
    response = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "offline", "offline");
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const code = data?.code || (response.status === 429 ? "too_many_requests" : `http_${response.status}`);
    throw new ApiError(response.status, code, data?.detail);
  }
  return data;
}

/** The language to start in: the one chosen before, else the phone's, else Japanese. */
export function startLanguage() {
  const url = new URLSearchParams(location.search).get("lang");
  const remembered = sessionStorage.getItem(LANGUAGE_KEY);
  for (const candidate of [url, remembered]) if (LANGUAGES.includes(candidate)) return candidate;
  for (const wanted of navigator.languages || []) {
    const lower = wanted.toLowerCase();
    if (lower.startsWith("ja")) return "ja";
    if (lower.startsWith("zh-hant") || lower === "zh-tw" || lower === "zh-hk" || lower === "zh-mo") return "zh_hant";
    if (lower.startsWith("zh")) return "zh";
    if (lower.startsWith("fil")) return "tl";
    const found = LANGUAGES.find((language) => lower.split("-")[0] === language);
    if (found) return found;
  }
  return "ja";
}

export function rememberLanguage(language) {
  sessionStorage.setItem(LANGUAGE_KEY, language);
}

/** A <select> of every language, calling onChange with the code. */
export function languagePicker(select, current, onChange) {
  select.replaceChildren(
    ...LANGUAGES.map((language) => {
      const option = document.createElement("option");
      option.value = language;
      option.lang = TEXT[language].htmlLang;
      option.textContent = TEXT[language].name;
      option.selected = language === current;
      return option;
    }),
  );
  select.addEventListener("change", () => onChange(select.value));
}

/** "2026-12-07" → {year, month, day, weekday}; weekday 0 = Sunday, as in the branch's calendar. */
export function dayParts(isoDate) {
  const [year, month, day] = isoDate.slice(0, 10).split("-").map(Number);
  return { year, month, day, weekday: new Date(Date.UTC(year, month - 1, day)).getUTCDay() };
}

/** "2026-12-07T10:30:00+09:00" → "10:30" (the branch's wall clock, as written by the server). */
export function clockTime(isoDateTime) {
  return isoDateTime.slice(11, 16);
}

/** "2026-12-07" plus n days. */
export function addDays(isoDate, days) {
  const { year, month, day } = dayParts(isoDate);
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
}

export function byId(id) {
  return document.getElementById(id);
}

/** A small element builder: h("p", {class: "x"}, "text", child). */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) element.append(child);
  }
  return element;
}
