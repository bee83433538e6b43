/*
 * Unit tests of src/core/logreg_fit.c and src/core/logreg_format.c:
 * logistic regression and the text form of a model.
 *
 * Sources of the expected numbers:
 *  - MADlib's documented logregr_train example (apache/madlib,
 *    src/ports/postgres/modules/regress/logistic.sql_in, table "patients"):
 *    coefficients, log-likelihood, standard errors;
 *  - statsmodels 0.13.5 Logit on the same data (test/data/lead/
 *    make_reference.py -> patients_reference.csv): z, p-values and
 *    numpy.linalg.cond of X'AX at the optimum.
 */
#include <stdlib.h>
#include <string.h>

#include "logreg.h"
#include "tap.h"

static const double patients[20][3] = {
	{1, 1, 70}, {1, 1, 80}, {1, 1, 50}, {1, 0, 60}, {1, 0, 40}, {1, 0, 65},
	{1, 0, 75}, {1, 0, 80}, {1, 0, 70}, {1, 0, 60}, {0, 1, 65}, {0, 1, 50},
	{0, 1, 45}, {0, 1, 35}, {0, 1, 40}, {0, 1, 50}, {0, 0, 55}, {0, 0, 45},
	{0, 0, 50}, {0, 0, 60}
};

static int	stop_calls = 0;
static int
stop_after(void *arg)
{
	return ++stop_calls > *(int *) arg;
}

/*
 * Chunks of packed rows (lr_pack_row) instead of dense ones: 0 none, 1 every
 * other chunk (mixed), 2 all.  The fits must not depend on it.
 */
static int	fit_packed = 0;

/* fit n rows of p features given row-major x and labels y, in chunks of 7
 * (at most 64 chunks: bigger ones for more rows) */
static LrStatus
fit(const double *x, const unsigned char *y, int64_t n, int p, double l2, LrModel *m)
{
	LrChunk		ch[64];
	LrRows		rows;
	LrOptions	opt = {l2, 0, NULL, NULL};
	int			nc = 0;
	double	   *bufs[64];
	LrStatus	st;

	int64_t		cs = n > 7 * 64 ? (n + 63) / 64 : 7;

	for (int64_t i = 0; i < n; i += cs)
	{
		ch[nc].n = (n - i) < cs ? (n - i) : cs;
		ch[nc].x = x + i * p;
		ch[nc].y = y + i;
		ch[nc].packed = NULL;
		bufs[nc] = NULL;
		if (fit_packed == 2 || (fit_packed == 1 && nc % 2 == 1))
		{
			/* doubles: 8-byte aligned */
			double	   *buf = malloc(LR_PACKED_ROW_MAX(p) * (size_t) ch[nc].n + 8);
			size_t		off = 0;
			int			bad;

			for (int64_t r = 0; r < ch[nc].n; r++)
			{
				size_t		len = lr_pack_row(x + (i + r) * p, p, y[i + r], (char *) buf + off, &bad);

				if (len == 0)
				{
					/* a NaN: keep this chunk dense, lr_fit reports it */
					free(buf);
					buf = NULL;
					break;
				}
				off += len;
			}
			if (buf)
			{
				int64_t		cnt = -1;

				if (!lr_packed_check(buf, off, p, &cnt) || cnt != ch[nc].n)
					ok(0, "packed chunk passes lr_packed_check");
				ch[nc].packed = buf;
				bufs[nc] = buf;
			}
		}
		nc++;
	}
	rows.p = p;
	rows.nchunks = nc;
	rows.chunks = ch;
	st = lr_fit(&rows, &opt, m);
	for (int c = 0; c < nc; c++)
		free(bufs[c]);
	return st;
}

static void
test_patients(void)
{
	double		x[40],
				coef[3],
				se[3];
	unsigned char y[20];
	LrModel		m = {.coef = coef,.std_err = se};
	/* MADlib documentation */
	const double mad_coef[3] = {-6.36346994178192, -1.02410605239327, 0.119044916668607};
	const double mad_se[3] = {3.21389766375099, 1.17107844860319, 0.0549790458269317};
	/* statsmodels (patients_reference.csv) */
	const double sm_z[3] = {-1.9799810146423555, -0.8744969808198321, 2.165272858761192};
	const double sm_p[3] = {0.047705662037199385, 0.38184766369971423, 0.030366795595679487};

	for (int i = 0; i < 20; i++)
	{
		y[i] = (unsigned char) patients[i][0];
		x[2 * i] = patients[i][1];
		x[2 * i + 1] = patients[i][2];
	}
	ok(fit(x, y, 20, 2, 0, &m) == LR_OK, "patients: fit succeeds");
	for (int j = 0; j < 3; j++)
	{
		is_close(coef[j], mad_coef[j], 1e-8, 0, "patients: coefficient = MADlib");
		is_close(se[j], mad_se[j], 1e-5, 0, "patients: std error = MADlib within 1e-5");
		is_close(coef[j] / se[j], sm_z[j], 1e-9, 0, "patients: z = statsmodels");
		is_close(lr_p_value(coef[j] / se[j]), sm_p[j], 1e-9, 0, "patients: p-value = statsmodels");
	}
	is_close(m.log_likelihood, -9.41018298388876, 1e-8, 0, "patients: log-likelihood = MADlib");
	is_close(m.condition_number, 106329.60791268492, 1e-7, 0, "patients: condition number = numpy cond(X'AX)");
	ok(m.converged && !m.separation, "patients: converged, no separation");
	ok(m.iterations >= 3 && m.iterations <= 10, "patients: a handful of Newton steps");
	ok(m.rows == 20 && m.positives == 10 && m.p == 2, "patients: counts");

	/* scores: MADlib's documented logregr_predict_prob for rows 1 and 14 */
	is_close(lr_sigmoid(lr_log_odds(&m, x)), 0.720223028941527, 1e-8, 0, "patients: score row 1 = MADlib");
	is_close(lr_sigmoid(lr_log_odds(&m, x + 26)), 0.0383829143134982, 1e-8, 0, "patients: score row 14 = MADlib");

	/* a duplicated column and a constant column are dropped, same fit */
	{
		double		x4[80],
					c4[5],
					s4[5];
		LrModel		m4 = {.coef = c4,.std_err = s4};

		for (int i = 0; i < 20; i++)
		{
			x4[4 * i] = patients[i][1];
			x4[4 * i + 1] = 3.0;	/* constant */
			x4[4 * i + 2] = patients[i][2];
			x4[4 * i + 3] = 2 * patients[i][2] - patients[i][1];	/* combination */
		}
		ok(fit(x4, y, 20, 4, 0, &m4) == LR_OK, "collinear: fit succeeds");
		ok(isnan(c4[2]) && isnan(s4[2]), "collinear: constant column dropped");
		ok(isnan(c4[4]) && isnan(s4[4]), "collinear: linear combination dropped");
		is_close(c4[0], mad_coef[0], 1e-8, 0, "collinear: intercept unchanged");
		is_close(c4[1], mad_coef[1], 1e-8, 0, "collinear: treatment unchanged");
		is_close(c4[3], mad_coef[2], 1e-8, 0, "collinear: anxiety unchanged");
		is_close(s4[3], se[2], 1e-8, 0, "collinear: std error unchanged");
	}

	/*
	 * mostly-zero columns take the sparse path (all-zero and duplicated
	 * columns among them): dropped, the rest unchanged
	 */
	{
		double		x8[160],
					c8[9],
					s8[9];
		LrModel		m8 = {.coef = c8,.std_err = s8};

		memset(x8, 0, sizeof(x8));
		for (int i = 0; i < 20; i++)
		{
			x8[8 * i] = patients[i][1];
			x8[8 * i + 1] = patients[i][2];
			x8[8 * i + 5] = patients[i][1];	/* duplicate of feature 1 */
		}
		ok(fit(x8, y, 20, 8, 0, &m8) == LR_OK, "sparse path: fit succeeds");
		ok(isnan(c8[3]) && isnan(c8[4]) && isnan(c8[5]) && isnan(c8[6]) && isnan(c8[7]) && isnan(c8[8]),
		   "sparse path: zero and duplicate columns dropped");
		is_close(c8[0], mad_coef[0], 1e-8, 0, "sparse path: intercept");
		is_close(c8[1], mad_coef[1], 1e-8, 0, "sparse path: treatment");
		is_close(c8[2], mad_coef[2], 1e-8, 0, "sparse path: anxiety");
		is_close(s8[2], se[2], 1e-8, 0, "sparse path: std error");
		is_close(m8.condition_number, m.condition_number, 1e-7, 0, "sparse path: condition number");
	}

	/* large offsets and scales do not matter (internal standardisation) */
	{
		double		xs[40],
					cs[3],
					ss[3];
		LrModel		ms = {.coef = cs,.std_err = ss};

		for (int i = 0; i < 20; i++)
		{
			xs[2 * i] = patients[i][1] * 1e-6;
			xs[2 * i + 1] = patients[i][2] + 1e6;
		}
		ok(fit(xs, y, 20, 2, 0, &ms) == LR_OK, "shifted: fit succeeds");
		is_close(cs[1], mad_coef[1] * 1e6, 1e-7, 0, "shifted: scaled coefficient");
		is_close(cs[2], mad_coef[2], 1e-7, 0, "shifted: shifted coefficient");
		is_close(ms.log_likelihood, -9.41018298388876, 1e-9, 0, "shifted: log-likelihood");
	}

	/* interruption */
	{
		int			limit = 0;
		LrChunk		ch = {20, x, y, NULL};
		LrRows		rows = {2, 1, &ch};
		LrOptions	opt = {0, 0, stop_after, &limit};

		stop_calls = 0;
		ok(lr_fit(&rows, &opt, &m) == LR_INTERRUPTED, "stop callback interrupts the fit");
	}
}

static void
test_l2_and_errors(void)
{
	double		x[40],
				coef[3],
				se[3];
	unsigned char y[20],
				y1[20];
	LrModel		m = {.coef = coef,.std_err = se};
	double		c0[3],
				s0[3];
	LrModel		m0 = {.coef = c0,.std_err = s0};

	for (int i = 0; i < 20; i++)
	{
		y[i] = (unsigned char) patients[i][0];
		y1[i] = 1;
		x[2 * i] = patients[i][1];
		x[2 * i + 1] = patients[i][2];
	}
	fit(x, y, 20, 2, 0, &m0);
	ok(fit(x, y, 20, 2, 5.0, &m) == LR_OK, "l2: fit succeeds");
	/* the penalised optimum: gradient of l(b) - 2.5 |b_1..|^2 vanishes */
	{
		double		g[3] = {0, 0, 0};

		for (int i = 0; i < 20; i++)
		{
			double		r = y[i] - lr_sigmoid(lr_log_odds(&m, x + 2 * i));

			g[0] += r;
			g[1] += r * x[2 * i];
			g[2] += r * x[2 * i + 1];
		}
		g[1] -= 5.0 * coef[1];
		g[2] -= 5.0 * coef[2];
		ok(fabs(g[0]) < 1e-9 && fabs(g[1]) < 1e-9 && fabs(g[2]) < 1e-9,
		   "l2: penalised score equations hold (intercept not penalised)");
	}
	ok(fabs(coef[1]) < fabs(c0[1]), "l2: shrinks the coefficient");
	ok(m.log_likelihood < m0.log_likelihood, "l2: lower likelihood than the MLE");

	ok(fit(x, y, 0, 2, 0, &m) == LR_EMPTY, "no rows: LR_EMPTY");
	ok(fit(x, y1, 20, 2, 0, &m) == LR_ONE_CLASS, "one class: LR_ONE_CLASS");
	ok(fit(x + 18, y + 9, 2, 2, 0, &m) == LR_TOO_FEW_ROWS, "rows <= features: LR_TOO_FEW_ROWS");
	ok(fit(x, y, 20, 2, -1, &m) == LR_BAD_L2, "negative l2: LR_BAD_L2");
	ok(fit(x, y, 20, LR_MAX_FEATURES + 1, 0, &m) == LR_TOO_MANY_FEATURES, "too many features");
	x[5] = NAN;
	ok(fit(x, y, 20, 2, 0, &m) == LR_NOT_FINITE, "NaN feature: LR_NOT_FINITE");
	x[5] = patients[2][2];

	/* complete separation: x > 0 <=> y */
	{
		double		xs[10] = {-5, -4, -3, -2, -1, 1, 2, 3, 4, 5};
		unsigned char ys[10] = {0, 0, 0, 0, 0, 1, 1, 1, 1, 1};
		double		cs[2],
					ss[2];
		LrModel		msep = {.coef = cs,.std_err = ss};

		ok(fit(xs, ys, 10, 1, 0, &msep) == LR_OK, "separation: still returns a model");
		ok(msep.separation == 1, "separation: flagged");
	}
}

/*
 * Packed rows: the format round-trips and is validated; a fit on packed rows
 * equals the fit on the same rows stored dense (a consistency check of the
 * two representations, same math), over more than one block of
 * LR_STOP_EVERY rows, with numeric, 0/1 one-hot and dropped columns.
 */
static void
test_packed(void)
{
	double		x[6] = {0, 1, 2.5, 0, -1, 1},
				back[6];
	double		buf[64];
	size_t		len;
	int			bad;
	int64_t		cnt;

	len = lr_pack_row(x, 6, 1, buf, &bad);
	/* 8 header + 4 nonzero cols (8) + 2 values (16) */
	ok(len == 32 && len <= LR_PACKED_ROW_MAX(6), "pack_row: 32 bytes for 2 values and 2 ones");
	ok(lr_packed_check(buf, len, 6, &cnt) && cnt == 1, "packed_check: one sound row");
	ok(!lr_packed_check(buf, len, 3, &cnt), "packed_check: column beyond p rejected");
	ok(!lr_packed_check(buf, len - 8, 6, &cnt), "packed_check: truncated row rejected");
	ok(!lr_packed_check((char *) buf + 4, len, 6, &cnt), "packed_check: misaligned buffer rejected");
	{
		const uint16_t *cols = (const uint16_t *) ((const char *) buf + 8);
		const double *vals = (const double *) ((const char *) buf + 16);

		memset(back, 0, sizeof(back));
		back[cols[0]] = vals[0];
		back[cols[1]] = vals[1];
		back[cols[2]] = 1;
		back[cols[3]] = 1;
		ok(memcmp(back, x, sizeof(x)) == 0 && ((const uint16_t *) buf)[2] == 1,
		   "pack_row: values, ones and label read back");
	}
	{
		double		nan_row[3] = {1, NAN, 2};

		ok(lr_pack_row(nan_row, 3, 0, buf, &bad) == 0 && bad == 1, "pack_row: NaN reported with its index");
		ok(lr_pack_row(x, LR_MAX_FEATURES + 1, 0, buf, &bad) == 0 && bad == -1, "pack_row: p out of range");
	}
	((double *) buf)[2] = NAN;	/* first value */
	ok(!lr_packed_check(buf, len, 6, &cnt), "packed_check: NaN value rejected");

	{
		int			n = 70000,
					p = 9;
		double	   *xs = malloc(sizeof(double) * n * p);
		unsigned char *ys = malloc(n);
		double		cd[10],
					sd[10],
					cp[10],
					sp[10],
					cm[10],
					sm[10];
		LrModel		md = {.coef = cd,.std_err = sd},
					mp = {.coef = cp,.std_err = sp},
					mm = {.coef = cm,.std_err = sm};
		unsigned int seed = 12345;
		int			same = 1;

		for (int i = 0; i < n; i++)
		{
			double	   *r = xs + (size_t) i * p;
			double		u1,
						u2,
						eta;
			int			level;

			seed = seed * 1103515245u + 12345u;
			u1 = (seed >> 8) / 16777216.0;
			seed = seed * 1103515245u + 12345u;
			u2 = (seed >> 8) / 16777216.0;
			level = (int) (u2 * 4);
			r[0] = 3 * u1 - 1;	/* numeric */
			r[1] = 40 + 10 * u2;	/* numeric, far from 0 */
			r[2] = level == 1;	/* one-hot, level 0 left out */
			r[3] = level == 2;
			r[4] = level == 3;
			r[5] = 0;			/* constant: dropped */
			r[6] = r[2];		/* duplicate: dropped */
			r[7] = (i % 3 == 0) ? 2.5 : 0;	/* sparse, not 0/1 */
			r[8] = level != 3 && i % 5 != 0;	/* mostly 1: centred */
			eta = -1 + 0.8 * r[0] + 0.02 * (r[1] - 45) + 0.5 * r[2] - 0.7 * r[4] + 0.3 * r[7];
			seed = seed * 1103515245u + 12345u;
			ys[i] = (seed >> 8) / 16777216.0 < 1 / (1 + exp(-eta));
		}
		ok(fit(xs, ys, n, p, 0, &md) == LR_OK, "packed: dense fit succeeds");
		fit_packed = 2;
		ok(fit(xs, ys, n, p, 0, &mp) == LR_OK, "packed: packed fit succeeds");
		fit_packed = 1;
		ok(fit(xs, ys, n, p, 0, &mm) == LR_OK, "packed: mixed fit succeeds");
		fit_packed = 0;
		for (int j = 0; j <= p; j++)
		{
			if (isnan(cd[j]) != isnan(cp[j]) || isnan(cd[j]) != isnan(cm[j]))
				same = 0;
			else if (!isnan(cd[j]) &&
					 (fabs(cd[j] - cp[j]) > 1e-10 * fabs(cd[j]) + 1e-12 ||
					  fabs(cd[j] - cm[j]) > 1e-10 * fabs(cd[j]) + 1e-12 ||
					  fabs(sd[j] - sp[j]) > 1e-10 * sd[j] || fabs(sd[j] - sm[j]) > 1e-10 * sd[j]))
				same = 0;
		}
		ok(same, "packed: coefficients and standard errors of packed, mixed and dense fits agree to 1e-10");
		ok(isnan(cd[6]) && isnan(cd[7]) && !isnan(cd[8]) && !isnan(cd[9]),
		   "packed: constant and duplicate columns dropped");
		is_close(mp.log_likelihood, md.log_likelihood, 1e-12, 0, "packed: log-likelihood");
		ok(mp.iterations == md.iterations && mm.iterations == md.iterations, "packed: same iterations");
		free(xs);
		free(ys);
	}
}

static void
test_text(void)
{
	double		coef[LR_MAX_FEATURES + 1],
				se[LR_MAX_FEATURES + 1],
				c2[LR_MAX_FEATURES + 1],
				s2[LR_MAX_FEATURES + 1];
	LrModel		m = {.p = 3,.rows = 20,.positives = 10,.l2 = 0.5,.log_likelihood = -9.41018298388876,
		.iterations = 5,.converged = 1,.separation = 0,.condition_number = 106329.60791268492,
	.coef = coef,.std_err = se};
	LrModel		m2 = {.coef = c2,.std_err = s2};
	char		buf[4096],
				buf2[4096];
	static const char *bad[] = {
		"", "{}", "garbage",
		"{\"features\":1,\"rows\":20,\"positives\":10,\"l2\":0,\"log_likelihood\":-1,\"iterations\":1,\"converged\":true,\"separation\":false,\"condition_number\":1,\"coef\":[1],\"std_err\":[1,1]}",
		"{\"features\":1,\"rows\":20,\"positives\":10,\"l2\":0,\"log_likelihood\":-1,\"iterations\":1,\"converged\":true,\"separation\":false,\"condition_number\":1,\"coef\":[1,2],\"std_err\":[1,1]} x",
		"{\"features\":1,\"rows\":20,\"positives\":10,\"l2\":0,\"log_likelihood\":-1,\"iterations\":1,\"converged\":true,\"separation\":false,\"condition_number\":1,\"coef\":[1,NaN],\"std_err\":[1,1]}",
		"{\"features\":1,\"rows\":20,\"positives\":10,\"l2\":0,\"log_likelihood\":-1,\"iterations\":1,\"converged\":true,\"separation\":false,\"condition_number\":1,\"coef\":[1,1e999],\"std_err\":[1,1]}",
		"{\"features\":1,\"rows\":20,\"positives\":10,\"l2\":0,\"log_likelihood\":-1,\"iterations\":1,\"converged\":true,\"separation\":false,\"condition_number\":1,\"coef\":[1,01],\"std_err\":[1,1]}",
		"{\"features\":1,\"rows\":20,\"positives\":10,\"l2\":0,\"log_likelihood\":-1,\"iterations\":1,\"converged\":1,\"separation\":false,\"condition_number\":1,\"coef\":[1,1],\"std_err\":[1,1]}",
		"{\"rows\":20,\"features\":1,\"positives\":10,\"l2\":0,\"log_likelihood\":-1,\"iterations\":1,\"converged\":true,\"separation\":false,\"condition_number\":1,\"coef\":[1,1],\"std_err\":[1,1]}",
		"{\"features\":1001,\"rows\":20",
		"{\"features\":99999999999999999999999,\"rows\":20",
	};
	static const char *invalid[] = {
		/* positives >= rows */
		"{\"features\":1,\"rows\":20,\"positives\":20,\"l2\":0,\"log_likelihood\":-1,\"iterations\":1,\"converged\":true,\"separation\":false,\"condition_number\":1,\"coef\":[1,1],\"std_err\":[1,1]}",
		/* log-likelihood > 0 */
		"{\"features\":1,\"rows\":20,\"positives\":10,\"l2\":0,\"log_likelihood\":1,\"iterations\":1,\"converged\":true,\"separation\":false,\"condition_number\":1,\"coef\":[1,1],\"std_err\":[1,1]}",
		/* negative std error */
		"{\"features\":1,\"rows\":20,\"positives\":10,\"l2\":0,\"log_likelihood\":-1,\"iterations\":1,\"converged\":true,\"separation\":false,\"condition_number\":1,\"coef\":[1,1],\"std_err\":[1,-1]}",
		/* dropped coefficient with a std error */
		"{\"features\":1,\"rows\":20,\"positives\":10,\"l2\":0,\"log_likelihood\":-1,\"iterations\":1,\"converged\":true,\"separation\":false,\"condition_number\":1,\"coef\":[1,null],\"std_err\":[1,1]}",
		/* dropped intercept */
		"{\"features\":1,\"rows\":20,\"positives\":10,\"l2\":0,\"log_likelihood\":-1,\"iterations\":1,\"converged\":true,\"separation\":false,\"condition_number\":1,\"coef\":[null,1],\"std_err\":[null,1]}",
		/* negative l2 */
		"{\"features\":1,\"rows\":20,\"positives\":10,\"l2\":-1,\"log_likelihood\":-1,\"iterations\":1,\"converged\":true,\"separation\":false,\"condition_number\":1,\"coef\":[1,1],\"std_err\":[1,1]}",
	};

	coef[0] = -6.36346994178192;
	coef[1] = 0.1 + 0.2;		/* needs 17 digits */
	coef[2] = NAN;
	coef[3] = -0.0;
	se[0] = 3.21389766375099;
	se[1] = 5e-324;
	se[2] = NAN;
	se[3] = 1.7976931348623157e308;
	ok(lr_model_format(&m, buf, lr_model_text_size(m.p)) > 0, "format fits lr_model_text_size");
	ok(lr_model_parse(buf, &m2) == LR_OK, "parse the formatted text");
	ok(m2.p == 3 && m2.rows == 20 && m2.positives == 10 && m2.iterations == 5 &&
	   m2.converged == 1 && m2.separation == 0, "round trip: integers and flags");
	ok(m2.l2 == 0.5 && m2.log_likelihood == m.log_likelihood &&
	   m2.condition_number == m.condition_number, "round trip: scalars exact");
	ok(c2[0] == coef[0] && c2[1] == coef[1] && isnan(c2[2]) && c2[3] == 0 && signbit(c2[3]),
	   "round trip: coefficients exact, null, -0");
	ok(s2[0] == se[0] && s2[1] == se[1] && isnan(s2[2]) && s2[3] == se[3],
	   "round trip: std errors exact incl. denormal and DBL_MAX");
	lr_model_format(&m2, buf2, sizeof(buf2));
	ok(strcmp(buf, buf2) == 0, "format(parse(text)) = text");
	ok(lr_model_format(&m, buf2, 20) < 0, "format reports a short buffer");
	{
		char		spaced[4200];
		size_t		k = 0;

		for (const char *s = buf; *s; s++)
		{
			spaced[k++] = *s;
			if (*s == ',' || *s == ':' || *s == '[')
				spaced[k++] = ' ';
		}
		spaced[k] = '\0';
		ok(lr_model_parse(spaced, &m2) == LR_OK, "blanks between tokens are accepted");
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(lr_model_parse(bad[i], &m2) == LR_SYNTAX, "malformed text is LR_SYNTAX");
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
		ok(lr_model_parse(invalid[i], &m2) == LR_INVALID, "inconsistent values are LR_INVALID");

	/*
	 * Random mutations of a valid text (a small in-suite fuzz; the libFuzzer
	 * harness is test/fuzz/fuzz_lead_model.c): never a crash (ASan), and
	 * whatever parses formats back to a text that parses the same.
	 */
	{
		unsigned int seed = 12345;
		size_t		len = strlen(buf);
		int			stable = 1,
					accepted = 0;
		static const char alphabet[] = "{}[],:\"0123456789.eE+-nultrfase ";

		for (int it = 0; it < 20000; it++)
		{
			char		mut[4200];
			int			edits = 1 + (int) ((seed = seed * 1103515245u + 12345u) >> 16) % 4;

			memcpy(mut, buf, len + 1);
			for (int e = 0; e < edits; e++)
			{
				size_t		pos = ((seed = seed * 1103515245u + 12345u) >> 16) % len;
				char		ch = alphabet[((seed = seed * 1103515245u + 12345u) >> 16) % (sizeof(alphabet) - 1)];

				mut[pos] = ch;
			}
			if (lr_model_parse(mut, &m2) == LR_OK)
			{
				char		a[4200],
							b[4200];

				accepted++;
				lr_model_format(&m2, a, sizeof(a));
				if (lr_model_parse(a, &m2) != LR_OK)
					stable = 0;
				lr_model_format(&m2, b, sizeof(b));
				if (strcmp(a, b) != 0)
					stable = 0;
			}
		}
		ok(stable, "20000 random mutations: no crash, accepted texts round-trip");
		ok(accepted > 0 && accepted < 20000, "some mutations are accepted, most rejected");
	}

	/* every prefix of a valid text is rejected without reading past it */
	{
		size_t		len = strlen(buf);
		int			all = 1;

		for (size_t k = 0; k < len; k++)
		{
			char	   *pre = malloc(k + 1);

			memcpy(pre, buf, k);
			pre[k] = '\0';
			if (lr_model_parse(pre, &m2) == LR_OK)
				all = 0;
			free(pre);
		}
		ok(all, "every proper prefix is rejected");
	}
}

int
main(void)
{
	test_patients();
	test_l2_and_errors();
	/* the same checks on packed and on mixed dense/packed chunks */
	for (fit_packed = 1; fit_packed <= 2; fit_packed++)
	{
		test_patients();
		test_l2_and_errors();
	}
	fit_packed = 0;
	test_packed();
	test_text();
	return done_testing();
}
