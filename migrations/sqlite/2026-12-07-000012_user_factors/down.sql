DROP TABLE user_factors;
