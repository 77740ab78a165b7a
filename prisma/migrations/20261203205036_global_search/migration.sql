-- Trigram matching for global search (trusted extension: no superuser needed).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- CreateIndex
CREATE INDEX "Contact_name_trgm_idx" ON "Contact" USING GIN ("name" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "Contract_number_trgm_idx" ON "Contract" USING GIN ("number" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "Customer_name_trgm_idx" ON "Customer" USING GIN ("name" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "Device_serial_trgm_idx" ON "Device" USING GIN ("serial" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "Device_label_trgm_idx" ON "Device" USING GIN ("label" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "Device_address_trgm_idx" ON "Device" USING GIN ("address" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "Invoice_number_trgm_idx" ON "Invoice" USING GIN ("number" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "Ticket_subject_trgm_idx" ON "Ticket" USING GIN ("subject" gin_trgm_ops);
