DROP TABLE psp_accounts;
