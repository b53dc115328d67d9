DROP TABLE psp_objects;
DROP TABLE psp_operations;
