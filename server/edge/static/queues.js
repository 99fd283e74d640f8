// The public congestion page (/queues/{branch}): waiting and estimated wait per public label,
// neutral labels only, as the city hall pushes them to the edge; and, where a service offers it,
// a number taken from the phone (remote queueing, within the day's quota).

const REFRESH_MS = 30000;
const path = location.pathname;
const pathBase = path.slice(0, path.lastIndexOf("/queues/"));
const branch = decodeURIComponent(path.split("/").filter(Boolean).pop());
const api = `${pathBase}/api/v1/branches/${encodeURIComponent(branch)}`;

function cell(className, ...children) {
  const td = document.createElement("td");
  td.className = className;
  td.append(...children);
  return td;
}

function span(className, text) {
  const element = document.createElement("span");
  element.className = className;
  element.textContent = text;
  return element;
}

function showNotice(text) {
  const notice = document.getElementById("notice");
  notice.textContent = text;
  notice.hidden = !text;
}

async function take(service, button) {
  button.disabled = true;
  showNotice("");
  try {
    const response = await fetch(`${api}/remote-tickets`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      credentials: "omit",
      body: JSON.stringify({ service, language: "ja" }),
    });
    const body = await response.json();
    if (response.status === 201) {
      location.href = body.status_url;
      return;
    }
    showNotice(typeof body.detail === "string" ? body.detail : "受け付けられませんでした。 It could not be taken.");
  } catch {
    showNotice("通信できませんでした。もう一度お試しください。 Please try again.");
  }
  button.disabled = false;
}

// A citizen reads public labels, not procedures: the rows of one label (届出 is many services)
// become one, its waiting summed and its wait the longest of them.
function byLabel(rows) {
  const groups = new Map();
  for (const row of rows) {
    const group = groups.get(row.label);
    if (!group) {
      groups.set(row.label, { ...row, remote: row.remote ? [row.service] : [] });
      continue;
    }
    group.waiting += row.waiting;
    group.estimated_wait_minutes = Math.max(group.estimated_wait_minutes, row.estimated_wait_minutes);
    if (row.remote) group.remote.push(row.service);
  }
  return [...groups.values()];
}

function render(rows, paused) {
  document.getElementById("rows").replaceChildren(
    ...byLabel(rows).map((row) => {
      const tr = document.createElement("tr");
      const name = cell("name", span("label", row.label), span("label-en", row.label_en));
      for (const service of row.remote) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "take";
        button.textContent = "スマートフォンで番号札を受け取る / Take a number";
        button.addEventListener("click", () => take(service, button));
        name.append(button);
      }
      tr.append(
        name,
        cell("figure waiting", `${row.waiting}人`),
        cell("figure wait", row.waiting ? `約${row.estimated_wait_minutes}分` : "–"),
      );
      return tr;
    }),
  );
  const state = document.getElementById("state");
  state.dataset.state = paused ? "paused" : "live";
  state.textContent = paused
    ? "更新を一時停止しています(最後に受け取った状況です) / Updating paused"
    : `${new Date().toLocaleTimeString("ja-JP", { hour: "2-digit", minute: "2-digit" })} 現在 / as of now`;
}

async function refresh() {
  try {
    const response = await fetch(api + "/queues", { headers: { Accept: "application/json" }, credentials: "omit" });
    if (response.ok) {
      render(await response.json(), response.headers.get("Madoguchi-Updating") === "paused");
    } else {
      const body = await response.json();
      showNotice(body.detail);
    }
  } catch {
    document.getElementById("state").dataset.state = "paused";
  }
}

refresh();
setInterval(refresh, REFRESH_MS);
