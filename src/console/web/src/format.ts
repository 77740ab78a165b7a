// Display helpers. Times are shown in the operator's time zone (Asia/Shanghai), as DESIGN.md says.
export const OPERATOR_TZ = 'Asia/Shanghai';

const timeFmt = new Intl.DateTimeFormat('en-GB', {
  timeZone: OPERATOR_TZ,
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});
const dateTimeFmt = new Intl.DateTimeFormat('en-GB', {
  timeZone: OPERATOR_TZ,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hour12: false,
});
const dateFmt = new Intl.DateTimeFormat('en-GB', { timeZone: OPERATOR_TZ, year: 'numeric', month: '2-digit', day: '2-digit' });

export const fmtTime = (iso: string | Date | null | undefined): string => (iso ? timeFmt.format(new Date(iso)) : '—');
export const fmtDateTime = (iso: string | Date | null | undefined): string => (iso ? dateTimeFmt.format(new Date(iso)) : '—');
export const fmtDate = (iso: string | Date | null | undefined): string => (iso ? dateFmt.format(new Date(iso)) : '—');

export function fmtAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

/** Integer minor units (fen) to a money string; never floats in storage, only here for display. */
export function fmtMoney(minor: number, currency = 'CNY'): string {
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  return `${sign}${currency === 'CNY' ? '¥' : `${currency} `}${Math.floor(abs / 100).toLocaleString('en-US')}.${String(abs % 100).padStart(2, '0')}`;
}

export const fmtNum = (n: number): string => n.toLocaleString('en-US');

export const CATEGORY_LABEL: Record<string, string> = { VEHICLE: 'Vehicles', ELEVATOR: 'Elevators', STREETLIGHT: 'Streetlights' };
export const CATEGORY_COLOR: Record<string, string> = { VEHICLE: '#38bdf8', ELEVATOR: '#a78bfa', STREETLIGHT: '#fbbf24' };

export function faultName(code: number | null | undefined): string {
  if (code == null) return '';
  const names: Record<number, string> = {
    257: 'door jammed',
    258: 'car stopped between floors',
    259: 'overspeed governor tripped',
    260: 'power lost, on battery',
    513: 'lamp failure',
    514: 'mains power lost',
    515: 'cabinet door opened',
    769: 'movement without ignition',
    770: 'impact detected',
    771: 'vehicle battery low',
    3841: 'terminal internal error',
  };
  return names[code] ?? `fault 0x${code.toString(16).padStart(4, '0')}`;
}
