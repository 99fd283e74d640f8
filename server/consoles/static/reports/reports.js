// The reports page: one business day's figures from GET /reports/daily, drawn as inline SVG,
// the CSV of the same figures, and the staffing planner beside the counters actually open; the
// monthly / yearly panel is periods.js.
//
// Today's page follows the branch event stream and refetches shortly after activity (no polling);
// a past day does not change, so it is fetched once.

import { ApiError, api, resolveBranch } from "../common/api.js";
import { coalesce, connectBranchStream } from "../common/live.js";
import { announce, bi, bindHeader, ensureSignedIn, explain, h, showConnection } from "../common/ui.js";
import { barsWithLine, stackedBar } from "./charts.js";
import { downloadCsv } from "./csv.js";
import { minutes, percent, tile } from "./format.js";
import { setupPeriods } from "./periods.js";

const REFETCH_AFTER_ACTIVITY_MS = 5000;

const state = { branch: null, today: null, date: null, report: null, stream: null };

/** The city-staff share (the server's one figure) as the tile and the staff chart state it. */
function shares(staff) {
  if (staff.city_staff_share === null) return { city: "—", contractor: "—" };
  const city = Math.round(staff.city_staff_share * 100);
  return { city: percent(staff.city_staff_share), contractor: `${100 - city}%` };
}

function nameOf(kind, key) {
  return state.report?.names?.[kind]?.[key]?.name || key;
}

function nameEnOf(kind, key) {
  return state.report?.names?.[kind]?.[key]?.name_en || key;
}

function renderSummary(report) {
  const { totals, waiting, stay, staff_minutes: staff, satisfaction, not_yet_called: notCalled } = report;
  document.getElementById("summary").replaceChildren(
    tile("発券", "Issued", totals.issued, "", "tile-issued"),
    tile("完了", "Served", totals.served, "", "tile-served"),
    tile("不在", "No-show", totals.no_show, "", "tile-no-show"),
    tile("平均待ち時間", "Mean wait", minutes(waiting.all.mean_minutes), "分 min", "tile-wait-mean"),
    tile("待ち時間 90%", "Wait p90", minutes(waiting.all.p90_minutes), "分 min", "tile-wait-p90"),
    // Today only: the wait figures above count the tickets called, not those still waiting.
    notCalled
      ? tile(
          "呼出を待っている方",
          "Not yet called",
          notCalled.count,
          "人",
          "tile-not-yet-called",
          h(
            "div",
            { class: "tile-note" },
            ...bi(
              `これまでの待ち時間 平均 ${minutes(notCalled.mean_minutes)}分・90% ${minutes(notCalled.p90_minutes)}分`,
              `waited so far: mean ${minutes(notCalled.mean_minutes)}, p90 ${minutes(notCalled.p90_minutes)} min`,
            ),
          ),
        )
      : null,
    tile("平均滞在時間", "Mean stay", minutes(stay.all.mean_minutes), "分 min", "tile-stay-mean"),
    tile("職員の従事時間", "City staff minutes", minutes(staff.city_staff), "分 min", "tile-city-minutes"),
    tile("職員の割合", "City staff share", shares(staff).city, "", "tile-city-share"),
    tile("満足度", "Satisfaction", satisfaction.mean === null ? "—" : satisfaction.mean.toFixed(2), `/ 5 (${satisfaction.count})`, "tile-satisfaction"),
  );
}

function renderHourly(report) {
  const items = report.hourly.map((row) => ({
    label: String(row.hour).padStart(2, "0"),
    value: row.arrivals,
    line: row.counters_open,
  }));
  const total = report.hourly.reduce((sum, row) => sum + row.arrivals, 0);
  document.getElementById("hourly-chart").replaceChildren(
    barsWithLine(items, {
      id: "chart-hourly",
      title: "時間帯別 来庁者数（棒）と開設窓口数（線） Arrivals (bars) and open counters (line) by hour",
      description: `発券 ${total} 件。 ${total} tickets issued.`,
      barLabel: "来庁者（発券） Arrivals",
      lineLabel: "開設窓口 Open counters",
    }),
  );
  const head = h(
    "tr",
    {},
    h("th", { scope: "col" }, ...bi("時", "Hour")),
    h("th", { scope: "col", class: "num" }, ...bi("来庁者", "Arrivals")),
    h("th", { scope: "col", class: "num" }, ...bi("開設窓口（平均）", "Counters open (mean)")),
    h("th", { scope: "col", class: "num" }, ...bi("内部デスク", "Desks open")),
  );
  const rows = report.hourly.map((row) =>
    h(
      "tr",
      { dataset: { hour: row.hour } },
      h("th", { scope: "row" }, `${String(row.hour).padStart(2, "0")}:00`),
      h("td", { class: "num" }, row.arrivals),
      h("td", { class: "num" }, row.counters_open.toFixed(2)),
      h("td", { class: "num" }, row.desks_open.toFixed(2)),
    ),
  );
  document.getElementById("hourly-table").replaceChildren(h("table", { id: "hourly-figures" }, h("thead", {}, head), h("tbody", {}, rows)));
}

function renderWaitHistogram(report) {
  const items = report.wait_histogram.map((bin) => ({ label: bin.bin, value: bin.count }));
  const { all } = report.waiting;
  document.getElementById("wait-chart").replaceChildren(
    barsWithLine(items, {
      id: "chart-wait",
      title: "待ち時間の分布（5分刻み） Waiting time distribution (5-minute bins)",
      description: `${all.count} 人、平均 ${minutes(all.mean_minutes)} 分、中央値 ${minutes(all.p50_minutes)} 分、90% ${minutes(all.p90_minutes)} 分。`,
      barLabel: "人数（分） People by minutes waited",
    }),
    h(
      "p",
      { class: "note" },
      ...bi(
        `中央値 ${minutes(all.p50_minutes)} 分・90% ${minutes(all.p90_minutes)} 分（最近順位法）`,
        `median ${minutes(all.p50_minutes)} min, p90 ${minutes(all.p90_minutes)} min (nearest rank)`,
      ),
    ),
  );
}

function renderStaffMinutes(report) {
  const staff = report.staff_minutes;
  const parts = [
    { label: "職員・職員のみの手続き（審査など） City staff, staff-only steps", value: staff.city_staff_on_staff_only, kind: "city-reserved", group: "city" },
    { label: "職員・受託可能な業務 City staff, contractor-eligible steps", value: staff.city_staff_on_other, kind: "city-other", group: "city" },
    { label: "受託者 Contractor", value: staff.contractor, kind: "contractor", group: "contractor" },
  ];
  const share = shares(staff);
  document.getElementById("staff-chart").replaceChildren(
    stackedBar(parts, {
      id: "chart-staff",
      groups: [
        { key: "city", text: `職員 ${share.city}` },
        { key: "contractor", text: `受託者 ${share.contractor}` },
      ],
      valueText: minutes,
      title: "窓口業務の従事時間 Counter minutes by who did the work",
      description: `職員 ${minutes(staff.city_staff)} 分、受託者 ${minutes(staff.contractor)} 分。 City staff ${minutes(staff.city_staff)} min, contractor ${minutes(staff.contractor)} min.`,
      unit: "分 min",
    }),
  );
}

function renderSatisfaction(report) {
  const { satisfaction } = report;
  const items = ["1", "2", "3", "4", "5"].map((score) => ({ label: score, value: satisfaction.distribution[score] }));
  const reasons = Object.entries(satisfaction.reasons).filter(([, count]) => count > 0);
  const labels = {
    long_wait: ["待ち時間が長い", "Long wait"],
    unclear_explanation: ["説明がわかりにくい", "Unclear explanation"],
    moved_many_times: ["何度も移動した", "Moved many times"],
    staff_manner: ["職員の対応", "Staff manner"],
    other: ["その他", "Other"],
  };
  document.getElementById("satisfaction-chart").replaceChildren(
    barsWithLine(items, {
      id: "chart-satisfaction",
      title: "満足度の分布（1〜5） Satisfaction scores (1–5)",
      description: `${satisfaction.count} 件の回答。平均 ${satisfaction.mean ?? "—"}。`,
      barLabel: "回答数 Answers",
      height: 220,
    }),
    reasons.length
      ? h(
          "table",
          { id: "satisfaction-reasons" },
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, ...bi("理由", "Reason")), h("th", { scope: "col", class: "num" }, ...bi("件数", "Count")))),
          h(
            "tbody",
            {},
            reasons.map(([code, count]) => h("tr", {}, h("td", {}, ...bi(...(labels[code] || [code, code]))), h("td", { class: "num" }, count))),
          ),
        )
      : h("p", { class: "empty" }, ...bi("理由の回答はありません。", "No reasons given.")),
  );
}

function statsCells(stats) {
  return [
    h("td", { class: "num" }, stats ? stats.count : 0),
    h("td", { class: "num" }, minutes(stats?.mean_minutes)),
    h("td", { class: "num" }, minutes(stats?.p50_minutes)),
    h("td", { class: "num" }, minutes(stats?.p90_minutes)),
  ];
}

function renderWaitsTable(report) {
  const rows = [];
  const section = (kind, ja, en) => {
    const keys = [...new Set([...Object.keys(report.waiting[`by_${kind === "services" ? "service" : "life_event"}`]), ...Object.keys(report.stay[`by_${kind === "services" ? "service" : "life_event"}`])])];
    if (!keys.length) return;
    rows.push(h("tr", { class: "group" }, h("th", { colspan: 9, scope: "rowgroup" }, ...bi(ja, en))));
    const by = kind === "services" ? "by_service" : "by_life_event";
    for (const key of keys) {
      rows.push(
        h(
          "tr",
          { dataset: { key } },
          h("th", { scope: "row" }, h("span", { lang: "ja" }, nameOf(kind, key)), " ", h("span", { lang: "en", class: "en" }, nameEnOf(kind, key))),
          ...statsCells(report.waiting[by][key]),
          ...statsCells(report.stay[by][key]),
        ),
      );
    }
  };
  section("services", "手続き（単独の番号札）", "Single procedures");
  section("life_events", "ライフイベント", "Life events");
  if (!rows.length) {
    document.getElementById("waits-table").replaceChildren(h("p", { class: "empty" }, ...bi("この日の記録はありません。", "Nothing recorded on this day.")));
    return;
  }
  const head = [
    h(
      "tr",
      {},
      h("td", {}),
      h("th", { colspan: 4, scope: "colgroup" }, ...bi("待ち時間（分）", "Wait (min)")),
      h("th", { colspan: 4, scope: "colgroup" }, ...bi("滞在時間（分）", "Stay (min)")),
    ),
    h(
      "tr",
      {},
      h("th", { scope: "col" }, ...bi("区分", "Category")),
      ...["waiting", "stay"].flatMap(() => [
        h("th", { scope: "col", class: "num" }, ...bi("人数", "n")),
        h("th", { scope: "col", class: "num" }, ...bi("平均", "mean")),
        h("th", { scope: "col", class: "num" }, "p50"),
        h("th", { scope: "col", class: "num" }, "p90"),
      ]),
    ),
  ];
  document.getElementById("waits-table").replaceChildren(h("table", { id: "waits-figures" }, h("thead", {}, head), h("tbody", {}, rows)));
}

function renderReport(report) {
  state.report = report;
  renderSummary(report);
  renderHourly(report);
  renderWaitHistogram(report);
  renderStaffMinutes(report);
  renderSatisfaction(report);
  renderWaitsTable(report);
}

// --- staffing planner ------------------------------------------------------------------------------

const DAY_TYPES = { normal: ["通常日", "normal day"], monday: ["月曜日", "Monday"], peak: ["繁忙期", "peak season"] };

function renderStaffing(plan) {
  const [typeJa, typeEn] = DAY_TYPES[plan.day_type] || [plan.day_type, plan.day_type];
  const basis =
    plan.source === "recorded"
      ? bi(`${typeJa}の記録 ${plan.recorded_days.length} 日分の実績から試算。`, `From ${plan.recorded_days.length} recorded ${typeEn}(s).`)
      : bi(`${typeJa}の記録がないため、参考資料の需要推計から試算。`, `No recorded ${typeEn} yet: from the reference demand estimate.`);
  document.getElementById("staffing-note").replaceChildren(...basis);
  const hours = plan.groups[0]?.hours.map((row) => row.hour) || [];
  const shown = plan.groups.filter((group) => group.hours.some((row) => row.needed > 0 || row.actually_open > 0));
  if (!shown.length) {
    document.getElementById("staffing-table").replaceChildren(h("p", { class: "empty" }, ...bi("需要も開設もありません。", "No demand and no counter open.")));
    return;
  }
  const head = h(
    "tr",
    {},
    h("th", { scope: "col" }, ...bi("窓口（手続きのまとまり）", "Counters (service group)")),
    h("th", { scope: "col", class: "num" }, ...bi("処理時間", "Service min")),
    hours.map((hour) => h("th", { scope: "col", class: "num" }, `${String(hour).padStart(2, "0")}`)),
  );
  const rows = shown.map((group) =>
    h(
      "tr",
      { dataset: { group: group.key } },
      h("th", { scope: "row" }, h("span", { class: "group-counters" }, group.counters), " ", h("span", { lang: "ja" }, group.name), " ", h("span", { lang: "en", class: "en" }, group.name_en)),
      h("td", { class: "num" }, group.service_minutes.toFixed(1)),
      group.hours.map((row) => {
        const short = row.actually_open + 1e-9 < row.needed;
        const spare = row.actually_open >= row.needed + 1;
        const cls = short ? "cell short" : spare ? "cell spare" : "cell fit";
        const label = `${String(row.hour).padStart(2, "0")}時: 必要 ${row.needed}・実際 ${row.actually_open.toFixed(2)}・到着 ${row.arrivals} / needed ${row.needed}, open ${row.actually_open.toFixed(2)}, arrivals ${row.arrivals}`;
        return h(
          "td",
          { class: `num ${cls}`, title: label, dataset: { hour: row.hour, needed: row.needed, open: row.actually_open } },
          h("span", { class: "needed" }, row.needed),
          h("span", { class: "open" }, row.actually_open > 0 ? row.actually_open.toFixed(1) : "–"),
          h("span", { class: "visually-hidden" }, label),
        );
      }),
    ),
  );
  const legend = h(
    "p",
    { class: "note legend" },
    h("span", { class: "swatch short" }),
    ...bi(" 不足（実際 < 必要） ", "short (open < needed)"),
    h("span", { class: "swatch spare" }),
    ...bi(" 余裕（実際 ≥ 必要+1） ", "spare (open ≥ needed + 1)"),
    " ",
    ...bi("各欄: 大きい数字 = 必要数、小さい数字 = 実際の開設数（時間平均）", "Each cell: big = needed, small = actually open (hour mean)"),
  );
  document.getElementById("staffing-table").replaceChildren(legend, h("table", { id: "staffing-figures", class: "planner" }, h("thead", {}, head), h("tbody", {}, rows)));
}

// --- loading --------------------------------------------------------------------------------------

function status(ja, en) {
  document.getElementById("report-status").replaceChildren(...bi(ja, en));
}

async function loadReport() {
  const query = state.date ? `?date=${encodeURIComponent(state.date)}` : "";
  const report = await api(`/branches/${encodeURIComponent(state.branch)}/reports/daily${query}`);
  state.date = report.date;
  // "Today" in the branch's time zone, whichever date the page was opened on.
  state.today = new Intl.DateTimeFormat("en-CA", { timeZone: report.timezone }).format(new Date());
  document.getElementById("report-date").value = report.date;
  document.getElementById("report-date").max = state.today;
  renderReport(report);
  status(`${report.date} の実績`, `Figures for ${report.date}`);
  document.body.dataset.reportDate = report.date;
}

async function loadStaffing() {
  const params = new URLSearchParams({ date: state.date });
  const target = Number(document.getElementById("target-wait").value);
  if (target > 0) params.set("target_wait_minutes", String(target));
  const dayType = document.getElementById("day-type").value;
  if (dayType) params.set("day_type", dayType);
  renderStaffing(await api(`/branches/${encodeURIComponent(state.branch)}/reports/staffing?${params}`));
}

async function refresh() {
  try {
    await loadReport();
    await loadStaffing();
  } catch (error) {
    announce(explain(error), "error");
    if (error instanceof ApiError && error.status === 403) status("閲覧できません", "Not allowed");
  }
}

async function downloadDailyCsv(event) {
  event.preventDefault();
  try {
    await downloadCsv(
      `/branches/${encodeURIComponent(state.branch)}/reports/daily?date=${state.date}&format=csv`,
      `madoguchi-${state.branch}-${state.date}.csv`,
    );
  } catch (error) {
    announce(explain(error), "error");
  }
}

/** Follow the branch while today's figures are on screen; a past day never changes. */
function followToday() {
  const live = state.date === state.today;
  const indicator = document.getElementById("connection");
  indicator.hidden = !live;
  if (live && !state.stream) {
    const refetch = coalesce(() => refresh(), REFETCH_AFTER_ACTIVITY_MS);
    state.stream = connectBranchStream(state.branch, {
      onEvent: (message) => {
        if (message.type.startsWith("ticket.") || message.type.startsWith("counter.")) refetch();
      },
      onResync: refetch,
      onStatus: showConnection,
    });
  } else if (!live && state.stream) {
    state.stream.close();
    state.stream = null;
  }
}

async function main() {
  const app = document.getElementById("app");
  const session = await ensureSignedIn(app, { title: "実績レポート — サインイン", titleEn: "Reports — sign in" });
  if (session.role === "contractor") {
    app.replaceChildren(h("p", { class: "card", role: "alert" }, ...bi("レポートは市職員のみ閲覧できます。", "Reports are for city staff only.")));
    return;
  }
  state.branch = await resolveBranch(session);
  bindHeader(session, state.branch);
  app.replaceChildren(document.getElementById("report-layout").content.cloneNode(true));
  document.getElementById("csv-link").addEventListener("click", downloadDailyCsv);
  setupPeriods(state.branch);
  document.getElementById("controls").addEventListener("submit", (event) => event.preventDefault());
  document.getElementById("report-date").addEventListener("change", async (event) => {
    if (!event.target.value) return;
    state.date = event.target.value;
    await refresh();
    followToday();
  });
  for (const id of ["target-wait", "day-type"]) {
    document.getElementById(id).addEventListener("change", () => loadStaffing().catch((error) => announce(explain(error), "error")));
  }
  state.date = new URLSearchParams(location.search).get("date");
  await refresh();
  followToday();
}

main().catch((error) => announce(explain(error), "error"));
