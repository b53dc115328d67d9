-- A payment's anonymousId as a column, so that an anonymous shopper's payments (/me/payments)
-- and `anonymousId = …` predicates are found by index, not by reading every document.
ALTER TABLE payments ADD COLUMN anonymous_id TEXT;
UPDATE payments SET anonymous_id = json_extract(document, '$.anonymousId')
    WHERE instr(document, '"anonymousId"') > 0;
CREATE INDEX payments_by_anonymous_id ON payments (project_key, anonymous_id) WHERE anonymous_id IS NOT NULL;
