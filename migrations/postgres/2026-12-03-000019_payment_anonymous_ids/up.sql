-- A payment's anonymousId as a column, so that an anonymous shopper's payments (/me/payments)
-- and `anonymousId = …` predicates are found by index, not by reading every document. A hash
-- index: an anonymousId may be megabytes long, more than a B-tree entry can hold, and it is
-- only ever compared for equality.
ALTER TABLE payments ADD COLUMN anonymous_id TEXT;
UPDATE payments SET anonymous_id = document::jsonb ->> 'anonymousId'
    WHERE strpos(document, '"anonymousId"') > 0;
CREATE INDEX payments_by_anonymous_id ON payments USING hash (anonymous_id) WHERE anonymous_id IS NOT NULL;
