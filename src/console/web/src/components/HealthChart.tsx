// A terminal's health history from its heartbeats: signal strength (dBm) and supply voltage.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface HealthPoint {
  at: string;
  signalDbm: number;
  supplyMv: number;
}

const hm = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', hour12: false });
const hms = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Asia/Shanghai',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});
const axis = {
  stroke: '#8b9bb4',
  grid: { stroke: 'rgba(139,155,180,0.12)' },
  ticks: { stroke: 'rgba(139,155,180,0.2)' },
  font: '12px system-ui',
};

export function HealthChart(props: { points: HealthPoint[] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current!;
    const pts = [...props.points].sort((a, b) => a.at.localeCompare(b.at));
    const data: uPlot.AlignedData = [
      pts.map((p) => new Date(p.at).getTime() / 1000),
      pts.map((p) => p.signalDbm),
      pts.map((p) => p.supplyMv / 1000),
    ];
    const plot = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height: 180,
        legend: { show: true, live: false },
        scales: { x: { time: true }, dbm: { auto: true }, v: { auto: true } },
        axes: [
          // Seconds only when the history spans minutes, not hours.
          {
            ...axis,
            values: (_u, splits) =>
              splits.map((s) => (splits[splits.length - 1]! - splits[0]! < 900 ? hms : hm).format(new Date(s * 1000))),
          },
          { ...axis, scale: 'dbm', label: 'dBm', size: 50 },
          { ...axis, scale: 'v', side: 1, label: 'V', size: 50, grid: { show: false } },
        ],
        series: [
          {},
          { label: 'signal dBm', scale: 'dbm', stroke: '#38bdf8', width: 2, points: { show: pts.length < 40 } },
          { label: 'supply V', scale: 'v', stroke: '#34d399', width: 2, points: { show: pts.length < 40 } },
        ],
      },
      data,
      el,
    );
    return () => plot.destroy();
  }, [props.points]);
  return <div class="chart small-chart" ref={box} data-testid="health-chart" />;
}
