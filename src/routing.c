/*
 * routing.c — SQL face of route ordering and vehicle routing: tsp_tour,
 * route_cost and vrp_routes (doc/routing.md).  The search is in src/core/tsp.c and
 * src/core/vrp.c; this file validates arguments, builds cost matrices from
 * geopoints and wires memory (palloc) and cancellation
 * (CHECK_FOR_INTERRUPTS) into the kernels.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "geopoint.h"
#include "tsp.h"
#include "vrp.h"

/* ---------- kernel environment: palloc and CHECK_FOR_INTERRUPTS ---------- */

static void *
routing_alloc(size_t size, void *arg)
{
	return MemoryContextAllocHuge(CurrentMemoryContext, size);
}

static void
routing_dealloc(void *ptr, void *arg)
{
	pfree(ptr);
}

static int
routing_interrupt(void *arg)
{
	/* query cancel and statement_timeout raise an ERROR here; all kernel
	 * memory is palloc'd, so the longjmp leaks nothing */
	CHECK_FOR_INTERRUPTS();
	return 0;
}

static const TspEnv routing_env = {routing_alloc, routing_dealloc, routing_interrupt, NULL};

/* ---------- argument checks ---------- */

static inline void
check_nodes(int n, const char *what)
{
	if (n < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must have at least 2 nodes, got %d", what, n)));
	if (n > TSP_MAX_NODES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s has %d nodes, more than the limit of %d", what, n, TSP_MAX_NODES)));
}

static inline void
check_cost(double v, const char *what, int i, int j)
{
	if (isnan(v) || isinf(v))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s[%d][%d] must be finite, got %s", what, i, j,
						isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity"))));
	if (v < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s[%d][%d] must not be negative, got %g", what, i, j, v)));
	if (v > TSP_MAX_COST)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s[%d][%d] = %g is above the largest cost allowed, %g", what, i, j, v, TSP_MAX_COST)));
}

/* A square float8[][] cost matrix without NULLs, NaN or negative values;
 * returns a pointer to its n*n elements (row-major) and sets *n. */
static double *
cost_matrix_arg(ArrayType *a, int *n)
{
	int			ndim = ARR_NDIM(a);
	int		   *dims = ARR_DIMS(a);
	double	   *c;

	if (ARR_ELEMTYPE(a) != FLOAT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("matrix must be of type float8[]")));
	if (ndim == 0)
		check_nodes(0, "matrix");
	if (ndim != 2)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("matrix must be a two-dimensional array, got %d dimension%s",
						ndim, ndim == 1 ? "" : "s")));
	if (dims[0] != dims[1])
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("matrix must be square, got %d x %d", dims[0], dims[1])));
	check_nodes(dims[0], "matrix");
	if (array_contains_nulls(a))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("matrix must not contain NULL elements")));
	*n = dims[0];
	/* no NULLs, so the data follows the fixed-size header (ARR_DATA_PTR
	 * trips -Wsign-compare) */
	c = (double *) ((char *) a + ARR_OVERHEAD_NONULLS(ndim));
	for (int i = 0; i < *n; i++)
		for (int j = 0; j < *n; j++)
			check_cost(c[(size_t) i * *n + j], "matrix", i + 1, j + 1);
	return c;
}

/* Distance matrix (km, great circle) over points[0..n-1]. */
static double *
geo_matrix(const GeoPoint *pts, int n)
{
	double	   *c = MemoryContextAllocHuge(CurrentMemoryContext,
										   mul_size(mul_size(n, n), sizeof(double)));

	for (int i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		c[(size_t) i * n + i] = 0;
		for (int j = i + 1; j < n; j++)
			c[(size_t) i * n + j] = c[(size_t) j * n + i] = geo_distance_km(&pts[i], &pts[j]);
	}
	return c;
}

static double
time_limit_arg(FunctionCallInfo fcinfo, int argno)
{
	int32		ms;

	if (PG_ARGISNULL(argno))
		return 0;				/* no cap */
	ms = PG_GETARG_INT32(argno);
	if (ms <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time_limit_ms must be positive, got %d", ms),
				 errhint("Use NULL for no time limit.")));
	return ms;
}

static int
index_arg(FunctionCallInfo fcinfo, int argno, const char *name, int n)
{
	int32		v;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", name)));
	v = PG_GETARG_INT32(argno);
	if (v < 1 || v > n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s %d is out of range 1..%d", name, v, n)));
	return v - 1;
}

/* Run the TSP kernel in its own memory context; order is palloc'd in the
 * caller's context. */
static int *
run_tsp(int n, const double *c, int start, int end, double time_limit_ms, double *length)
{
	MemoryContext ctx = AllocSetContextCreate(CurrentMemoryContext, "crmscm tsp",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old;
	int		   *order = palloc(mul_size(n, sizeof(int)));
	TspOptions	opt;
	TspStatus	st;

	tsp_default_options(&opt);
	opt.start = start;
	opt.end = end;
	opt.time_limit_ms = time_limit_ms;
	old = MemoryContextSwitchTo(ctx);
	st = tsp_solve(n, c, &opt, &routing_env, order, length, NULL);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(ctx);
	if (st != TSP_OK)
		elog(ERROR, "tsp_solve failed with status %d", (int) st);
	return order;
}

static ArrayType *
int_array(const int *v, int n, int plus)
{
	Datum	   *d = palloc(mul_size(Max(n, 1), sizeof(Datum)));

	for (int i = 0; i < n; i++)
		d[i] = Int32GetDatum(v[i] + plus);
	return construct_array(d, n, INT4OID, sizeof(int32), true, TYPALIGN_INT);
}

/* ---------- tsp_tour ---------- */

static Datum
tsp_tour_common(FunctionCallInfo fcinfo, int n, const double *c)
{
	int			start = index_arg(fcinfo, 1, "start_index", n);
	int			end = -1;
	double		limit = time_limit_arg(fcinfo, 3);
	double		len;
	int		   *order;

	if (!PG_ARGISNULL(2))
	{
		end = index_arg(fcinfo, 2, "end_index", n);
		if (end == start)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("end_index %d equals start_index", end + 1),
					 errhint("Use NULL as end_index for a closed tour back to the start.")));
	}
	order = run_tsp(n, c, start, end, limit, &len);
	PG_RETURN_ARRAYTYPE_P(int_array(order, n, 1));
}

/* Visiting order (1-based) of a cost matrix */
PG_FUNCTION_INFO_V1(crmscm_tsp_tour);
Datum
crmscm_tsp_tour(PG_FUNCTION_ARGS)
{
	int			n;
	double	   *c;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	c = cost_matrix_arg(PG_GETARG_ARRAYTYPE_P(0), &n);
	return tsp_tour_common(fcinfo, n, c);
}

/* Visiting order (1-based) of geopoints, by great-circle distance */
PG_FUNCTION_INFO_V1(crmscm_tsp_tour_geo);
Datum
crmscm_tsp_tour_geo(PG_FUNCTION_ARGS)
{
	int			n;
	GeoPoint   *pts;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	pts = geopoint_array(PG_GETARG_ARRAYTYPE_P(0), "points", &n);
	check_nodes(n, "points");
	return tsp_tour_common(fcinfo, n, geo_matrix(pts, n));
}

/* Length of a visiting order on a cost matrix */
PG_FUNCTION_INFO_V1(crmscm_tour_cost);
Datum
crmscm_tour_cost(PG_FUNCTION_ARGS)
{
	int			n;
	double	   *c = cost_matrix_arg(PG_GETARG_ARRAYTYPE_P(0), &n);
	ArrayType  *t = PG_GETARG_ARRAYTYPE_P(1);
	bool		closed = PG_GETARG_BOOL(2);
	int		   *order;
	int			m;
	bool	   *seen;
	Datum	   *d;
	bool	   *nulls;

	if (ARR_NDIM(t) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("tour must be a one-dimensional array")));
	deconstruct_array(t, INT4OID, sizeof(int32), true, TYPALIGN_INT, &d, &nulls, &m);
	order = palloc(mul_size(Max(m, 1), sizeof(int)));
	seen = palloc0(n);
	for (int i = 0; i < m; i++)
	{
		int			v;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("tour must not contain NULL elements")));
		v = DatumGetInt32(d[i]);
		if (v < 1 || v > n)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("tour element %d is out of range 1..%d", v, n)));
		if (seen[v - 1])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("tour visits node %d twice", v)));
		seen[v - 1] = true;
		order[i] = v - 1;
	}
	{
		double		s = 0;

		for (int i = 0; i + 1 < m; i++)
			s += c[(size_t) order[i] * n + order[i + 1]];
		if (closed && m > 1)
			s += c[(size_t) order[m - 1] * n + order[0]];
		PG_RETURN_FLOAT8(s);
	}
}

/* ---------- route_cost ---------- */

static double
nonneg_arg(FunctionCallInfo fcinfo, int argno, const char *name, bool positive)
{
	double		v;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", name)));
	v = PG_GETARG_FLOAT8(argno);
	if (isnan(v) || isinf(v))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s must be finite, got %g", name, v)));
	if (v < 0 || (positive && v == 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be %s, got %g", name, positive ? "positive" : "non-negative", v)));
	return v;
}

/* Stop order, distance, duration and cost of one vehicle's route */
PG_FUNCTION_INFO_V1(crmscm_route_cost);
Datum
crmscm_route_cost(PG_FUNCTION_ARGS)
{
	GeoPoint   *depot;
	GeoPoint   *stops;
	GeoPoint   *pts;
	int			m,
				n;
	double		speed,
				per_km,
				per_hour,
				per_stop,
				service_min;
	bool		back;
	double		limit;
	int		   *order = NULL;
	double		km = 0;
	double	   *c;
	TupleDesc	tupdesc;
	Datum		values[7];
	bool		isnull[7] = {0};
	int		   *stop_order;
	double		drive_h,
				service_h;
	Interval   *dur;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	depot = PG_GETARG_GEOPOINT_P(0);
	stops = geopoint_array(PG_GETARG_ARRAYTYPE_P(1), "stops", &m);
	speed = nonneg_arg(fcinfo, 2, "speed_kmh", true);
	per_km = nonneg_arg(fcinfo, 3, "cost_per_km", false);
	per_hour = nonneg_arg(fcinfo, 4, "cost_per_hour", false);
	per_stop = nonneg_arg(fcinfo, 5, "cost_per_stop", false);
	service_min = nonneg_arg(fcinfo, 6, "service_minutes", false);
	if (PG_ARGISNULL(7))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("return_to_depot must not be NULL")));
	back = PG_GETARG_BOOL(7);
	limit = time_limit_arg(fcinfo, 8);
	if (m > TSP_MAX_NODES - 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("stops has %d points, more than the limit of %d", m, TSP_MAX_NODES - 2)));

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("function returning record called in context that cannot accept type record")));
	tupdesc = BlessTupleDesc(tupdesc);

	/* node 0 = depot, 1..m = stops; open routes get a dummy end node m+1 at
	 * zero cost from everywhere, so the path may end at any stop */
	n = m + 1 + (back ? 0 : 1);
	pts = palloc(mul_size(m + 1, sizeof(GeoPoint)));
	pts[0] = *depot;
	memcpy(pts + 1, stops, mul_size(m, sizeof(GeoPoint)));
	stop_order = palloc(mul_size(Max(m, 1), sizeof(int)));
	if (m >= 1)
	{
		double		len;

		if (back)
		{
			c = geo_matrix(pts, n);
			order = run_tsp(n, c, 0, -1, limit, &len);
		}
		else
		{
			double	   *g = geo_matrix(pts, m + 1);

			c = MemoryContextAllocHuge(CurrentMemoryContext, mul_size(mul_size(n, n), sizeof(double)));
			for (int i = 0; i < n; i++)
				for (int j = 0; j < n; j++)
					c[(size_t) i * n + j] = (i < m + 1 && j < m + 1) ? g[(size_t) i * (m + 1) + j] : 0;
			order = run_tsp(n, c, 0, n - 1, limit, &len);
		}
		for (int i = 0; i < m; i++)
			stop_order[i] = order[i + 1];	/* 1-based stop index = node */
		for (int i = 0; i < m; i++)
			km += geo_distance_km(i == 0 ? &pts[0] : &pts[stop_order[i - 1]], &pts[stop_order[i]]);
		if (back)
			km += geo_distance_km(&pts[stop_order[m - 1]], &pts[0]);
	}
	drive_h = km / speed;
	service_h = m * service_min / 60.0;

	/*
	 * Out-of-range speed or service time (speed_kmh => 1e-300,
	 * service_minutes => 1e308) made llround overflow into a negative
	 * duration.  An interval holds at most about 2.56e9 hours: beyond that,
	 * or when a figure is not finite, the arguments are out of range.
	 */
	if (!isfinite(drive_h) || drive_h + service_h >= (double) PG_INT64_MAX / USECS_PER_HOUR)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("route duration out of range: %g km at speed_kmh %g, %d stops of service_minutes %g",
						km, speed, m, service_min),
				 errdetail("An interval holds at most %.0f hours.", (double) PG_INT64_MAX / USECS_PER_HOUR),
				 errhint("Check speed_kmh and service_minutes.")));
	dur = (Interval *) palloc0(sizeof(Interval));
	dur->time = (TimeOffset) llround((drive_h + service_h) * USECS_PER_HOUR);
	if (dur->time < 0)
		elog(ERROR, "route duration overflow");	/* not reached: bounded above */

	values[0] = PointerGetDatum(int_array(stop_order, m, 0));
	values[1] = Float8GetDatum(km);
	values[2] = Float8GetDatum(drive_h);
	values[3] = Float8GetDatum(service_h);
	values[4] = IntervalPGetDatum(dur);
	{
		double		cost = km * per_km + (drive_h + service_h) * per_hour + m * per_stop;

		if (!isfinite(cost))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("route cost out of range: cost_per_km %g, cost_per_hour %g, cost_per_stop %g",
							per_km, per_hour, per_stop),
					 errdetail("%g km, %g h, %d stops.", km, drive_h + service_h, m)));
		values[5] = Float8GetDatum(cost);
	}
	values[6] = Int32GetDatum(m);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, isnull)));
}

/* ---------- vrp_routes ---------- */

typedef struct VrpResult
{
	int			nroutes;
	int		   *stops;
	int		   *rs;
	double	   *load;
	double	   *rcost;
	int			plus;			/* added to node indices in the output */
} VrpResult;

static double *
demand_arg(ArrayType *a, int want, double capacity, const char *hint)
{
	int			m;
	Datum	   *d;
	bool	   *nulls;
	double	   *dem;

	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("demand must be a one-dimensional array")));
	deconstruct_array(a, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &d, &nulls, &m);
	if (m != want)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("demand has %d elements, expected %d", m, want),
				 errdetail("%s", hint)));
	dem = palloc(mul_size(Max(m, 1), sizeof(double)));
	for (int i = 0; i < m; i++)
	{
		double		v;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("demand must not contain NULL elements"),
					 errdetail("Element %d is NULL.", i + 1)));
		v = DatumGetFloat8(d[i]);
		if (isnan(v) || isinf(v))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("demand[%d] must be finite, got %g", i + 1, v)));
		if (v < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("demand[%d] must not be negative, got %g", i + 1, v)));
		if (v > capacity)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("demand[%d] = %g exceeds the vehicle capacity %g", i + 1, v, capacity)));
		dem[i] = v;
	}
	return dem;
}

static VrpResult *
run_vrp(int n, const double *c, const double *dem, double capacity, int maxv, double limit)
{
	VrpResult  *r = palloc0(sizeof(VrpResult));
	MemoryContext ctx = AllocSetContextCreate(CurrentMemoryContext, "crmscm vrp",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old;
	VrpOptions	opt;
	VrpStatus	st;
	double		total;

	r->stops = palloc(mul_size(n, sizeof(int)));
	r->rs = palloc(mul_size(n + 1, sizeof(int)));
	r->load = palloc(mul_size(n, sizeof(double)));
	r->rcost = palloc(mul_size(n, sizeof(double)));
	vrp_default_options(&opt);
	opt.time_limit_ms = limit;
	old = MemoryContextSwitchTo(ctx);
	st = vrp_solve(n, c, dem, capacity, maxv, &opt, &routing_env,
				   r->stops, r->rs, r->load, r->rcost, &r->nroutes, &total);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(ctx);
	if (st == VRP_INFEASIBLE)
	{
		double		sum = 0;

		for (int i = 1; i < n; i++)
			sum += dem[i];
		if (sum > (double) maxv * capacity)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("total demand %g exceeds max_vehicles * capacity = %d * %g", sum, maxv, capacity)));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("demand does not fit into max_vehicles = %d vehicles of capacity %g", maxv, capacity),
				 errdetail("The search found no packing of the demands into that many vehicles.")));
	}
	if (st != VRP_OK)
		elog(ERROR, "vrp_solve failed with status %d", (int) st);
	return r;
}

static void
vrp_args(FunctionCallInfo fcinfo, int capno, double *capacity, int *maxv, double *limit)
{
	*capacity = nonneg_arg(fcinfo, capno, "capacity", false);
	*maxv = 0;
	if (!PG_ARGISNULL(capno + 1))
	{
		*maxv = PG_GETARG_INT32(capno + 1);
		if (*maxv < 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("max_vehicles must be at least 1, got %d", *maxv),
					 errhint("Use NULL for no limit.")));
	}
	*limit = time_limit_arg(fcinfo, capno + 2);
}

static Datum
vrp_srf(FunctionCallInfo fcinfo, bool geo)
{
	FuncCallContext *fc;
	VrpResult  *r;

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext old;
		TupleDesc	tupdesc;
		int			n;
		double	   *c,
				   *dem,
					capacity,
					limit;
		int			maxv;

		fc = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(fc->multi_call_memory_ctx);
		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("function returning record called in context that cannot accept type record")));
		fc->tuple_desc = BlessTupleDesc(tupdesc);
		if (!geo)
		{
			if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("matrix and demand must not be NULL")));
			c = cost_matrix_arg(PG_GETARG_ARRAYTYPE_P(0), &n);
			vrp_args(fcinfo, 2, &capacity, &maxv, &limit);
			dem = demand_arg(PG_GETARG_ARRAYTYPE_P(1), n, capacity,
							 "demand has one element per matrix row; the first (the depot's) is ignored.");
			r = run_vrp(n, c, dem, capacity, maxv, limit);
			r->plus = 1;
		}
		else
		{
			GeoPoint   *depot,
					   *stops,
					   *pts;
			double	   *d;
			int			m;

			if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("depot, stops and demand must not be NULL")));
			depot = PG_GETARG_GEOPOINT_P(0);
			stops = geopoint_array(PG_GETARG_ARRAYTYPE_P(1), "stops", &m);
			check_nodes(m + 1, "depot and stops");
			vrp_args(fcinfo, 3, &capacity, &maxv, &limit);
			d = demand_arg(PG_GETARG_ARRAYTYPE_P(2), m, capacity,
						   "demand has one element per stop.");
			n = m + 1;
			pts = palloc(mul_size(n, sizeof(GeoPoint)));
			pts[0] = *depot;
			memcpy(pts + 1, stops, mul_size(m, sizeof(GeoPoint)));
			dem = palloc(mul_size(n, sizeof(double)));
			dem[0] = 0;
			memcpy(dem + 1, d, mul_size(m, sizeof(double)));
			c = geo_matrix(pts, n);
			r = run_vrp(n, c, dem, capacity, maxv, limit);
			pfree(c);
			r->plus = 0;		/* stop k of the array is node k */
		}
		fc->user_fctx = r;
		fc->max_calls = r->nroutes;
		MemoryContextSwitchTo(old);
	}
	fc = SRF_PERCALL_SETUP();
	r = fc->user_fctx;
	if (fc->call_cntr < fc->max_calls)
	{
		int			i = (int) fc->call_cntr;
		Datum		values[4];
		bool		isnull[4] = {0};

		values[0] = Int32GetDatum(i + 1);
		values[1] = PointerGetDatum(int_array(r->stops + r->rs[i], r->rs[i + 1] - r->rs[i], r->plus));
		values[2] = Float8GetDatum(r->load[i]);
		values[3] = Float8GetDatum(r->rcost[i]);
		SRF_RETURN_NEXT(fc, HeapTupleGetDatum(heap_form_tuple(fc->tuple_desc, values, isnull)));
	}
	SRF_RETURN_DONE(fc);
}

/* Capacitated vehicle routes on a cost matrix (node 1 = depot) */
PG_FUNCTION_INFO_V1(crmscm_vrp_routes);
Datum
crmscm_vrp_routes(PG_FUNCTION_ARGS)
{
	return vrp_srf(fcinfo, false);
}

/* Capacitated vehicle routes from a depot to geopoint stops */
PG_FUNCTION_INFO_V1(crmscm_vrp_routes_geo);
Datum
crmscm_vrp_routes_geo(PG_FUNCTION_ARGS)
{
	return vrp_srf(fcinfo, true);
}
