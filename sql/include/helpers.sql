-- Shared by the pg_regress tests (\i sql/include/helpers.sql after CREATE
-- EXTENSION; \i sql/include/helpers_end.sql at the end).
--
-- diff(view, query): compares a view with its query as multisets; 0 means equal.
CREATE FUNCTION diff(v regclass, q text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM ((SELECT * FROM %s EXCEPT ALL (%s)) UNION ALL ((%s) EXCEPT ALL SELECT * FROM %s)) x', v, q, q, v) INTO n;
  RETURN n;
END $$;
-- reg(name, query) registers a view and remembers its query in "views", so
-- that SELECT v, diff(v, q) FROM views checks them all.
CREATE TABLE views (v regclass, q text);
CREATE FUNCTION reg(name text, q text) RETURNS void LANGUAGE sql AS $$
  INSERT INTO views SELECT incrload_register_view(name, q), q $$;
-- What incrload has made: after an error or an unregistration, nothing
-- may be left over.
CREATE FUNCTION leftovers() RETURNS TABLE (what text, n bigint) LANGUAGE sql AS $$
  SELECT 'tables in incrload', count(*) FROM pg_class WHERE relnamespace = 'incrload'::regnamespace AND relkind = 'r'
  UNION ALL SELECT 'triggers', count(*) FROM pg_trigger WHERE tgname LIKE 'incrload%'
  UNION ALL SELECT 'views', count(*) FROM incrload.view
  UNION ALL SELECT 'bases', count(*) FROM incrload.view_base
  UNION ALL SELECT 'deltas', count(*) FROM incrload.delta
  UNION ALL SELECT 'partitions', count(*) FROM incrload.partition $$;
