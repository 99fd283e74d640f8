// Admin console, 翻訳 / Translations: what citizens read (life events, questions, procedure names,
// labels, the branch name) in each kiosk language, beside its Japanese and English. A blank field
// is a missing translation: the kiosk, slip and status page show the English (the Japanese for
// やさしい日本語) there and say so. やさしい日本語 writes ruby as {漢字|かんじ}.

import { api } from "../common/api.js";
import { bi, h } from "../common/ui.js";

export const TRANSLATION_LANGUAGES = [
  ["ja_easy", "やさしい日本語"],
  ["zh", "简体中文"],
  ["zh_hant", "繁體中文"],
  ["ko", "한국어"],
  ["vi", "Tiếng Việt"],
  ["pt", "Português"],
  ["tl", "Tagalog"],
  ["id", "Bahasa Indonesia"],
  ["ne", "नेपाली"],
];

const KINDS = [
  ["life_events", "ライフイベント", "Life events"],
  ["questions", "質問", "Questions"],
  ["services", "手続き", "Procedures"],
  ["queues", "表示ラベル", "Public labels"],
  ["branch", "庁舎名", "Branch"],
  ["sensitive_label", "表示ラベル", "Public labels"],
];

let chosen = "vi";
// Typed but not yet saved, by language and path: a redraw (a live update) keeps them.
const edits = new Map();

/** Sets `value` at a dotted path ("life_events.birth.name") of `target`; a blank one removes it. */
function place(target, path, value) {
  const parts = path.split(".");
  let node = target;
  for (const part of parts.slice(0, -1)) {
    node[part] = node[part] && typeof node[part] === "object" ? node[part] : {};
    node = node[part];
  }
  const last = parts[parts.length - 1];
  if (value) node[last] = value;
  else delete node[last];
}

/** The panel; `tools` are the console's own helpers (admin.js). */
export async function translationsPanel({ branch, card, table, errorBox, change, uid, redraw }) {
  const path = (language) => `/admin/branches/${encodeURIComponent(branch)}/translations/${language}`;
  const data = await api(path(chosen));
  const box = errorBox();
  const chooserId = uid("translation-language");
  const chooser = h(
    "select",
    { id: chooserId, name: "language" },
    TRANSLATION_LANGUAGES.map(([code, name]) => h("option", { value: code, selected: code === chosen }, `${name} (${code})`)),
  );
  const pending = edits.get(chosen) ?? new Map();
  edits.set(chosen, pending);
  chooser.addEventListener("change", () => {
    chosen = chooser.value;
    redraw();
  });
  const inputs = [];
  const rows = [];
  for (const [kind, ja, en] of KINDS) {
    for (const item of data.items.filter((entry) => entry.path.split(".")[0] === kind)) {
      const id = uid("translation");
      const long = item.ja.length > 40;
      const value = pending.get(item.path) ?? item.text;
      const input = long
        ? h("textarea", { id, rows: 4, cols: 60, "data-path": item.path, lang: chosen }, value)
        : h("input", { id, type: "text", size: 60, value, "data-path": item.path, lang: chosen });
      input.addEventListener("input", () => pending.set(item.path, input.value));
      inputs.push(input);
      rows.push(
        h(
          "tr",
          { "data-translation": item.path, class: item.text ? "" : "missing" },
          h("td", {}, ja, h("br"), h("span", { class: "en" }, en), h("br"), h("code", {}, item.path)),
          h("td", {}, h("label", { for: id, class: "plain", lang: "ja" }, item.ja), h("br"), h("span", { class: "en", lang: "en" }, item.en)),
          h("td", {}, input),
        ),
      );
    }
  }
  const save = h(
    "button",
    {
      type: "button",
      class: "primary",
      onclick: () => {
        const body = structuredClone(data.current || {});
        for (const input of inputs) place(body, input.dataset.path, (pending.get(input.dataset.path) ?? input.value).trim());
        return change(
          box,
          async () => {
            await api(path(chosen), { method: "PUT", body });
            pending.clear();
          },
          ["翻訳を保存しました。", "Translations saved."],
        );
      },
    },
    ...bi("保存", "Save"),
  );
  return [
    card(
      "翻訳",
      "Translations",
      h(
        "p",
        { class: "hint" },
        "市民が読む文言（ライフイベント、質問、手続き名、表示ラベル、庁舎名）を言語ごとに設定します。空欄は未翻訳で、発券機・番号札・状況ページには英語（やさしい日本語では日本語）を、その旨を添えて表示します。やさしい日本語では漢字に {漢字|かんじ} の形でふりがなを付けてください。 ",
        h("span", { class: "en" }, "What citizens read, per language. A blank is a missing translation: the kiosk, slip and status page show the English (Japanese for やさしい日本語) and say so. In やさしい日本語 write every kanji with its reading: {漢字|かんじ}."),
      ),
      h(
        "p",
        {},
        h("label", { for: chooserId }, ...bi("言語", "Language")),
        " ",
        chooser,
        " ",
        h("span", { class: "translation-missing", "data-missing": data.missing }, `未翻訳 ${data.missing}件 / ${data.missing} missing`),
      ),
      box,
      table(
        [
          ["種類", "Kind"],
          ["日本語・英語", "Japanese / English"],
          ["翻訳", "Translation"],
        ],
        rows,
      ),
      h("p", { class: "actions" }, save),
    ),
  ];
}
