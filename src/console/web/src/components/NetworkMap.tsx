// Terminals on a map of south-east China drawn locally (no tile server: the console must work
// offline): an equirectangular projection with a graticule, a rough coastline and city labels.
import { useMemo, useState } from 'preact/hooks';
import { CATEGORY_COLOR, CATEGORY_LABEL } from '../format';

export interface MapPoint {
  serial: string;
  label: string | null;
  category: string;
  online: boolean;
  lat: number;
  lon: number;
  /** Set briefly when a live event touched this terminal. */
  flash?: 'uplink' | 'fault' | null;
}

interface View {
  name: string;
  minLon: number;
  maxLon: number;
  minLat: number;
  maxLat: number;
}

const VIEWS: View[] = [
  { name: 'South-east China', minLon: 111.5, maxLon: 123.5, minLat: 21.2, maxLat: 32.8 },
  { name: 'Shanghai', minLon: 120.8, maxLon: 122.1, minLat: 30.7, maxLat: 31.6 },
  { name: 'Pearl River Delta', minLon: 112.9, maxLon: 114.6, minLat: 22.1, maxLat: 23.5 },
];

// [name, lon, lat, minor?]: minor cities are labelled only in the zoomed views, where they fit.
const CITIES: [string, number, number, boolean?][] = [
  ['Shanghai', 121.47, 31.23],
  ['Hangzhou', 120.16, 30.27],
  ['Suzhou', 120.62, 31.3, true],
  ['Nanjing', 118.8, 32.06],
  ['Ningbo', 121.55, 29.87],
  ['Fuzhou', 119.3, 26.08],
  ['Xiamen', 118.09, 24.48],
  ['Guangzhou', 113.26, 23.13],
  ['Shenzhen', 114.06, 22.54],
  ['Hong Kong', 114.17, 22.32, true],
  ['Dongguan', 113.75, 23.02, true],
  ['Foshan', 113.12, 23.02, true],
];

// A deliberately rough coastline from the Leizhou peninsula to the Yangtze estuary (lon, lat).
const COAST: [number, number][] = [
  [110.0, 21.0],
  [111.0, 21.5],
  [112.0, 21.75],
  [112.8, 21.95],
  [113.3, 22.15],
  [113.55, 22.2],
  [113.7, 22.6],
  [113.9, 22.45],
  [114.2, 22.3],
  [114.5, 22.45],
  [115.0, 22.7],
  [115.8, 22.8],
  [116.5, 23.0],
  [117.2, 23.6],
  [117.8, 24.1],
  [118.2, 24.5],
  [118.7, 24.9],
  [119.2, 25.3],
  [119.6, 25.8],
  [119.6, 26.4],
  [120.0, 26.8],
  [120.4, 27.5],
  [120.9, 28.1],
  [121.5, 28.6],
  [121.7, 29.2],
  [122.0, 29.9],
  [121.6, 30.3],
  [121.0, 30.6],
  [121.9, 30.85],
  [121.85, 31.3],
  [121.45, 31.75],
  [121.0, 32.1],
  [120.9, 32.6],
  [120.8, 33.5],
];

const W = 1000;

export function NetworkMap(props: { points: MapPoint[]; height?: number }) {
  const [viewIdx, setViewIdx] = useState(0);
  const [hover, setHover] = useState<MapPoint | null>(null);
  const view = VIEWS[viewIdx]!;
  // Equirectangular, with longitude squeezed by cos(mid-latitude) so shapes look right.
  const k = Math.cos((((view.minLat + view.maxLat) / 2) * Math.PI) / 180);
  const H = Math.round((W * (view.maxLat - view.minLat)) / ((view.maxLon - view.minLon) * k));
  const x = (lon: number) => ((lon - view.minLon) / (view.maxLon - view.minLon)) * W;
  const y = (lat: number) => ((view.maxLat - lat) / (view.maxLat - view.minLat)) * H;
  const inView = (p: { lat: number; lon: number }) =>
    p.lon >= view.minLon && p.lon <= view.maxLon && p.lat >= view.minLat && p.lat <= view.maxLat;

  const step = view.maxLon - view.minLon > 5 ? 1 : 0.1;
  const grid = useMemo(() => {
    const lines: { d: string; label: string; lx: number; ly: number }[] = [];
    for (let lon = Math.ceil(view.minLon / step) * step; lon <= view.maxLon; lon += step) {
      lines.push({ d: `M${x(lon)},0V${H}`, label: `${lon.toFixed(step < 1 ? 1 : 0)}°E`, lx: x(lon) + 5, ly: H - 10 });
    }
    for (let lat = Math.ceil(view.minLat / step) * step; lat <= view.maxLat; lat += step) {
      lines.push({ d: `M0,${y(lat)}H${W}`, label: `${lat.toFixed(step < 1 ? 1 : 0)}°N`, lx: 6, ly: y(lat) - 6 });
    }
    return lines;
  }, [viewIdx, H]);

  // Land is everything west/north of the coastline: close the polygon via the view's far corners.
  const land = `M${COAST.map(([lo, la]) => `${x(lo)},${y(la)}`).join('L')}L${x(view.minLon - 5)},${y(view.maxLat + 5)}L${x(view.minLon - 5)},${y(view.minLat - 5)}Z`;
  const visible = props.points.filter(inView);
  const outside = props.points.length - visible.length;
  const r = viewIdx === 0 ? 8 : 10;

  return (
    <div class="map-wrap" data-testid="network-map">
      <div class="map-tools">
        {VIEWS.map((v, i) => (
          <button type="button" class={`chip ${i === viewIdx ? 'on' : ''}`} onClick={() => setViewIdx(i)}>
            {v.name}
          </button>
        ))}
        <span class="legend">
          {Object.entries(CATEGORY_LABEL).map(([c, l]) => (
            <span>
              <i style={{ background: CATEGORY_COLOR[c] }} /> {l}
            </span>
          ))}
          <span>
            <i class="hollow" /> offline
          </span>
        </span>
      </div>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        class="map"
        role="img"
        aria-label={`Map of terminals, ${view.name}`}
        onMouseLeave={() => setHover(null)}
      >
        <rect width={W} height={H} class="sea" />
        <path d={land} class="land" />
        {grid.map((g) => (
          <g>
            <path d={g.d} class="grat" />
            <text x={g.lx} y={g.ly} class="grat-label">
              {g.label}
            </text>
          </g>
        ))}
        {viewIdx === 0 && (
          <>
            <text x={x(123.2)} y={y(27.3)} class="sea-label" text-anchor="end">
              East China Sea
            </text>
            <text x={x(115.2)} y={y(21.6)} class="sea-label">
              South China Sea
            </text>
          </>
        )}
        {CITIES.filter(([, lo, la, minor]) => inView({ lon: lo, lat: la }) && (!minor || viewIdx !== 0)).map(([name, lo, la]) => (
          <g>
            <circle cx={x(lo)} cy={y(la)} r={4} class="city" />
            <text x={x(lo) + 8} y={y(la) - 8} class="city-label">
              {name}
            </text>
          </g>
        ))}
        {visible.map((p) => (
          // biome-ignore lint/a11y/noStaticElementInteractions: hovering shows a detail line; the terminals list carries the same facts for keyboards and screen readers
          <circle
            key={p.serial}
            cx={x(p.lon)}
            cy={y(p.lat)}
            r={p.flash ? r + 4 : r}
            class={`pt ${p.online ? 'on' : 'off'} ${p.flash ? `flash-${p.flash}` : ''}`}
            style={{ '--c': CATEGORY_COLOR[p.category] ?? '#94a3b8' }}
            onMouseEnter={() => setHover(p)}
          />
        ))}
      </svg>
      <div class="map-foot">
        {hover ? (
          <span>
            <b>{hover.serial}</b> {hover.label ?? ''} · {CATEGORY_LABEL[hover.category] ?? hover.category} ·{' '}
            {hover.online ? 'online' : 'offline'} · {hover.lat.toFixed(4)}, {hover.lon.toFixed(4)}
          </span>
        ) : (
          <span class="muted">
            {visible.length} terminals shown{outside > 0 ? `, ${outside} outside this view` : ''}
          </span>
        )}
      </div>
    </div>
  );
}
