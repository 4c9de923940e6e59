-- Substring search on user names (SCIM `userName co` and `ew`) through an
-- FTS5 trigram index instead of testing every name of the tenant. The index
-- reads the names from `users` (external content) and the triggers keep it
-- in step with every write.
CREATE VIRTUAL TABLE user_name_search USING fts5(
    user_name_key,
    content = 'users',
    content_rowid = 'rowid',
    tokenize = 'trigram'
);

INSERT INTO user_name_search (user_name_search) VALUES ('rebuild');

CREATE TRIGGER users_name_search_insert AFTER INSERT ON users BEGIN
    INSERT INTO user_name_search (rowid, user_name_key) VALUES (new.rowid, new.user_name_key);
END;

CREATE TRIGGER users_name_search_delete AFTER DELETE ON users BEGIN
    INSERT INTO user_name_search (user_name_search, rowid, user_name_key)
    VALUES ('delete', old.rowid, old.user_name_key);
END;

CREATE TRIGGER users_name_search_update AFTER UPDATE OF user_name_key ON users BEGIN
    INSERT INTO user_name_search (user_name_search, rowid, user_name_key)
    VALUES ('delete', old.rowid, old.user_name_key);
    INSERT INTO user_name_search (rowid, user_name_key) VALUES (new.rowid, new.user_name_key);
END;
