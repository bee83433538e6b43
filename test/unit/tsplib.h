/*
 * tsplib.h — read TSPLIB / CVRPLIB EUC_2D instances for the unit tests and
 * build their distance matrices by the TSPLIB rule d = nint(sqrt(dx^2+dy^2)),
 * nint(x) = (int)(x + 0.5) (TSPLIB95, Reinelt 1991; CVRPLIB uses the same
 * rounding for the Augerat instances).
 */
#ifndef CRMSCM_TEST_TSPLIB_H
#define CRMSCM_TEST_TSPLIB_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct TsplibInstance
{
	int			n;
	double		capacity;
	double	   *x;
	double	   *y;
	double	   *demand;
} TsplibInstance;

static int
tsplib_read(const char *path, TsplibInstance *ins)
{
	FILE	   *f = fopen(path, "r");
	char		line[512];
	int			section = 0;

	memset(ins, 0, sizeof(*ins));
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
	{
		char	   *colon = strchr(line, ':');

		if (strncmp(line, "DIMENSION", 9) == 0 && colon)
		{
			ins->n = atoi(colon + 1);
			ins->x = calloc(ins->n, sizeof(double));
			ins->y = calloc(ins->n, sizeof(double));
			ins->demand = calloc(ins->n, sizeof(double));
		}
		else if (strncmp(line, "CAPACITY", 8) == 0 && colon)
			ins->capacity = atof(colon + 1);
		else if (strncmp(line, "NODE_COORD_SECTION", 18) == 0)
			section = 1;
		else if (strncmp(line, "DEMAND_SECTION", 14) == 0)
			section = 2;
		else if (strncmp(line, "DEPOT_SECTION", 13) == 0 || strncmp(line, "EOF", 3) == 0)
			section = 0;
		else if (section && ins->n > 0)
		{
			int			id;
			double		a,
						b;

			if (section == 1 && sscanf(line, "%d %lf %lf", &id, &a, &b) == 3 && id >= 1 && id <= ins->n)
			{
				ins->x[id - 1] = a;
				ins->y[id - 1] = b;
			}
			else if (section == 2 && sscanf(line, "%d %lf", &id, &a) == 2 && id >= 1 && id <= ins->n)
				ins->demand[id - 1] = a;
		}
	}
	fclose(f);
	return ins->n > 0 ? 0 : -1;
}

static double *
tsplib_matrix(const TsplibInstance *ins)
{
	int			n = ins->n;
	double	   *m = malloc(sizeof(double) * n * n);

	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++)
		{
			double		dx = ins->x[i] - ins->x[j],
						dy = ins->y[i] - ins->y[j];

			m[i * n + j] = (int) (sqrt(dx * dx + dy * dy) + 0.5);
		}
	return m;
}

static void
tsplib_free(TsplibInstance *ins)
{
	free(ins->x);
	free(ins->y);
	free(ins->demand);
}

#endif
