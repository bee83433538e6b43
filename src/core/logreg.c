/*
 * logreg.c — lead scoring math, plain C.  See logreg.h.
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

LrStatus
lr_fit(const LrRows *rows, const LrOptions *opt, LrModel *out)
{
	int			p = rows->p;
	int			q,
				max_iter = opt->max_iter > 0 ? opt->max_iter : LR_DEFAULT_MAX_ITER;
	int64_t		n = 0,
				npos = 0,
				extreme = 0;
	LrStatus	st = LR_OK;
	LrWork		w;
	double	   *gamma = NULL,
			   *gamma_old = NULL,
			   *delta = NULL,
			   *g = NULL,
			   *H = NULL,
			   *L = NULL,
			   *cov = NULL,
			   *work = NULL,
			   *m2 = NULL;
	int64_t    *zeros = NULL;
	double		obj = 0,
				obj_old = -HUGE_VAL,
				ll_pen = 0;
	int			iter = 0,
				halvings = 0,
				converged = 0,
				singular = 0;
	size_t		pp = (size_t) (p > 0 ? p : 1);

	memset(&w, 0, sizeof(w));
	w.poll.opt = opt;
	if (p < 0 || p > LR_MAX_FEATURES)
		return LR_TOO_MANY_FEATURES;
	if (!(opt->l2 >= 0) || !isfinite(opt->l2))
		return LR_BAD_L2;

	/* pass 0: counts, finiteness, column sums, zeros */
	w.p = p;
	w.mean = calloc(pp, sizeof(double));
	w.center = calloc(pp, sizeof(double));
	zeros = calloc(pp, sizeof(int64_t));
	w.inv_sd = calloc(pp, sizeof(double));
	m2 = calloc(pp, sizeof(double));
	w.idx = calloc(pp, sizeof(int));
	w.pen = calloc(pp + 1, sizeof(double));
	w.feat = calloc(pp, sizeof(LrFeat));
	if (!w.mean || !w.center || !zeros || !w.inv_sd || !m2 || !w.idx || !w.pen || !w.feat)
	{
		st = LR_NO_MEMORY;
		goto done;
	}
	/* zeros[j] counts the nonzeros first */
	for (int c = 0; c < rows->nchunks; c++)
	{
		const LrChunk *ch = &rows->chunks[c];
		const unsigned char *pk = ch->packed;

		for (int64_t i = 0; i < ch->n; i++)
		{
			if (lr_poll(&w.poll, p + 8.0))
			{
				st = LR_INTERRUPTED;
				goto done;
			}
			if (pk)
			{
				LrPackedRow row;

				pk = lr_unpack(pk, &row);
				for (int t = 0; t < row.nv + row.no; t++)
				{
					double		v = t < row.nv ? row.vals[t] : 1.0;

					if (!isfinite(v))
					{
						st = LR_NOT_FINITE;
						goto done;
					}
					w.mean[row.cols[t]] += v;
					zeros[row.cols[t]]++;
				}
				npos += row.y;
				continue;
			}
			for (int j = 0; j < p; j++)
			{
				double		v = ch->x[i * p + j];

				if (!isfinite(v))
				{
					st = LR_NOT_FINITE;
					goto done;
				}
				w.mean[j] += v;
				zeros[j] += v != 0;
			}
			npos += ch->y[i] ? 1 : 0;
		}
		n += ch->n;
		if (lr_poll(&w.poll, LR_POLL_WORK))
		{
			st = LR_INTERRUPTED;
			goto done;
		}
	}
	if (n == 0)
	{
		st = LR_EMPTY;
		goto done;
	}
	if (npos == 0 || npos == n)
	{
		st = LR_ONE_CLASS;
		goto done;
	}
	if (opt->l2 == 0 && n <= p)
	{
		st = LR_TOO_FEW_ROWS;
		goto done;
	}
	for (int j = 0; j < p; j++)
	{
		zeros[j] = n - zeros[j];
		w.mean[j] /= (double) n;
		/* mostly-zero columns stay uncentred so that zeros can be skipped */
		w.center[j] = 2 * zeros[j] >= n ? 0.0 : w.mean[j];
	}
	/* pass 1: centred sums of squares, over the nonzeros, then the zeros */
	for (int c = 0; c < rows->nchunks; c++)
	{
		const LrChunk *ch = &rows->chunks[c];
		const unsigned char *pk = ch->packed;

		for (int64_t i = 0; i < ch->n; i++)
		{
			if (lr_poll(&w.poll, p + 8.0))
			{
				st = LR_INTERRUPTED;
				goto done;
			}
			if (pk)
			{
				LrPackedRow row;

				pk = lr_unpack(pk, &row);
				for (int t = 0; t < row.nv + row.no; t++)
				{
					int			j = row.cols[t];
					double		dv = (t < row.nv ? row.vals[t] : 1.0) - w.mean[j];

					m2[j] += dv * dv;
				}
				continue;
			}
			for (int j = 0; j < p; j++)
			{
				double		v = ch->x[i * p + j];

				if (v != 0)
					m2[j] += (v - w.mean[j]) * (v - w.mean[j]);
			}
		}
		if (lr_poll(&w.poll, LR_POLL_WORK))
		{
			st = LR_INTERRUPTED;
			goto done;
		}
	}
	for (int j = 0; j < p; j++)
		m2[j] += (double) zeros[j] * w.mean[j] * w.mean[j];
	q = 1;
	for (int j = 0; j < p; j++)
	{
		double		sd = sqrt(m2[j] / (double) n);

		/*
		 * constant (up to rounding of the mean): collinear with the
		 * intercept.  So is a column that varies only in the denormal range:
		 * 1 / sd or its penalty l2 / sd^2 would be infinite, and a zero
		 * times Infinity NaN.
		 */
		if (sd > 1e-13 * fabs(w.mean[j]) && sd > 0 && isfinite(1.0 / sd) &&
			isfinite(opt->l2 / (sd * sd)))
		{
			w.inv_sd[j] = 1.0 / sd;
			w.pen[q] = opt->l2 / (sd * sd);	/* l2 * beta^2 = l2 * gamma^2 / sd^2 */
			w.idx[q - 1] = j;
			q++;
		}
	}

	{
		size_t		qq = (size_t) q,
					qp = (size_t) ((q + 3) & ~3);

		gamma = calloc(qq, sizeof(double));
		gamma_old = calloc(qq, sizeof(double));
		delta = calloc(qq, sizeof(double));
		g = calloc(qq, sizeof(double));
		H = calloc(qq * qq, sizeof(double));
		L = calloc(qq * qq, sizeof(double));
		w.slot = calloc(qq, sizeof(int));
		w.dcol = calloc(qq, sizeof(int));
		w.scol = calloc(qq, sizeof(int));
		w.gs = calloc(qq, sizeof(double));
		w.spb = calloc(qq * LR_BATCH, sizeof(int));
		w.spvb = calloc(qq * LR_BATCH, sizeof(double));
		w.gc = calloc(qq, sizeof(double));
		w.Hc = calloc(qq * qq, sizeof(double));
		w.zdef = lr_calloc32(qp);
		w.gd = lr_calloc32(qp);
		w.Zb = lr_calloc32((qp + 4) * LR_BATCH);
		w.WZ = lr_calloc32((qp + 4) * LR_BATCH);
		w.gcd = lr_calloc32(qp);
		w.Hd = lr_calloc32(qp * qp);
		w.Hx = lr_calloc32(qq * qp);
	}
	if (!gamma || !gamma_old || !delta || !g || !H || !L || !w.slot || !w.dcol || !w.scol || !w.gs ||
		!w.spb || !w.spvb || !w.gc || !w.Hc || !w.zdef || !w.gd || !w.Zb || !w.WZ || !w.gcd ||
		!w.Hd || !w.Hx)
	{
		st = LR_NO_MEMORY;
		goto done;
	}
	w.q = q;
	lr_layout(&w);
	gamma[0] = log((double) npos / (double) (n - npos));

	for (;;)
	{
		double		lambda2;
		int			cr;

		st = lr_pass(rows, &w, gamma, opt, &obj, g, H, &extreme);
		if (st != LR_OK)
			goto done;

		if (iter > 0 && obj < obj_old - 1e-13 * fabs(obj_old))
		{
			/* the step went too far: halve it */
			if (halvings < 40)
			{
				halvings++;
				for (int k = 0; k < q; k++)
				{
					delta[k] *= 0.5;
					gamma[k] = gamma_old[k] + delta[k];
				}
				continue;
			}
			/* no progress possible: back to the last good point */
			memcpy(gamma, gamma_old, sizeof(double) * q);
			st = lr_pass(rows, &w, gamma, opt, &obj, g, H, &extreme);
			if (st != LR_OK)
				goto done;
			cr = chol(H, L, q, &w.poll);
			if (cr < 0)
			{
				st = LR_INTERRUPTED;
				goto done;
			}
			if (cr == 0)
				singular = 1;
			break;
		}

		if (iter == 0 && opt->l2 == 0 && q > 1)
		{
			/*
			 * Exact collinearity, on the start Hessian w * Z'Z: sequential
			 * Cholesky in column order, dropping columns whose residual is
			 * below the tolerance.  Kept columns are compacted in place.
			 */
			int			nk = 1;
			int		   *keep = calloc(q, sizeof(int));

			if (!keep)
			{
				st = LR_NO_MEMORY;
				goto done;
			}
			keep[0] = 0;
			memset(L, 0, sizeof(double) * (size_t) q * q);
			L[0] = sqrt(H[0]);
			for (int k = 1; k < q; k++)
			{
				double		d = H[k * q + k];

				if (lr_poll(&w.poll, 0.5 * (double) nk * nk))
				{
					free(keep);
					st = LR_INTERRUPTED;
					goto done;
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
					g[a] = g[keep[a]];
					w.pen[a] = w.pen[keep[a]];
					gamma[a] = gamma[keep[a]];
					if (a > 0)
						w.idx[a - 1] = w.idx[keep[a] - 1];
				}
				q = nk;
				w.q = q;
				lr_layout(&w);
			}
			free(keep);
		}

		cr = chol(H, L, q, &w.poll);
		if (cr < 0)
		{
			st = LR_INTERRUPTED;
			goto done;
		}
		if (cr == 0)
		{
			/* Hessian lost definiteness: weights underflowed (separation) */
			singular = 1;
			if (iter == 0)
			{
				st = LR_SINGULAR;
				goto done;
			}
			memcpy(gamma, gamma_old, sizeof(double) * q);
			st = lr_pass(rows, &w, gamma, opt, &obj, g, H, &extreme);
			if (st != LR_OK)
				goto done;
			cr = chol(H, L, q, &w.poll);
			if (cr <= 0)
			{
				st = cr < 0 ? LR_INTERRUPTED : LR_SINGULAR;
				goto done;
			}
			break;
		}
		memcpy(delta, g, sizeof(double) * q);
		chol_solve(L, q, delta);
		lambda2 = 0;
		for (int k = 0; k < q; k++)
			lambda2 += g[k] * delta[k];
		if (lambda2 <= 1e-20 * (1 + fabs(obj)) ||
			(iter > 0 && fabs(obj - obj_old) <= 4 * DBL_EPSILON * fabs(obj) &&
			 lambda2 <= 1e-12 * (1 + fabs(obj))))
		{
			converged = 1;
			break;
		}
		if (iter >= max_iter)
			break;
		memcpy(gamma_old, gamma, sizeof(double) * q);
		obj_old = obj;
		for (int k = 0; k < q; k++)
			gamma[k] += delta[k];
		iter++;
		halvings = 0;
	}
	ll_pen = obj;

	/* covariance of gamma = H^-1, column by column */
	cov = calloc((size_t) q * q, sizeof(double));
	work = calloc((size_t) q * q + 4 * (size_t) q, sizeof(double));
	if (!cov || !work)
	{
		st = LR_NO_MEMORY;
		goto done;
	}
	for (int k = 0; k < q; k++)
	{
		double	   *col = work;

		if (lr_poll(&w.poll, (double) q * q))
		{
			st = LR_INTERRUPTED;
			goto done;
		}
		memset(col, 0, sizeof(double) * q);
		col[k] = 1;
		chol_solve(L, q, col);
		for (int a = 0; a < q; a++)
			cov[a * q + k] = col[a];
	}

	/* back to the caller's scale */
	out->p = p;
	out->rows = n;
	out->positives = npos;
	out->l2 = opt->l2;
	out->iterations = iter;
	out->converged = converged && !singular;
	out->separation = singular || extreme > 0;
	for (int j = 0; j <= p; j++)
		out->coef[j] = out->std_err[j] = NAN;
	{
		double		b0 = gamma[0],
					v0 = cov[0];

		for (int k = 1; k < q; k++)
		{
			int			j = w.idx[k - 1];
			double		s = w.inv_sd[j];

			out->coef[j + 1] = gamma[k] * s;
			out->std_err[j + 1] = sqrt(cov[k * q + k]) * s;
			b0 -= gamma[k] * s * w.center[j];
		}
		/* var(b0) = u' cov u with u = (1, -mean_k / sd_k) */
		for (int a = 0; a < q; a++)
		{
			double		ua = a == 0 ? 1.0 : -w.center[w.idx[a - 1]] * w.inv_sd[w.idx[a - 1]];

			for (int b = 0; b < q; b++)
			{
				double		ub = b == 0 ? 1.0 : -w.center[w.idx[b - 1]] * w.inv_sd[w.idx[b - 1]];

				if (a == 0 && b == 0)
					continue;
				v0 += ua * ub * cov[a * q + b];
			}
		}
		out->coef[0] = b0;
		out->std_err[0] = sqrt(fmax(v0, 0.0));
	}
	/* unpenalised log-likelihood */
	{
		double		pen = 0;

		for (int k = 1; k < q; k++)
			pen += 0.5 * w.pen[k] * gamma[k] * gamma[k];
		out->log_likelihood = ll_pen + pen;
	}

	/*
	 * Condition number of the Hessian in the caller's scale:
	 * H_beta = A' H_gamma A, A = d gamma / d beta = [[1, mean'], [0, diag(sd)]].
	 */
	{
		double	   *M = cov;	/* reuse: cov no longer needed */
		double		vmin = 0,
					vmax = 0;

		for (int a = 0; a < q; a++)
			for (int b = 0; b < q; b++)
			{
				double		hab = H[a * q + b];

				if (b > 0)
				{
					int			jb = w.idx[b - 1];

					hab = H[a * q] * w.center[jb] + H[a * q + b] / w.inv_sd[jb];
				}
				M[a * q + b] = hab;
			}
		/* rows: (A' M)_0 = M_0, (A' M)_k = mean_k M_0 + sd_k M_k */
		for (int a = q - 1; a >= 1; a--)
		{
			int			ja = w.idx[a - 1];

			for (int b = 0; b < q; b++)
				M[a * q + b] = w.center[ja] * M[b] + M[a * q + b] / w.inv_sd[ja];
		}
		extreme_eigenvalues(M, q, &vmin, &vmax, work, &w.poll);
		if (w.poll.stopped)
		{
			st = LR_INTERRUPTED;
			goto done;
		}
		out->condition_number = vmin > 0 && isfinite(vmax / vmin) ? vmax / vmin : NAN;
	}

done:
	free(w.mean);
	free(w.center);
	free(zeros);
	free(w.inv_sd);
	free(m2);
	free(w.idx);
	free(w.pen);
	free(w.feat);
	free(w.slot);
	free(w.dcol);
	free(w.scol);
	free(w.gs);
	free(w.spb);
	free(w.spvb);
	free(w.gc);
	free(w.Hc);
	free(w.zdef);
	free(w.gd);
	free(w.Zb);
	free(w.WZ);
	free(w.gcd);
	free(w.Hd);
	free(w.Hx);
	free(gamma);
	free(gamma_old);
	free(delta);
	free(g);
	free(H);
	free(L);
	free(cov);
	free(work);
	return st;
}

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

/* ------------------------------------------------------------------ AUC */


/*
 * Sort doubles (no NaN) ascending, in place: introsort (quicksort with a
 * median-of-three pivot, heapsort past 2 log2 n levels, insertion sort for
 * short ranges), polling should_stop after about LR_SORT_POLL elements of
 * partitioning.  qsort could not be interrupted: 134 million scores (1 GB)
 * took it about 15 s.  Returns 1 when stopped (the array is then a
 * permutation of the input), else 0.
 */
#define LR_SORT_POLL 1048576

static inline void
swap_d(double *a, int64_t i, int64_t j)
{
	double		t = a[i];

	a[i] = a[j];
	a[j] = t;
}

static void
sift_down(double *a, int64_t root, int64_t n)
{
	for (;;)
	{
		int64_t		c = 2 * root + 1;

		if (c >= n)
			return;
		if (c + 1 < n && a[c + 1] > a[c])
			c++;
		if (!(a[c] > a[root]))
			return;
		swap_d(a, root, c);
		root = c;
	}
}

/* heapsort of a[0..n-1]; 1 when stopped */
static int
heap_sort(double *a, int64_t n, int (*should_stop) (void *), void *arg)
{
	for (int64_t i = n / 2 - 1; i >= 0; i--)
		sift_down(a, i, n);
	for (int64_t e = n - 1; e > 0; e--)
	{
		if ((e & (LR_SORT_POLL / 16 - 1)) == 0 && should_stop && should_stop(arg))
			return 1;
		swap_d(a, 0, e);
		sift_down(a, 0, e);
	}
	return 0;
}

int
lr_sort_doubles(double *a, int64_t n, int (*should_stop) (void *), void *arg)
{
	struct
	{
		int64_t		lo,
					hi;
		int			depth;
	}			stack[128];
	int			sp = 0,
				depth = 0;
	int64_t		work = 0;

	for (int64_t m = n; m > 1; m >>= 1)
		depth += 2;
	stack[sp].lo = 0;
	stack[sp].hi = n;
	stack[sp].depth = depth;
	sp++;
	while (sp > 0)
	{
		int64_t		lo,
					hi;

		sp--;
		lo = stack[sp].lo;
		hi = stack[sp].hi;
		depth = stack[sp].depth;
		while (hi - lo > 16)
		{
			int64_t		mid = lo + (hi - lo) / 2,
						i = lo - 1,
						j = hi;
			double		p;

			work += hi - lo;
			if (work >= LR_SORT_POLL)
			{
				work = 0;
				if (should_stop && should_stop(arg))
					return 1;
			}
			if (depth-- <= 0)
			{
				if (heap_sort(a + lo, hi - lo, should_stop, arg))
					return 1;
				lo = hi;
				break;
			}
			/* median of three as the pivot value (an element of the range) */
			if (a[mid] < a[lo])
				swap_d(a, mid, lo);
			if (a[hi - 1] < a[lo])
				swap_d(a, hi - 1, lo);
			if (a[hi - 1] < a[mid])
				swap_d(a, hi - 1, mid);
			p = a[mid];
			/* Hoare: [lo, j] <= p <= [j + 1, hi); a long one polls too */
			for (int64_t steps = 1;; steps++)
			{
				do
					i++;
				while (a[i] < p);
				do
					j--;
				while (a[j] > p);
				if (i >= j)
					break;
				swap_d(a, i, j);
				if ((steps & 65535) == 0 && should_stop && should_stop(arg))
					return 1;
			}
			/* the larger part on the stack, loop on the smaller */
			if (j + 1 - lo > hi - (j + 1))
			{
				stack[sp].lo = lo;
				stack[sp].hi = j + 1;
				stack[sp].depth = depth;
				sp++;
				lo = j + 1;
			}
			else
			{
				stack[sp].lo = j + 1;
				stack[sp].hi = hi;
				stack[sp].depth = depth;
				sp++;
				hi = j + 1;
			}
		}
		/* insertion sort of a short range */
		for (int64_t k = lo + 1; k < hi; k++)
		{
			double		v = a[k];
			int64_t		q = k;

			while (q > lo && a[q - 1] > v)
			{
				a[q] = a[q - 1];
				q--;
			}
			a[q] = v;
		}
	}
	return 0;
}

double
lr_auc(double *pos, int64_t npos, double *neg, int64_t nneg)
{
	return lr_auc_ex(pos, npos, neg, nneg, NULL, NULL);
}

double
lr_auc_ex(double *pos, int64_t npos, double *neg, int64_t nneg,
		  int (*should_stop) (void *), void *arg)
{
	int64_t		i = 0,
				lt = 0,
				le = 0,
				work = 0;
	long double u2 = 0;			/* twice the Mann-Whitney U */

	if (npos <= 0 || nneg <= 0)
		return NAN;
	if (lr_sort_doubles(pos, npos, should_stop, arg) ||
		lr_sort_doubles(neg, nneg, should_stop, arg))
		return NAN;
	while (i < npos)
	{
		double		v = pos[i];
		int64_t		k = i;

		while (k < npos && pos[k] == v)
			k++;
		while (lt < nneg && neg[lt] < v)
			lt++;
		if (le < lt)
			le = lt;
		while (le < nneg && neg[le] <= v)
			le++;
		u2 += (long double) (k - i) * (long double) (2 * lt + (le - lt));
		work += k - i;
		if (work >= LR_SORT_POLL)
		{
			work = 0;
			if (should_stop && should_stop(arg))
				return NAN;
		}
		i = k;
	}
	return (double) (u2 / (2.0L * (long double) npos * (long double) nneg));
}

/* ---------------------------------------------------------- naive Bayes */

double
lr_nb_prior(double won, double lost)
{
	return log(won + LR_NB_SMOOTHING) - log(lost + LR_NB_SMOOTHING);
}

double
lr_nb_term(double won_v, double lost_v, double won_total, double lost_total)
{
	return log((won_v + LR_NB_SMOOTHING) / won_total) - log((lost_v + LR_NB_SMOOTHING) / lost_total);
}

/* ----------------------------------------------------------- engagement */

double
lr_decay(double points, double age_seconds, double half_life_seconds)
{
	if (age_seconds < 0)
		return 0.0;
	return points * exp2(-age_seconds / half_life_seconds);
}
