// Admin console, 外部連携 / Hand-off: webhook receivers (add, switch off and on, key rotation without
// downtime), the deliveries that could not be sent (send again), and the visits export.
// Secrets are shown once, right after they are made; the API never returns them again.

import { bi, h } from "../common/ui.js";

const CODE_JA = {
  webhook_from_settings: "この受信先はサーバーの設定（MADOGUCHI_WEBHOOK_URL）から来ています。設定ファイル側で変更してください。",
  webhook_key_signing: "署名に使っている鍵は削除できません。先に別の鍵に切り替えてください。",
  webhook_key_exists: "同じ名前の鍵がすでにあります。",
  webhook_key_not_found: "その鍵はありません。",
  webhook_not_found: "受信先が見つかりません。",
  not_dead_letter: "この通知は再送待ちではありません。",
  delivery_not_found: "通知が見つかりません。",
  invalid_date: "日付は YYYY-MM-DD の形で入力してください。",
  invalid_range: "開始日は終了日より前にしてください。",
  range_too_long: "一度に書き出せるのは 366 日までです。",
};

const TYPE_JA = {
  "ticket.issued": "発券",
  "stop.completed": "手続き完了",
  "ticket.finished": "来庁終了",
};

// The secret just made (receiver or key), shown until the admin leaves the tab.
let shownSecret = null;

// The branch's business day today (its time zone, not the browser's): YYYY-MM-DD.
const today = (timeZone) => new Intl.DateTimeFormat("en-CA", { timeZone: timeZone || "Asia/Tokyo" }).format(new Date());

/** Forget the secret on leaving the tab (admin.js calls it). */
export function leaveHandOff() {
  shownSecret = null;
}

/** The panel; `tools` are the console's own helpers (admin.js). */
export async function handOffPanel(tools) {
  const { branch, card, table, errorBox, change, showError, form, rawFetch, confirmBoth, formatTime } = tools;
  const base = `/admin/branches/${encodeURIComponent(branch)}`;
  const call = (method, rest, body) => tools.api(`${base}${rest}`, { method, body });
  const [receivers, deadLetters] = await Promise.all([call("GET", "/webhooks"), call("GET", "/webhooks/dead-letters")]);
  // The console's refusal messages in Japanese learn this panel's codes.
  Object.assign(tools.codesJa, CODE_JA);
  const box = errorBox();
  const act = (run, done) => change(box, run, done);

  const receiverRows = receivers.map((receiver) => {
    const readOnly = receiver.from_settings;
    const keys = receiver.keys.map((key) =>
      h(
        "li",
        { "data-key": key.key_id },
        h("code", {}, key.key_id),
        key.signing ? h("span", { class: "badge health-ok" }, " 署名中 Signing") : null,
        !readOnly && !key.signing
          ? [
              " ",
              h(
                "button",
                {
                  type: "button",
                  "aria-label": `この鍵で署名 Sign with ${key.key_id}`,
                  onclick: () =>
                    act(() => call("PATCH", `/webhooks/${receiver.id}`, { signing_key_id: key.key_id }), [
                      `鍵 ${key.key_id} で署名します。`,
                      `Signing with ${key.key_id}.`,
                    ]),
                },
                ...bi("この鍵で署名", "Sign with it"),
              ),
              h(
                "button",
                {
                  type: "button",
                  class: "danger",
                  "aria-label": `鍵を削除 Remove key ${key.key_id}`,
                  onclick: () => {
                    if (!confirmBoth(`鍵 ${key.key_id} を削除します。受信側でもこの鍵を使っていないことを確認しましたか。`, `Remove key ${key.key_id}? Make sure the receiver no longer needs it.`)) return;
                    act(() => call("DELETE", `/webhooks/${receiver.id}/keys/${encodeURIComponent(key.key_id)}`), [
                      "鍵を削除しました。",
                      "Key removed.",
                    ]);
                  },
                },
                ...bi("削除", "Remove"),
              ),
            ]
          : null,
      ),
    );
    const toggle = readOnly
      ? h("span", { class: "hint" }, ...bi("サーバー設定", "From the settings"))
      : h(
          "button",
          {
            type: "button",
            class: receiver.enabled ? "danger" : "",
            onclick: () =>
              act(() => call("PATCH", `/webhooks/${receiver.id}`, { enabled: !receiver.enabled }), receiver.enabled ? ["停止しました。", "Switched off."] : ["再開しました。", "Switched on."]),
          },
          ...(receiver.enabled ? bi("停止", "Switch off") : bi("再開", "Switch on")),
        );
    const addKey = readOnly
      ? null
      : h(
          "button",
          {
            type: "button",
            onclick: () =>
              act(async () => {
                const key = await call("POST", `/webhooks/${receiver.id}/keys`, {});
                shownSecret = { name: `${receiver.name} / ${key.key_id}`, secret: key.secret };
              }, ["新しい鍵を追加しました（まだ署名には使いません）。", "New key added (not signing yet)."]),
          },
          ...bi("鍵を追加", "Add a key"),
        );
    return h(
      "tr",
      { class: receiver.enabled ? "" : "inactive", "data-receiver": receiver.id },
      h("td", {}, receiver.name, receiver.include_answers ? h("div", { class: "hint" }, ...bi("回答も送信", "Sends answers")) : null),
      h("td", {}, h("code", {}, receiver.url)),
      h("td", {}, h("ul", { class: "key-list" }, keys)),
      h("td", {}, `${receiver.pending} / ${receiver.dead}`),
      h("td", {}, formatTime(receiver.last_delivered_at), receiver.last_error ? h("div", { class: "hint" }, receiver.last_error) : null),
      h("td", { class: "actions" }, addKey, toggle),
    );
  });

  const secretBox = shownSecret
    ? h(
        "div",
        { class: "token-box", role: "status" },
        h("strong", {}, `${shownSecret.name}: `, ...bi("署名の秘密鍵（一度だけ表示）", "Signing secret (shown once)")),
        h("code", { id: "new-webhook-secret" }, shownSecret.secret),
        h("p", { class: "hint" }, "受信システムに設定してください。この画面を離れると二度と表示されません。 Give it to the receiving system; it is not shown again."),
      )
    : null;

  const create = form({
    fields: [
      { name: "name", ja: "名称", en: "Name", required: true },
      { name: "url", ja: "送信先 URL", en: "URL", type: "url", required: true, wide: true },
      { name: "include_answers", ja: "質問への回答も送る（個人情報）", en: "Also send the answers (personal data)", type: "checkbox" },
    ],
    label: ["受信先を追加", "Add receiver"],
    submit: async (body, errors) => {
      const ok = await change(
        errors,
        async () => {
          const created = await call("POST", "/webhooks", body);
          shownSecret = { name: `${created.receiver.name} / ${created.key.key_id}`, secret: created.key.secret };
        },
        ["受信先を追加しました。", "Receiver added."],
      );
      if (ok) document.getElementById("new-webhook-secret")?.focus();
    },
  });

  const deadRows = deadLetters.map((letter) =>
    h(
      "tr",
      { "data-delivery": letter.delivery_id },
      h("td", {}, formatTime(letter.created_at)),
      h("td", {}, letter.receiver || "—"),
      h("td", {}, TYPE_JA[letter.type] || letter.type, h("div", { class: "en" }, letter.type)),
      h("td", {}, letter.number || "—"),
      h("td", {}, String(letter.attempts)),
      h("td", {}, letter.last_error || "—"),
      h(
        "td",
        { class: "actions" },
        h(
          "button",
          {
            type: "button",
            class: "primary",
            "aria-label": `再送 Send again: ${letter.number || letter.delivery_id}`,
            onclick: () => act(() => call("POST", `/webhooks/dead-letters/${letter.delivery_id}/retry`), ["再送します。", "Sending again."]),
          },
          ...bi("再送", "Send again"),
        ),
      ),
    ),
  );

  const exportBox = errorBox();
  const exportForm = h(
    "form",
    { class: "filter-row", id: "visits-export" },
    h("div", {}, h("label", { for: "export-from" }, ...bi("開始日", "From")), h("input", { id: "export-from", type: "date", value: today(tools.timezone), required: true })),
    h("div", {}, h("label", { for: "export-to" }, ...bi("終了日", "To")), h("input", { id: "export-to", type: "date", value: today(tools.timezone), required: true })),
    h(
      "div",
      {},
      h("label", { for: "export-format" }, ...bi("形式", "Format")),
      h("select", { id: "export-format" }, h("option", { value: "csv" }, "CSV (Excel)"), h("option", { value: "jsonl" }, "JSON Lines")),
    ),
    h("button", { type: "submit", class: "primary" }, ...bi("書き出す", "Export")),
  );
  exportForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    exportBox.hidden = true;
    const from = exportForm.querySelector("#export-from").value;
    const to = exportForm.querySelector("#export-to").value;
    const format = exportForm.querySelector("#export-format").value;
    try {
      const query = new URLSearchParams({ from, to, format });
      const response = await rawFetch(`${base}/visits?${query}`);
      const url = URL.createObjectURL(await response.blob());
      const link = h("a", { href: url, download: `madoguchi-visits-${branch}-${from}-${to}.${format}` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (error) {
      showError(exportBox, error);
    }
  });

  return [
    card(
      "Webhook 受信先",
      "Webhook receivers",
      h(
        "p",
        { class: "hint" },
        "発券・手続き完了・来庁終了を、署名つきで基幹系などへ送ります（番号・手続き・窓口・時刻のみ。氏名は送りません）。鍵の切り替えは「鍵を追加」→ 受信側に登録 →「この鍵で署名」→ 古い鍵を削除の順で、止めずにできます。 Signed ticket.issued, stop.completed and ticket.finished to back-office systems. Rotate keys without downtime: add a key, register it at the receiver, sign with it, remove the old one.",
      ),
      box,
      receivers.length
        ? table(
            [
              ["名称", "Name"],
              ["送信先", "URL"],
              ["鍵", "Keys"],
              ["未送信 / 失敗", "Pending / dead"],
              ["最終送信", "Last delivered"],
              ["", ""],
            ],
            receiverRows,
          )
        : h("p", { class: "empty" }, ...bi("受信先はまだありません。", "No receivers yet.")),
      secretBox,
    ),
    card("受信先を追加", "Add a receiver", create),
    card(
      "送信できなかった通知",
      "Deliveries that failed",
      h("p", { class: "hint" }, "設定回数まで再試行しても届かなかった通知です。受信側が復旧したら「再送」してください（同じ配信 ID で送るので、受信側で重複を除けます）。 Given up after the configured attempts; send again once the receiver is back (same delivery id)."),
      deadLetters.length
        ? table(
            [
              ["日時", "Queued"],
              ["受信先", "Receiver"],
              ["種類", "Type"],
              ["番号", "Number"],
              ["試行", "Attempts"],
              ["最後のエラー", "Last error"],
              ["", ""],
            ],
            deadRows,
          )
        : h("p", { class: "empty" }, ...bi("ありません。", "None.")),
    ),
    card(
      "来庁記録の書き出し",
      "Export visits",
      h("p", { class: "hint" }, "1来庁1行で、番号・日付・手続き・各窓口の待ち時間と対応時間を書き出します（最大366日。個人情報は含みません）。 One line per visit with each stop's minutes (up to 366 days; no personal data)."),
      exportForm,
      exportBox,
    ),
  ];
}
