DROP TABLE psp_releases;
