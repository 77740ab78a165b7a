import type { Services } from '../../src/app/container.js';
import type { Principal } from '../../src/auth/index.js';

interface Placement {
  contractNumber: string;
  model: 'NXV-100' | 'NXE-200' | 'NXL-300';
  prefix: string;
  /** Centre of the area the terminals are installed in. */
  lat: number;
  lon: number;
  spread: number;
  label: string;
}

// Which demo contract gets which kind of terminal, and where (see demo.ts for the contracts).
const PLACEMENTS: Placement[] = [
  { contractNumber: 'C-2026-0001', model: 'NXV-100', prefix: 'NXV-D', lat: 31.2304, lon: 121.4737, spread: 0.08, label: 'Reefer truck' },
  { contractNumber: 'C-2026-0002', model: 'NXE-200', prefix: 'NXE-D', lat: 31.2397, lon: 121.4998, spread: 0.01, label: 'Tower lift' },
  { contractNumber: 'C-2026-0003', model: 'NXL-300', prefix: 'NXL-D', lat: 23.1291, lon: 113.2644, spread: 0.05, label: 'Street lamp' },
  { contractNumber: 'C-2026-0004', model: 'NXV-100', prefix: 'NXV-E', lat: 22.5431, lon: 114.0579, spread: 0.06, label: 'Courier van' },
];

/**
 * Terminals for the demo fleet: stocked and provisioned once, then given a fresh secret at
 * every start (secrets are kept only as hashes, so the running simulator needs new ones).
 */
export async function demoFleetCredentials(services: Services, size: number): Promise<{ serial: string; secret: string }[]> {
  const admin = await services.db.user.findUniqueOrThrow({ where: { email: 'admin@demo.nexsphere' } });
  const ctx = { actor: { userId: admin.id, role: 'ADMIN', customerId: null, via: 'session' } satisfies Principal };
  const credentials: { serial: string; secret: string }[] = [];
  for (let i = 0; i < size; i++) {
    const p = PLACEMENTS[i % PLACEMENTS.length]!;
    const n = Math.floor(i / PLACEMENTS.length) + 1;
    const serial = `${p.prefix}${String(n).padStart(5, '0')}`;
    const existing = await services.db.device.findUnique({ where: { serial } });
    if (!existing) await services.devices.addToStock(ctx, { serial, model: p.model });
    if (!existing || existing.status === 'IN_STOCK') {
      const contract = await services.db.contract.findUniqueOrThrow({ where: { number: p.contractNumber } });
      // A deterministic scatter around the area's centre, so the map looks the same each start.
      const angle = (i * 137.5 * Math.PI) / 180;
      const r = p.spread * Math.sqrt((i + 1) / size);
      credentials.push(
        await services.devices.provision(ctx, serial, {
          contractId: contract.id,
          label: `${p.label} ${n}`,
          latitude: Math.round((p.lat + r * Math.sin(angle)) * 1e6) / 1e6,
          longitude: Math.round((p.lon + r * Math.cos(angle)) * 1e6) / 1e6,
        }),
      );
    } else if (existing.status === 'PROVISIONED' || existing.status === 'ACTIVE') {
      credentials.push(await services.devices.rotateSecret(ctx, serial));
    }
  }
  return credentials;
}
