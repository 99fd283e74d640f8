// How the reports page states a figure, shared by its panels (the day, the month and the year):
// one formatting per kind of figure, for the tiles, the charts and the tables alike.

import { bi, h } from "../common/ui.js";

/** Minutes with one decimal: never "0.0" (none is "0", a little "<0.1"); no figure is "—". */
export function minutes(value) {
  if (value === null || value === undefined) return "—";
  const number = Number(value);
  if (number === 0) return "0";
  return number < 0.05 ? "<0.1" : number.toFixed(1);
}

/** Minutes as hours with one decimal: a month of counter work reads better in hours. */
export function hours(value) {
  if (value === null || value === undefined) return "—";
  return minutes(Number(value) / 60);
}

/** A 0…1 share as a whole percentage, rounded as the staff chart rounds it. */
export function percent(share) {
  return share === null || share === undefined ? "—" : `${Math.round(share * 100)}%`;
}

/** A summary tile: label in both languages, the value, its unit, and optional lines beneath. */
export function tile(ja, en, value, unit, id, ...below) {
  return h(
    "div",
    { class: "tile", id },
    h("div", { class: "tile-label" }, ...bi(ja, en)),
    h("div", { class: "tile-value" }, value, unit ? h("span", { class: "unit" }, ` ${unit}`) : null),
    ...below,
  );
}
