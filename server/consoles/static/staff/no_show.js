// 不在 (no-show) is never one tap: a dialog that names the number asks first, and for a few
// seconds afterwards 「取り消す」 brings the citizen back (reinstate) with their place in line.

import { bi, h } from "../common/ui.js";
import { fill } from "./state.js";

export const UNDO_SECONDS = 8;

/** Ask before marking `number` absent; resolves true only when the clerk confirms. */
export function confirmNoShow(dialog, number) {
  return new Promise((resolve) => {
    const cancel = h("button", { type: "button", id: "no-show-cancel", onclick: () => dialog.close("cancel") }, ...bi("やめる", "Cancel"));
    const confirm = h(
      "button",
      { type: "button", class: "danger-solid", id: "no-show-confirm", onclick: () => dialog.close("confirm") },
      ...bi(`${number}番を不在にする`, `Mark ${number} absent`),
    );
    fill(dialog,
      h(
        "div",
        { class: "no-show-ask" },
        h("h2", { id: "no-show-title" }, ...bi(`${number}番を不在にしますか？`, `Mark ${number} as absent?`)),
        h(
          "p",
          {},
          ...bi(
            "お呼びしても来られなかったときだけ使います。この方の残りの手続きは保留になり、あとで「番号で探す」から呼び戻せます。",
            "Only when the citizen did not come. The rest of their route is kept; you can bring them back later from “Find by number”.",
          ),
        ),
        h("div", { class: "actions" }, cancel, confirm),
      ),
    );
    dialog.setAttribute("aria-labelledby", "no-show-title");
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), { once: true });
    dialog.returnValue = "";
    dialog.showModal();
    cancel.focus(); // the safe choice is the default one
  });
}

let pending = null;

/** Show 「取り消す」 for UNDO_SECONDS; `undo` is called once if the clerk presses it in time. */
export function offerUndo(number, undo) {
  pending?.dismiss();
  let left = UNDO_SECONDS;
  const count = h("span", { class: "countdown", "aria-hidden": "true" }, `${left}`);
  const button = h("button", { type: "button", id: "undo-no-show", class: "undo" }, ...bi("取り消す", "Undo"), " ", count);
  const bar = h(
    "div",
    { class: "undo-bar", id: "undo-bar", role: "status", "data-number": number },
    h("span", { class: "undo-text" }, ...bi(`${number}番を不在にしました。`, `${number} marked absent.`)),
    button,
  );
  const timer = setInterval(() => {
    left -= 1;
    count.textContent = `${left}`;
    if (left <= 0) dismiss();
  }, 1000);
  function dismiss() {
    clearInterval(timer);
    bar.remove();
    if (pending?.bar === bar) pending = null;
  }
  button.addEventListener("click", () => {
    dismiss();
    undo();
  });
  document.body.append(bar);
  pending = { bar, dismiss };
  return pending;
}
