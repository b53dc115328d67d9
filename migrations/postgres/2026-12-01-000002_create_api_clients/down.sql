DROP TABLE access_tokens;
DROP TABLE api_clients;
