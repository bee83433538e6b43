/*
 * logreg_fit.c — logistic regression (lr_fit), plain C.  See logreg.h.
 * The text form of a model is in logreg_format.c.
 *
 * Logistic regression.  Newton's method (IRLS) maximises
 *     l(beta) - 0.5 * l2 * sum_{j>=1} beta_j^2
 * (no penalty on the intercept: a penalised intercept would pull every score
 * toward 1/2, which is never what a lead scorer wants; scikit-learn's
 * LogisticRegression(C = 1/l2) does the same).  Internally each feature is
 * centred and scaled, z_j = (x_j - mean_j) / sd_j, which keeps the Hessian
 * well conditioned whatever the units; the coefficients, their covariance and
 * the condition number are transformed back exactly to the caller's scale.
 * Columns that are zero in at least half of the rows (one-hot indicators) are
 * scaled but not centred, so a pass skips their zeros: with one-hot encoded
 * categoricals a row touches a few columns, and the Hessian update costs the
 * square of that, not of all columns.  The rows come dense or packed (only
 * their nonzeros, lr_pack_row), and the passes read both as they are.
 *
 * Exact collinearity.  The Hessian at the start point (intercept = logit of
 * the mean, other coefficients 0) is w * Z'Z with a constant weight w, i.e.
 * the cross-product matrix with the intercept first, so projecting on the
 * intercept centres every column.  A Cholesky factorisation in column
 * order drops column k when its residual variance after projecting on the
 * earlier kept columns is below LR_COLLINEAR_TOL of its own variance
 * (R^2 > 1 - 1e-10): the later of two duplicate columns goes, as R's lm/glm
 * do.  Constant columns are collinear with the intercept and are dropped too.
 * With l2 > 0 the penalty makes every direction identifiable: only constant
 * columns are dropped (their ridge coefficient is exactly 0).
 *
 * Convergence: stop when the Newton decrement g' H^-1 g is below
 * 1e-20 * (1 + |objective|); the Hessian (and so the standard errors) is
 * the one at the returned coefficients.  Steps that lower the objective are
 * halved.  Quasi-separation: some fitted probability within 10 * DBL_EPSILON
 * of 0 or 1 at the end, or a Hessian that stops being positive definite.
 */
#include "logreg.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

/* rows summed into one block of the pass accumulators (then flushed) */
#define LR_STOP_EVERY 65536

/*
 * Interrupt polling by amount of work: should_stop is called after about
 * LR_POLL_WORK multiply-adds (a few milliseconds), wherever they are spent:
 * a pass over wide rows, a Cholesky factorisation, the covariance or the
 * eigenvalues of a 1001 x 1001 matrix.
 */
#define LR_POLL_WORK 4194304.0

typedef struct LrPoll
{
	const LrOptions *opt;
	double		work;			/* since the last call */
	int			stopped;
} LrPoll;

static inline int
lr_poll(LrPoll *pl, double work)
{
	if (pl == NULL)
		return 0;
	pl->work += work;
	if (pl->work < LR_POLL_WORK)
		return pl->stopped;
	pl->work = 0;
	if (!pl->stopped && pl->opt && pl->opt->should_stop &&
		pl->opt->should_stop(pl->opt->stop_arg))
		pl->stopped = 1;
	return pl->stopped;
}
/* rows a pass decodes, then weighs, then adds up together (a multiple of 4) */
#define LR_BATCH 16


/* ---------------------------------------------------------------- helpers */

double
lr_sigmoid(double eta)
{
	if (eta >= 0)
		return 1.0 / (1.0 + exp(-eta));
	else
	{
		double		e = exp(eta);

		return e / (1.0 + e);
	}
}

/*
 * lr_sigmoid(eta), and in *l1pe log(1 + exp(eta)) without overflow, from one
 * exp(-|eta|): the same operations as lr_sigmoid and as computing
 * eta + log1p(exp(-eta)) for eta > 0, log1p(exp(eta)) otherwise, so bit for
 * bit the same results with one exp instead of two.  No branch on the sign
 * of eta (a pass would mispredict half of them): both quotients are
 * computed and one selected.
 */
static inline double
sigmoid_log1pexp(double eta, double *l1pe)
{
	double		e = exp(-fabs(eta)),
				d = 1.0 + e,
				pos = 1.0 / d,
				neg = e / d;

	*l1pe = (eta > 0 ? eta : 0.0) + log1p(e);
	return eta >= 0 ? pos : neg;
}

double
lr_p_value(double z)
{
	return erfc(fabs(z) / M_SQRT2);
}

double
lr_log_odds(const LrModel *m, const double *x)
{
	double		eta = m->coef[0];

	for (int j = 0; j < m->p; j++)
		if (!isnan(m->coef[j + 1]))
			eta += m->coef[j + 1] * x[j];
	return eta;
}

/*
 * Cholesky factorisation of the q x q symmetric matrix A (upper triangle
 * used, row-major) into lower L (row-major, full q x q).  Returns 1, or 0
 * when A is not numerically positive definite, or -1 when pl asked to stop.
 */
static int
chol(const double *A, double *L, int q, LrPoll *pl)
{
	memset(L, 0, sizeof(double) * (size_t) q * q);
	for (int k = 0; k < q; k++)
	{
		if (lr_poll(pl, 0.5 * (double) k * k))
			return -1;
		for (int l = 0; l < k; l++)
		{
			double		s = A[l * q + k];

			for (int m = 0; m < l; m++)
				s -= L[k * q + m] * L[l * q + m];
			L[k * q + l] = s / L[l * q + l];
		}
		{
			double		d = A[k * q + k];

			for (int m = 0; m < k; m++)
				d -= L[k * q + m] * L[k * q + m];
			if (!(d > 0) || !isfinite(d))
				return 0;
			L[k * q + k] = sqrt(d);
		}
	}
	return 1;
}

/* Solve L L' x = b in place */
static void
chol_solve(const double *L, int q, double *b)
{
	for (int i = 0; i < q; i++)
	{
		double		s = b[i];

		for (int k = 0; k < i; k++)
			s -= L[i * q + k] * b[k];
		b[i] = s / L[i * q + i];
	}
	for (int i = q - 1; i >= 0; i--)
	{
		double		s = b[i];

		for (int k = i + 1; k < q; k++)
			s -= L[k * q + i] * b[k];
		b[i] = s / L[i * q + i];
	}
}

/*
 * Extreme eigenvalues of a symmetric matrix (full, row-major, destroyed):
 * Householder reduction to tridiagonal form, then bisection with Sturm
 * counts for the smallest and the largest eigenvalue.
 */
static int
sturm_count(const double *d, const double *e, int n, double x)
{
	/* number of eigenvalues < x, by the LDL' recurrence */
	int			count = 0;
	double		q = 1.0;

	for (int i = 0; i < n; i++)
	{
		double		ee = i > 0 ? e[i - 1] * e[i - 1] : 0.0;

		q = d[i] - x - (i > 0 ? ee / q : 0.0);
		if (q == 0.0)
			q = -DBL_EPSILON * (fabs(d[i]) + fabs(x) + DBL_MIN);
		if (q < 0)
			count++;
	}
	return count;
}

static void
extreme_eigenvalues(double *A, int n, double *vmin, double *vmax, double *work, LrPoll *pl)
{
	double	   *d = work,
			   *e = work + n,
			   *v = work + 2 * n,
			   *pv = work + 3 * n;
	double		lo,
				hi;

	for (int k = 0; k + 2 < n; k++)
	{
		int			m = n - k - 1;	/* length of x = A[k+1.., k] */
		double		alpha,
					norm = 0,
					vv = 0,
					K;

		if (lr_poll(pl, 3.0 * m * m))
		{
			*vmin = *vmax = NAN;
			return;
		}
		for (int i = 0; i < m; i++)
			norm += A[(k + 1 + i) * n + k] * A[(k + 1 + i) * n + k];
		norm = sqrt(norm);
		if (norm == 0)
			continue;
		alpha = A[(k + 1) * n + k] > 0 ? -norm : norm;
		for (int i = 0; i < m; i++)
			v[i] = A[(k + 1 + i) * n + k];
		v[0] -= alpha;
		for (int i = 0; i < m; i++)
			vv += v[i] * v[i];
		if (vv == 0)
			continue;
		/* p = A_sub v * 2 / vv */
		for (int i = 0; i < m; i++)
		{
			double		s = 0;

			for (int j = 0; j < m; j++)
				s += A[(k + 1 + i) * n + (k + 1 + j)] * v[j];
			pv[i] = 2 * s / vv;
		}
		K = 0;
		for (int i = 0; i < m; i++)
			K += v[i] * pv[i];
		K /= vv;
		for (int i = 0; i < m; i++)
			pv[i] -= K * v[i];	/* q = p - K v */
		for (int i = 0; i < m; i++)
			for (int j = 0; j < m; j++)
				A[(k + 1 + i) * n + (k + 1 + j)] -= v[i] * pv[j] + pv[i] * v[j];
		A[(k + 1) * n + k] = A[k * n + k + 1] = alpha;
		for (int i = 1; i < m; i++)
			A[(k + 1 + i) * n + k] = A[k * n + k + 1 + i] = 0;
	}
	for (int i = 0; i < n; i++)
		d[i] = A[i * n + i];
	for (int i = 0; i + 1 < n; i++)
		e[i] = A[(i + 1) * n + i];

	/* Gershgorin bounds */
	lo = HUGE_VAL;
	hi = -HUGE_VAL;
	for (int i = 0; i < n; i++)
	{
		double		r = (i > 0 ? fabs(e[i - 1]) : 0) + (i + 1 < n ? fabs(e[i]) : 0);

		if (d[i] - r < lo)
			lo = d[i] - r;
		if (d[i] + r > hi)
			hi = d[i] + r;
	}
	for (int which = 0; which < 2; which++)
	{
		double		a = lo,
					b = hi;

		for (int it = 0; it < 200; it++)
		{
			double		mid = 0.5 * (a + b);

			if (lr_poll(pl, n))
			{
				*vmin = *vmax = NAN;
				return;
			}
			if (mid <= a || mid >= b)
				break;
			/* smallest: count(mid) >= 1 means lambda_min < mid */
			if (which == 0 ? sturm_count(d, e, n, mid) >= 1 : sturm_count(d, e, n, mid) >= n)
				b = mid;
			else
				a = mid;
		}
		if (which == 0)
			*vmin = 0.5 * (a + b);
		else
			*vmax = 0.5 * (a + b);
	}
}

/* ------------------------------------------------------ logistic regression */

/*
 * Fresh memory costs a page fault per 4 kB page, which on a virtual machine
 * took as long as the Newton passes themselves.  Where transparent huge pages
 * are given on request (Linux "madvise" mode), ask for them on the 2 MB
 * aligned part of a big buffer before it is first written.  Advisory only.
 */
#define LR_HUGE_PAGE ((uintptr_t) 2 * 1024 * 1024)

void
lr_advise_huge(void *ptr, size_t size)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
	uintptr_t	start = ((uintptr_t) ptr + LR_HUGE_PAGE - 1) & ~(LR_HUGE_PAGE - 1),
				end = ((uintptr_t) ptr + size) & ~(LR_HUGE_PAGE - 1);

	if (size >= LR_HUGE_PAGE && end > start)
		(void) madvise((void *) start, end - start, MADV_HUGEPAGE);
#endif
}

/* ------------------------------------------------------------ packed rows */

/*
 * A packed row (see logreg.h): an 8-byte header of four uint16 (nv, no, y,
 * 0), the column numbers of the nv features whose value is neither 0 nor 1,
 * then of the no features equal to 1, padded with zeros to a multiple of 4
 * columns (8 bytes), then the nv values as doubles.  Rows stay 8-byte aligned
 * in an 8-byte aligned buffer.
 */
#define LR_PACK_COLS_BYTES(k) ((size_t) 8 * (((size_t) (k) + 3) / 4))

typedef struct LrPackedRow
{
	int			nv;
	int			no;
	int			y;
	const uint16_t *cols;
	const double *vals;
} LrPackedRow;

size_t
lr_pack_row(const double *x, int p, int y, void *out, int *bad)
{
	uint16_t	vcol[LR_MAX_FEATURES],
				ocol[LR_MAX_FEATURES],
				h[4];
	int			nv = 0,
				no = 0,
				nc;
	unsigned char *o = out;
	uint16_t   *cols;
	double	   *vals;

	int			finite = 1;

	*bad = -1;
	if (p < 0 || p > LR_MAX_FEATURES)
		return 0;
	/*
	 * No branch per value (one-hot values are unpredictable): every column
	 * is written to both lists, whose lengths grow only when it belongs.
	 */
	for (int j = 0; j < p; j++)
	{
		double		v = x[j];
		int			one = v == 1,
					other = v != 0 && !one;

		ocol[no] = (uint16_t) j;
		no += one;
		vcol[nv] = (uint16_t) j;
		nv += other;
		finite &= v - v == 0;	/* false for NaN and infinities */
	}
	if (!finite)
	{
		for (int j = 0; j < p; j++)
			if (!isfinite(x[j]))
			{
				*bad = j;
				break;
			}
		return 0;
	}
	h[0] = (uint16_t) nv;
	h[1] = (uint16_t) no;
	h[2] = y ? 1 : 0;
	h[3] = 0;
	memcpy(o, h, sizeof(h));
	cols = (uint16_t *) (o + 8);
	memcpy(cols, vcol, sizeof(uint16_t) * nv);
	memcpy(cols + nv, ocol, sizeof(uint16_t) * no);
	for (nc = nv + no; nc % 4 != 0; nc++)
		cols[nc] = 0;
	vals = (double *) (o + 8 + LR_PACK_COLS_BYTES(nv + no));
	for (int t = 0; t < nv; t++)
		vals[t] = x[vcol[t]];
	return 8 + LR_PACK_COLS_BYTES(nv + no) + sizeof(double) * (size_t) nv;
}

static inline const unsigned char *
lr_unpack(const unsigned char *r, LrPackedRow *pr)
{
	uint16_t	h[4];

	memcpy(h, r, sizeof(h));
	pr->nv = h[0];
	pr->no = h[1];
	pr->y = h[2];
	pr->cols = (const uint16_t *) (r + 8);
	pr->vals = (const double *) (r + 8 + LR_PACK_COLS_BYTES(h[0] + h[1]));
	return (const unsigned char *) (pr->vals + pr->nv);
}

int
lr_packed_check(const void *buf, size_t size, int p, int64_t *nrows)
{
	const unsigned char *r = buf,
			   *end = r + size;
	int64_t		n = 0;

	if (((uintptr_t) buf & 7) != 0 || p < 0 || p > LR_MAX_FEATURES)
		return 0;
	while (r < end)
	{
		uint16_t	h[4];
		size_t		len;
		const uint16_t *cols;
		const double *vals;

		if ((size_t) (end - r) < 8)
			return 0;
		memcpy(h, r, sizeof(h));
		if (h[0] + h[1] > p || h[2] > 1 || h[3] != 0)
			return 0;
		len = 8 + LR_PACK_COLS_BYTES(h[0] + h[1]) + sizeof(double) * h[0];
		if ((size_t) (end - r) < len)
			return 0;
		cols = (const uint16_t *) (r + 8);
		vals = (const double *) (r + 8 + LR_PACK_COLS_BYTES(h[0] + h[1]));
		for (int t = 0; t < h[0] + h[1]; t++)
			if (cols[t] >= p)
				return 0;
		for (int t = 0; t < h[0]; t++)
			if (!isfinite(vals[t]))
				return 0;
		r += len;
		n++;
	}
	*nrows = n;
	return 1;
}

/* ------------------------------------------------------------ the passes */

/*
 * Four doubles, for the slot loops of a pass (GCC/Clang vector extension:
 * one AVX register, or two SSE2 ones).  The arrays they view (zd, gd, Hd, Hx,
 * gcd) are 32-byte aligned and their rows a multiple of 4 doubles long.
 */
typedef double lr_v4 __attribute__((vector_size(32)));

/* What a pass needs of one feature (lr_layout) */
typedef struct LrFeat
{
	int			k;				/* internal column, -1 when dropped */
	int			a;				/* dense slot (> 0), or -1: sparse */
	int			dst;			/* where a pass writes z: the dense slot, or
								 * the scratch lane ndp (sparse, dropped) */
	int			sparse;			/* 1: a kept sparse column */
	int			sid;			/* its number among the sparse columns */
	double		c;				/* center (0 for a sparse column) */
	double		s;				/* 1 / sd */
	double		z1;				/* z of the value 1: (1 - c) * s */
} LrFeat;

typedef struct LrWork
{
	int			p;
	int			q;				/* kept columns + intercept */
	int		   *idx;			/* idx[k - 1] = original feature of column k */
	double	   *mean;			/* per original feature */
	double	   *center;			/* mean, or 0 for sparse columns */
	double	   *inv_sd;
	double	   *pen;			/* per internal column (0 for the intercept) */

	/*
	 * Layout of a pass (lr_layout).  Dense slots: the intercept and the
	 * centred columns, present in (almost) every row; every other column is
	 * sparse, seen only where nonzero.
	 */
	LrFeat	   *feat;			/* per feature */
	int		   *slot;			/* per internal column: dense slot, -1 sparse */
	int		   *dcol;			/* per dense slot: internal column */
	int			nd;				/* dense slots */
	int			ndp;			/* nd rounded up to a multiple of 4 */
	int			ns;				/* sparse columns */
	int		   *scol;			/* per sparse column: internal column */
	double	   *gs;				/* per sparse column: gamma */
	double	   *zdef;			/* per slot: z of a zero feature (slot 0: 1) */
	double	   *gd;				/* per slot: gamma */
	/* a batch of LR_BATCH rows, and the sums of a block of rows */
	double	   *Zb;				/* z of the slots, LR_BATCH rows of ndp + 4
								 * (padding 0, then a scratch lane) */
	double	   *WZ;				/* the same times the row's weight */
	int		   *spb;			/* sparse columns of each row, LR_BATCH x q */
	double	   *spvb;			/* their z */
	double	   *Hd;				/* slot x slot, ndp x ndp (upper part used) */
	double	   *Hx;				/* sparse column x slot, ns x ndp */
	double	   *Hc;				/* sparse x sparse, ns x ns (either triangle) */
	double	   *gcd;			/* gradient per slot */
	double	   *gc;				/* gradient per sparse column */
	LrPoll		poll;			/* the caller's stop callback, by work */
} LrWork;

/* n zeroed doubles, 32-byte aligned (for lr_v4); free() */
static double *
lr_calloc32(size_t n)
{
	void	   *ptr = NULL;

	if (posix_memalign(&ptr, 32, sizeof(double) * (n > 0 ? n : 1)) != 0)
		return NULL;
	memset(ptr, 0, sizeof(double) * (n > 0 ? n : 1));
	return ptr;
}

/* Recompute the layout after the kept columns (w->q, w->idx) changed */
static void
lr_layout(LrWork *w)
{
	int			nd = 1;

	for (int j = 0; j < w->p; j++)
	{
		w->feat[j].k = w->feat[j].a = -1;
		w->feat[j].sparse = w->feat[j].sid = 0;
		w->feat[j].c = w->feat[j].s = w->feat[j].z1 = 0;
	}
	w->slot[0] = 0;
	w->dcol[0] = 0;
	for (int k = 1; k < w->q; k++)
	{
		int			j = w->idx[k - 1];
		LrFeat	   *f = &w->feat[j];

		f->k = k;
		f->c = w->center[j];
		f->s = w->inv_sd[j];
		/* the same operations as for a stored value: (x - center) * inv_sd */
		f->z1 = (1.0 - f->c) * f->s;
		w->slot[k] = -1;
		if (w->center[j] != 0)
		{
			f->a = w->slot[k] = nd;
			w->dcol[nd++] = k;
		}
	}
	w->nd = nd;
	w->ndp = (nd + 3) & ~3;
	w->ns = 0;
	for (int k = 1; k < w->q; k++)
		if (w->slot[k] < 0)
		{
			w->feat[w->idx[k - 1]].sid = w->ns;
			w->scol[w->ns++] = k;
		}
	for (int j = 0; j < w->p; j++)
	{
		LrFeat	   *f = &w->feat[j];

		f->sparse = f->k > 0 && f->a < 0;
		f->dst = f->a > 0 ? f->a : w->ndp;
	}
	w->zdef[0] = 1.0;
	for (int a = 1; a < w->ndp; a++)
	{
		int			j = a < nd ? w->idx[w->dcol[a] - 1] : -1;

		w->zdef[a] = j >= 0 ? (0.0 - w->center[j]) * w->inv_sd[j] : 0.0;
	}
}

/* Add the block sums to g and the upper triangle of H, and clear them */
static void
lr_flush(LrWork *w, double *g, double *H)
{
	int			nd = w->nd,
				ndp = w->ndp,
				q = w->q,
				S = w->ns;

	for (int a = 0; a < nd; a++)
	{
		int			ca = w->dcol[a];

		g[ca] += w->gcd[a];
		for (int b = a; b < nd; b++)
			H[ca * q + w->dcol[b]] += w->Hd[a * ndp + b];
	}
	for (int si = 0; si < S; si++)
	{
		int			k = w->scol[si];

		g[k] += w->gc[si];
		for (int a = 0; a < nd; a++)
		{
			int			c = w->dcol[a];

			if (c < k)
				H[c * q + k] += w->Hx[si * ndp + a];
			else
				H[k * q + c] += w->Hx[si * ndp + a];
		}
		/* scol is increasing: row si of the upper triangle */
		H[k * q + k] += w->Hc[si * S + si];
		for (int s2 = si + 1; s2 < S; s2++)
			H[k * q + w->scol[s2]] += w->Hc[si * S + s2] + w->Hc[s2 * S + si];
	}
	memset(w->gcd, 0, sizeof(double) * ndp);
	memset(w->gc, 0, sizeof(double) * S);
	memset(w->Hd, 0, sizeof(double) * (size_t) ndp * ndp);
	memset(w->Hx, 0, sizeof(double) * (size_t) S * ndp);
	memset(w->Hc, 0, sizeof(double) * (size_t) S * S);
}

/*
 * One pass over the data at gamma: penalised log-likelihood, gradient and
 * Hessian (upper triangle) of the objective, count of extreme probabilities.
 * This is where the time goes.  Per row: the z of the dense slots (defaults
 * for absent features, then the row's stored ones) and of the sparse
 * columns present; then the rank-one update of the block sums, whose slot
 * loops have a fixed multiple-of-4 length and are vectorised, and only the
 * sparse x sparse pairs scattered.  GCC's -O2 leaves those loops scalar, so
 * ask for -O3 here; on x86-64 also build an AVX2+FMA version (x86-64-v3)
 * picked at load time (ifunc), as geo_distance_km does: 4 doubles per
 * instruction instead of 2.  The versions may differ in the last bits (fused
 * multiply-adds), far below the convergence tolerance.
 * Length: one function on purpose.  It is the inner loop of the fit, built
 * once per target (target_clones) with its own optimisation level; the
 * batch's decode, weighting and rank-one update share restrict pointers and
 * loop bounds the compiler vectorises only when it sees them together, and
 * helpers called from here would have to carry the same attributes.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
__attribute__((optimize("O3"), target_clones("arch=x86-64-v3", "default")))
#elif defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("O3")))
#endif
static LrStatus
lr_pass(const LrRows *rows, LrWork *w, const double *gamma, const LrOptions *opt,
		double *obj, double *g, double *H, int64_t *extreme)
{
	const int	q = w->q,
				p = rows->p,
				nd = w->nd,
				nv4 = w->ndp / 4,
				zs = nv4 + 1,	/* row stride of Zb, WZ in vectors: + scratch */
				zsd = 4 * zs;	/* the same in doubles */
	const LrFeat *restrict feat = w->feat;
	double	   *restrict Zb = w->Zb;
	double	   *restrict WZ = w->WZ;
	int		   *restrict spb = w->spb;
	double	   *restrict spvb = w->spvb;
	double	   *restrict Hc = w->Hc;
	double	   *restrict gc = w->gc;
	double	   *restrict gs = w->gs;
	const int	S = w->ns;
	const lr_v4 *Zv = (const lr_v4 *) w->Zb;
	lr_v4	   *Zw = (lr_v4 *) w->Zb;
	lr_v4	   *WZv = (lr_v4 *) w->WZ;
	const lr_v4 *zdv = (const lr_v4 *) w->zdef;
	const lr_v4 *gv = (const lr_v4 *) w->gd;
	lr_v4	   *Hdv = (lr_v4 *) w->Hd;
	lr_v4	   *Hxv = (lr_v4 *) w->Hx;
	lr_v4	   *gcv = (lr_v4 *) w->gcd;
	double		ll = 0,
				llc = 0;
	int64_t		ext = 0,
				inblock = 0,
				i = 0;
	int			c = 0;
	const unsigned char *pk = rows->nchunks > 0 ? rows->chunks[0].packed : NULL;

	(void) opt;					/* polled through w->poll */
	memset(g, 0, sizeof(double) * q);
	memset(H, 0, sizeof(double) * (size_t) q * q);
	for (int a = 0; a < 4 * nv4; a++)
		w->gd[a] = a < nd ? gamma[w->dcol[a]] : 0.0;
	for (int si = 0; si < S; si++)
		gs[si] = gamma[w->scol[si]];
	for (;;)
	{
		int			nb = 0,
					nsb[LR_BATCH],
					yb[LR_BATCH];
		double		etab[LR_BATCH],
					wtb[LR_BATCH],
					rb[LR_BATCH];

		/* decode up to LR_BATCH rows: z of the dense slots, sparse entries */
		while (nb < LR_BATCH)
		{
			double	   *zd = Zb + (size_t) nb * zsd;
			int		   *sp = spb + (size_t) nb * q;
			double	   *spv = spvb + (size_t) nb * q;
			int			ns = 0;

			while (c < rows->nchunks && i >= rows->chunks[c].n)
			{
				c++;
				i = 0;
				pk = c < rows->nchunks ? rows->chunks[c].packed : NULL;
			}
			if (c >= rows->nchunks)
				break;
			for (int b = 0; b < nv4; b++)
				Zw[nb * zs + b] = zdv[b];
			if (pk)
			{
				LrPackedRow row;

				/*
				 * No branch per entry: z goes to the column's slot (a sparse
				 * column's to the scratch lane) and to the end of the sparse
				 * list, which only grows for sparse columns.  A sparse
				 * column's center is 0, so one formula serves both.
				 */
				pk = lr_unpack(pk, &row);
				for (int t = 0; t < row.nv; t++)
				{
					const LrFeat *f = &feat[row.cols[t]];
					double		z = (row.vals[t] - f->c) * f->s;

					zd[f->dst] = z;
					sp[ns] = f->sid;
					spv[ns] = z;
					ns += f->sparse;
				}
				for (int t = row.nv; t < row.nv + row.no; t++)
				{
					const LrFeat *f = &feat[row.cols[t]];

					zd[f->dst] = f->z1;
					sp[ns] = f->sid;
					spv[ns] = f->z1;
					ns += f->sparse;
				}
				yb[nb] = row.y;
			}
			else
			{
				const LrChunk *ch = &rows->chunks[c];
				const double *x = ch->x + i * p;

				for (int j = 0; j < p; j++)
				{
					const LrFeat *f = &feat[j];

					if (f->a > 0)
						zd[f->a] = (x[j] - f->c) * f->s;
					else if (f->k > 0 && x[j] != 0)
					{
						sp[ns] = f->sid;
						spv[ns++] = x[j] * f->s;
					}
				}
				yb[nb] = ch->y[i] ? 1 : 0;
			}
			nsb[nb++] = ns;
			i++;
		}
		if (nb == 0)
			break;

		/* linear predictors, then the probabilities: independent per row */
		for (int r = 0; r < nb; r++)
		{
			lr_v4		ev = Zv[r * zs] * gv[0];
			const int  *sp = spb + (size_t) r * q;
			const double *spv = spvb + (size_t) r * q;
			double		eta;

			for (int b = 1; b < nv4; b++)
				ev += Zv[r * zs + b] * gv[b];
			eta = (ev[0] + ev[1]) + (ev[2] + ev[3]);
			for (int l = 0; l < nsb[r]; l++)
				eta += gs[sp[l]] * spv[l];
			etab[r] = eta;
		}
		for (int r = 0; r < nb; r++)
		{
			double		l1pe,
						pr = sigmoid_log1pexp(etab[r], &l1pe);

			if (pr < LR_SEPARATION_EPS || pr > 1 - LR_SEPARATION_EPS)
				ext++;
			wtb[r] = pr * (1 - pr);
			rb[r] = yb[r] - pr;
			llc += (yb[r] ? etab[r] : 0.0) - l1pe;
		}
		/* rows past nb add zeros */
		for (int r = nb; r < LR_BATCH; r++)
			for (int b = 0; b < nv4; b++)
				WZv[r * zs + b] = Zw[r * zs + b] = zdv[b] - zdv[b];

		/* gradient and dense x dense: Hd += Zb' diag(wt) Zb, by blocks */
		for (int r = 0; r < nb; r++)
			for (int b = 0; b < nv4; b++)
			{
				gcv[b] += rb[r] * Zv[r * zs + b];
				WZv[r * zs + b] = wtb[r] * Zv[r * zs + b];
			}
		for (int a = 0; a < nd; a++)
		{
			lr_v4	   *Hr = Hdv + (size_t) a * nv4;

			for (int b = a >> 2; b < nv4; b++)
			{
				lr_v4		s0 = Hr[b],
							s1 = s0 - s0,
							s2 = s1,
							s3 = s1;

				for (int r = 0; r < LR_BATCH; r += 4)
				{
					s0 += WZ[r * zsd + a] * Zv[r * zs + b];
					s1 += WZ[(r + 1) * zsd + a] * Zv[(r + 1) * zs + b];
					s2 += WZ[(r + 2) * zsd + a] * Zv[(r + 2) * zs + b];
					s3 += WZ[(r + 3) * zsd + a] * Zv[(r + 3) * zs + b];
				}
				Hr[b] = (s0 + s1) + (s2 + s3);
			}
		}
		/* sparse x dense and sparse x sparse */
		for (int r = 0; r < nb; r++)
		{
			const int  *sp = spb + (size_t) r * q;
			const double *spv = spvb + (size_t) r * q;

			for (int l = 0; l < nsb[r]; l++)
			{
				double		ws = wtb[r] * spv[l];
				lr_v4	   *Hr = Hxv + (size_t) sp[l] * nv4;
				double	   *restrict Hs = Hc + (size_t) sp[l] * S;

				gc[sp[l]] += rb[r] * spv[l];
				for (int b = 0; b < nv4; b++)
					Hr[b] += ws * Zv[r * zs + b];
				for (int m = l; m < nsb[r]; m++)
					Hs[sp[m]] += ws * spv[m];
			}
		}

		inblock += nb;
		if (inblock >= LR_STOP_EVERY)
		{
			lr_flush(w, g, H);
			ll += llc;
			llc = 0;
			inblock = 0;
		}
		/* the batch's work: dense x dense block, sparse updates, z */
		{
			double		work = (double) LR_BATCH * nd * (nv4 * 2.0 + 1.0);

			for (int r = 0; r < nb; r++)
				work += (double) nsb[r] * (4.0 * nv4 + nsb[r]);
			if (lr_poll(&w->poll, work))
				return LR_INTERRUPTED;
		}
	}
	lr_flush(w, g, H);
	ll += llc;
	for (int a = 0; a < q; a++)
	{
		g[a] -= w->pen[a] * gamma[a];
		H[a * q + a] += w->pen[a];
		ll -= 0.5 * w->pen[a] * gamma[a] * gamma[a];
		for (int b = 0; b < a; b++)
			H[a * q + b] = H[b * q + a];
	}
	*obj = ll;
	*extreme = ext;
	return LR_OK;
}

/*
 * The state of one fit (lr_fit): the layout of the passes, the Newton
 * iterate and the matrices; lr_fit_free frees it all.
 */
typedef struct LrFit
{
	const LrRows *rows;
	const LrOptions *opt;
	LrWork		w;
	int			p;
	int			q;				/* kept columns + intercept (= w.q) */
	int64_t		n;				/* rows */
	int64_t		npos;			/* rows with label 1 */
	int64_t		extreme;		/* rows whose probability is near 0 or 1 */
	int64_t    *zeros;			/* per feature: nonzeros, then zeros */
	double	   *m2;				/* per feature: centred sum of squares */
	double	   *gamma;			/* coefficients on the internal scale */
	double	   *gamma_old;		/* the last accepted ones */
	double	   *delta;			/* the Newton step */
	double	   *g;				/* gradient */
	double	   *H;				/* Hessian of the objective, q x q */
	double	   *L;				/* its Cholesky factor */
	double	   *cov;			/* H^-1 */
	double	   *work;
	double		obj;			/* penalised log-likelihood at gamma */
	int			iter;
	int			converged;
	int			singular;
} LrFit;

static void
lr_fit_free(LrFit *f)
{
	LrWork	   *w = &f->w;

	free(w->mean);
	free(w->center);
	free(f->zeros);
	free(w->inv_sd);
	free(f->m2);
	free(w->idx);
	free(w->pen);
	free(w->feat);
	free(w->slot);
	free(w->dcol);
	free(w->scol);
	free(w->gs);
	free(w->spb);
	free(w->spvb);
	free(w->gc);
	free(w->Hc);
	free(w->zdef);
	free(w->gd);
	free(w->Zb);
	free(w->WZ);
	free(w->gcd);
	free(w->Hd);
	free(w->Hx);
	free(f->gamma);
	free(f->gamma_old);
	free(f->delta);
	free(f->g);
	free(f->H);
	free(f->L);
	free(f->cov);
	free(f->work);
}

/*
 * Pass 0: rows, positives, finiteness, column sums (w.mean) and the
 * nonzeros of each column (zeros[j]; lr_fit turns them into zeros).
 */
static LrStatus
lr_count_pass(LrFit *f)
{
	const LrRows *rows = f->rows;
	LrWork	   *w = &f->w;
	int			p = f->p;

	for (int c = 0; c < rows->nchunks; c++)
	{
		const LrChunk *ch = &rows->chunks[c];
		const unsigned char *pk = ch->packed;

		for (int64_t i = 0; i < ch->n; i++)
		{
			if (lr_poll(&w->poll, p + 8.0))
				return LR_INTERRUPTED;
			if (pk)
			{
				LrPackedRow row;

				pk = lr_unpack(pk, &row);
				for (int t = 0; t < row.nv + row.no; t++)
				{
					double		v = t < row.nv ? row.vals[t] : 1.0;

					if (!isfinite(v))
						return LR_NOT_FINITE;
					w->mean[row.cols[t]] += v;
					f->zeros[row.cols[t]]++;
				}
				f->npos += row.y;
				continue;
			}
			for (int j = 0; j < p; j++)
			{
				double		v = ch->x[i * p + j];

				if (!isfinite(v))
					return LR_NOT_FINITE;
				w->mean[j] += v;
				f->zeros[j] += v != 0;
			}
			f->npos += ch->y[i] ? 1 : 0;
		}
		f->n += ch->n;
		if (lr_poll(&w->poll, LR_POLL_WORK))
			return LR_INTERRUPTED;
	}
	return LR_OK;
}

/* Pass 1: centred sums of squares (m2), over the nonzeros, then the zeros */
static LrStatus
lr_spread_pass(LrFit *f)
{
	const LrRows *rows = f->rows;
	LrWork	   *w = &f->w;
	int			p = f->p;

	for (int c = 0; c < rows->nchunks; c++)
	{
		const LrChunk *ch = &rows->chunks[c];
		const unsigned char *pk = ch->packed;

		for (int64_t i = 0; i < ch->n; i++)
		{
			if (lr_poll(&w->poll, p + 8.0))
				return LR_INTERRUPTED;
			if (pk)
			{
				LrPackedRow row;

				pk = lr_unpack(pk, &row);
				for (int t = 0; t < row.nv + row.no; t++)
				{
					int			j = row.cols[t];
					double		dv = (t < row.nv ? row.vals[t] : 1.0) - w->mean[j];

					f->m2[j] += dv * dv;
				}
				continue;
			}
			for (int j = 0; j < p; j++)
			{
				double		v = ch->x[i * p + j];

				if (v != 0)
					f->m2[j] += (v - w->mean[j]) * (v - w->mean[j]);
			}
		}
		if (lr_poll(&w->poll, LR_POLL_WORK))
			return LR_INTERRUPTED;
	}
	for (int j = 0; j < p; j++)
		f->m2[j] += (double) f->zeros[j] * w->mean[j] * w->mean[j];
	return LR_OK;
}

/*
 * The columns the fit keeps (w.idx, counted in q with the intercept), their
 * scale (w.inv_sd) and penalty (w.pen).
 */
static void
lr_scale_columns(LrFit *f)
{
	LrWork	   *w = &f->w;
	double		l2 = f->opt->l2;
	int			q = 1;

	for (int j = 0; j < f->p; j++)
	{
		double		sd = sqrt(f->m2[j] / (double) f->n);

		/*
		 * constant (up to rounding of the mean): collinear with the
		 * intercept.  So is a column that varies only in the denormal range:
		 * 1 / sd or its penalty l2 / sd^2 would be infinite, and a zero
		 * times Infinity NaN.
		 */
		if (sd > 1e-13 * fabs(w->mean[j]) && sd > 0 && isfinite(1.0 / sd) &&
			isfinite(l2 / (sd * sd)))
		{
			w->inv_sd[j] = 1.0 / sd;
			w->pen[q] = l2 / (sd * sd); /* l2 * beta^2 = l2 * gamma^2 / sd^2 */
			w->idx[q - 1] = j;
			q++;
		}
	}
	f->q = q;
}

/* The vectors and matrices of the Newton iterations, for q columns */
static LrStatus
lr_fit_alloc(LrFit *f)
{
	LrWork	   *w = &f->w;
	size_t		qq = (size_t) f->q,
				qp = (size_t) ((f->q + 3) & ~3);

	f->gamma = calloc(qq, sizeof(double));
	f->gamma_old = calloc(qq, sizeof(double));
	f->delta = calloc(qq, sizeof(double));
	f->g = calloc(qq, sizeof(double));
	f->H = calloc(qq * qq, sizeof(double));
	f->L = calloc(qq * qq, sizeof(double));
	w->slot = calloc(qq, sizeof(int));
	w->dcol = calloc(qq, sizeof(int));
	w->scol = calloc(qq, sizeof(int));
	w->gs = calloc(qq, sizeof(double));
	w->spb = calloc(qq * LR_BATCH, sizeof(int));
	w->spvb = calloc(qq * LR_BATCH, sizeof(double));
	w->gc = calloc(qq, sizeof(double));
	w->Hc = calloc(qq * qq, sizeof(double));
	w->zdef = lr_calloc32(qp);
	w->gd = lr_calloc32(qp);
	w->Zb = lr_calloc32((qp + 4) * LR_BATCH);
	w->WZ = lr_calloc32((qp + 4) * LR_BATCH);
	w->gcd = lr_calloc32(qp);
	w->Hd = lr_calloc32(qp * qp);
	w->Hx = lr_calloc32(qq * qp);
	if (!f->gamma || !f->gamma_old || !f->delta || !f->g || !f->H || !f->L || !w->slot ||
		!w->dcol || !w->scol || !w->gs || !w->spb || !w->spvb || !w->gc || !w->Hc ||
		!w->zdef || !w->gd || !w->Zb || !w->WZ || !w->gcd || !w->Hd || !w->Hx)
		return LR_NO_MEMORY;
	return LR_OK;
}

/*
 * Exact collinearity, on the start Hessian w * Z'Z: sequential Cholesky in
 * column order, dropping columns whose residual is below the tolerance.
 * Kept columns are compacted in place (H, g, gamma, w.pen, w.idx) and the
 * layout of the passes recomputed.
 */
static LrStatus
lr_drop_collinear(LrFit *f)
{
	int			q = f->q,
				nk = 1;
	double	   *H = f->H,
			   *L = f->L;
	int		   *keep = calloc(q, sizeof(int));

	if (!keep)
		return LR_NO_MEMORY;
	keep[0] = 0;
	memset(L, 0, sizeof(double) * (size_t) q * q);
	L[0] = sqrt(H[0]);
	for (int k = 1; k < q; k++)
	{
		double		d = H[k * q + k];

		if (lr_poll(&f->w.poll, 0.5 * (double) nk * nk))
		{
			free(keep);
			return LR_INTERRUPTED;
		}
		/* row k of L against the kept columns keep[0..nk-1] */
		for (int a = 0; a < nk; a++)
		{
			int			l = keep[a];
			double		s = H[l * q + k];

			for (int b = 0; b < a; b++)
				s -= L[k * q + keep[b]] * L[l * q + keep[b]];
			L[k * q + l] = s / L[l * q + l];
			d -= L[k * q + l] * L[k * q + l];
		}
		if (d > LR_COLLINEAR_TOL * H[k * q + k])
		{
			L[k * q + k] = sqrt(d);
			keep[nk++] = k;
		}
	}
	if (nk < q)
	{
		double	   *H2 = L;		/* reuse as scratch */

		for (int a = 0; a < nk; a++)
			for (int b = 0; b < nk; b++)
				H2[a * nk + b] = H[keep[a] * q + keep[b]];
		memcpy(H, H2, sizeof(double) * (size_t) nk * nk);
		for (int a = 0; a < nk; a++)
		{
			f->g[a] = f->g[keep[a]];
			f->w.pen[a] = f->w.pen[keep[a]];
			f->gamma[a] = f->gamma[keep[a]];
			if (a > 0)
				f->w.idx[a - 1] = f->w.idx[keep[a] - 1];
		}
		f->q = f->w.q = nk;
		lr_layout(&f->w);
	}
	free(keep);
	return LR_OK;
}

/*
 * Back to the last accepted point, whose Hessian (recomputed there) must
 * factor: LR_OK, or LR_SINGULAR when even it does not (when
 * singular_is_error), or LR_INTERRUPTED.
 */
static LrStatus
lr_step_back(LrFit *f, int singular_is_error)
{
	LrStatus	st;
	int			cr;

	memcpy(f->gamma, f->gamma_old, sizeof(double) * f->q);
	st = lr_pass(f->rows, &f->w, f->gamma, f->opt, &f->obj, f->g, f->H, &f->extreme);
	if (st != LR_OK)
		return st;
	cr = chol(f->H, f->L, f->q, &f->w.poll);
	if (cr < 0)
		return LR_INTERRUPTED;
	if (cr == 0)
	{
		if (singular_is_error)
			return LR_SINGULAR;
		f->singular = 1;
	}
	return LR_OK;
}

/*
 * Newton's method from the start point in gamma: on return gamma is the
 * last point, H its Hessian and L the Cholesky factor of H (see the head
 * comment for the stopping rule and the step halving).
 */
static LrStatus
lr_newton(LrFit *f)
{
	int			max_iter = f->opt->max_iter > 0 ? f->opt->max_iter : LR_DEFAULT_MAX_ITER,
				halvings = 0;
	double		obj_old = -HUGE_VAL;
	LrStatus	st;

	for (;;)
	{
		double		lambda2;
		int			cr,
					q;

		st = lr_pass(f->rows, &f->w, f->gamma, f->opt, &f->obj, f->g, f->H, &f->extreme);
		if (st != LR_OK)
			return st;

		if (f->iter > 0 && f->obj < obj_old - 1e-13 * fabs(obj_old))
		{
			/* the step went too far: halve it */
			if (halvings < 40)
			{
				halvings++;
				for (int k = 0; k < f->q; k++)
				{
					f->delta[k] *= 0.5;
					f->gamma[k] = f->gamma_old[k] + f->delta[k];
				}
				continue;
			}
			/* no progress possible: back to the last good point */
			return lr_step_back(f, 0);
		}

		if (f->iter == 0 && f->opt->l2 == 0 && f->q > 1)
		{
			st = lr_drop_collinear(f);
			if (st != LR_OK)
				return st;
		}
		q = f->q;

		cr = chol(f->H, f->L, q, &f->w.poll);
		if (cr < 0)
			return LR_INTERRUPTED;
		if (cr == 0)
		{
			/* Hessian lost definiteness: weights underflowed (separation) */
			f->singular = 1;
			if (f->iter == 0)
				return LR_SINGULAR;
			return lr_step_back(f, 1);
		}
		memcpy(f->delta, f->g, sizeof(double) * q);
		chol_solve(f->L, q, f->delta);
		lambda2 = 0;
		for (int k = 0; k < q; k++)
			lambda2 += f->g[k] * f->delta[k];
		if (lambda2 <= 1e-20 * (1 + fabs(f->obj)) ||
			(f->iter > 0 && fabs(f->obj - obj_old) <= 4 * DBL_EPSILON * fabs(f->obj) &&
			 lambda2 <= 1e-12 * (1 + fabs(f->obj))))
		{
			f->converged = 1;
			return LR_OK;
		}
		if (f->iter >= max_iter)
			return LR_OK;
		memcpy(f->gamma_old, f->gamma, sizeof(double) * q);
		obj_old = f->obj;
		for (int k = 0; k < q; k++)
			f->gamma[k] += f->delta[k];
		f->iter++;
		halvings = 0;
	}
}

/* The covariance of gamma, H^-1 (cov), column by column from L */
static LrStatus
lr_covariance(LrFit *f)
{
	int			q = f->q;

	f->cov = calloc((size_t) q * q, sizeof(double));
	f->work = calloc((size_t) q * q + 4 * (size_t) q, sizeof(double));
	if (!f->cov || !f->work)
		return LR_NO_MEMORY;
	for (int k = 0; k < q; k++)
	{
		double	   *col = f->work;

		if (lr_poll(&f->w.poll, (double) q * q))
			return LR_INTERRUPTED;
		memset(col, 0, sizeof(double) * q);
		col[k] = 1;
		chol_solve(f->L, q, col);
		for (int a = 0; a < q; a++)
			f->cov[a * q + k] = col[a];
	}
	return LR_OK;
}

/*
 * The model on the caller's scale: coefficients and standard errors (NaN
 * for dropped columns), the intercept's variance u' cov u, and the
 * unpenalised log-likelihood.
 */
static void
lr_unscale(const LrFit *f, LrModel *out)
{
	const LrWork *w = &f->w;
	const double *gamma = f->gamma,
			   *cov = f->cov;
	int			q = f->q;
	double		b0 = gamma[0],
				v0 = cov[0],
				pen = 0;

	out->p = f->p;
	out->rows = f->n;
	out->positives = f->npos;
	out->l2 = f->opt->l2;
	out->iterations = f->iter;
	out->converged = f->converged && !f->singular;
	out->separation = f->singular || f->extreme > 0;
	for (int j = 0; j <= f->p; j++)
		out->coef[j] = out->std_err[j] = NAN;
	for (int k = 1; k < q; k++)
	{
		int			j = w->idx[k - 1];
		double		s = w->inv_sd[j];

		out->coef[j + 1] = gamma[k] * s;
		out->std_err[j + 1] = sqrt(cov[k * q + k]) * s;
		b0 -= gamma[k] * s * w->center[j];
	}
	/* var(b0) = u' cov u with u = (1, -mean_k / sd_k) */
	for (int a = 0; a < q; a++)
	{
		double		ua = a == 0 ? 1.0 : -w->center[w->idx[a - 1]] * w->inv_sd[w->idx[a - 1]];

		for (int b = 0; b < q; b++)
		{
			double		ub = b == 0 ? 1.0 : -w->center[w->idx[b - 1]] * w->inv_sd[w->idx[b - 1]];

			if (a == 0 && b == 0)
				continue;
			v0 += ua * ub * cov[a * q + b];
		}
	}
	out->coef[0] = b0;
	out->std_err[0] = sqrt(fmax(v0, 0.0));
	/* unpenalised log-likelihood */
	for (int k = 1; k < q; k++)
		pen += 0.5 * w->pen[k] * gamma[k] * gamma[k];
	out->log_likelihood = f->obj + pen;
}

/*
 * Condition number of the Hessian in the caller's scale:
 * H_beta = A' H_gamma A, A = d gamma / d beta = [[1, mean'], [0, diag(sd)]].
 * Overwrites cov.
 */
static LrStatus
lr_condition_number(LrFit *f, LrModel *out)
{
	const LrWork *w = &f->w;
	const double *H = f->H;
	double	   *M = f->cov;		/* reuse: cov no longer needed */
	double		vmin = 0,
				vmax = 0;
	int			q = f->q;

	for (int a = 0; a < q; a++)
		for (int b = 0; b < q; b++)
		{
			double		hab = H[a * q + b];

			if (b > 0)
			{
				int			jb = w->idx[b - 1];

				hab = H[a * q] * w->center[jb] + H[a * q + b] / w->inv_sd[jb];
			}
			M[a * q + b] = hab;
		}
	/* rows: (A' M)_0 = M_0, (A' M)_k = mean_k M_0 + sd_k M_k */
	for (int a = q - 1; a >= 1; a--)
	{
		int			ja = w->idx[a - 1];

		for (int b = 0; b < q; b++)
			M[a * q + b] = w->center[ja] * M[b] + M[a * q + b] / w->inv_sd[ja];
	}
	extreme_eigenvalues(M, q, &vmin, &vmax, f->work, &f->w.poll);
	if (f->w.poll.stopped)
		return LR_INTERRUPTED;
	out->condition_number = vmin > 0 && isfinite(vmax / vmin) ? vmax / vmin : NAN;
	return LR_OK;
}

/*
 * The fit: two passes for the counts and the scale of the columns, then
 * Newton's method on the internal scale, then the results on the caller's.
 */
static LrStatus
lr_fit_run(LrFit *f, LrModel *out)
{
	LrWork	   *w = &f->w;
	size_t		pp = (size_t) (f->p > 0 ? f->p : 1);
	LrStatus	st;

	w->p = f->p;
	w->mean = calloc(pp, sizeof(double));
	w->center = calloc(pp, sizeof(double));
	f->zeros = calloc(pp, sizeof(int64_t));
	w->inv_sd = calloc(pp, sizeof(double));
	f->m2 = calloc(pp, sizeof(double));
	w->idx = calloc(pp, sizeof(int));
	w->pen = calloc(pp + 1, sizeof(double));
	w->feat = calloc(pp, sizeof(LrFeat));
	if (!w->mean || !w->center || !f->zeros || !w->inv_sd || !f->m2 || !w->idx || !w->pen || !w->feat)
		return LR_NO_MEMORY;
	if ((st = lr_count_pass(f)) != LR_OK)
		return st;
	if (f->n == 0)
		return LR_EMPTY;
	if (f->npos == 0 || f->npos == f->n)
		return LR_ONE_CLASS;
	if (f->opt->l2 == 0 && f->n <= f->p)
		return LR_TOO_FEW_ROWS;
	for (int j = 0; j < f->p; j++)
	{
		f->zeros[j] = f->n - f->zeros[j];
		w->mean[j] /= (double) f->n;
		/* mostly-zero columns stay uncentred so that zeros can be skipped */
		w->center[j] = 2 * f->zeros[j] >= f->n ? 0.0 : w->mean[j];
	}
	if ((st = lr_spread_pass(f)) != LR_OK)
		return st;
	lr_scale_columns(f);
	if ((st = lr_fit_alloc(f)) != LR_OK)
		return st;
	w->q = f->q;
	lr_layout(w);
	f->gamma[0] = log((double) f->npos / (double) (f->n - f->npos));
	if ((st = lr_newton(f)) != LR_OK ||
		(st = lr_covariance(f)) != LR_OK)
		return st;
	lr_unscale(f, out);
	return lr_condition_number(f, out);
}

LrStatus
lr_fit(const LrRows *rows, const LrOptions *opt, LrModel *out)
{
	LrFit		f;
	LrStatus	st;

	if (rows->p < 0 || rows->p > LR_MAX_FEATURES)
		return LR_TOO_MANY_FEATURES;
	if (!(opt->l2 >= 0) || !isfinite(opt->l2))
		return LR_BAD_L2;
	memset(&f, 0, sizeof(f));
	f.rows = rows;
	f.opt = opt;
	f.p = rows->p;
	f.w.poll.opt = opt;
	st = lr_fit_run(&f, out);
	lr_fit_free(&f);
	return st;
}
