// Messages per minute as bars (uPlot, bundled): one bar per minute of the last hour.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface MinutePoint {
  minute: string;
  count: number;
}

const hm = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', hour12: false });
const hhmm = (unixSeconds: number): string => hm.format(new Date(unixSeconds * 1000));

export function MpmChart(props: { series: MinutePoint[]; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  const data = (): uPlot.AlignedData => [props.series.map((p) => new Date(p.minute).getTime() / 1000), props.series.map((p) => p.count)];

  useEffect(() => {
    const el = box.current!;
    const width = () => Math.max(200, el.clientWidth);
    const opts: uPlot.Options = {
      width: width(),
      height: props.height ?? 220,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      // Operator time on the axis, like everything else in the console.
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Asia/Shanghai'),
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(5, Math.ceil(max * 1.15))] } },
      axes: [
        {
          stroke: '#8b9bb4',
          grid: { stroke: 'rgba(139,155,180,0.12)' },
          ticks: { stroke: 'rgba(139,155,180,0.2)' },
          font: '12px system-ui',
          // 24-hour operator time, as on every other page.
          values: (_u, splits) => splits.map((s) => hhmm(s)),
        },
        {
          stroke: '#8b9bb4',
          grid: { stroke: 'rgba(139,155,180,0.12)' },
          ticks: { stroke: 'rgba(139,155,180,0.2)' },
          font: '12px system-ui',
          size: 56,
        },
      ],
      series: [
        {},
        {
          label: 'messages',
          stroke: '#38bdf8',
          fill: 'rgba(56,189,248,0.35)',
          width: 0,
          paths: uPlot.paths.bars!({ size: [0.8, 40] }),
          points: { show: false },
        },
      ],
    };
    plot.current = new uPlot(opts, data(), el);
    const ro = new ResizeObserver(() => plot.current?.setSize({ width: width(), height: props.height ?? 220 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, []);

  useEffect(() => {
    plot.current?.setData(data());
  }, [props.series]);

  return <div class="chart" ref={box} data-testid="mpm-chart" />;
}
