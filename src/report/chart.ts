// SVG charts from Vega-Lite specs, rendered headless by Vega (no browser, no canvas).
import * as vega from 'vega';
import { compile, TopLevelSpec } from 'vega-lite';

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

export interface BarPoint {
  group: string;
  x: string;
  series: string;
  y: number;
}

/** Grouped bars: one panel per `group`, bars per `x`, colored by `series`. */
export function groupedBarSpec(title: string, points: BarPoint[], xTitle: string, yTitle: string, xOrder: string[]): TopLevelSpec {
  return faceted(title, points, 4, {
    width: 180,
    height: 160,
    mark: { type: 'bar', tooltip: true },
    encoding: {
      x: { field: 'x', type: 'nominal', sort: xOrder, title: xTitle },
      xOffset: { field: 'series', type: 'nominal' },
      y: { field: 'y', type: 'quantitative', title: yTitle },
      color: { field: 'series', type: 'nominal', title: null },
    },
  });
}

export interface LinePoint {
  group: string;
  x: number;
  series: string;
  y: number;
}

/** Lines with points: one panel per `group`, one line per `series`; `logX` for sizes spanning decades. */
export function lineSpec(title: string, points: LinePoint[], xTitle: string, yTitle: string, logX = false): TopLevelSpec {
  return faceted(title, points, 3, {
    width: 240,
    height: 180,
    mark: { type: 'line', point: true, tooltip: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: xTitle, scale: logX ? { type: 'log', base: 2 } : {}, axis: logX ? { values: [...new Set(points.map((p) => p.x))] } : {} },
      y: { field: 'y', type: 'quantitative', title: yTitle, scale: { zero: false } },
      color: { field: 'series', type: 'nominal', title: null },
    },
  });
}

/** One panel per distinct `group` of the points, `columns` panels a row. */
function faceted(title: string, points: Array<{ group: string }>, columns: number, spec: object): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    data: { values: points },
    facet: { field: 'group', type: 'nominal', title: null },
    columns,
    spec,
    config: { font: 'sans-serif', background: 'white' },
  } as TopLevelSpec;
}
