// Admin console (/admin): a branch's services, counters, life-event routes, priority and fairness,
// hours and cut-offs, the issuing switch, devices, staff accounts, the audit log and the whole
// configuration as YAML. Every change goes to the admin API, which checks it with the same rules
// as the configuration file; a refused change comes back with one line per problem, shown next
// to the form in Japanese and English, and nothing is changed.

import { API, ApiError, SIGNED_OUT_EVENT, api, clearSession, currentSession, resolveBranch } from "../common/api.js";
import { coalesce, connectBranchStream } from "../common/live.js";
import { announce, bi, bindHeader, ensureSignedIn, explain, h, showConnection } from "../common/ui.js";
import { translationsPanel } from "./translations.js";
import { handOffPanel, leaveHandOff } from "./webhooks.js";

const app = document.getElementById("app");

const TABS = [
  ["services", "サービス", "Services"],
  ["counters", "窓口", "Counters"],
  ["appointments", "予約・閉庁日", "Bookings & closed days"],
  ["life-events", "ライフイベント", "Life events"],
  ["priority", "優先・公平", "Priority & fairness"],
  ["hours", "受付時間・締切", "Hours & cut-offs"],
  ["issuing", "発券の停止・再開", "Issuing"],
  ["devices", "端末", "Devices"],
  ["staff", "職員アカウント", "Staff accounts"],
  ["audit", "監査ログ", "Audit log"],
  ["translations", "翻訳", "Translations"],
  ["hand-off", "外部連携", "Hand-off"],
  ["config", "設定ファイル", "Export / import"],
];

const STAGES = [
  ["front", "受付・お渡し / Front"],
  ["middle", "審査・決定（職員のみ） / Review (municipal staff)"],
  ["back", "入力・作成 / Back office"],
];
const STAFFED_BY = [
  ["staff", "職員 / Municipal staff"],
  ["contractor", "受託者 / Contractor"],
  ["mixed", "混成 / Mixed"],
];
const ROLES = [
  ["municipal", "職員 / Municipal staff"],
  ["contractor", "受託者 / Contractor"],
  ["admin", "管理者 / Admin"],
];
const DEVICE_KINDS = [
  ["kiosk", "発券機 / Kiosk"],
  ["display", "表示盤 / Display board"],
];
const HEALTH = {
  ok: ["正常", "OK"],
  warning: ["注意", "Warning"],
  fault: ["異常", "Fault"],
  unknown: ["不明", "Unknown"],
};
const PRINTER = {
  ok: ["プリンター正常", "Printer OK"],
  paper_near_end: ["用紙残りわずか", "Paper running low"],
  paper_out: ["用紙切れ", "Out of paper"],
  cover_open: ["カバーが開いています", "Cover open"],
  offline: ["プリンター応答なし", "Printer offline"],
  unknown: ["状態不明", "State unknown"],
};

// Messages for refusals that are not configuration problems (the API's code → Japanese).
const CODE_JA = {
  admin_only: "管理者アカウントが必要です。",
  wrong_branch: "このアカウントでは、この支所を管理できません。",
  counter_open: "窓口が開いています。閉じてから削除してください。",
  counter_not_found: "その窓口はありません。",
  service_not_found: "そのサービスはありません。",
  life_event_not_found: "そのライフイベントはありません。",
  invalid_position: "経路の範囲外の位置です。",
  weak_password: "パスワードは8文字以上にしてください。",
  staff_exists: "同じユーザー名のアカウントがすでにあります。",
  cannot_disable_self: "自分のアカウントは無効にできません。",
  validation_error: "入力内容を確認してください。",
  config_too_large: "設定ファイルが大きすぎます（2 MB まで）。",
  config_not_utf8: "設定ファイルは UTF-8 のテキストにしてください。",
  network_error: "サーバーに接続できません。",
};

// The configuration rules' English messages (server/catalog/loader.py), in Japanese.
const PROBLEM_JA = [
  [/^duplicate (\w+) '(.+)'$/, (m) => `「${m[2]}」が重複しています（${m[1]}）`],
  [/^unknown service '(.+)' in the route$/, (m) => `経路に存在しないサービス「${m[1]}」があります`],
  [/^unknown service '(.+)'$/, (m) => `存在しないサービス「${m[1]}」です`],
  [/^unknown queue prefix '(.+)'$/, (m) => `番号札の種類「${m[1]}」はありません`],
  [
    /^issue cut-off (\S+) must be after opening (\S+) and by closing (\S+)$/,
    (m) => `発券締切 ${m[1]} は開庁 ${m[2]} より後、閉庁 ${m[3]} までにしてください`,
  ],
  [/^closing time (\S+) is not after opening (\S+)$/, (m) => `閉庁 ${m[1]} が開庁 ${m[2]} より後になっていません`],
  [
    /^last ticket (\S+) must be after opening (\S+) and by closing (\S+)$/,
    (m) => `最終発券 ${m[1]} は開庁 ${m[2]} より後、閉庁 ${m[3]} までにしてください`,
  ],
  [/^service '(.+)' is served by no counter$/, (m) => `サービス「${m[1]}」を受け持つ窓口がありません`],
  [
    /^staff-only service '(.+)' is served only by contractor counters$/,
    (m) => `職員専用のサービス「${m[1]}」が受託者の窓口にしか割り当てられていません`,
  ],
  [/^service '(.+)' listed twice$/, (m) => `サービス「${m[1]}」が二重に登録されています`],
  [/^service '(.+)' appears twice in the route$/, (m) => `サービス「${m[1]}」が経路に2回あります`],
  [/^question '(.+)' is not defined under questions$/, (m) => `質問「${m[1]}」が定義されていません`],
  [/^question '(.+)' is asked twice$/, (m) => `質問「${m[1]}」を2回聞いています`],
  [
    /^question '(.+)' is used in a condition but not asked$/,
    (m) => `質問「${m[1]}」を条件に使っていますが、このライフイベントでは聞いていません`,
  ],
  [
    /^question '(.+)' is asked but no stop depends on it$/,
    (m) => `質問「${m[1]}」を聞いていますが、どの立ち寄り先の条件にも使われていません`,
  ],
  [/^List should have at least 1 item/, () => "少なくとも1件必要です"],
  [/^unknown key/, () => "不明な項目です（綴りを確認してください）"],
  [/^required key is missing$/, () => "必須の項目がありません"],
  [/^not valid YAML/, () => "YAML として読み取れません"],
  [
    /^the file is for branch '(.+)', but this is branch '(.+)'\.$/,
    (m) => `このファイルは「${m[1]}」用です（この画面は「${m[2]}」）`,
  ],
];
const WHERE_JA = [
  [/^life event /, "ライフイベント "],
  [/^priority category /, "優先区分 "],
  [/^reason code /, "理由コード "],
  [/^service /, "サービス "],
  [/^counter /, "窓口 "],
  [/^queue /, "番号札 "],
  [/^question /, "質問 "],
  [/ › stops › #(\d+)/, " › 立ち寄り先 $1"],
  [/ › stops/, " › 経路"],
  [/ › questions/, " › 質問"],
  [/ › services/, " › サービス"],
  [/ › issue_cutoff/, " › 発券締切"],
  [/^hours › /, "受付時間 › "],
];

const state = {
  session: null,
  branch: null,
  config: null,
  tab: "services",
  editing: null, // "service:<id>", "counter:<id>", … the row whose edit form is open
  draft: null, // the life event being edited (unsaved route and questions)
  devices: [],
  newDevice: null, // {name, token}: shown once, right after creation
  staff: [],
  audit: { entries: [], target: "", more: false },
};

let sequence = 0;
const uid = (prefix) => `${prefix}-${++sequence}`;
const adminPath = (rest) => `/admin/branches/${encodeURIComponent(state.branch)}${rest}`;
const send = (method, rest, body) => api(adminPath(rest), { method, body });

// --- errors --------------------------------------------------------------------------------------

function errorBox() {
  return h("div", { class: "form-errors", role: "alert", tabindex: "-1", hidden: true });
}

function translateProblem(line) {
  const match = /^(?:line (\d+): )?(.*?): (.*)$/.exec(line);
  if (!match) return null;
  const [, lineNumber, where, message] = match;
  const rule = PROBLEM_JA.find(([pattern]) => pattern.test(message));
  if (!rule) return null;
  let place = where;
  for (const [pattern, replacement] of WHERE_JA) place = place.replace(pattern, replacement);
  return `${lineNumber ? `${lineNumber}行目: ` : ""}${place}: ${rule[1](rule[0].exec(message))}`;
}

function errorContent(error) {
  if (!(error instanceof ApiError)) return [h("p", {}, explain(error))];
  if (error.code === "invalid_configuration" && typeof error.detail === "string") {
    const [, ...problems] = error.detail.split("\n");
    return [
      h(
        "p",
        { class: "error-title" },
        ...bi("保存できませんでした。変更は反映されていません。", "Not saved: nothing was changed."),
      ),
      h(
        "ul",
        {},
        problems.map((line) => {
          const ja = translateProblem(line);
          return h("li", {}, ja ? [h("span", { lang: "ja" }, ja), h("br")] : null, h("span", { lang: "en", class: "en" }, line));
        }),
      ),
    ];
  }
  if (Array.isArray(error.detail)) {
    return [
      h("p", { class: "error-title" }, ...bi(CODE_JA.validation_error, "Check the form.")),
      h(
        "ul",
        {},
        error.detail.map((item) => h("li", { lang: "en" }, `${(item.loc || []).slice(1).join(" › ")}: ${item.msg}`)),
      ),
    ];
  }
  const ja = CODE_JA[error.code];
  return [h("p", {}, ja ? [h("span", { lang: "ja" }, ja), " "] : null, h("span", { lang: "en", class: "en" }, error.message))];
}

function showError(box, error) {
  box.replaceChildren(...errorContent(error));
  box.hidden = false;
  box.focus();
}

/** Run a change; on success reload the rules and redraw, on refusal explain it in `box`. */
async function change(box, run, done) {
  box.hidden = true;
  box.replaceChildren();
  try {
    await run();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return false;
    showError(box, error);
    return false;
  }
  if (done) announce(`${done[0]} ${done[1]}`, "success");
  state.editing = null;
  await reloadConfig();
  await render();
  return true;
}

// --- form building -------------------------------------------------------------------------------

function control(spec, value) {
  const id = uid(spec.name);
  if (spec.type === "checkbox") {
    // The label wraps the box: a bigger target for a finger or a mouse.
    const box = h("input", { id, type: "checkbox", name: spec.name, checked: Boolean(value) });
    const element = h("div", {}, h("label", { class: "inline", for: id }, box, ...bi(spec.ja, spec.en)));
    return { name: spec.name, element, read: () => box.checked };
  }
  if (spec.type === "checks") {
    const chosen = new Set(value || []);
    const boxes = spec.options.map(([key, text]) => {
      const boxId = uid(`${spec.name}-${key}`);
      const box = h("input", { id: boxId, type: "checkbox", value: key, checked: chosen.has(key) });
      return { key, box, element: h("label", { class: "inline", for: boxId }, box, text) };
    });
    const element = h(
      "fieldset",
      { class: "wide" },
      h("legend", {}, ...bi(spec.ja, spec.en)),
      h("div", { class: "checks" }, boxes.map((item) => item.element)),
    );
    return { name: spec.name, element, read: () => boxes.filter((item) => item.box.checked).map((item) => item.key) };
  }
  if (spec.type === "order") return orderControl(spec, value || [], id);
  let input;
  if (spec.type === "select") {
    input = h(
      "select",
      { id, name: spec.name, required: spec.required },
      spec.options.map(([key, text]) => h("option", { value: key, selected: String(key) === String(value ?? "") }, text)),
    );
  } else if (spec.type === "textarea") {
    input = h("textarea", { id, name: spec.name, rows: 3 }, value ?? "");
  } else {
    input = h("input", {
      id,
      name: spec.name,
      type: spec.type || "text",
      value: value ?? "",
      required: spec.required,
      pattern: spec.pattern,
      min: spec.min,
      max: spec.max,
      step: spec.step,
      minlength: spec.minlength,
      autocomplete: spec.autocomplete || "off",
    });
  }
  const read = () => {
    const raw = input.value;
    if (spec.type === "number") return raw === "" ? null : Number(raw);
    if (spec.type === "time") return raw === "" ? null : raw;
    return spec.type === "password" ? raw : raw.trim();
  };
  const hint = spec.hint ? h("p", { class: "hint" }, spec.hint) : null;
  const label = h("label", { for: id }, ...bi(spec.ja, spec.en));
  return { name: spec.name, element: h("div", { class: spec.wide ? "wide" : "" }, label, input, hint), read };
}

/** An ordered list the admin reorders with ↑ ↓, removes from with ×, and adds to from a list. */
function orderControl(spec, value, id) {
  const items = value; // edited in place: the caller's draft follows every change
  const labelOf = (key) => spec.options.find(([option]) => option === key)?.[1] || key;
  const list = h("ol", { class: "ordered", id, "aria-label": `${spec.ja} ${spec.en}` });
  const picker = h("select", { id: `${id}-add`, "aria-label": `${spec.ja}に追加 Add to ${spec.en}` });
  function draw(focus) {
    list.replaceChildren(
      ...items.map((key, index) =>
        h(
          "li",
          {},
          h("span", { class: "index" }, index + 1),
          h("span", {}, labelOf(key), " ", h("code", {}, key)),
          moveButtons(items, index, labelOf(key), draw),
        ),
      ),
    );
    if (items.length === 0) list.append(h("li", { class: "empty" }, ...bi("(なし)", "(none)")));
    picker.replaceChildren(
      h("option", { value: "" }, "— 選んで追加 / choose to add —"),
      ...spec.options.filter(([key]) => !items.includes(key)).map(([key, text]) => h("option", { value: key }, `${text} (${key})`)),
    );
    focusAfterMove(list, focus);
    spec.onChange?.();
  }
  const add = h("button", { type: "button" }, ...bi("追加", "Add"));
  add.addEventListener("click", () => {
    if (!picker.value) return;
    items.push(picker.value);
    draw();
    picker.focus();
  });
  draw();
  const element = h(
    "div",
    { class: "wide" },
    h("label", { for: `${id}-add` }, ...bi(spec.ja, spec.en)),
    list,
    h("div", { class: "add-row pair" }, picker, add),
  );
  return { name: spec.name, element, read: () => [...items] };
}

function moveButtons(items, index, name, redraw) {
  const swap = (other) => {
    [items[index], items[other]] = [items[other], items[index]];
    redraw({ index: other, action: other < index ? "up" : "down" });
  };
  return h(
    "span",
    { class: "move" },
    h(
      "button",
      { type: "button", "data-action": "up", disabled: index === 0, "aria-label": `上へ Move up: ${name}`, onclick: () => swap(index - 1) },
      "↑",
    ),
    h(
      "button",
      {
        type: "button",
        "data-action": "down",
        disabled: index === items.length - 1,
        "aria-label": `下へ Move down: ${name}`,
        onclick: () => swap(index + 1),
      },
      "↓",
    ),
    h(
      "button",
      {
        type: "button",
        class: "danger",
        "data-action": "remove",
        "aria-label": `削除 Remove: ${name}`,
        onclick: () => {
          items.splice(index, 1);
          redraw({ index: Math.min(index, items.length - 1), action: "remove" });
        },
      },
      "×",
    ),
  );
}

// Keyboard users keep their place after a move: focus the same button on the moved item.
function focusAfterMove(list, focus) {
  if (!focus || focus.index < 0) return;
  const row = list.children[focus.index];
  const target = row?.querySelector(`[data-action="${focus.action}"]:not(:disabled)`) || row?.querySelector("button:not(:disabled)");
  target?.focus();
}

/** A form from field specs; `submit(body, errors)` gets {name: value}. */
function form({ fields, values = {}, submit, label, cancel, extra = [], id }) {
  const controls = fields.map((spec) => control(spec, values[spec.name]));
  const errors = errorBox();
  const button = h("button", { type: "submit", class: "primary" }, ...bi(label[0], label[1]));
  const element = h(
    "form",
    { class: "edit-form", id },
    h("div", { class: "form-grid" }, controls.map((item) => item.element)),
    ...extra,
    errors,
    h(
      "div",
      { class: "form-actions" },
      button,
      cancel ? h("button", { type: "button", onclick: cancel }, ...bi("キャンセル", "Cancel")) : null,
    ),
  );
  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = Object.fromEntries(controls.map((item) => [item.name, item.read()]));
    button.disabled = true;
    try {
      await submit(body, errors);
    } finally {
      button.disabled = false;
    }
  });
  return element;
}

function card(titleJa, titleEn, ...children) {
  return h("div", { class: "card" }, h("h2", {}, ...bi(titleJa, titleEn)), ...children);
}

function table(headers, rows) {
  return h(
    "div",
    { class: "table-scroll" },
    h(
      "table",
      {},
      h("thead", {}, h("tr", {}, headers.map(([ja, en, cls]) => h("th", { scope: "col", class: cls }, ja, h("br"), h("span", { class: "en" }, en))))),
      h("tbody", {}, rows),
    ),
  );
}

const yesNo = (value) => (value ? "✓" : "—");
const confirmBoth = (ja, en) => window.confirm(`${ja}\n${en}`);
const serviceName = (key) => state.config.services.find((service) => service.id === key)?.name_ja || key;
const serviceOptions = () => state.config.services.map((service) => [service.id, service.name_ja]);
const questionText = (key) => state.config.questions.find((question) => question.id === key)?.text_ja || key;
const formatTime = (iso) =>
  iso ? new Date(iso).toLocaleString("ja-JP", { month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" }) : "—";

function editButtons(key, onDeactivate, names) {
  return h(
    "td",
    { class: "actions" },
    h(
      "button",
      {
        type: "button",
        "aria-label": `編集 Edit: ${names}`,
        "aria-expanded": String(state.editing === key),
        onclick: () => {
          state.editing = state.editing === key ? null : key;
          render();
        },
      },
      ...bi("編集", "Edit"),
    ),
    onDeactivate
      ? h("button", { type: "button", class: "danger", "aria-label": `無効化 Deactivate: ${names}`, onclick: onDeactivate }, ...bi("無効化", "Deactivate"))
      : null,
  );
}

function editRow(key, columns, content) {
  return state.editing === key ? h("tr", { class: "editing" }, h("td", { colspan: columns }, content)) : null;
}

/** Deactivate after confirmation; a refusal is explained in the panel's error box. */
function deactivator(box, path, name) {
  return async () => {
    if (!confirmBoth(`「${name}」を無効にします。よろしいですか。`, `Deactivate "${name}"?`)) return;
    await change(box, () => send("DELETE", path), ["無効にしました。", "Deactivated."]);
  };
}

// --- services ------------------------------------------------------------------------------------

function serviceFields() {
  return [
    { name: "name_ja", ja: "名称（日本語）", en: "Name (Japanese)", required: true },
    { name: "name_en", ja: "名称（英語）", en: "Name (English)", required: true },
    {
      name: "queue",
      ja: "番号札の種類",
      en: "Ticket queue",
      type: "select",
      options: state.config.queues.map((queue) => [queue.prefix, `${queue.prefix} — ${queue.name_ja}`]),
    },
    { name: "stage", ja: "段階", en: "Stage", type: "select", options: STAGES },
    { name: "minutes", ja: "標準所要時間（分）", en: "Typical minutes", type: "number", min: "0.5", max: "480", step: "0.5", required: true },
    { name: "issue_cutoff", ja: "発券締切（任意）", en: "Issue cut-off (optional)", type: "time" },
    { name: "staff_only", ja: "職員のみ（公権力の行使）", en: "Municipal staff only", type: "checkbox" },
    { name: "citizen_present", ja: "お客様がその場にいる", en: "Citizen present", type: "checkbox" },
    { name: "kiosk", ja: "発券機に表示", en: "On the kiosk", type: "checkbox" },
    { name: "sensitive", ja: "配慮が必要（公開表示しない）", en: "Sensitive (never named in public)", type: "checkbox" },
    { name: "fair_by_arrival", ja: "再入時は到着順を維持", en: "Re-entry keeps arrival order", type: "checkbox" },
  ];
}

function servicesPanel() {
  const box = errorBox();
  const rows = state.config.services.flatMap((service) => {
    const key = `service:${service.id}`;
    const names = `${service.name_ja} ${service.name_en}`;
    return [
      h(
        "tr",
        { "data-service": service.id },
        h("td", {}, h("code", {}, service.id)),
        h("td", {}, service.name_ja, h("br"), h("span", { class: "en" }, service.name_en)),
        h("td", {}, service.queue),
        h("td", {}, STAGES.find(([stage]) => stage === service.stage)?.[1] || service.stage),
        h("td", {}, yesNo(service.staff_only)),
        h("td", {}, yesNo(service.citizen_present)),
        h("td", { class: "num" }, service.minutes),
        h("td", {}, yesNo(service.kiosk)),
        h("td", {}, yesNo(service.sensitive)),
        editButtons(key, deactivator(box, `/services/${encodeURIComponent(service.id)}`, service.name_ja), names),
      ),
      editRow(
        key,
        10,
        form({
          fields: serviceFields(),
          values: service,
          label: ["保存", "Save"],
          cancel: () => {
            state.editing = null;
            render();
          },
          submit: (body, errors) =>
            change(errors, () => send("PATCH", `/services/${encodeURIComponent(service.id)}`, body), ["保存しました。", "Saved."]),
        }),
      ),
    ];
  });
  const create = form({
    fields: [
      { name: "id", ja: "ID(英小文字・数字・_)", en: "ID (a-z, 0-9, _)", required: true, pattern: "[a-z][a-z0-9_]*" },
      ...serviceFields(),
      {
        name: "counters",
        ja: "受け持つ窓口（1つ以上）",
        en: "Counters serving it (one or more)",
        type: "checks",
        options: state.config.counters.map((counter) => [counter.id, `${counter.id} ${counter.name_ja}`]),
      },
    ],
    values: { stage: "front", minutes: 5, citizen_present: true, kiosk: true, fair_by_arrival: true, counters: [] },
    label: ["サービスを追加", "Add service"],
    submit: (body, errors) => change(errors, () => send("POST", "/services", body), ["追加しました。", "Added."]),
  });
  return [
    card(
      "サービス",
      "Services",
      h("p", { class: "hint" }, "無効にしたサービスは履歴に残ります。同じ ID で追加すると元に戻ります。 Deactivated services stay in the history; adding the same ID brings one back."),
      box,
      table(
        [
          ["ID", "ID"],
          ["名称", "Name"],
          ["札", "Queue"],
          ["段階", "Stage"],
          ["職員のみ", "Staff only"],
          ["在席", "Present"],
          ["分", "Min", "num"],
          ["発券機", "Kiosk"],
          ["配慮", "Sensitive"],
          ["", ""],
        ],
        rows,
      ),
    ),
    card("サービスを追加", "Add a service", create),
  ];
}

// --- counters ------------------------------------------------------------------------------------

function counterFields() {
  return [
    { name: "name_ja", ja: "名称（日本語）", en: "Name (Japanese)", required: true },
    { name: "name_en", ja: "名称（英語）", en: "Name (English)", required: true },
    { name: "area", ja: "エリア", en: "Area" },
    { name: "staffed_by", ja: "担当", en: "Staffed by", type: "select", options: STAFFED_BY },
    { name: "public", ja: "公開窓口（表示盤で呼出）", en: "Public window (called on the display)", type: "checkbox" },
    {
      name: "services",
      ja: "受け持つサービス（優先順）",
      en: "Services, in order of preference",
      type: "order",
      options: serviceOptions(),
    },
  ];
}

function countersPanel() {
  const box = errorBox();
  const rows = state.config.counters.flatMap((counter) => {
    const key = `counter:${counter.id}`;
    const draft = [...counter.services];
    return [
      h(
        "tr",
        { "data-counter": counter.id },
        h("td", {}, h("strong", {}, counter.id)),
        h("td", {}, counter.name_ja, h("br"), h("span", { class: "en" }, counter.name_en)),
        h("td", {}, counter.public ? "窓口 Public" : "内部デスク Internal desk"),
        h("td", {}, STAFFED_BY.find(([value]) => value === counter.staffed_by)?.[1] || counter.staffed_by),
        h("td", {}, counter.services.map(serviceName).join("、")),
        editButtons(key, deactivator(box, `/counters/${encodeURIComponent(counter.id)}`, counter.id), `${counter.id} ${counter.name_ja}`),
      ),
      editRow(
        key,
        6,
        form({
          fields: counterFields(),
          values: { ...counter, services: draft },
          label: ["保存", "Save"],
          cancel: () => {
            state.editing = null;
            render();
          },
          submit: (body, errors) =>
            change(errors, () => send("PATCH", `/counters/${encodeURIComponent(counter.id)}`, body), ["保存しました。", "Saved."]),
        }),
      ),
    ];
  });
  const create = form({
    fields: [{ name: "id", ja: "窓口番号", en: "Counter number", required: true, pattern: "[A-Za-z0-9_-]{1,20}" }, ...counterFields()],
    values: { public: true, staffed_by: "staff", services: [] },
    label: ["窓口を追加", "Add counter"],
    submit: (body, errors) => change(errors, () => send("POST", "/counters", body), ["追加しました。", "Added."]),
  });
  return [
    card(
      "窓口・内部デスク",
      "Counters and internal desks",
      h("p", { class: "hint" }, "開いている窓口は無効にできません。 An open counter cannot be deactivated."),
      box,
      table(
        [
          ["番号", "No."],
          ["名称", "Name"],
          ["種別", "Kind"],
          ["担当", "Staffed by"],
          ["サービス（優先順）", "Services (in order)"],
          ["", ""],
        ],
        rows,
      ),
    ),
    card("窓口を追加", "Add a counter", create),
  ];
}

// --- life events and questions ------------------------------------------------------------------

function draftFor(key) {
  const event = state.config.life_events.find((item) => item.id === key) || state.config.life_events[0];
  if (!event) return null;
  return {
    key: event.id,
    questions: [...event.questions],
    // Whole stops: what this editor does not show (group, when_any, unless) is saved as it was.
    stops: event.stops.map((stop) => ({ ...stop, when: [...stop.when] })),
    dirty: false,
  };
}

function lifeEventsPanel() {
  const events = state.config.life_events;
  if (!events.length) return [card("ライフイベント", "Life events", h("p", { class: "empty" }, "(なし) (none)"))];
  if (!state.draft || state.draft.stale || !events.some((event) => event.id === state.draft.key)) {
    state.draft = draftFor(state.draft?.key ?? events[0].id);
  }
  const draft = state.draft;
  const event = events.find((item) => item.id === draft.key);

  const chooserId = uid("life-event");
  const chooser = h(
    "select",
    { id: chooserId },
    events.map((item) => h("option", { value: item.id, selected: item.id === draft.key }, `${item.icon} ${item.name_ja} / ${item.name_en}`)),
  );
  chooser.addEventListener("change", () => {
    if (draft.dirty && !confirmBoth("保存していない変更を破棄しますか。", "Discard unsaved changes?")) {
      chooser.value = draft.key;
      return;
    }
    state.draft = draftFor(chooser.value);
    render();
  });

  const dirtyNote = h("p", { class: "dirty-note", role: "status", hidden: !draft.dirty }, ...bi("未保存の変更があります。", "Unsaved changes."));
  const touched = () => {
    draft.dirty = true;
    dirtyNote.hidden = false;
  };
  const stopsList = h("ol", { class: "stops", "aria-label": "経路 Route" });
  const drawStops = (focus) => {
    stopsList.replaceChildren(
      ...draft.stops.map((stop, index) => {
        const offered = [...draft.questions, ...stop.when.filter((key) => !draft.questions.includes(key))];
        const conditions = offered.length
          ? h(
              "fieldset",
              { class: "conditions" },
              h("legend", {}, "条件（すべて「はい」のとき立ち寄る） Conditions (all must be yes)"),
              h(
                "div",
                { class: "checks" },
                offered.map((key) => {
                  const id = uid(`when-${index}-${key}`);
                  const box = h("input", { id, type: "checkbox", checked: stop.when.includes(key), "data-question": key });
                  box.addEventListener("change", () => {
                    stop.when = box.checked ? [...stop.when, key].sort((a, b) => offered.indexOf(a) - offered.indexOf(b)) : stop.when.filter((item) => item !== key);
                    touched();
                  });
                  return h("label", { class: "inline", for: id }, box, questionText(key));
                }),
              ),
            )
          : h("p", { class: "hint" }, "常に立ち寄る Always");
        const more = [
          stop.when_any?.length ? bi(`どれか「はい」のとき: ${stop.when_any.map(questionText).join("、")}`, "Any of these yes") : null,
          stop.unless?.length ? bi(`「はい」なら立ち寄らない: ${stop.unless.map(questionText).join("、")}`, "Skipped when yes") : null,
          stop.group ? bi(`順不同のまとまり: ${stop.group}`, "Any-order group") : null,
        ].filter(Boolean);
        const extra = more.length ? h("ul", { class: "hint conditions-more" }, more.map((line) => h("li", {}, ...line))) : null;
        return h(
          "li",
          { "data-stop": stop.service },
          h("span", { class: "index" }, index + 1),
          h("div", {}, h("strong", {}, serviceName(stop.service)), " ", h("code", {}, stop.service), conditions, extra),
          moveButtons(draft.stops, index, serviceName(stop.service), (next) => {
            touched();
            drawStops(next);
            drawPositions();
          }),
        );
      }),
    );
    focusAfterMove(stopsList, focus);
  };

  const addServiceId = uid("add-stop-service");
  const addPositionId = uid("add-stop-position");
  const addService = h("select", { id: addServiceId });
  const addPosition = h("select", { id: addPositionId });
  const drawPositions = () => {
    addService.replaceChildren(
      ...serviceOptions()
        .filter(([key]) => !draft.stops.some((stop) => stop.service === key))
        .map(([key, text]) => h("option", { value: key }, `${text} (${key})`)),
    );
    addPosition.replaceChildren(
      h("option", { value: String(draft.stops.length) }, "最後に / At the end"),
      ...draft.stops.map((stop, index) => h("option", { value: String(index) }, `${index + 1}. ${serviceName(stop.service)} の前 / before #${index + 1}`)),
    );
  };
  const addButton = h("button", { type: "button", id: "add-stop" }, ...bi("経路に追加", "Add to route"));
  addButton.addEventListener("click", () => {
    if (!addService.value) return;
    const position = Number(addPosition.value);
    draft.stops.splice(position, 0, { service: addService.value, when: [], when_any: [], unless: [], group: null });
    touched();
    drawStops();
    drawPositions();
    stopsList.children[position]?.querySelector("button")?.focus();
  });

  const questionsSpec = {
    name: "questions",
    ja: "このライフイベントで聞く質問（順番どおり）",
    en: "Questions asked, in order",
    type: "order",
    options: state.config.questions.map((question) => [question.id, question.text_ja]),
    onChange: () => {
      drawStops();
    },
  };
  const questions = orderControl(questionsSpec, draft.questions, uid("questions"));
  // The order control redraws itself; any change there is an unsaved change of the event.
  questions.element.addEventListener("click", (clicked) => {
    if (clicked.target.closest("button")) touched();
  });
  drawStops();
  drawPositions();

  const details = [
    { name: "name_ja", ja: "名称（日本語）", en: "Name (Japanese)", required: true },
    { name: "name_en", ja: "名称（英語）", en: "Name (English)", required: true },
    { name: "icon", ja: "アイコン（絵文字）", en: "Icon (emoji)" },
    { name: "sensitive", ja: "配慮が必要（公開表示しない）", en: "Sensitive", type: "checkbox" },
    { name: "note_ja", ja: "案内文（日本語）", en: "Note (Japanese)", type: "textarea", wide: true },
    { name: "note_en", ja: "案内文（英語）", en: "Note (English)", type: "textarea", wide: true },
  ];
  const editor = form({
    id: "life-event-form",
    fields: details,
    values: event,
    label: ["ライフイベントを保存", "Save life event"],
    extra: [
      h(
        "div",
        { class: "editor" },
        h("div", {}, h("h3", {}, ...bi("質問", "Questions")), questions.element),
        h(
          "div",
          {},
          h("h3", {}, ...bi("経路（立ち寄る順）", "Route (stops in order)")),
          stopsList,
          h(
            "div",
            { class: "add-row" },
            h("div", {}, h("label", { for: addServiceId }, ...bi("追加するサービス", "Service to add")), addService),
            h("div", {}, h("label", { for: addPositionId }, ...bi("位置", "Position")), addPosition),
            addButton,
          ),
        ),
      ),
      dirtyNote,
    ],
    submit: (body, errors) =>
      change(
        errors,
        async () => {
          await send("PATCH", `/life-events/${encodeURIComponent(draft.key)}`, { ...body, questions: draft.questions, stops: draft.stops });
          // Redrawn from the saved rules, not from the draft.
          state.draft = { key: draft.key, stale: true };
        },
        ["ライフイベントを保存しました。新しい番号札から反映されます。", "Life event saved; new tickets follow it."],
      ),
  });
  editor.addEventListener("input", touched);

  return [
    card(
      "ライフイベント",
      "Life events",
      h("label", { for: chooserId }, ...bi("編集するライフイベント", "Life event to edit")),
      chooser,
      h("p", { class: "hint" }, "経路の変更は保存した後に発券される番号札から反映されます。発券済みの番号札は変わりません。 Route changes apply to tickets issued after saving; tickets already issued keep their route."),
      editor,
    ),
    questionsCard(),
  ];
}

function questionsCard() {
  const rows = state.config.questions.flatMap((question) => {
    const key = `question:${question.id}`;
    return [
      h(
        "tr",
        {},
        h("td", {}, h("code", {}, question.id)),
        h("td", {}, question.text_ja, h("br"), h("span", { class: "en" }, question.text_en)),
        editButtons(key, null, question.text_ja),
      ),
      editRow(
        key,
        3,
        form({
          fields: [
            { name: "text_ja", ja: "質問（日本語）", en: "Question (Japanese)", required: true, wide: true },
            { name: "text_en", ja: "質問（英語）", en: "Question (English)", required: true, wide: true },
          ],
          values: question,
          label: ["保存", "Save"],
          cancel: () => {
            state.editing = null;
            render();
          },
          submit: (body, errors) =>
            change(errors, () => send("PATCH", `/questions/${encodeURIComponent(question.id)}`, body), ["保存しました。", "Saved."]),
        }),
      ),
    ];
  });
  const create = form({
    fields: [
      { name: "id", ja: "ID(英小文字・数字・_)", en: "ID (a-z, 0-9, _)", required: true, pattern: "[a-z][a-z0-9_]*" },
      { name: "text_ja", ja: "質問（日本語・はい/いいえで答えられる形）", en: "Question (Japanese, yes/no)", required: true, wide: true },
      { name: "text_en", ja: "質問（英語）", en: "Question (English)", required: true, wide: true },
    ],
    label: ["質問を追加", "Add question"],
    submit: (body, errors) => change(errors, () => send("POST", "/questions", body), ["質問を追加しました。", "Question added."]),
  });
  return card(
    "質問",
    "Questions",
    h("p", { class: "hint" }, "追加した質問は、ライフイベントの「質問」に加えて経路の条件に使います。 Add a new question to a life event, then use it as a stop's condition."),
    table(
      [
        ["ID", "ID"],
        ["質問", "Question"],
        ["", ""],
      ],
      rows,
    ),
    h("h3", {}, ...bi("質問を追加", "Add a question")),
    create,
  );
}

// --- priority and fairness -----------------------------------------------------------------------

function priorityPanel() {
  const box = errorBox();
  const fields = [
    { name: "name_ja", ja: "名称（日本語）", en: "Name (Japanese)", required: true },
    { name: "name_en", ja: "名称（英語）", en: "Name (English)", required: true },
    { name: "rank", ja: "順位（1が最優先）", en: "Rank (1 = first)", type: "number", min: "1", max: "9", step: "1", required: true },
  ];
  const rows = state.config.priority_categories.flatMap((category) => {
    const key = `priority:${category.id}`;
    return [
      h(
        "tr",
        {},
        h("td", { class: "num" }, category.rank),
        h("td", {}, h("code", {}, category.id)),
        h("td", {}, category.name_ja, h("br"), h("span", { class: "en" }, category.name_en)),
        editButtons(key, deactivator(box, `/priority-categories/${encodeURIComponent(category.id)}`, category.name_ja), category.name_ja),
      ),
      editRow(
        key,
        4,
        form({
          fields,
          values: category,
          label: ["保存", "Save"],
          cancel: () => {
            state.editing = null;
            render();
          },
          submit: (body, errors) =>
            change(errors, () => send("PATCH", `/priority-categories/${encodeURIComponent(category.id)}`, body), ["保存しました。", "Saved."]),
        }),
      ),
    ];
  });
  return [
    card(
      "優先区分（合理的配慮）",
      "Priority categories",
      h("p", { class: "hint" }, "優先は職員・コンシェルジュが付与します（発券機には出しません）。 Priority is granted by staff, never self-declared at the kiosk."),
      box,
      table(
        [
          ["順位", "Rank", "num"],
          ["ID", "ID"],
          ["名称", "Name"],
          ["", ""],
        ],
        rows,
      ),
      h("h3", {}, ...bi("優先区分を追加", "Add a category")),
      form({
        fields: [{ name: "id", ja: "ID", en: "ID", required: true, pattern: "[a-z][a-z0-9_]*" }, ...fields],
        values: { rank: state.config.priority_categories.length + 1 },
        label: ["追加", "Add"],
        submit: (body, errors) => change(errors, () => send("POST", "/priority-categories", body), ["追加しました。", "Added."]),
      }),
    ),
    card(
      "公平ルール",
      "Fairness rule",
      h(
        "p",
        { class: "hint" },
        "優先呼出のあと、通常の方が待っている限り、次の優先呼出までに挟む通常呼出の数です。 After a priority call, at least this many normal calls (while normal tickets wait) before the next priority call.",
      ),
      form({
        fields: [{ name: "min_normal_between", ja: "挟む通常呼出の数", en: "Normal calls in between", type: "number", min: "0", max: "20", step: "1", required: true }],
        values: state.config.fairness,
        label: ["保存", "Save"],
        submit: (body, errors) => change(errors, () => send("PUT", "/fairness", body), ["公平ルールを保存しました。", "Fairness rule saved."]),
      }),
    ),
  ];
}

// --- hours and cut-offs --------------------------------------------------------------------------

function hoursPanel() {
  const box = errorBox();
  const rows = state.config.services.map((service) => {
    const id = uid(`cutoff-${service.id}`);
    const input = h("input", { id, type: "time", value: service.issue_cutoff || "" });
    const save = (value) =>
      change(box, () => send("PATCH", `/services/${encodeURIComponent(service.id)}`, { issue_cutoff: value }), ["発券締切を保存しました。", "Cut-off saved."]);
    return h(
      "tr",
      { "data-cutoff": service.id },
      h("td", {}, h("label", { for: id, class: "plain" }, service.name_ja, " ", h("span", { class: "en" }, service.name_en))),
      h("td", {}, service.issue_cutoff || "—"),
      h("td", {}, input),
      h(
        "td",
        { class: "actions" },
        h("button", { type: "button", onclick: () => save(input.value || null) }, ...bi("保存", "Save")),
        service.issue_cutoff ? h("button", { type: "button", onclick: () => save(null) }, ...bi("解除", "Clear")) : null,
      ),
    );
  });
  return [
    card(
      "受付時間",
      "Opening hours",
      form({
        fields: [
          { name: "open", ja: "開庁", en: "Opens", type: "time", required: true },
          { name: "close", ja: "閉庁", en: "Closes", type: "time", required: true },
          { name: "last_ticket", ja: "最終発券", en: "Last ticket", type: "time", required: true },
        ],
        values: state.config.hours,
        label: ["保存", "Save"],
        submit: (body, errors) => change(errors, () => send("PUT", "/hours", body), ["受付時間を保存しました。", "Hours saved."]),
      }),
    ),
    card(
      "サービスごとの発券締切",
      "Daily issue cut-off per service",
      h("p", { class: "hint" }, "締切を過ぎるとそのサービスの番号札は発券されません（開庁より後、閉庁までの時刻）。 After its cut-off a service issues no more tickets that day (after opening, by closing)."),
      box,
      table(
        [
          ["サービス", "Service"],
          ["現在", "Now"],
          ["新しい締切", "New cut-off"],
          ["", ""],
        ],
        rows,
      ),
    ),
  ];
}

// --- issuing -------------------------------------------------------------------------------------

async function issuingPanel() {
  const { stopped } = await send("GET", "/issuing");
  const box = errorBox();
  const toggle = h(
    "button",
    { type: "button", class: stopped ? "primary big" : "danger big", id: "issuing-toggle" },
    ...(stopped ? bi("発券を再開する", "Resume issuing") : bi("発券を今すぐ停止する", "Stop issuing now")),
  );
  toggle.addEventListener("click", async () => {
    if (!stopped && !confirmBoth("発券機と職員からの発券をすべて止めます。よろしいですか。", "Stop all ticket issuing (kiosks and staff)?")) return;
    await change(box, () => send("PUT", "/issuing", { stopped: !stopped }), stopped ? ["発券を再開しました。", "Issuing resumed."] : ["発券を停止しました。", "Issuing stopped."]);
  });
  return [
    card(
      "発券",
      "Ticket issuing",
      h(
        "p",
        { class: "issuing-state", "data-stopped": String(stopped), role: "status" },
        ...(stopped ? bi("現在、発券を停止しています", "Issuing is stopped") : bi("発券中", "Issuing normally")),
      ),
      h("p", { class: "hint" }, "停止中は発券機に案内が表示され、待っている方の呼出は続けられます。 While stopped, kiosks show a notice; people already waiting are still called."),
      toggle,
      box,
    ),
  ];
}

// --- devices -------------------------------------------------------------------------------------

// Set while the devices tab is shown: live health events redraw only the table, never the form.
let refreshDevices = null;

function deviceTable(box) {
  const rows = state.devices.map((device) => {
    const [levelJa, levelEn] = HEALTH[device.level] || [device.level, device.level];
    const printer = device.health?.printer ? PRINTER[device.health.printer] : null;
    const offline = device.online === false && device.last_seen_at;
    // Boards have no printer: whether they are connected is their state (live / silent / never).
    const [boardJa, boardEn] = device.online ? ["接続中", "Live"] : device.last_seen_at ? ["応答なし", "Silent"] : ["未接続", "Never connected"];
    const badge = device.kind === "display" ? `${boardJa} ${boardEn}` : `${levelJa} ${levelEn}`;
    const revoke = async () => {
      if (!confirmBoth(`「${device.name}」のトークンを失効させます。この端末は使えなくなります。`, `Revoke "${device.name}"? It stops working at once.`)) return;
      await change(box, () => send("POST", `/devices/${device.id}/revoke`), ["失効させました。", "Revoked."]);
    };
    return h(
      "tr",
      { class: device.revoked_at ? "inactive" : "", "data-device": device.id },
      h("td", {}, device.name),
      h("td", {}, DEVICE_KINDS.find(([kind]) => kind === device.kind)?.[1] || device.kind),
      h(
        "td",
        {},
        device.revoked_at
          ? h("span", { class: "badge health-unknown" }, "失効 Revoked")
          : h("span", { class: `badge health-${device.level}`, "data-level": device.level }, badge),
      ),
      h(
        "td",
        {},
        offline ? h("div", {}, ...bi("通信なし（オフライン）", "Not reporting (offline)")) : null,
        printer ? h("div", {}, ...bi(printer[0], printer[1])) : null,
        device.health?.pending_prints ? h("div", {}, `未印刷 ${device.health.pending_prints} 件 / ${device.health.pending_prints} unprinted`) : null,
        device.health?.detail ? h("div", { class: "en" }, device.health.detail) : null,
      ),
      h("td", {}, formatTime(device.last_seen_at)),
      h(
        "td",
        { class: "actions" },
        device.revoked_at ? formatTime(device.revoked_at) : h("button", { type: "button", class: "danger", "aria-label": `失効 Revoke: ${device.name}`, onclick: revoke }, ...bi("失効", "Revoke")),
      ),
    );
  });
  return table(
    [
      ["名称", "Name"],
      ["種類", "Kind"],
      ["状態", "Health"],
      ["詳細", "Detail"],
      ["最終通信", "Last seen"],
      ["", ""],
    ],
    rows,
  );
}

async function devicesPanel() {
  state.devices = await send("GET", "/devices");
  const box = errorBox();
  const holder = h("div", {}, deviceTable(box));
  refreshDevices = async () => {
    if (!holder.isConnected) return;
    state.devices = await send("GET", "/devices");
    holder.replaceChildren(deviceTable(box));
  };
  const created = state.newDevice
    ? h(
        "div",
        { class: "token-box", role: "status" },
        h("strong", {}, `${state.newDevice.name}: `, ...bi("端末トークン（一度だけ表示）", "Device token (shown once)")),
        h("code", { id: "new-device-token" }, state.newDevice.token),
        h("p", { class: "hint" }, "端末の設定に貼り付けてください。この画面を離れると二度と表示されません。 Paste it into the device's settings; it is not shown again."),
      )
    : null;
  const create = form({
    fields: [
      { name: "name", ja: "端末名", en: "Device name", required: true },
      { name: "kind", ja: "種類", en: "Kind", type: "select", options: DEVICE_KINDS },
    ],
    values: { kind: "kiosk" },
    label: ["端末を登録", "Register device"],
    submit: async (body, errors) => {
      let result = null;
      const ok = await change(
        errors,
        async () => {
          result = await send("POST", "/devices", body);
          state.newDevice = { name: result.device.name, token: result.token };
        },
        ["端末を登録しました。", "Device registered."],
      );
      if (ok) document.getElementById("new-device-token")?.focus();
    },
  });
  return [
    card(
      "端末",
      "Devices",
      h("p", { class: "hint" }, "注意 = 用紙残りわずか、異常 = 用紙切れ・カバー開・通信なし。状態はライブで更新されます。 Warning = paper low; fault = out of paper, cover open or offline. Updated live."),
      box,
      holder,
    ),
    card("端末を登録", "Register a device", create, created),
  ];
}

// --- staff accounts ------------------------------------------------------------------------------

async function staffPanel() {
  state.staff = await send("GET", "/staff");
  const box = errorBox();
  const rows = state.staff.flatMap((account) => {
    const key = `staff:${account.id}`;
    const own = account.username === state.session.username;
    const toggle = async () => {
      const disabling = account.active;
      if (disabling && !confirmBoth(`「${account.username}」を無効にします。サインイン中でもすぐに使えなくなります。`, `Disable "${account.username}"? Their sign-ins end at once.`)) return;
      await change(box, () => send("POST", `/staff/${account.id}/${disabling ? "disable" : "enable"}`), disabling ? ["無効にしました。", "Disabled."] : ["有効にしました。", "Enabled."]);
    };
    return [
      h(
        "tr",
        { class: account.active ? "" : "inactive", "data-staff": account.username },
        h(
          "td",
          {},
          account.username,
          account.sign_in === "sso" ? " " : null,
          account.sign_in === "sso" ? h("span", { class: "badge", title: "シングルサインオン Single sign-on" }, "SSO") : null,
        ),
        h("td", {}, ROLES.find(([role]) => role === account.role)?.[1] || account.role),
        h("td", {}, account.active ? "有効 Active" : "無効 Disabled"),
        h("td", {}, formatTime(account.created_at)),
        h(
          "td",
          { class: "actions" },
          // A single sign-on account's password belongs to the identity provider.
          account.sign_in === "sso"
            ? null
            : h(
                "button",
                {
                  type: "button",
                  "aria-expanded": String(state.editing === key),
                  "aria-label": `パスワード再設定 Reset password: ${account.username}`,
                  onclick: () => {
                    state.editing = state.editing === key ? null : key;
                    render();
                  },
                },
                ...bi("パスワード再設定", "Reset password"),
              ),
          own
            ? null
            : h(
                "button",
                { type: "button", class: account.active ? "danger" : "", onclick: toggle, "aria-label": `${account.active ? "無効化 Disable" : "有効化 Enable"}: ${account.username}` },
                ...(account.active ? bi("無効化", "Disable") : bi("有効化", "Enable")),
              ),
        ),
      ),
      editRow(
        key,
        5,
        form({
          fields: [{ name: "password", ja: "新しいパスワード（8文字以上）", en: "New password (8+ characters)", type: "password", minlength: "8", required: true, autocomplete: "new-password" }],
          label: ["再設定", "Reset"],
          cancel: () => {
            state.editing = null;
            render();
          },
          submit: (body, errors) =>
            change(errors, () => send("POST", `/staff/${account.id}/password`, body), ["パスワードを再設定しました。以前のサインインは終了しました。", "Password reset; earlier sign-ins ended."]),
        }),
      ),
    ];
  });
  return [
    card(
      "職員アカウント",
      "Staff accounts",
      box,
      table(
        [
          ["ユーザー名", "Username"],
          ["役割", "Role"],
          ["状態", "State"],
          ["作成", "Created"],
          ["", ""],
        ],
        rows,
      ),
    ),
    card(
      "アカウントを作成",
      "Create an account",
      form({
        fields: [
          { name: "username", ja: "ユーザー名", en: "Username", required: true, pattern: "[A-Za-z0-9_.\\-]{1,80}" },
          { name: "role", ja: "役割", en: "Role", type: "select", options: ROLES },
          { name: "password", ja: "初期パスワード（8文字以上）", en: "Initial password (8+ characters)", type: "password", minlength: "8", required: true, autocomplete: "new-password" },
        ],
        values: { role: "municipal" },
        label: ["作成", "Create"],
        submit: (body, errors) => change(errors, () => send("POST", "/staff", body), ["アカウントを作成しました。", "Account created."]),
      }),
    ),
  ];
}

// --- audit log -----------------------------------------------------------------------------------

const PAGE = 50;

async function loadAudit(append) {
  const params = new URLSearchParams({ limit: String(PAGE) });
  if (state.audit.target) params.set("target", state.audit.target);
  const last = state.audit.entries.at(-1);
  if (append && last) params.set("before_id", String(last.id));
  const entries = await send("GET", `/audit?${params}`);
  state.audit.entries = append ? [...state.audit.entries, ...entries] : entries;
  state.audit.more = entries.length === PAGE;
}

function json(value) {
  return value === null || value === undefined ? "—" : JSON.stringify(value, null, 2);
}

async function auditPanel() {
  await loadAudit(false);
  const filterId = uid("audit-target");
  const filter = h("input", { id: filterId, value: state.audit.target, placeholder: "service:pickup / service / hours" });
  const apply = h("form", { class: "filter-row" }, h("div", {}, h("label", { for: filterId }, ...bi("対象で絞り込み", "Filter by target")), filter), h("button", { type: "submit" }, ...bi("表示", "Show")));
  apply.addEventListener("submit", (event) => {
    event.preventDefault();
    state.audit.target = filter.value.trim();
    render();
  });
  const body = h("tbody", {});
  const draw = () =>
    body.replaceChildren(
      ...state.audit.entries.map((entry) =>
        h(
          "tr",
          { "data-audit": entry.id },
          h("td", {}, formatTime(entry.at)),
          h("td", {}, entry.username),
          h("td", {}, h("code", {}, entry.action)),
          h("td", {}, h("code", {}, entry.target)),
          h(
            "td",
            {},
            h(
              "details",
              {},
              h("summary", {}, ...bi("変更内容", "Change")),
              h("div", { class: "change" }, h("div", {}, h("strong", {}, "前 Before"), h("pre", {}, json(entry.before))), h("div", {}, h("strong", {}, "後 After"), h("pre", {}, json(entry.after)))),
            ),
          ),
        ),
      ),
    );
  draw();
  const more = h("button", { type: "button", hidden: !state.audit.more }, ...bi("さらに表示", "Show more"));
  more.addEventListener("click", async () => {
    await loadAudit(true);
    draw();
    more.hidden = !state.audit.more;
  });
  const headers = [
    ["日時", "When"],
    ["職員", "Who"],
    ["操作", "Action"],
    ["対象", "Target"],
    ["内容", "Change"],
  ];
  return [
    card(
      "監査ログ",
      "Audit log",
      h("p", { class: "hint" }, "設定・端末・アカウントの変更を新しい順に表示します。 Every change to rules, devices and accounts, newest first."),
      apply,
      state.audit.entries.length
        ? h(
            "div",
            { class: "table-scroll audit" },
            h("table", {}, h("thead", {}, h("tr", {}, headers.map(([ja, en]) => h("th", { scope: "col" }, ja, h("br"), h("span", { class: "en" }, en))))), body),
          )
        : h("p", { class: "empty" }, ...bi("記録はありません。", "No entries.")),
      more,
    ),
  ];
}

// --- whole configuration -------------------------------------------------------------------------

/** Fetch with the bearer token for non-JSON bodies (YAML); errors become ApiError like api(). */
async function rawFetch(path, init = {}) {
  const headers = { ...(init.headers || {}), Authorization: `Bearer ${currentSession()?.token || ""}` };
  let response;
  try {
    response = await fetch(API + path, { ...init, headers, credentials: "omit", cache: "no-store" });
  } catch {
    throw new ApiError(0, "network_error", "Cannot reach the server.");
  }
  if (response.ok) return response;
  if (response.status === 401) {
    clearSession();
    window.dispatchEvent(new CustomEvent(SIGNED_OUT_EVENT));
  }
  let payload = null;
  try {
    payload = await response.json();
  } catch {
    payload = null;
  }
  throw new ApiError(response.status, payload?.code || "http_error", payload?.detail ?? response.statusText);
}

function configPanel() {
  const box = errorBox();
  const download = h("button", { type: "button", class: "primary", id: "export-yaml" }, ...bi("YAML をダウンロード", "Download YAML"));
  download.addEventListener("click", async () => {
    try {
      const response = await rawFetch(adminPath("/config?format=yaml"));
      const url = URL.createObjectURL(await response.blob());
      const link = h("a", { href: url, download: `madoguchi-${state.branch}.yaml` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (error) {
      showError(box, error);
    }
  });
  const fileId = uid("import-file");
  const file = h("input", { id: fileId, type: "file", accept: ".yaml,.yml,text/yaml,application/yaml" });
  const upload = h("button", { type: "submit", class: "primary" }, ...bi("読み込んで適用", "Import and apply"));
  const importForm = h(
    "form",
    {},
    h("label", { for: fileId }, ...bi("設定ファイル（YAML）", "Configuration file (YAML)")),
    file,
    h("div", { class: "form-actions" }, upload),
    box,
  );
  importForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = file.files?.[0];
    if (!chosen) {
      showError(box, new ApiError(0, "no_file", "Choose a file first. ファイルを選んでください。"));
      return;
    }
    if (!confirmBoth("この支所の設定全体を、ファイルの内容で置き換えます。よろしいですか。", "Replace this branch's whole configuration with the file?")) return;
    const text = await chosen.text();
    upload.disabled = true;
    try {
      await change(
        box,
        () => rawFetch(adminPath("/config"), { method: "PUT", body: text, headers: { "Content-Type": "application/yaml" } }),
        ["設定を読み込みました。", "Configuration imported."],
      );
    } finally {
      upload.disabled = false;
    }
  });
  return [
    card(
      "設定のエクスポート",
      "Export the configuration",
      h("p", { class: "hint" }, "現在の設定全体を YAML ファイルとして保存します（`madoguchi init --config` でも読み込めます）。 The whole live configuration as a YAML file."),
      download,
    ),
    card(
      "設定のインポート",
      "Import a configuration",
      h("p", { class: "hint" }, "ファイルは適用前に検査されます。問題があれば行番号つきで表示し、何も変更しません。 The file is checked first; problems are listed with their line numbers and nothing changes."),
      importForm,
    ),
  ];
}

// --- page ----------------------------------------------------------------------------------------

const PANELS = {
  services: servicesPanel,
  counters: countersPanel,
  "life-events": lifeEventsPanel,
  priority: priorityPanel,
  hours: hoursPanel,
  issuing: issuingPanel,
  devices: devicesPanel,
  staff: staffPanel,
  audit: auditPanel,
  translations: () => translationsPanel({ branch: state.branch, card, table, errorBox, change, uid, redraw: render }),
  config: configPanel,
  "hand-off": () =>
    handOffPanel({
      branch: state.branch,
      api,
      card,
      table,
      errorBox,
      change,
      showError,
      form,
      rawFetch,
      confirmBoth,
      formatTime,
      codesJa: CODE_JA,
      timezone: state.config?.branch?.timezone,
    }),
  // Loaded when first opened: bookable services and closed days (admin/appointments.js).
  appointments: async () => (await import("./appointments.js")).appointmentsPanel({ branch: state.branch }),
};

async function reloadConfig() {
  state.config = await send("GET", "/config");
}

function tabBar() {
  const buttons = TABS.map(([key, ja, en]) =>
    h(
      "button",
      {
        type: "button",
        role: "tab",
        id: `tab-${key}`,
        "aria-controls": "panel",
        "aria-selected": String(state.tab === key),
        tabindex: state.tab === key ? "0" : "-1",
        "data-tab": key,
        onclick: () => selectTab(key),
      },
      h("span", { lang: "ja" }, ja),
      h("span", { lang: "en", class: "en" }, en),
    ),
  );
  const bar = h("div", { class: "tabs", role: "tablist", "aria-label": "管理メニュー Admin sections" }, buttons);
  // Arrow keys move between tabs (WAI-ARIA tabs pattern).
  bar.addEventListener("keydown", (event) => {
    const index = TABS.findIndex(([key]) => key === state.tab);
    const moves = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: TABS.length - 1 };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const next = TABS[(moves[event.key] + TABS.length) % TABS.length][0];
    selectTab(next).then(() => document.getElementById(`tab-${next}`)?.focus());
  });
  return bar;
}

async function selectTab(key) {
  if (state.tab === "life-events" && key !== "life-events" && state.draft?.dirty) {
    if (!confirmBoth("保存していない経路の変更を破棄しますか。", "Discard the unsaved route changes?")) return;
    state.draft = null;
  }
  if (key !== "devices") state.newDevice = null;
  if (key !== "hand-off") leaveHandOff();
  state.tab = key;
  state.editing = null;
  await render();
}

let rendering = Promise.resolve();

/** Redraw the tab bar and the current panel (panels that list devices, staff … fetch them first). */
function render() {
  rendering = rendering.then(async () => {
    let content;
    try {
      content = await PANELS[state.tab]();
    } catch (error) {
      content = [card("読み込めませんでした", "Could not load", h("p", { role: "alert" }, explain(error)))];
    }
    const panel = h("section", { class: "panel", id: "panel", role: "tabpanel", "aria-labelledby": `tab-${state.tab}`, "data-panel": state.tab }, content);
    app.replaceChildren(tabBar(), panel);
  });
  return rendering;
}

function followDevices() {
  const refresh = coalesce(() => {
    if (state.tab === "devices") refreshDevices?.().catch(() => {});
  }, 400);
  connectBranchStream(state.branch, {
    onStatus: showConnection,
    onEvent: (event) => {
      if (event.type === "device.health" || event.type === "kiosk.help_requested") refresh();
    },
    onSnapshot: refresh,
  });
}

async function start() {
  const session = await ensureSignedIn(app, { title: "管理コンソールにサインイン", titleEn: "Sign in to the admin console" });
  state.session = session;
  if (session.role !== "admin") {
    app.replaceChildren(
      card(
        "管理者アカウントが必要です",
        "An administrator account is needed",
        h("p", {}, ...bi("このアカウントでは管理コンソールを使えません。サインアウトして管理者でサインインしてください。", "This account cannot use the admin console; sign out and sign in as an administrator.")),
      ),
    );
    bindHeader(session, session.branch || "");
    return;
  }
  state.branch = await resolveBranch(session);
  bindHeader(session, state.branch);
  await reloadConfig();
  await render();
  followDevices();
}

start().catch((error) => {
  app.replaceChildren(card("読み込めませんでした", "Could not load", h("p", { role: "alert" }, explain(error))));
});
