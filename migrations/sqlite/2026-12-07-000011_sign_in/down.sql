DROP TABLE sign_in_throttles;
DROP TABLE user_sessions;
