ALTER TABLE user_sessions DROP COLUMN second_factor_due;
DROP TABLE user_factors;
