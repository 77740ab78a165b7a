-- AlterTable
ALTER TABLE "Invoice" ADD COLUMN     "tariffPlanId" UUID;

-- AddForeignKey
ALTER TABLE "Invoice" ADD CONSTRAINT "Invoice_tariffPlanId_fkey" FOREIGN KEY ("tariffPlanId") REFERENCES "TariffPlan"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Invoices issued before this column: the contract's tariff version is the best record there is.
UPDATE "Invoice" i SET "tariffPlanId" = c."tariffPlanId" FROM "Contract" c WHERE c."id" = i."contractId";
