DROP VIEW user_name_search;
DROP INDEX users_user_name_trigrams;
