-- Synthetic customers drawn from the BG/NBD generative process (Fader, Hardie
-- & Lee 2005, section 2), in SQL.  Parameters: :r, :alpha, :a, :b; :n customers.
-- Time unit weeks; each customer is observed for T = 26..104 whole weeks after
-- the first purchase; purchase times are recorded to the day (tx = days / 7).
SELECT setseed(0.42);

CREATE FUNCTION pg_temp.rgamma(shape float8) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
	d float8; c float8; x float8; v float8; u float8; boost float8 := 1;
BEGIN
	IF shape < 1 THEN          -- G(k) = G(k+1) U^(1/k)
		boost := power(random(), 1.0 / shape);
		shape := shape + 1;
	END IF;
	d := shape - 1.0 / 3;      -- Marsaglia & Tsang (2000)
	c := 1 / sqrt(9 * d);
	LOOP
		LOOP
			x := sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random());
			v := 1 + c * x;
			EXIT WHEN v > 0;
		END LOOP;
		v := v * v * v;
		u := 1 - random();
		IF ln(u) < 0.5 * x * x + d - d * v + d * ln(v) THEN
			RETURN boost * d * v;
		END IF;
	END LOOP;
END $$;

CREATE FUNCTION pg_temp.bgnbd_customer(r float8, alpha float8, a float8, b float8, big_t float8,
		OUT x float8, OUT tx float8) LANGUAGE plpgsql AS $$
DECLARE
	lambda float8 := pg_temp.rgamma(r) / alpha;
	ga float8 := pg_temp.rgamma(a);
	p float8 := ga / (ga + pg_temp.rgamma(b));
	t float8 := 0;
BEGIN
	x := 0; tx := 0;
	LOOP
		t := t - ln(1 - random()) / lambda;       -- next purchase of an active customer
		EXIT WHEN t > big_t;
		x := x + 1;
		tx := t;
		EXIT WHEN random() < p;                     -- drops out after this purchase
	END LOOP;
	tx := round(tx * 7) / 7;                        -- recorded to the day
END $$;

SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_customers;
CREATE TABLE bench_customers AS
SELECT i AS customer_id, c.x AS frequency, c.tx AS recency, s.big_t AS t
  FROM generate_series(1, :n) i
 CROSS JOIN LATERAL (SELECT (26 + floor(random() * 79))::float8 + 0 * i AS big_t) s
 CROSS JOIN LATERAL pg_temp.bgnbd_customer(:r, :alpha, :a, :b, s.big_t) c;
ANALYZE bench_customers;
