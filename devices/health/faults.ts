// Fault frames -> DEVICE_FAULT tickets, one per terminal and fault code while open. The model's
// fault table names the fault, its ticket group and its default severity; a frame with
// severity 0 clears the fault and resolves the ticket if nobody has started on it.
import type { TicketPriority, TicketService } from '../../src/service-desk/index.js';
import type { TerminalCache } from './terminal-cache.js';

export interface FaultReport {
  serial: string;
  faultCode: number;
  /** 0 = cleared, 1 = minor, 2 = major, 3 = critical (protocol.md 3.1). */
  severity: number;
  detail?: string | null;
  /** When the gateway received the frame; the ticket's SLA clocks start there. */
  receivedAt?: Date;
}

export type FaultOutcome = 'opened' | 'open-already' | 'resolved' | 'commented' | 'none' | 'ignored';

const PRIORITY: Record<number, TicketPriority> = { 1: 'NORMAL', 2: 'HIGH', 3: 'CRITICAL' };
export const faultHex = (code: number) => `0x${code.toString(16).toUpperCase().padStart(4, '0')}`;
const faultKey = (serial: string, code: number) => `FAULT:${serial}:${code}`;

export function createFaultTickets({ cache, tickets }: { cache: TerminalCache; tickets: TicketService }) {
  return {
    async handle(report: FaultReport): Promise<FaultOutcome> {
      const info = await cache.get(report.serial);
      if (!info) return 'ignored';
      const hex = faultHex(report.faultCode);
      const key = faultKey(info.serial, report.faultCode);
      if (report.severity <= 0) {
        return tickets.autoResolve({ dedupKey: key }, `Terminal ${info.serial} reported fault ${hex} cleared.`);
      }
      const known = info.faultTable.find((f) => f.code === report.faultCode);
      // The terminal may report worse than the table's default; the worse of the two decides.
      // A safety-critical fault is critical whatever the frame says.
      const safety = known?.safety ?? false;
      const severity = safety ? 3 : Math.min(3, Math.max(report.severity, known?.severity ?? 0));
      // An unlisted code is named by its number alone; repeating it in brackets reads as a glitch.
      const name = known?.description ?? `Unknown fault ${hex}`;
      const title = known?.description ? `${name} (${hex})` : name;
      const detail = report.detail?.trim();
      const { created } = await tickets.createAuto({
        kind: 'DEVICE_FAULT',
        subject: `${title} on terminal ${info.serial}${info.label ? ` (${info.label})` : ''}`,
        description: `Terminal ${info.serial} (${info.modelCode}) reported fault ${hex}: ${name}, severity ${severity}${safety ? ', safety-critical' : ''}.${detail ? ` Detail: ${detail}` : ''}`,
        priority: PRIORITY[severity] ?? 'NORMAL',
        group: known?.group ?? 'SERVICE_DESK',
        customerId: info.customerId,
        deviceId: info.deviceId,
        faultCode: report.faultCode,
        safety,
        ...(report.receivedAt ? { openedAt: report.receivedAt } : {}),
        dedupKey: key,
      });
      return created ? 'opened' : 'open-already';
    },
  };
}

export type FaultTickets = ReturnType<typeof createFaultTickets>;
