interface DeviceRow {
  id: string;
  serial: string;
  status: string;
  contractId: string | null;
  customerId: string | null;
  contractorId: string | null;
  label: string | null;
  address: string | null;
  latitude: number | null;
  longitude: number | null;
  firmware: string | null;
  provisionedAt: Date | null;
  activatedAt: Date | null;
  lastSeenAt: Date | null;
  online: boolean;
  lastConnectAt: Date | null;
  lastDisconnectAt: Date | null;
  secretRotatedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  deviceModel: { code: string; category: string; name: string };
}

/** API shape of a terminal; never carries the secret hash. */
export function deviceView(d: DeviceRow) {
  return {
    id: d.id,
    serial: d.serial,
    model: d.deviceModel.code,
    modelName: d.deviceModel.name,
    category: d.deviceModel.category,
    status: d.status,
    contractId: d.contractId,
    customerId: d.customerId,
    contractorId: d.contractorId,
    label: d.label,
    address: d.address,
    latitude: d.latitude,
    longitude: d.longitude,
    firmware: d.firmware,
    provisionedAt: d.provisionedAt,
    activatedAt: d.activatedAt,
    lastSeenAt: d.lastSeenAt,
    online: d.online,
    lastConnectAt: d.lastConnectAt,
    lastDisconnectAt: d.lastDisconnectAt,
    secretRotatedAt: d.secretRotatedAt,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}
