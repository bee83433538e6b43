/*
 * logreg_format.c — the text form of a fitted logistic regression
 * (lr_model_parse, lr_model_format, lr_model_check), plain C.  See logreg.h.
 * Shared by the crmscm.lead_model type, the unit tests and a fuzz harness.
 */
#include "logreg.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ----------------------------------------------------------- text form */

LrStatus
lr_model_check(const LrModel *m)
{
	if (m->p < 0 || m->p > LR_MAX_FEATURES)
		return LR_INVALID;
	if (m->rows < 1 || m->positives < 1 || m->positives >= m->rows)
		return LR_INVALID;
	if (!isfinite(m->l2) || m->l2 < 0)
		return LR_INVALID;
	if (!isfinite(m->log_likelihood) || m->log_likelihood > 0)
		return LR_INVALID;
	if (m->iterations < 0 || (m->converged != 0 && m->converged != 1) ||
		(m->separation != 0 && m->separation != 1))
		return LR_INVALID;
	if (!isnan(m->condition_number) && !(isfinite(m->condition_number) && m->condition_number > 0))
		return LR_INVALID;
	if (!isfinite(m->coef[0]) || !isfinite(m->std_err[0]) || m->std_err[0] < 0)
		return LR_INVALID;
	for (int j = 1; j <= m->p; j++)
	{
		if (isnan(m->coef[j]))
		{
			if (!isnan(m->std_err[j]))
				return LR_INVALID;
		}
		else if (!isfinite(m->coef[j]) || !isfinite(m->std_err[j]) || m->std_err[j] < 0)
			return LR_INVALID;
	}
	return LR_OK;
}

int
lr_format_double(double x, char *buf, size_t buflen)
{
	int			n = 0;

	if (x == 0)
		return snprintf(buf, buflen, "%s", signbit(x) ? "-0" : "0");
	for (int prec = 15; prec <= 17; prec++)
	{
		n = snprintf(buf, buflen, "%.*g", prec, x);
		if (strtod(buf, NULL) == x)
			break;
	}
	return n;
}

size_t
lr_model_text_size(int p)
{
	return 400 + (size_t) (p + 1) * 2 * 32;
}

static int
append(char *buf, size_t buflen, size_t *pos, const char *s)
{
	size_t		len = strlen(s);

	if (*pos + len + 1 > buflen)
		return 0;
	memcpy(buf + *pos, s, len + 1);
	*pos += len;
	return 1;
}

static int
append_double(char *buf, size_t buflen, size_t *pos, double x)
{
	char		num[40];

	if (isnan(x))
		return append(buf, buflen, pos, "null");
	lr_format_double(x, num, sizeof(num));
	return append(buf, buflen, pos, num);
}

int
lr_model_format(const LrModel *m, char *buf, size_t buflen)
{
	size_t		pos = 0;
	char		tmp[128];
	int			ok = 1;

	snprintf(tmp, sizeof(tmp), "{\"features\":%d,\"rows\":%lld,\"positives\":%lld,\"l2\":",
			 m->p, (long long) m->rows, (long long) m->positives);
	ok &= append(buf, buflen, &pos, tmp);
	ok &= append_double(buf, buflen, &pos, m->l2);
	ok &= append(buf, buflen, &pos, ",\"log_likelihood\":");
	ok &= append_double(buf, buflen, &pos, m->log_likelihood);
	snprintf(tmp, sizeof(tmp), ",\"iterations\":%d,\"converged\":%s,\"separation\":%s,\"condition_number\":",
			 m->iterations, m->converged ? "true" : "false", m->separation ? "true" : "false");
	ok &= append(buf, buflen, &pos, tmp);
	ok &= append_double(buf, buflen, &pos, m->condition_number);
	for (int a = 0; a < 2; a++)
	{
		const double *v = a == 0 ? m->coef : m->std_err;

		ok &= append(buf, buflen, &pos, a == 0 ? ",\"coef\":[" : "],\"std_err\":[");
		for (int j = 0; j <= m->p; j++)
		{
			if (j > 0)
				ok &= append(buf, buflen, &pos, ",");
			ok &= append_double(buf, buflen, &pos, v[j]);
		}
	}
	ok &= append(buf, buflen, &pos, "]}");
	return ok ? (int) pos : -1;
}

/* strict recursive-descent reader of the fixed text form */
typedef struct Reader
{
	const char *s;
} Reader;

static void
skip_ws(Reader *r)
{
	while (*r->s == ' ' || *r->s == '\t' || *r->s == '\n' || *r->s == '\r')
		r->s++;
}

static int
expect(Reader *r, const char *tok)
{
	size_t		len = strlen(tok);

	skip_ws(r);
	if (strncmp(r->s, tok, len) != 0)
		return 0;
	r->s += len;
	return 1;
}

static int
expect_key(Reader *r, const char *key, int first)
{
	char		tok[64];

	if (!first && !expect(r, ","))
		return 0;
	snprintf(tok, sizeof(tok), "\"%s\"", key);
	return expect(r, tok) && expect(r, ":");
}

/* a JSON number (or null when allow_null: NaN) */
static int
read_json_number(Reader *r, double *out, int allow_null)
{
	const char *s,
			   *p;
	char		buf[400];
	char	   *end;
	size_t		len;

	skip_ws(r);
	s = p = r->s;
	if (allow_null && strncmp(p, "null", 4) == 0)
	{
		r->s += 4;
		*out = NAN;
		return 1;
	}
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (isdigit((unsigned char) *p))
			p++;
	else
		return 0;
	if (*p == '.')
	{
		p++;
		if (!isdigit((unsigned char) *p))
			return 0;
		while (isdigit((unsigned char) *p))
			p++;
	}
	if (*p == 'e' || *p == 'E')
	{
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char) *p))
			return 0;
		while (isdigit((unsigned char) *p))
			p++;
	}
	len = (size_t) (p - s);
	if (len >= sizeof(buf))
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	*out = strtod(buf, &end);
	if (end != buf + len || !isfinite(*out))
		return 0;
	r->s = p;
	return 1;
}

static int
read_int64(Reader *r, int64_t *out, int64_t maxval)
{
	int64_t		v = 0;

	skip_ws(r);
	if (*r->s == '0' && isdigit((unsigned char) r->s[1]))
		return 0;
	if (!isdigit((unsigned char) *r->s))
		return 0;
	while (isdigit((unsigned char) *r->s))
	{
		int			d = *r->s - '0';

		if (v > (maxval - d) / 10)
			return 0;
		v = v * 10 + d;
		r->s++;
	}
	*out = v;
	return 1;
}

static int
read_bool(Reader *r, int *out)
{
	skip_ws(r);
	if (strncmp(r->s, "true", 4) == 0)
	{
		*out = 1;
		r->s += 4;
		return 1;
	}
	if (strncmp(r->s, "false", 5) == 0)
	{
		*out = 0;
		r->s += 5;
		return 1;
	}
	return 0;
}

static int
read_array(Reader *r, double *v, int count)
{
	if (!expect(r, "["))
		return 0;
	for (int j = 0; j < count; j++)
	{
		if (j > 0 && !expect(r, ","))
			return 0;
		if (!read_json_number(r, &v[j], 1))
			return 0;
	}
	return expect(r, "]");
}

LrStatus
lr_model_parse(const char *str, LrModel *m)
{
	Reader		r = {str};
	int64_t		v;

	if (strlen(str) > LR_MAX_TEXT_LEN)
		return LR_SYNTAX;
	if (!expect(&r, "{") || !expect_key(&r, "features", 1) ||
		!read_int64(&r, &v, LR_MAX_FEATURES))
		return LR_SYNTAX;
	m->p = (int) v;
	if (!expect_key(&r, "rows", 0) || !read_int64(&r, &v, INT64_MAX))
		return LR_SYNTAX;
	m->rows = v;
	if (!expect_key(&r, "positives", 0) || !read_int64(&r, &v, INT64_MAX))
		return LR_SYNTAX;
	m->positives = v;
	if (!expect_key(&r, "l2", 0) || !read_json_number(&r, &m->l2, 0) ||
		!expect_key(&r, "log_likelihood", 0) || !read_json_number(&r, &m->log_likelihood, 0) ||
		!expect_key(&r, "iterations", 0) || !read_int64(&r, &v, 1000000))
		return LR_SYNTAX;
	m->iterations = (int) v;
	if (!expect_key(&r, "converged", 0) || !read_bool(&r, &m->converged) ||
		!expect_key(&r, "separation", 0) || !read_bool(&r, &m->separation) ||
		!expect_key(&r, "condition_number", 0) ||
		!read_json_number(&r, &m->condition_number, 1) ||
		!expect_key(&r, "coef", 0) || !read_array(&r, m->coef, m->p + 1) ||
		!expect_key(&r, "std_err", 0) || !read_array(&r, m->std_err, m->p + 1) ||
		!expect(&r, "}"))
		return LR_SYNTAX;
	skip_ws(&r);
	if (*r.s != '\0')
		return LR_SYNTAX;
	return lr_model_check(m);
}
