// Chart buckets of one decoded field of a terminal (GET /devices/{serial}/telemetry): average as
// a line between the bucket's minimum and maximum; days start at the operator's midnight.
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { api } from '../api';
import { Empty, ErrorBox, useAsync } from './ui';

export interface TelemetryBucket {
  at: string;
  count: number;
  min: number;
  max: number;
  avg: number;
  last: number;
}
interface TelemetryAnswer {
  items: TelemetryBucket[];
}

/** How far back each bucket size looks: a few hundred points at most. */
export const BUCKET_SPANS = { '1m': 6 * 3_600_000, '1h': 7 * 86_400_000, '1d': 90 * 86_400_000 } as const;
export type BucketSize = keyof typeof BUCKET_SPANS;

export function telemetryUrl(serial: string, field: string, bucket: BucketSize): string {
  const to = new Date();
  const from = new Date(to.getTime() - BUCKET_SPANS[bucket]);
  return `/devices/${serial}/telemetry?field=${encodeURIComponent(field)}&bucket=${bucket}&from=${from.toISOString()}&to=${to.toISOString()}`;
}

const axis = {
  stroke: '#8b9bb4',
  grid: { stroke: 'rgba(139,155,180,0.12)' },
  ticks: { stroke: 'rgba(139,155,180,0.2)' },
  font: '12px system-ui',
};

function BucketPlot(props: { items: TelemetryBucket[]; field: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current!;
    const xs = props.items.map((b) => new Date(b.at).getTime() / 1000);
    const plot = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height: 200,
        legend: { show: true, live: false },
        scales: { x: { time: true } },
        axes: [axis, { ...axis, label: props.field, size: 60 }],
        series: [
          {},
          { label: 'max', stroke: 'rgba(248,113,113,0.7)', width: 1, dash: [4, 4] },
          { label: 'avg', stroke: '#38bdf8', width: 2, points: { show: xs.length < 40 } },
          { label: 'min', stroke: 'rgba(52,211,153,0.7)', width: 1, dash: [4, 4] },
        ],
      },
      [xs, props.items.map((b) => b.max), props.items.map((b) => b.avg), props.items.map((b) => b.min)],
      el,
    );
    return () => plot.destroy();
  }, [props.items, props.field]);
  return <div class="chart" ref={box} data-testid="telemetry-chart" />;
}

export function TelemetryChart(props: { serial: string; fields: string[] }) {
  const [field, setField] = useState(props.fields[0] ?? '');
  const [bucket, setBucket] = useState<BucketSize>('1m');
  const answer = useAsync(() => api<TelemetryAnswer>(telemetryUrl(props.serial, field, bucket)), [props.serial, field, bucket], 60_000);
  if (!field) return <Empty>This terminal's model reports no numeric values.</Empty>;
  return (
    <div data-testid="telemetry">
      <div class="cmd-form">
        <select value={field} onChange={(e) => setField(e.currentTarget.value)} aria-label="Field" name="field">
          {props.fields.map((f) => (
            <option value={f}>{f}</option>
          ))}
        </select>
        <select value={bucket} onChange={(e) => setBucket(e.currentTarget.value as BucketSize)} aria-label="Bucket" name="bucket">
          <option value="1m">per minute, last 6 hours</option>
          <option value="1h">per hour, last 7 days</option>
          <option value="1d">per day, last 90 days</option>
        </select>
      </div>
      {answer.error ? (
        <ErrorBox error={answer.error} what="telemetry" />
      ) : !answer.data ? null : answer.data.items.length === 0 ? (
        <Empty>No values in this period.</Empty>
      ) : (
        <BucketPlot items={answer.data.items} field={field} />
      )}
    </div>
  );
}
