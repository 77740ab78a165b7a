-- CreateEnum
CREATE TYPE "CreditEntryKind" AS ENUM ('OVERPAYMENT', 'NEGATIVE_INVOICE', 'APPLIED', 'REFUND');

-- CreateEnum
CREATE TYPE "BankLineStatus" AS ENUM ('MATCHED', 'SUGGESTED', 'UNMATCHED', 'ASSIGNED', 'DISMISSED');

-- AlterEnum
ALTER TYPE "InvoiceLineKind" ADD VALUE 'CARRIED_TO_CREDIT';

-- CreateTable
CREATE TABLE "PaymentAllocation" (
    "id" UUID NOT NULL,
    "invoiceId" UUID NOT NULL,
    "paymentId" UUID,
    "creditEntryId" UUID,
    "amountMinor" BIGINT NOT NULL,
    "appliedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PaymentAllocation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CreditEntry" (
    "id" UUID NOT NULL,
    "customerId" UUID NOT NULL,
    "currency" TEXT NOT NULL DEFAULT 'CNY',
    "kind" "CreditEntryKind" NOT NULL,
    "amountMinor" BIGINT NOT NULL,
    "remainingMinor" BIGINT NOT NULL DEFAULT 0,
    "paymentId" UUID,
    "invoiceId" UUID,
    "reason" TEXT,
    "reference" TEXT,
    "createdById" UUID,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CreditEntry_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BankStatement" (
    "id" UUID NOT NULL,
    "fileName" TEXT,
    "sha256" TEXT NOT NULL,
    "lineCount" INTEGER NOT NULL,
    "newLines" INTEGER NOT NULL,
    "importedById" UUID,
    "importedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "BankStatement_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BankStatementLine" (
    "id" UUID NOT NULL,
    "statementId" UUID NOT NULL,
    "lineHash" TEXT NOT NULL,
    "lineNumber" INTEGER NOT NULL,
    "bookedOn" DATE NOT NULL,
    "amountMinor" BIGINT NOT NULL,
    "currency" TEXT NOT NULL DEFAULT 'CNY',
    "payer" TEXT NOT NULL,
    "reference" TEXT NOT NULL,
    "status" "BankLineStatus" NOT NULL,
    "matchNote" TEXT NOT NULL,
    "suggestedInvoiceId" UUID,
    "suggestedCustomerId" UUID,
    "paymentId" UUID,
    "resolvedById" UUID,
    "resolvedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "BankStatementLine_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "PaymentAllocation_invoiceId_idx" ON "PaymentAllocation"("invoiceId");

-- CreateIndex
CREATE INDEX "PaymentAllocation_paymentId_idx" ON "PaymentAllocation"("paymentId");

-- CreateIndex
CREATE UNIQUE INDEX "CreditEntry_reference_key" ON "CreditEntry"("reference");

-- CreateIndex
CREATE INDEX "CreditEntry_customerId_currency_at_idx" ON "CreditEntry"("customerId", "currency", "at");

-- CreateIndex
CREATE INDEX "CreditEntry_invoiceId_idx" ON "CreditEntry"("invoiceId");

-- CreateIndex
CREATE UNIQUE INDEX "BankStatementLine_lineHash_key" ON "BankStatementLine"("lineHash");

-- CreateIndex
CREATE UNIQUE INDEX "BankStatementLine_paymentId_key" ON "BankStatementLine"("paymentId");

-- CreateIndex
CREATE INDEX "BankStatementLine_status_bookedOn_idx" ON "BankStatementLine"("status", "bookedOn");

-- AddForeignKey
ALTER TABLE "PaymentAllocation" ADD CONSTRAINT "PaymentAllocation_invoiceId_fkey" FOREIGN KEY ("invoiceId") REFERENCES "Invoice"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PaymentAllocation" ADD CONSTRAINT "PaymentAllocation_paymentId_fkey" FOREIGN KEY ("paymentId") REFERENCES "Payment"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PaymentAllocation" ADD CONSTRAINT "PaymentAllocation_creditEntryId_fkey" FOREIGN KEY ("creditEntryId") REFERENCES "CreditEntry"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CreditEntry" ADD CONSTRAINT "CreditEntry_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "Customer"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CreditEntry" ADD CONSTRAINT "CreditEntry_paymentId_fkey" FOREIGN KEY ("paymentId") REFERENCES "Payment"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CreditEntry" ADD CONSTRAINT "CreditEntry_invoiceId_fkey" FOREIGN KEY ("invoiceId") REFERENCES "Invoice"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BankStatementLine" ADD CONSTRAINT "BankStatementLine_statementId_fkey" FOREIGN KEY ("statementId") REFERENCES "BankStatement"("id") ON DELETE RESTRICT ON UPDATE CASCADE;


-- Every payment so far named one invoice and never exceeded its balance: it becomes one allocation.
INSERT INTO "PaymentAllocation" ("id", "invoiceId", "paymentId", "amountMinor", "appliedAt")
SELECT gen_random_uuid(), "invoiceId", "id", "amountMinor", "receivedAt" FROM "Payment" WHERE "invoiceId" IS NOT NULL;

-- DropForeignKey
ALTER TABLE "Payment" DROP CONSTRAINT "Payment_invoiceId_fkey";

-- DropIndex
DROP INDEX "Payment_invoiceId_idx";

-- AlterTable
ALTER TABLE "Payment" DROP COLUMN "invoiceId";
