/*
 * vrp.h — capacitated vehicle routing on a cost matrix, plain C.
 *
 * Node 0 is the depot, nodes 1..n-1 customers with a demand each; every
 * vehicle carries at most `capacity`, at most `max_vehicles` vehicles.
 * Clarke-Wright savings (parallel version; both ends of a route for
 * symmetric costs) builds the routes; local search with neighbour lists
 * improves them: relocate (within and between routes), swap between routes,
 * 2-opt* (tail exchange, no reversal), 2-opt within a route for symmetric
 * costs; then ruin and recreate (remove a customer and its nearest
 * neighbours, reinsert each at its cheapest feasible place, local search,
 * keep if not worse) within an iteration budget; finally every route is
 * re-sequenced by tsp_solve (exact up to TSP_EXACT_MAX_N stops).
 *
 * Deterministic like tsp.h: fixed seed, iteration budget first, time limit
 * only a cap.  Memory and interrupts through TspEnv.
 */
#ifndef CRMSCM_VRP_H
#define CRMSCM_VRP_H

#include "tsp.h"

#define VRP_MAX_NODES TSP_MAX_NODES

typedef struct VrpOptions
{
	double		time_limit_ms;	/* cap; <= 0 none */
	long		max_iterations; /* ruin-and-recreate rounds; < 0 default */
	unsigned long long seed;
} VrpOptions;

typedef enum VrpStatus
{
	VRP_OK = 0,
	VRP_EINVAL,					/* bad arguments (e.g. demand above capacity) */
	VRP_ENOMEM,
	VRP_CANCELLED,
	VRP_INFEASIBLE				/* could not fit into max_vehicles vehicles */
} VrpStatus;

extern void vrp_default_options(VrpOptions *opt);
extern long vrp_default_iterations(int n);

/*
 * Solve.  cost: n*n row-major, finite, >= 0.  demand[0..n-1] (demand[0],
 * the depot's, is ignored), each in [0, capacity].  max_vehicles <= 0 means
 * no limit.  On VRP_OK: *nroutes routes, route r visits
 * stops[route_start[r] .. route_start[r+1]-1] (customer indices, depot not
 * included), route_start has n entries at least (nroutes + 1 used), stops
 * n-1 entries; load[r] and rcost[r] (n-1 entries at least) its load and cost
 * (depot -> stops -> depot); *total the sum.  Routes are ordered by their
 * smallest customer index; empty routes are not reported.
 */
extern VrpStatus vrp_solve(int n, const double *cost, const double *demand,
						   double capacity, int max_vehicles,
						   const VrpOptions *opt, const TspEnv *env,
						   int *stops, int *route_start, double *load,
						   double *rcost, int *nroutes, double *total);

#endif							/* CRMSCM_VRP_H */
