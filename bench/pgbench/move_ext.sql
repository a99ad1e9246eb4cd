\set c random(1, :candidates)
\set j 1 + :c % :jobs
SELECT move_to_next_stage(:c, :j);
