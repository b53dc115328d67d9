DROP TABLE psp_customer_generations;
