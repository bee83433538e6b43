/*
 * demand_window.c — packed daily demand series and their window profiles.
 * See demand_window.h.
 */
#include "demand_window.h"

#include <math.h>
#include <string.h>

long
dw_count(size_t len)
{
	if (len % DW_ENTRY_SIZE != 0)
		return -1;
	return (long) (len / DW_ENTRY_SIZE);
}

void
dw_get(const unsigned char *buf, long i, DwEntry *e)
{
	const unsigned char *p = buf + (size_t) i * DW_ENTRY_SIZE;

	memcpy(&e->day, p, sizeof(int32_t));
	memcpy(&e->qty, p + 4, sizeof(double));
	memcpy(&e->revenue, p + 12, sizeof(double));
}

void
dw_put(unsigned char *buf, long i, const DwEntry *e)
{
	unsigned char *p = buf + (size_t) i * DW_ENTRY_SIZE;

	memcpy(p, &e->day, sizeof(int32_t));
	memcpy(p + 4, &e->qty, sizeof(double));
	memcpy(p + 12, &e->revenue, sizeof(double));
}

DwStatus
dw_check(const unsigned char *buf, size_t len)
{
	long		n = dw_count(len),
				i;
	DwEntry		e;
	int32_t		prev = 0;

	if (n < 0)
		return DW_CORRUPT;
	for (i = 0; i < n; i++)
	{
		dw_get(buf, i, &e);
		if (!isfinite(e.qty) || !isfinite(e.revenue) || (i > 0 && e.day <= prev))
			return DW_CORRUPT;
		prev = e.day;
	}
	return DW_OK;
}

size_t
dw_merge(const unsigned char *buf, size_t len, int32_t keep_from,
		 const DwEntry *add, long nadd, unsigned char *out)
{
	long		n = dw_count(len),
				i = 0,
				j = 0,
				k = 0;
	DwEntry		a,
				b;

	if (n < 0)
		n = 0;
	/* skip what falls before keep_from */
	while (i < n)
	{
		dw_get(buf, i, &a);
		if (a.day >= keep_from)
			break;
		i++;
	}
	while (j < nadd && add[j].day < keep_from)
		j++;
	while (i < n || j < nadd)
	{
		const DwEntry *take;

		if (i < n)
			dw_get(buf, i, &a);
		if (j < nadd && (i >= n || add[j].day <= a.day))
		{
			if (i < n && add[j].day == a.day)
				i++;			/* replaced */
			take = &add[j++];
		}
		else
		{
			b = a;
			take = &b;
			i++;
		}
		if (take->qty != 0 || take->revenue != 0)
			dw_put(out, k++, take);
	}
	return (size_t) k * DW_ENTRY_SIZE;
}

DwStatus
dw_profile(const unsigned char *buf, size_t len, const DwEntry *extra, long nextra,
		   int32_t start, int32_t end, double alpha, double *y, DwProfile *out)
{
	long		n = dw_count(len),
				i;
	size_t		days;
	DwEntry		e;

	memset(out, 0, sizeof(*out));
	if (n < 0)
		return DW_CORRUPT;
	if (start > end)
		return DW_BAD_WINDOW;
	if ((int64_t) end - start + 1 > DW_MAX_DAYS)
		return DW_TOO_LONG;
	days = (size_t) ((int64_t) end - start + 1);
	memset(y, 0, days * sizeof(double));
	for (i = 0; i < n; i++)
	{
		dw_get(buf, i, &e);
		if (e.day < start)
			continue;
		if (e.day > end)
			break;
		y[e.day - start] += e.qty;
		out->revenue += e.revenue;
	}
	for (i = 0; i < nextra; i++)
	{
		if (extra[i].day < start || extra[i].day > end)
			continue;
		y[extra[i].day - start] += extra[i].qty;
		out->revenue += extra[i].revenue;
	}
	if (ro_classify(y, days, &out->prof) != RO_OK)
		return DW_CORRUPT;
	if (out->prof.klass == RO_NO_DEMAND)
		out->forecast = 0;
	else if (out->prof.method == RO_SES)
	{
		if (ro_ses(y, days, alpha, &out->forecast) != RO_OK)
			return DW_CORRUPT;
	}
	else if (ro_intermittent(y, days, out->prof.method, alpha, alpha, &out->forecast) != RO_OK)
		return DW_CORRUPT;
	return DW_OK;
}
