\set c random(1, :candidates)
\set j 1 + :c % :jobs
SELECT peer.move_to_next_stage(:c, :j);
