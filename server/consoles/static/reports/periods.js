// The 月次・年次 (monthly / yearly) panel of the reports page: GET /reports/monthly or /yearly,
// optionally against a baseline period (say, the year before the reform), as tiles with the
// difference, waiting p50 / p90 per day (or per month) on one chart, the same rows as a table,
// and the CSV. The panel is folded until opened; its figures are fetched then, not before.

import { api } from "../common/api.js";
import { announce, bi, explain, h } from "../common/ui.js";
import { barsWithLine } from "./charts.js";
import { downloadCsv } from "./csv.js";
import { hours, minutes, percent, tile } from "./format.js";

const state = { branch: null, kind: "monthly", report: null, loading: null };

const count = (value) => String(value);
const score = (value) => (value === null ? "—" : value.toFixed(2));

// The headline figures, in the server's names. `better`: -1 when less is better (waits), +1 when
// more is (satisfaction), 0 when neither is the point of the figure by itself.
const FIGURES = [
  { key: "issued", ja: "発券", en: "Issued", show: count, better: 0 },
  { key: "served", ja: "完了", en: "Served", show: count, better: 0 },
  { key: "no_show", ja: "不在", en: "No-show", show: count, better: 0 },
  { key: "wait_p50_minutes", ja: "待ち時間 中央値", en: "Wait p50", show: minutes, unit: "分 min", better: -1 },
  { key: "wait_p90_minutes", ja: "待ち時間 90%", en: "Wait p90", show: minutes, unit: "分 min", better: -1 },
  { key: "stay_mean_minutes", ja: "平均滞在時間", en: "Mean stay", show: minutes, unit: "分 min", better: -1 },
  { key: "stay_p50_minutes", ja: "滞在時間 中央値", en: "Stay p50", show: minutes, unit: "分 min", better: -1 },
  { key: "stay_p90_minutes", ja: "滞在時間 90%", en: "Stay p90", show: minutes, unit: "分 min", better: -1 },
  { key: "city_staff_minutes", ja: "職員の従事時間", en: "City staff hours", show: hours, unit: "時間 h", better: 0 },
  { key: "contractor_minutes", ja: "受託者の従事時間", en: "Contractor hours", show: hours, unit: "時間 h", better: 0 },
  { key: "city_staff_share", ja: "職員の割合", en: "City staff share", show: percent, better: 0 },
  { key: "satisfaction_mean", ja: "満足度", en: "Satisfaction", show: score, unit: "/ 5", better: 1 },
];

/** A difference in the figure's own unit, signed: "+1.5", "−12", "+3.0 pt". */
function signedText(figure, value) {
  if (value === null || value === undefined) return "—";
  let text;
  if (figure.show === hours) text = hours(Math.abs(value));
  else if (figure.show === minutes) text = minutes(Math.abs(value));
  else if (figure.show === percent) text = `${(Math.abs(value) * 100).toFixed(1)} pt`;
  else if (figure.show === score) text = Math.abs(value).toFixed(2);
  else text = String(Math.abs(value));
  if (value === 0) return `±${text}`;
  return `${value > 0 ? "+" : "−"}${text}`;
}

/** "▼ −1.5 基準比 vs 2025-04": the arrow for the sign, the colour only where a direction is better. */
function deltaLine(figure, value, baseline) {
  const direction = value === null || value === 0 || figure.better === 0 ? 0 : Math.sign(value) * figure.better;
  const arrow = value === null || value === 0 ? "" : value > 0 ? "▲ " : "▼ ";
  const tone = direction > 0 ? "better" : direction < 0 ? "worse" : "same";
  return h(
    "div",
    { class: `tile-delta delta-${tone}`, dataset: { delta: value ?? "" } },
    h("span", { class: "delta-value" }, `${arrow}${signedText(figure, value)}`),
    ...bi("基準比", `vs ${baseline}`),
  );
}

function renderTiles(report) {
  const { headline, difference, baseline } = report;
  document.getElementById("period-tiles").replaceChildren(
    ...FIGURES.map((figure) => {
      const unit = figure.key === "satisfaction_mean" ? `${figure.unit} (${headline.satisfaction_count})` : figure.unit;
      return tile(
        figure.ja,
        figure.en,
        figure.show(headline[figure.key]),
        unit,
        `period-tile-${figure.key}`,
        difference ? deltaLine(figure, difference[figure.key], baseline.period) : null,
      );
    }),
  );
}

/** "2026-04-07" → "7" (a month's days); "2026-04" → "4" (a year's months). */
function rowLabel(period) {
  return String(Number(period.split("-").pop()));
}

function renderChart(report) {
  const byDay = report.row_unit === "day";
  const items = report.rows.map((row) => ({ label: rowLabel(row.period), value: row.wait_p50_minutes, line: row.wait_p90_minutes }));
  const { all } = report.waiting;
  document.getElementById("period-chart-title").replaceChildren(
    ...bi(`待ち時間の推移（${byDay ? "日別" : "月別"}）`, `Waiting time by ${byDay ? "day" : "month"}`),
  );
  document.getElementById("period-chart").replaceChildren(
    barsWithLine(items, {
      id: "chart-period-wait",
      title: `${report.period} の待ち時間（${byDay ? "日" : "月"}ごとの中央値と 90%） Waiting time p50 and p90 by ${report.row_unit}`,
      description: `${report.period}: ${all.count} 人、中央値 ${minutes(all.p50_minutes)} 分、90% ${minutes(all.p90_minutes)} 分。 ${all.count} people, p50 ${minutes(all.p50_minutes)} min, p90 ${minutes(all.p90_minutes)} min.`,
      barLabel: "中央値（分） p50 (min)",
      lineLabel: "90%(分) p90 (min)",
      sharedScale: true,
      valueLabels: items.length <= 16,
    }),
    h(
      "p",
      { class: "note" },
      ...bi(
        `横軸: ${byDay ? "日" : "月"}。記録のない${byDay ? "日（閉庁日など）" : "月"}は空欄です。`,
        `Horizontal axis: ${report.row_unit}. Gaps are ${byDay ? "days without tickets (closed days and the like)" : "months without tickets"}.`,
      ),
    ),
  );
}

function renderTable(report) {
  const byDay = report.row_unit === "day";
  const head = h(
    "tr",
    {},
    h("th", { scope: "col" }, ...bi(byDay ? "日付" : "月", byDay ? "Date" : "Month")),
    h("th", { scope: "col", class: "num" }, ...bi("発券", "Issued")),
    h("th", { scope: "col", class: "num" }, ...bi("完了", "Served")),
    h("th", { scope: "col", class: "num" }, ...bi("不在", "No-show")),
    h("th", { scope: "col", class: "num" }, ...bi("待ち 中央値（分）", "Wait p50 (min)")),
    h("th", { scope: "col", class: "num" }, ...bi("待ち 90%(分)", "Wait p90 (min)")),
    h("th", { scope: "col", class: "num" }, ...bi("平均滞在（分）", "Mean stay (min)")),
    h("th", { scope: "col", class: "num" }, ...bi("職員（時間）", "City staff (h)")),
    h("th", { scope: "col", class: "num" }, ...bi("受託者（時間）", "Contractor (h)")),
    h("th", { scope: "col", class: "num" }, ...bi("満足度（件）", "Satisfaction (n)")),
  );
  const rows = report.rows.map((row) =>
    h(
      "tr",
      { dataset: { period: row.period } },
      h("th", { scope: "row" }, row.period),
      h("td", { class: "num" }, row.issued),
      h("td", { class: "num" }, row.served),
      h("td", { class: "num" }, row.no_show),
      h("td", { class: "num" }, minutes(row.wait_p50_minutes)),
      h("td", { class: "num" }, minutes(row.wait_p90_minutes)),
      h("td", { class: "num" }, minutes(row.stay_mean_minutes)),
      h("td", { class: "num" }, hours(row.city_staff_minutes)),
      h("td", { class: "num" }, hours(row.contractor_minutes)),
      h("td", { class: "num" }, `${score(row.satisfaction_mean)} (${row.satisfaction_count})`),
    ),
  );
  document.getElementById("period-table").replaceChildren(h("table", { id: "period-figures" }, h("thead", {}, head), h("tbody", {}, rows)));
}

function renderNote(report) {
  const notes = [];
  if (!report.complete) {
    notes.push(h("span", {}, ...bi(`${report.period} は ${report.last_day} までの集計です。`, `${report.period} is counted up to ${report.last_day}.`)));
  }
  if (report.baseline && report.baseline.totals.issued === 0) {
    notes.push(
      h(
        "span",
        { class: "warning" },
        ...bi(`比較する ${report.baseline.period} には記録がありません。差は参考になりません。`, `Nothing was recorded in ${report.baseline.period}: the differences mean little.`),
      ),
    );
  }
  document.getElementById("period-note").replaceChildren(...notes.flatMap((note, index) => (index ? [" ", note] : [note])));
}

function render(report) {
  state.report = report;
  renderTiles(report);
  renderChart(report);
  renderTable(report);
  renderNote(report);
  const [ja, en] = report.baseline
    ? [`${report.period} の実績（${report.baseline.period} と比較）`, `Figures for ${report.period} against ${report.baseline.period}`]
    : [`${report.period} の実績`, `Figures for ${report.period}`];
  document.getElementById("period-status").replaceChildren(...bi(ja, en));
  document.getElementById("periods").dataset.period = report.period;
}

// --- choosing the period --------------------------------------------------------------------------

function inputs() {
  const monthly = state.kind === "monthly";
  return {
    period: document.getElementById(monthly ? "period-month" : "period-year"),
    baseline: document.getElementById(monthly ? "baseline-month" : "baseline-year"),
  };
}

function query({ csv = false } = {}) {
  const { period, baseline } = inputs();
  const params = new URLSearchParams();
  if (period.value) params.set(state.kind === "monthly" ? "month" : "year", period.value);
  if (baseline.value) params.set("baseline", baseline.value);
  if (csv) params.set("format", "csv");
  const text = params.toString();
  return `/branches/${encodeURIComponent(state.branch)}/reports/${state.kind}${text ? `?${text}` : ""}`;
}

async function load() {
  const loading = api(query());
  state.loading = loading;
  try {
    const report = await loading;
    if (state.loading !== loading) return; // a newer choice is on its way
    const { period } = inputs();
    period.value = report.period;
    if (!period.max) period.max = report.period; // the server's "now": no later period to ask for
    inputs().baseline.max = period.max;
    render(report);
  } catch (error) {
    announce(explain(error), "error");
  }
}

/** The same period one year earlier: the usual baseline (前年同月 / 前年). */
function yearBefore(period) {
  const [year, ...rest] = period.split("-");
  return [String(Number(year) - 1), ...rest].join("-");
}

function chooseKind(kind) {
  state.kind = kind;
  for (const element of document.querySelectorAll("#period-controls [data-kind]")) {
    element.hidden = element.dataset.kind !== kind;
  }
  return load();
}

async function downloadPeriodCsv(event) {
  event.preventDefault();
  const report = state.report;
  if (!report) return;
  const name = report.baseline ? `${report.period}-vs-${report.baseline.period}` : report.period;
  try {
    await downloadCsv(query({ csv: true }), `madoguchi-${state.branch}-${name}.csv`);
  } catch (error) {
    announce(explain(error), "error");
  }
}

export function setupPeriods(branch) {
  state.branch = branch;
  const panel = document.getElementById("periods");
  panel.addEventListener("toggle", () => {
    if (panel.open && !state.report) load();
  });
  document.getElementById("periods-link").addEventListener("click", (event) => {
    event.preventDefault();
    panel.open = true;
    panel.scrollIntoView({ block: "start" });
  });
  document.getElementById("period-controls").addEventListener("submit", (event) => event.preventDefault());
  for (const radio of document.querySelectorAll('input[name="period-kind"]')) {
    radio.addEventListener("change", () => radio.checked && chooseKind(radio.value));
  }
  for (const id of ["period-month", "baseline-month", "period-year", "baseline-year"]) {
    document.getElementById(id).addEventListener("change", () => load());
  }
  document.getElementById("baseline-last-year").addEventListener("click", () => {
    const { period, baseline } = inputs();
    if (!period.value) return;
    baseline.value = yearBefore(period.value);
    load();
  });
  document.getElementById("baseline-clear").addEventListener("click", () => {
    inputs().baseline.value = "";
    load();
  });
  document.getElementById("period-csv-link").addEventListener("click", downloadPeriodCsv);
}
