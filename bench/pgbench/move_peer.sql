\set c random(1, :candidates)
SELECT peer.move_to_next_stage(:c, 1 + :c % :jobs);
