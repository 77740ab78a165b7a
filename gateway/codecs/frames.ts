// Types and constants of the Nexsphere terminal protocol (docs/protocol.md, section 3).
// Pure data: no I/O, shared by the gateway, the simulators and tests.

export type UplinkKind = 'telemetry' | 'heartbeat' | 'event' | 'fault' | 'ack';
export type Category = 'VEHICLE' | 'ELEVATOR' | 'STREETLIGHT';

export type VehicleTelemetry = {
  type: 'vehicle-telemetry';
  latitude: number;
  longitude: number;
  speedKmh: number;
  heading: number;
  ignition: boolean;
  moving: boolean;
  doorOpen: boolean;
  immobilized: boolean;
};
export type ElevatorTelemetry = {
  type: 'elevator-telemetry';
  floor: number;
  motion: 'idle' | 'up' | 'down';
  door: 'closed' | 'open' | 'moving';
  loadPercent: number;
  tripCounter: number;
};
export type StreetlightTelemetry = {
  type: 'streetlight-telemetry';
  lampOn: boolean;
  dimmingPercent: number;
  powerW: number;
  ambientLux: number;
  energyWh: number;
};
export type HeartbeatFrame = { type: 'heartbeat'; supplyMv: number; signalDbm: number };
export type EventFrame = { type: 'event'; eventCode: number; value: number };
export type FaultSeverity = 0 | 1 | 2 | 3;
export type FaultFrame = { type: 'fault'; faultCode: number; severity: FaultSeverity; detail: string };
export type AckResult = 'done' | 'rejected' | 'failed';
export type AckFrame = { type: 'ack'; commandId: number; result: AckResult };
export type JsonFrame = { type: 'json'; data: Record<string, unknown> };

export type DecodedFrame =
  | VehicleTelemetry
  | ElevatorTelemetry
  | StreetlightTelemetry
  | HeartbeatFrame
  | EventFrame
  | FaultFrame
  | AckFrame
  | JsonFrame;

export type DecodeResult = { ok: true; frame: DecodedFrame; deviceTime: Date | null } | { ok: false; error: string };

/** Frame type byte (offset 0) of each binary uplink frame. */
export const FRAME_TYPES = {
  telemetry: 0x01,
  heartbeat: 0x02,
  event: 0x03,
  fault: 0x04,
  ack: 0x05,
} as const satisfies Record<UplinkKind, number>;

/** First byte of a downlink command frame. */
export const COMMAND_FRAME_TYPE = 0x10;

export const HEADER_BYTES = 5;

/** Exact total length of each telemetry frame by category (protocol 3.2). */
export const TELEMETRY_LENGTH: Record<Category, number> = {
  VEHICLE: 18,
  ELEVATOR: 13,
  STREETLIGHT: 15,
};

export const HEARTBEAT_LENGTH = 8;
export const EVENT_LENGTH = 11;
export const FAULT_MIN_LENGTH = 8;
export const FAULT_DETAIL_MAX = 32;
export const ACK_LENGTH = 10;

export const ELEVATOR_MOTIONS = ['idle', 'up', 'down'] as const;
export const ELEVATOR_DOORS = ['closed', 'open', 'moving'] as const;
export const ACK_RESULTS = ['done', 'rejected', 'failed'] as const;

export const VEHICLE_FLAGS = { ignition: 0x01, moving: 0x02, doorOpen: 0x04, immobilized: 0x08 } as const;

/** Fault codes of protocol 3.3, with their category (null = any) and default severity. */
export const FAULT_CODES = {
  ELEVATOR_DOOR_JAMMED: { code: 0x0101, category: 'ELEVATOR', severity: 2, meaning: 'door jammed' },
  ELEVATOR_ENTRAPMENT: { code: 0x0102, category: 'ELEVATOR', severity: 3, meaning: 'car stopped between floors (possible entrapment)' },
  ELEVATOR_OVERSPEED: { code: 0x0103, category: 'ELEVATOR', severity: 3, meaning: 'overspeed governor tripped' },
  ELEVATOR_POWER_LOST: { code: 0x0104, category: 'ELEVATOR', severity: 2, meaning: 'power supply lost, on battery' },
  STREETLIGHT_LAMP_FAILURE: { code: 0x0201, category: 'STREETLIGHT', severity: 1, meaning: 'lamp failure' },
  STREETLIGHT_MAINS_LOST: { code: 0x0202, category: 'STREETLIGHT', severity: 2, meaning: 'mains power lost' },
  STREETLIGHT_CABINET_OPEN: { code: 0x0203, category: 'STREETLIGHT', severity: 2, meaning: 'cabinet door opened' },
  VEHICLE_THEFT: { code: 0x0301, category: 'VEHICLE', severity: 3, meaning: 'movement without ignition (theft alarm)' },
  VEHICLE_IMPACT: { code: 0x0302, category: 'VEHICLE', severity: 3, meaning: 'impact detected' },
  VEHICLE_BATTERY_LOW: { code: 0x0303, category: 'VEHICLE', severity: 1, meaning: 'vehicle battery low' },
  TERMINAL_INTERNAL_ERROR: { code: 0x0f01, category: null, severity: 1, meaning: 'terminal internal error' },
} as const satisfies Record<string, { code: number; category: Category | null; severity: FaultSeverity; meaning: string }>;

export type FaultCodeInfo = (typeof FAULT_CODES)[keyof typeof FAULT_CODES];

/** Looks up a fault code of protocol 3.3; unknown codes are still valid frames (null here). */
export function faultInfo(code: number): FaultCodeInfo | null {
  for (const info of Object.values(FAULT_CODES)) if (info.code === code) return info;
  return null;
}

/** Maps a device model code (NXV-*, NXE-*, NXL-*) or a serial to its category. */
export function categoryOfModelCode(code: string): Category | null {
  const prefix = code.trim().slice(0, 4).toUpperCase();
  if (prefix === 'NXV-') return 'VEHICLE';
  if (prefix === 'NXE-') return 'ELEVATOR';
  if (prefix === 'NXL-') return 'STREETLIGHT';
  return null;
}

/** The topic kind a frame is published under (JSON payloads go to telemetry by convention). */
export function kindOfFrame(frame: DecodedFrame): UplinkKind {
  switch (frame.type) {
    case 'vehicle-telemetry':
    case 'elevator-telemetry':
    case 'streetlight-telemetry':
    case 'json':
      return 'telemetry';
    case 'heartbeat':
    case 'event':
    case 'fault':
    case 'ack':
      return frame.type;
  }
}
