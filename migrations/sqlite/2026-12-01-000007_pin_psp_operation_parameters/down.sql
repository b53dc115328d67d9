ALTER TABLE psp_operations DROP COLUMN pinned;
