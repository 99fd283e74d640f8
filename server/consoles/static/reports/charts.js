// Small inline-SVG charts for the reports page: bars, bars with a line, a stacked bar.
//
// No library and no inline style (the console's CSP forbids it): shapes carry classes, the
// stylesheet colours them. Every chart has a <title> and <desc> so a screen reader gets the gist;
// the page also offers the figures as tables.

const NS = "http://www.w3.org/2000/svg";

/** Build an SVG element: s("rect", {x: 1, class: "bar"}, child…). */
export function s(tag, attrs = {}, ...children) {
  const element = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined) element.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/**
 * A readable axis for values up to `value`: a step of 1, 2 or 5 × 10^n giving at most four
 * intervals, and the smallest multiple of it at or above the value (at least `floor`).
 */
export function niceScale(value, { floor = 1, integer = false } = {}) {
  const target = Math.max(value, floor);
  const raw = target / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 5, 10].map((m) => m * power).find((candidate) => candidate >= raw);
  if (integer) step = Math.max(1, Math.round(step));
  const max = Math.ceil(target / step - 1e-9) * step;
  const ticks = Array.from({ length: Math.round(max / step) + 1 }, (_, i) => i * step);
  return { max, ticks };
}

function format(value) {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

function frame(id, title, description, width, height) {
  return s(
    "svg",
    { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": `${id}-t ${id}-d`, class: "svg-chart", id },
    s("title", { id: `${id}-t` }, title),
    s("desc", { id: `${id}-d` }, description),
  );
}

const PAD = { left: 44, right: 48, top: 16, bottom: 40 };

/**
 * Vertical bars (e.g. arrivals per hour), optionally with a line (e.g. counters open). items:
 * [{label, value, line}], options: {id, title, description, barLabel, lineLabel}. The line has
 * its own right-hand axis, unless `sharedScale` (the same unit, e.g. waiting p50 and p90 minutes):
 * then both are read on the left one. A null value draws no bar, a null line leaves a gap (a day
 * without tickets is not a day with no wait). `valueLabels: false` leaves the figures above the
 * bars out when the slots are too narrow for them (each bar still has its tooltip).
 */
export function barsWithLine(
  items,
  { id, title, description, barLabel, lineLabel, sharedScale = false, valueLabels = true, width = 640, height = 280 },
) {
  const svg = frame(id, title, description, width, height);
  const plotW = width - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const hasLine = items.some((item) => item.line !== undefined);
  const barTop = Math.max(0, ...items.map((item) => item.value ?? 0));
  const lineTop = Math.max(0, ...items.map((item) => item.line ?? 0));
  const bars = sharedScale
    ? niceScale(Math.max(barTop, lineTop), { floor: 4 })
    : niceScale(barTop, { floor: 4, integer: true });
  const barMax = bars.max;
  const lines = sharedScale ? bars : niceScale(lineTop, { floor: 2 });
  const lineMax = lines.max;
  const slot = plotW / Math.max(items.length, 1);
  const y = (value, max) => PAD.top + plotH - (value / max) * plotH;
  const shown = (value) => (value === null || value === undefined ? "—" : format(value));

  for (const tick of bars.ticks) {
    svg.append(
      s("line", { x1: PAD.left, x2: PAD.left + plotW, y1: y(tick, barMax), y2: y(tick, barMax), class: "grid" }),
      s("text", { x: PAD.left - 6, y: y(tick, barMax) + 4, class: "tick", "text-anchor": "end" }, format(tick)),
    );
  }
  if (hasLine && !sharedScale) {
    for (const tick of lines.ticks) {
      svg.append(
        s("text", { x: PAD.left + plotW + 6, y: y(tick, lineMax) + 4, class: "tick line-tick" }, format(tick)),
      );
    }
  }
  items.forEach((item, index) => {
    const x = PAD.left + index * slot;
    svg.append(s("text", { x: x + slot / 2, y: height - PAD.bottom + 16, class: "tick", "text-anchor": "middle" }, item.label));
    if (item.value === null || item.value === undefined) return;
    const barHeight = (item.value / barMax) * plotH;
    svg.append(
      s(
        "rect",
        { x: x + slot * 0.15, y: PAD.top + plotH - barHeight, width: slot * 0.7, height: barHeight, class: "bar" },
        s("title", {}, `${item.label}: ${barLabel} ${format(item.value)}${hasLine ? ` / ${lineLabel} ${shown(item.line)}` : ""}`),
      ),
    );
    if (valueLabels && item.value > 0) {
      svg.append(
        s("text", { x: x + slot / 2, y: PAD.top + plotH - barHeight - 4, class: "value", "text-anchor": "middle" }, format(item.value)),
      );
    }
  });
  if (hasLine) {
    // One polyline per run of points with a value: a null breaks the line.
    const runs = [[]];
    items.forEach((item, index) => {
      if (item.line === null || item.line === undefined) {
        if (runs[runs.length - 1].length) runs.push([]);
        return;
      }
      runs[runs.length - 1].push([PAD.left + index * slot + slot / 2, y(item.line, lineMax)]);
    });
    for (const run of runs.filter((points) => points.length)) {
      if (run.length > 1) svg.append(s("polyline", { points: run.map((p) => p.join(",")).join(" "), class: "line" }));
      for (const [cx, cy] of run) svg.append(s("circle", { cx, cy, r: 4, class: "line-point" }));
    }
  }
  svg.append(s("line", { x1: PAD.left, x2: PAD.left + plotW, y1: PAD.top + plotH, y2: PAD.top + plotH, class: "axis" }));
  // Legend: bars and line, named in the page's two languages by the caller.
  const legendY = height - 8;
  svg.append(
    s("rect", { x: PAD.left, y: legendY - 10, width: 12, height: 12, class: "bar" }),
    s("text", { x: PAD.left + 18, y: legendY, class: "legend" }, barLabel),
  );
  if (hasLine) {
    const lx = PAD.left + plotW / 2;
    svg.append(
      s("line", { x1: lx, x2: lx + 18, y1: legendY - 4, y2: legendY - 4, class: "line" }),
      s("circle", { cx: lx + 9, cy: legendY - 4, r: 4, class: "line-point" }),
      s("text", { x: lx + 26, y: legendY, class: "legend" }, lineLabel),
    );
  }
  return svg;
}

/**
 * One horizontal bar split into parts (e.g. minutes by who did the work).
 * parts: [{label, value, kind, group}] — `kind` picks the colour class; consecutive parts of one
 * group share one label on the bar, `groups`: [{key, text}], the figure the page states elsewhere
 * (the caller's, never recomputed here, so the bar and the summary cannot disagree).
 * `valueText` formats the legend's values as the page's tiles do.
 */
export function stackedBar(parts, { id, title, description, unit, groups = [], valueText = format, width = 640, height = 150 }) {
  const svg = frame(id, title, description, width, height);
  const total = parts.reduce((sum, part) => sum + part.value, 0);
  const left = 8;
  const barW = width - 16;
  const spans = new Map(); // group → [from x, to x]
  let x = left;
  for (const part of parts) {
    const w = total > 0 ? (part.value / total) * barW : 0;
    if (w > 0) {
      svg.append(
        s("rect", { x, y: 12, width: w, height: 44, class: `part part-${part.kind}` }, s("title", {}, `${part.label}: ${valueText(part.value)} ${unit}`)),
      );
      const span = spans.get(part.group) || [x, x];
      spans.set(part.group, [span[0], x + w]);
    }
    x += w;
  }
  for (const group of groups) {
    const span = spans.get(group.key);
    if (span && span[1] - span[0] > 48) {
      svg.append(
        s("text", { x: (span[0] + span[1]) / 2, y: 40, class: "part-value", "text-anchor": "middle", "data-group": group.key }, group.text),
      );
    }
  }
  if (total === 0) svg.append(s("rect", { x: left, y: 12, width: barW, height: 44, class: "part part-empty" }));
  parts.forEach((part, index) => {
    const ly = 80 + index * 22;
    svg.append(
      s("rect", { x: left, y: ly - 11, width: 14, height: 14, class: `part part-${part.kind}` }),
      s("text", { x: left + 22, y: ly, class: "legend", "data-kind": part.kind }, `${part.label}: ${valueText(part.value)} ${unit}`),
    );
  });
  return svg;
}
