-- 1..:docs realistic candidate documents for the screening scenario.
\set ON_ERROR_STOP on
DROP TABLE IF EXISTS screen_docs;
CREATE TABLE screen_docs AS
SELECT c AS id, jsonb_build_object(
         'years_experience', c % 15,
         'location', (ARRAY['Berlin', 'Remote', 'Paris', 'Lisbon', 'Warsaw', 'Madrid', 'Oslo'])[1 + c % 7],
         'skills', jsonb_build_array((ARRAY['sql', 'go', 'rust'])[1 + c % 3], (ARRAY['python', 'java', 'kotlin', 'c++'])[1 + c % 4]),
         'email', 'candidate' || c || (ARRAY['@example.com', '@mail.org'])[1 + c % 2],
         'applied_on', (date '2023-01-01' + (c % 700))::text,
         'salary_expectation', 40000 + (c * 37) % 140000,
         'notice_period_days', (c * 7) % 120,
         'visa_required', c % 10 = 0,
         'languages', jsonb_build_array('en', (ARRAY['de', 'fr', 'pt', 'pl'])[1 + c % 4]),
         'address', jsonb_build_object('city', (ARRAY['Berlin', 'Paris', 'Lisbon'])[1 + c % 3], 'zip', lpad((c % 99999)::text, 5, '0')),
         'headline', (ARRAY['Senior backend engineer', 'Data engineer', 'Frontend developer', 'SRE'])[1 + c % 4],
         'education', (ARRAY['bsc', 'msc', 'phd', 'none'])[1 + c % 4]) AS doc
  FROM generate_series(1, :docs) c;
VACUUM ANALYZE screen_docs;
