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
 * square of that, not of all columns.
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

#define LR_STOP_EVERY 65536

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
 * bit the same results with one exp instead of two.
 */
static inline double
sigmoid_log1pexp(double eta, double *l1pe)
{
	if (eta >= 0)
	{
		double		e = exp(-eta);

		*l1pe = eta > 0 ? eta + log1p(e) : log1p(e);
		return 1.0 / (1.0 + e);
	}
	else
	{
		double		e = exp(eta);

		*l1pe = log1p(e);
		return e / (1.0 + e);
	}
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
 * used, row-major) into lower L (row-major, full q x q).  Returns 0 when A is
 * not numerically positive definite.
 */
static int
chol(const double *A, double *L, int q)
{
	memset(L, 0, sizeof(double) * (size_t) q * q);
	for (int k = 0; k < q; k++)
	{
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
extreme_eigenvalues(double *A, int n, double *vmin, double *vmax, double *work)
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

/* malloc for the big work arrays (the sparse copy of the data); free() */
static void *
lr_big_alloc(size_t size)
{
	void	   *ptr = NULL;

	if (size < LR_HUGE_PAGE)
		return malloc(size);
	/* aligned, so that every 2 MB of it can be a huge page */
	if (posix_memalign(&ptr, (size_t) LR_HUGE_PAGE, size) != 0)
		return NULL;
	lr_advise_huge(ptr, size);
	return ptr;
}

typedef struct LrWork
{
	int			q;				/* kept columns + intercept */
	int		   *idx;			/* idx[k - 1] = original feature of column k */
	double	   *mean;			/* per original feature */
	double	   *center;			/* mean, or 0 for sparse columns */
	int		   *nzk;			/* row buffer: internal columns of nonzero z */
	double	   *inv_sd;
	double	   *pen;			/* per internal column (0 for the intercept) */
	double	   *z;				/* row buffer, q */
	double	   *Hc;				/* per-chunk accumulator, q * q */
	double	   *gc;
	/* sparse copy of the scaled rows (rowptr NULL when the data is dense) */
	int64_t		n;
	int64_t    *rowptr;			/* n + 1 */
	int		   *col;			/* internal column (>= 1) of each nonzero */
	double	   *val;			/* its z */
	unsigned char *ys;			/* labels */
} LrWork;

#define LR_CSR_BLOCK 65536

/*
 * The sparse copy is built when at most half of the entries can be nonzero
 * (counted from the zeros of the uncentred columns): the passes then touch
 * only nonzeros, with no branch per entry.  12 bytes per nonzero.  Returns 0
 * (rowptr NULL) when not worth it or out of memory: the dense path is always
 * there.  Entries are filled by lr_fit's second pass with col = feature + 1
 * and val = x - center, then lr_csr_finish scales and renumbers them.
 */
static int
lr_csr_alloc(LrWork *w, int64_t n, int p, const int64_t *zeros)
{
	int64_t		nnz = 0;

	for (int j = 0; j < p; j++)
		nnz += w->center[j] == 0 ? n - zeros[j] : n;
	if (p < 1 || 2 * nnz > n * (int64_t) p)
		return 0;
	w->rowptr = lr_big_alloc(sizeof(int64_t) * (size_t) (n + 1));
	w->col = lr_big_alloc(sizeof(int) * (size_t) (nnz > 0 ? nnz : 1));
	w->val = lr_big_alloc(sizeof(double) * (size_t) (nnz > 0 ? nnz : 1));
	w->ys = lr_big_alloc((size_t) n);
	if (!w->rowptr || !w->col || !w->val || !w->ys)
	{
		free(w->rowptr);
		free(w->col);
		free(w->val);
		free(w->ys);
		w->rowptr = NULL;
		w->col = NULL;
		w->val = NULL;
		w->ys = NULL;
		return 0;
	}
	w->n = n;
	return 1;
}

/* Scale entries by 1/sd and renumber features to internal columns */
static void
lr_csr_finish(LrWork *w, int p)
{
	int		   *map = w->nzk;	/* p + 1 ints, free at this point */
	int64_t		e = 0;

	for (int j = 0; j <= p; j++)
		map[j] = -1;
	for (int k = 1; k < w->q; k++)
		map[w->idx[k - 1] + 1] = k;
	for (int64_t i = 0; i < w->n; i++)
	{
		int64_t		s = w->rowptr[i],
					t = w->rowptr[i + 1];

		w->rowptr[i] = e;
		for (int64_t k = s; k < t; k++)
		{
			int			f = w->col[k];

			if (map[f] > 0)
			{
				w->col[e] = map[f];
				w->val[e++] = w->val[k] * w->inv_sd[f - 1];
			}
		}
	}
	w->rowptr[w->n] = e;
}

/* Renumber the sparse copy after columns were dropped: map[k] = new or -1 */
static void
lr_csr_remap(LrWork *w, const int *map)
{
	int64_t		e = 0;

	for (int64_t i = 0; i < w->n; i++)
	{
		int64_t		s = w->rowptr[i],
					t = w->rowptr[i + 1];

		w->rowptr[i] = e;
		for (int64_t k = s; k < t; k++)
			if (map[w->col[k]] > 0)
			{
				w->col[e] = map[w->col[k]];
				w->val[e++] = w->val[k];
			}
	}
	w->rowptr[w->n] = e;
}

/* The pass of lr_pass over the sparse copy */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("O3")))
#endif
static LrStatus
lr_pass_csr(const LrWork *w, const double *gamma, const LrOptions *opt,
			double *ll_out, double *g, double *H, int64_t *extreme)
{
	int			q = w->q;
	double		ll = 0;
	int64_t		ext = 0;

	int			nd = 1,
				ns;
	int		   *slot = malloc(sizeof(int) * (size_t) q),
			   *dcol = malloc(sizeof(int) * (size_t) q),
			   *sp = malloc(sizeof(int) * (size_t) q);
	double	   *spv = malloc(sizeof(double) * (size_t) q),
			   *zd = malloc(sizeof(double) * (size_t) q),
			   *Hd = malloc(sizeof(double) * (size_t) q * q),
			   *Hx = malloc(sizeof(double) * (size_t) q * q);
	LrStatus	st = LR_OK;

	if (!slot || !dcol || !sp || !spv || !zd || !Hd || !Hx)
	{
		st = LR_NO_MEMORY;
		goto out;
	}
	/*
	 * Dense slots: the intercept and the centred columns, present in (almost)
	 * every row.  Their block of the Hessian and their cross terms with each
	 * sparse entry are contiguous loops the compiler vectorises; only the
	 * sparse x sparse pairs are scattered.
	 */
	slot[0] = 0;
	dcol[0] = 0;
	for (int k = 1; k < q; k++)
	{
		slot[k] = -1;
		if (w->center[w->idx[k - 1]] != 0)
		{
			slot[k] = nd;
			dcol[nd++] = k;
		}
	}
	for (int64_t i0 = 0; i0 < w->n; i0 += LR_CSR_BLOCK)
	{
		int64_t		i1 = i0 + LR_CSR_BLOCK < w->n ? i0 + LR_CSR_BLOCK : w->n;
		double		llc = 0;

		memset(w->gc, 0, sizeof(double) * q);
		memset(w->Hc, 0, sizeof(double) * (size_t) q * q);
		memset(Hd, 0, sizeof(double) * (size_t) nd * nd);
		memset(Hx, 0, sizeof(double) * (size_t) q * nd);
		for (int64_t i = i0; i < i1; i++)
		{
			int64_t		s = w->rowptr[i],
						t = w->rowptr[i + 1];
			double		eta = gamma[0],
						pr,
						l1pe,
						wt,
						r;

			zd[0] = 1.0;
			for (int a = 1; a < nd; a++)
				zd[a] = 0.0;
			ns = 0;
			for (int64_t k = s; k < t; k++)
			{
				int			c = w->col[k];
				double		v = w->val[k];

				eta += gamma[c] * v;
				if (slot[c] >= 0)
					zd[slot[c]] = v;
				else
				{
					sp[ns] = c;
					spv[ns++] = v;
				}
			}
			pr = sigmoid_log1pexp(eta, &l1pe);
			if (pr < LR_SEPARATION_EPS || pr > 1 - LR_SEPARATION_EPS)
				ext++;
			wt = pr * (1 - pr);
			r = (w->ys[i] ? 1.0 : 0.0) - pr;
			llc += (w->ys[i] ? eta : 0.0) - l1pe;
			for (int a = 0; a < nd; a++)
			{
				double		wa = wt * zd[a];
				double	   *restrict Hr = Hd + (size_t) a * nd;

				w->gc[dcol[a]] += r * zd[a];
				for (int b = a; b < nd; b++)
					Hr[b] += wa * zd[b];
			}
			for (int l = 0; l < ns; l++)
			{
				double		ws = wt * spv[l];
				double	   *restrict Hr = Hx + (size_t) sp[l] * nd;
				double	   *Hs = w->Hc + (size_t) sp[l] * q;

				w->gc[sp[l]] += r * spv[l];
				for (int a = 0; a < nd; a++)
					Hr[a] += ws * zd[a];
				for (int m = l; m < ns; m++)
					Hs[sp[m]] += ws * spv[m];
			}
		}
		ll += llc;
		for (int a = 0; a < q; a++)
		{
			g[a] += w->gc[a];
			for (int b = a; b < q; b++)
				H[a * q + b] += w->Hc[a * q + b];	/* sparse x sparse */
		}
		for (int a = 0; a < nd; a++)
			for (int b = a; b < nd; b++)
				H[dcol[a] * q + dcol[b]] += Hd[a * nd + b];
		for (int k = 1; k < q; k++)
			if (slot[k] < 0)
				for (int a = 0; a < nd; a++)
				{
					int			c = dcol[a];

					if (c < k)
						H[c * q + k] += Hx[k * nd + a];
					else
						H[k * q + c] += Hx[k * nd + a];
				}
		if (opt->should_stop && opt->should_stop(opt->stop_arg))
		{
			st = LR_INTERRUPTED;
			goto out;
		}
	}
	*ll_out = ll;
	*extreme = ext;
out:
	free(slot);
	free(dcol);
	free(sp);
	free(spv);
	free(zd);
	free(Hd);
	free(Hx);
	return st;
}

/*
 * One pass over the data at gamma: penalised log-likelihood, gradient and
 * Hessian (upper triangle) of the objective, count of extreme probabilities.
 * This is where the time goes; GCC's -O2 leaves the rank-one Hessian update
 * scalar, -O3 vectorises it (2.5x on 20 dense features), so ask for that here.
 */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("O3")))
#endif
static LrStatus
lr_pass(const LrRows *rows, const LrWork *w, const double *gamma, const LrOptions *opt,
		double *obj, double *g, double *H, int64_t *extreme)
{
	int			q = w->q;
	int			p = rows->p;
	double		ll = 0;
	int64_t		ext = 0,
				since_check = 0;
	double	   *z = w->z;

	memset(g, 0, sizeof(double) * q);
	memset(H, 0, sizeof(double) * (size_t) q * q);
	if (w->rowptr)
	{
		LrStatus	st = lr_pass_csr(w, gamma, opt, &ll, g, H, &ext);

		if (st != LR_OK)
			return st;
	}
	else
	for (int c = 0; c < rows->nchunks; c++)
	{
		const LrChunk *ch = &rows->chunks[c];
		double		llc = 0;

		memset(w->gc, 0, sizeof(double) * q);
		memset(w->Hc, 0, sizeof(double) * (size_t) q * q);
		for (int64_t i = 0; i < ch->n; i++)
		{
			const double *x = ch->x + i * p;
			double		eta = gamma[0],
						pr,
						l1pe,
						wt,
						r;

			int			nz = 1;

			/* z of the nonzero columns only: sparse (0/1) columns skip zeros */
			z[0] = 1.0;
			w->nzk[0] = 0;
			for (int k = 1; k < q; k++)
			{
				int			j = w->idx[k - 1];
				double		v = x[j] - w->center[j];

				if (v != 0)
				{
					v *= w->inv_sd[j];
					z[nz] = v;
					w->nzk[nz++] = k;
					eta += gamma[k] * v;
				}
			}
			pr = sigmoid_log1pexp(eta, &l1pe);
			if (pr < LR_SEPARATION_EPS || pr > 1 - LR_SEPARATION_EPS)
				ext++;
			wt = pr * (1 - pr);
			r = (ch->y[i] ? 1.0 : 0.0) - pr;
			llc += (ch->y[i] ? eta : 0.0) - l1pe;
			if (nz == q)
			{
				/* dense row: contiguous loops the compiler vectorises */
				for (int a = 0; a < q; a++)
				{
					double		wa = wt * z[a];
					double	   *Hr = w->Hc + (size_t) a * q;

					w->gc[a] += r * z[a];
					for (int b = a; b < q; b++)
						Hr[b] += wa * z[b];
				}
			}
			else
			{
				for (int a = 0; a < nz; a++)
				{
					double		wa = wt * z[a];
					double	   *Hr = w->Hc + (size_t) w->nzk[a] * q;

					w->gc[w->nzk[a]] += r * z[a];
					for (int b = a; b < nz; b++)
						Hr[w->nzk[b]] += wa * z[b];
				}
			}
			if (++since_check >= LR_STOP_EVERY)
			{
				since_check = 0;
				if (opt->should_stop && opt->should_stop(opt->stop_arg))
					return LR_INTERRUPTED;
			}
		}
		ll += llc;
		for (int a = 0; a < q; a++)
		{
			g[a] += w->gc[a];
			for (int b = a; b < q; b++)
				H[a * q + b] += w->Hc[a * q + b];
		}
	}
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
	if (p < 0 || p > LR_MAX_FEATURES)
		return LR_TOO_MANY_FEATURES;
	if (!(opt->l2 >= 0) || !isfinite(opt->l2))
		return LR_BAD_L2;

	/* pass 0: counts, finiteness, column sums */
	w.mean = calloc(pp, sizeof(double));
	w.center = calloc(pp, sizeof(double));
	w.nzk = calloc(pp + 1, sizeof(int));
	zeros = calloc(pp, sizeof(int64_t));
	w.inv_sd = calloc(pp, sizeof(double));
	m2 = calloc(pp, sizeof(double));
	w.idx = calloc(pp, sizeof(int));
	w.pen = calloc(pp + 1, sizeof(double));
	w.z = calloc(pp + 1, sizeof(double));
	if (!w.mean || !w.center || !w.nzk || !zeros || !w.inv_sd || !m2 || !w.idx || !w.pen || !w.z)
	{
		st = LR_NO_MEMORY;
		goto done;
	}
	for (int c = 0; c < rows->nchunks; c++)
	{
		const LrChunk *ch = &rows->chunks[c];

		for (int64_t i = 0; i < ch->n; i++)
		{
			for (int j = 0; j < p; j++)
			{
				double		v = ch->x[i * p + j];

				if (!isfinite(v))
				{
					st = LR_NOT_FINITE;
					goto done;
				}
				w.mean[j] += v;
				zeros[j] += v == 0;
			}
			npos += ch->y[i] ? 1 : 0;
		}
		n += ch->n;
		if (opt->should_stop && opt->should_stop(opt->stop_arg))
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
		w.mean[j] /= (double) n;
		/* mostly-zero columns stay uncentred so that zeros can be skipped */
		w.center[j] = 2 * zeros[j] >= n ? 0.0 : w.mean[j];
	}
	/* pass 1: centred sums of squares, and the sparse copy when it pays */
	lr_csr_alloc(&w, n, p, zeros);
	{
		int64_t		row = 0,
					e = 0;

		for (int c = 0; c < rows->nchunks; c++)
		{
			const LrChunk *ch = &rows->chunks[c];

			for (int64_t i = 0; i < ch->n; i++, row++)
			{
				const double *x = ch->x + i * p;

				for (int j = 0; j < p; j++)
				{
					double		dv = x[j] - w.mean[j];

					m2[j] += dv * dv;
				}
				if (w.rowptr)
				{
					w.rowptr[row] = e;
					w.ys[row] = ch->y[i] ? 1 : 0;
					for (int j = 0; j < p; j++)
					{
						double		v = x[j] - w.center[j];

						if (v != 0)
						{
							w.col[e] = j + 1;
							w.val[e++] = v;
						}
					}
				}
			}
		}
		if (w.rowptr)
			w.rowptr[n] = e;
	}
	q = 1;
	for (int j = 0; j < p; j++)
	{
		double		sd = sqrt(m2[j] / (double) n);

		/* constant (up to rounding of the mean): collinear with the intercept */
		if (sd > 1e-13 * fabs(w.mean[j]) && sd > 0)
		{
			w.inv_sd[j] = 1.0 / sd;
			w.pen[q] = opt->l2 / (sd * sd);	/* l2 * beta^2 = l2 * gamma^2 / sd^2 */
			w.idx[q - 1] = j;
			q++;
		}
	}

	gamma = calloc(q, sizeof(double));
	gamma_old = calloc(q, sizeof(double));
	delta = calloc(q, sizeof(double));
	g = calloc(q, sizeof(double));
	H = calloc((size_t) q * q, sizeof(double));
	L = calloc((size_t) q * q, sizeof(double));
	w.Hc = calloc((size_t) q * q, sizeof(double));
	w.gc = calloc(q, sizeof(double));
	if (!gamma || !gamma_old || !delta || !g || !H || !L || !w.Hc || !w.gc)
	{
		st = LR_NO_MEMORY;
		goto done;
	}
	w.q = q;
	gamma[0] = log((double) npos / (double) (n - npos));
	if (w.rowptr)
		lr_csr_finish(&w, p);

	for (;;)
	{
		double		lambda2;

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
			if (!chol(H, L, q))
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
				if (w.rowptr)
				{
					int		   *map = calloc(q, sizeof(int));

					if (!map)
					{
						free(keep);
						st = LR_NO_MEMORY;
						goto done;
					}
					for (int a = 1; a < nk; a++)
						map[keep[a]] = a;
					lr_csr_remap(&w, map);
					free(map);
				}
				q = nk;
				w.q = q;
			}
			free(keep);
		}

		if (!chol(H, L, q))
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
			if (!chol(H, L, q))
			{
				st = LR_SINGULAR;
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
		extreme_eigenvalues(M, q, &vmin, &vmax, work);
		out->condition_number = vmin > 0 && isfinite(vmax / vmin) ? vmax / vmin : NAN;
	}

done:
	free(w.mean);
	free(w.center);
	free(w.nzk);
	free(zeros);
	free(w.inv_sd);
	free(m2);
	free(w.idx);
	free(w.pen);
	free(w.z);
	free(w.Hc);
	free(w.gc);
	free(w.rowptr);
	free(w.col);
	free(w.val);
	free(w.ys);
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

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

double
lr_auc(double *pos, int64_t npos, double *neg, int64_t nneg)
{
	int64_t		i = 0,
				lt = 0,
				le = 0;
	long double u2 = 0;			/* twice the Mann-Whitney U */

	if (npos <= 0 || nneg <= 0)
		return NAN;
	qsort(pos, (size_t) npos, sizeof(double), cmp_double);
	qsort(neg, (size_t) nneg, sizeof(double), cmp_double);
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
