DROP TABLE psp_customers;
