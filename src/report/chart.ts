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
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    data: { values: points },
    facet: { field: 'group', type: 'nominal', title: null },
    columns: 4,
    spec: {
      width: 180,
      height: 160,
      mark: { type: 'bar', tooltip: true },
      encoding: {
        x: { field: 'x', type: 'nominal', sort: xOrder, title: xTitle },
        xOffset: { field: 'series', type: 'nominal' },
        y: { field: 'y', type: 'quantitative', title: yTitle },
        color: { field: 'series', type: 'nominal', title: null },
      },
    },
    config: { font: 'sans-serif', background: 'white' },
  } as TopLevelSpec;
}
