-- The connected accounts each project created: a project sees and manages only its own,
-- although all share the platform's provider key.
CREATE TABLE psp_accounts (
    account_id TEXT PRIMARY KEY NOT NULL,
    project_key TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX psp_accounts_by_project ON psp_accounts (project_key);
