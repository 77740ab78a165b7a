-- AlterTable
ALTER TABLE "Ticket" ADD COLUMN     "safety" BOOLEAN NOT NULL DEFAULT false;

-- Elevator faults that put people at risk (protocol.md 3.3): 0x0102 car stopped between floors
-- (possible entrapment) and 0x0103 overspeed governor tripped are safety-critical in every
-- elevator model's fault table; other entries keep their place and content.
UPDATE "DeviceModel" m
SET "faultTable" = (
  SELECT jsonb_agg(CASE WHEN e.f->'code' IN ('258'::jsonb, '259'::jsonb) THEN e.f || '{"safety": true}'::jsonb ELSE e.f END ORDER BY e.n)
  FROM jsonb_array_elements(m."faultTable") WITH ORDINALITY AS e(f, n)
)
WHERE m."category" = 'ELEVATOR'
  AND jsonb_typeof(m."faultTable") = 'array'
  AND EXISTS (SELECT 1 FROM jsonb_array_elements(m."faultTable") AS x(f) WHERE x.f->'code' IN ('258'::jsonb, '259'::jsonb));
