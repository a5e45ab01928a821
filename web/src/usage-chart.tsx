import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  values: number[];
}

/** Distinct colours for up to ten series, then they repeat. */
const COLOURS = ['#1d4ed8', '#b42318', '#1a7f37', '#9a6700', '#8250df', '#0e7490', '#bf3989', '#57606a', '#ea580c', '#15803d'];

/**
 * A line chart of series over time (uPlot, bundled: no CDN), in UTC like the
 * usage buckets. The element has role img and `name` as its accessible name;
 * the table under it carries the numbers for screen readers.
 */
export function TimeChart({ name, times, series, unit }: { name: string; times: number[]; series: ChartSeries[]; unit: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const plot = new uPlot(
      {
        width: Math.max(320, element.clientWidth - 16),
        height: 300,
        tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC'),
        scales: { y: { range: (_, min, max) => [0, Math.max(1, max, min)] } },
        axes: [{}, { label: unit, size: 70 }],
        series: [{ label: 'UTC' }, ...series.map((s, i) => ({ label: s.label, stroke: COLOURS[i % COLOURS.length], width: 2, points: { show: times.length < 60 } }))],
      },
      [times, ...series.map((s) => s.values)],
      element,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(320, element.clientWidth - 16), height: 300 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [times, series, unit]);
  return <div ref={box} className="chart" role="img" aria-label={name} data-testid="usage-chart" />;
}
