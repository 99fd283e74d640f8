// A report's CSV needs the bearer token, so it is fetched here and handed to the browser as a file.

import { API, ApiError, currentSession } from "../common/api.js";
import { h } from "../common/ui.js";

/** Fetch `path` (under /api/v1) with the signed-in token and save it as `filename`. */
export async function downloadCsv(path, filename) {
  const session = currentSession();
  const response = await fetch(`${API}${path}`, {
    headers: { Authorization: `Bearer ${session?.token || ""}` },
    credentials: "omit",
    cache: "no-store",
  });
  if (!response.ok) {
    let message = `CSV: HTTP ${response.status}`;
    try {
      message = (await response.json()).detail || message;
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(response.status, "csv_failed", message);
  }
  const url = URL.createObjectURL(await response.blob());
  const link = h("a", { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
