DROP TABLE messages;
DROP TABLE payment_transactions;
DROP TABLE payments;
