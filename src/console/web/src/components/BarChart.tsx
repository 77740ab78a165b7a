// Bars over time (uPlot): e.g. messages per day in the KPI report.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

const axis = {
  stroke: '#8b9bb4',
  grid: { stroke: 'rgba(139,155,180,0.12)' },
  ticks: { stroke: 'rgba(139,155,180,0.2)' },
  font: '12px system-ui',
};

export function BarChart(props: {
  xs: number[];
  ys: number[];
  label: string;
  xFormat: (unixSeconds: number) => string;
  color?: string;
  height?: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current!;
    const plot = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height: props.height ?? 220,
        legend: { show: false },
        // Half a step of padding either side so the first and last bars are whole.
        scales: {
          x: {
            time: true,
            range: (_u, min, max) => {
              const pad = props.xs.length > 1 ? (props.xs[1]! - props.xs[0]!) / 2 : 43_200;
              return [min - pad, max + pad];
            },
          },
          y: { range: (_u, _min, max) => [0, Math.max(5, Math.ceil(max * 1.15))] },
        },
        axes: [
          { ...axis, values: (_u, splits) => splits.map(props.xFormat) },
          { ...axis, size: 64 },
        ],
        series: [
          {},
          {
            label: props.label,
            stroke: props.color ?? '#38bdf8',
            fill: `${props.color ?? '#38bdf8'}66`,
            width: 0,
            paths: uPlot.paths.bars!({ size: [0.7, 60] }),
            points: { show: false },
          },
        ],
      },
      [props.xs, props.ys],
      el,
    );
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height: props.height ?? 220 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [props.xs, props.ys]);
  return <div class="chart" ref={box} />;
}
