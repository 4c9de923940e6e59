DROP FUNCTION latchkey_claim_audit_webhooks(TIMESTAMP, INTEGER, INTEGER);
DROP TABLE audit_webhooks;
DROP FUNCTION latchkey_claim_key_rotations(TIMESTAMP, INTEGER, INTEGER);
DROP TABLE key_rotation_schedules;
DROP FUNCTION latchkey_seats_in_use();
DROP INDEX audit_events_time;
DROP INDEX users_seats;
DROP TABLE licenses;
DROP TABLE installation;
