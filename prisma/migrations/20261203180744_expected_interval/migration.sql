-- AlterTable
ALTER TABLE "Device" ADD COLUMN     "intervalOverrideSec" INTEGER,
ADD COLUMN     "parkedSince" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "DeviceModel" ADD COLUMN     "parkedIntervalSec" INTEGER;

-- Vehicles report every 15 min with the ignition off (protocol.md 4.3).
UPDATE "DeviceModel" SET "parkedIntervalSec" = 900 WHERE "category" = 'VEHICLE';
