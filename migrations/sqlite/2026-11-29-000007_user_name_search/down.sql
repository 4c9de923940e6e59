DROP TRIGGER users_name_search_update;
DROP TRIGGER users_name_search_delete;
DROP TRIGGER users_name_search_insert;
DROP TABLE user_name_search;
