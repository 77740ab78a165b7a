-- Stored idempotent responses are now sealed (encrypted) by the application. Rows written
-- before held response bodies in plaintext, terminal secrets included: drop those, so no
-- secret stays at rest. A client retrying one of them within its day runs the request anew.
DELETE FROM "IdempotencyRecord" WHERE NOT ("response" ? 'sealed') AND "response"::text ILIKE '%secret%';
