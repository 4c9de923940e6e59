DROP TABLE audit_webhooks;
DROP TABLE key_rotation_schedules;
DROP INDEX audit_events_time;
DROP INDEX users_seats;
DROP TABLE licenses;
DROP TABLE installation;
