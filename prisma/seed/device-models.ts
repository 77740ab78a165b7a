// A type alias, not an interface, so it is assignable to Prisma's Json input.
/** The three product lines of protocol.md, with their fault tables (section 3.3). */
export type FaultDefinition = {
  code: number;
  description: string;
  severity: 1 | 2 | 3;
  group: 'SERVICE_DESK' | 'REPAIR' | 'SYSTEM';
  /** Safety-critical: people may be at risk; 24x7 SLA whatever the tier, and the on-call engineer is paged. */
  safety?: boolean;
};

const internal: FaultDefinition = { code: 0x0f01, description: 'Terminal internal error', severity: 1, group: 'SYSTEM' };

export const STANDARD_DEVICE_MODELS = [
  {
    code: 'NXV-100',
    name: 'Nexsphere vehicle tracker',
    category: 'VEHICLE' as const,
    codec: 'nx-vehicle-v1',
    expectedIntervalSec: 60,
    // With the ignition off the tracker reports every 15 min (protocol.md 4.2).
    parkedIntervalSec: 900,
    silenceFactor: 3,
    maxPayloadBytes: 256,
    rateLimitBurst: 30,
    rateLimitPerMinute: 120,
    faultTable: [
      { code: 0x0301, description: 'Movement without ignition (theft alarm)', severity: 3, group: 'SERVICE_DESK' },
      { code: 0x0302, description: 'Impact detected', severity: 3, group: 'SERVICE_DESK' },
      { code: 0x0303, description: 'Vehicle battery low', severity: 1, group: 'REPAIR' },
      internal,
    ] satisfies FaultDefinition[],
  },
  {
    code: 'NXE-200',
    name: 'Nexsphere elevator monitor',
    category: 'ELEVATOR' as const,
    codec: 'nx-elevator-v1',
    expectedIntervalSec: 300,
    silenceFactor: 3,
    maxPayloadBytes: 256,
    rateLimitBurst: 20,
    rateLimitPerMinute: 60,
    faultTable: [
      { code: 0x0101, description: 'Door jammed', severity: 2, group: 'REPAIR' },
      { code: 0x0102, description: 'Car stopped between floors (possible entrapment)', severity: 3, group: 'REPAIR', safety: true },
      { code: 0x0103, description: 'Overspeed governor tripped', severity: 3, group: 'REPAIR', safety: true },
      { code: 0x0104, description: 'Power supply lost, on battery', severity: 2, group: 'REPAIR' },
      internal,
    ] satisfies FaultDefinition[],
  },
  {
    code: 'NXL-300',
    name: 'Nexsphere streetlight controller',
    category: 'STREETLIGHT' as const,
    codec: 'nx-streetlight-v1',
    expectedIntervalSec: 900,
    silenceFactor: 3,
    maxPayloadBytes: 256,
    rateLimitBurst: 10,
    rateLimitPerMinute: 20,
    faultTable: [
      { code: 0x0201, description: 'Lamp failure', severity: 1, group: 'REPAIR' },
      { code: 0x0202, description: 'Mains power lost', severity: 2, group: 'REPAIR' },
      { code: 0x0203, description: 'Cabinet door opened', severity: 2, group: 'SERVICE_DESK' },
      internal,
    ] satisfies FaultDefinition[],
  },
];
