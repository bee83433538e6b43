/*
 * logreg.h — logistic regression for lead scoring, plain C (no PostgreSQL headers).
 *
 *   lr_fit        logistic regression by Newton/IRLS with an intercept,
 *                 optional L2 penalty, exact-collinearity detection,
 *                 quasi-separation flag, standard errors, condition number
 *   lr_model_*    the text form of a fitted model (parse / format), shared by
 *                 the PostgreSQL type, the unit tests and a fuzz harness
 *
 * lr_fit in logreg_fit.c, the text form in logreg_format.c.  The other
 * lead-scoring math: auc.h, naive_bayes.h, engagement.h.
 */
#ifndef CRMSCM_LOGREG_H
#define CRMSCM_LOGREG_H

#include <stddef.h>
#include <stdint.h>

/* Most features (not counting the intercept) a model may have. */
#define LR_MAX_FEATURES 1000

/* Longest text form lr_model_parse accepts, in bytes. */
#define LR_MAX_TEXT_LEN (64 + 1024 + (LR_MAX_FEATURES + 1) * 2 * 32)

/* Default iteration limit and the relative tolerance of exact collinearity. */
#define LR_DEFAULT_MAX_ITER 100
#define LR_COLLINEAR_TOL 1e-10

/* Fitted probabilities this close to 0 or 1 flag quasi-separation (R's glm
 * uses the same 10 * DBL_EPSILON). */
#define LR_SEPARATION_EPS (10 * 2.220446049250313e-16)

typedef enum LrStatus
{
	LR_OK = 0,
	LR_EMPTY,					/* no rows */
	LR_ONE_CLASS,				/* all rows converted, or none */
	LR_TOO_FEW_ROWS,			/* unpenalised and rows <= features */
	LR_TOO_MANY_FEATURES,		/* more than LR_MAX_FEATURES */
	LR_BAD_L2,					/* l2 negative, NaN or infinite */
	LR_NOT_FINITE,				/* a feature is NaN or infinite */
	LR_SINGULAR,				/* Hessian not positive definite after dropping */
	LR_NO_MEMORY,
	LR_INTERRUPTED,				/* the stop callback asked to stop */
	LR_SYNTAX,					/* text form: malformed */
	LR_INVALID					/* text form: well formed, inconsistent values */
} LrStatus;

/*
 * The training rows, in chunks (the PostgreSQL aggregate buffers them that
 * way).  A dense chunk: row i has features x[i * p .. i * p + p - 1] and
 * label y[i] (0 or 1).  A packed chunk (packed not NULL; x and y unused): n
 * rows one after the other as lr_pack_row writes them, 8-byte aligned —
 * mostly-zero and 0/1 (one-hot) data takes a fraction of the space.
 */
typedef struct LrChunk
{
	int64_t		n;
	const double *x;
	const unsigned char *y;
	const void *packed;
} LrChunk;

/*
 * Packed rows: 8 bytes of header, 2 bytes per nonzero feature (padded to 8),
 * 8 more per feature that is neither 0 nor 1.  lr_pack_row writes one row of
 * p features (at most LR_PACKED_ROW_MAX(p) bytes) and returns its size, or 0
 * with *bad = the index of a NaN or infinite feature (-1: p out of range).
 * lr_packed_check validates a buffer of packed rows of p features (header,
 * column numbers, finite values, 8-byte alignment) and counts its rows;
 * 1 if sound.
 */
#define LR_PACKED_ROW_MAX(p) (8 + 8 * (((size_t) (p) + 3) / 4) + 8 * (size_t) (p))
extern size_t lr_pack_row(const double *x, int p, int y, void *out, int *bad);
extern int	lr_packed_check(const void *buf, size_t size, int p, int64_t *nrows);

typedef struct LrRows
{
	int			p;				/* features per row, intercept not included */
	int			nchunks;
	const LrChunk *chunks;
} LrRows;

typedef struct LrOptions
{
	double		l2;				/* penalty 0.5 * l2 * sum(beta_j^2), j >= 1 */
	int			max_iter;
	/*
	 * polled by amount of work, about every 4 million multiply-adds (a few
	 * ms: a few rows of 1000 features, a slice of a factorisation); nonzero
	 * return stops with LR_INTERRUPTED
	 */
	int			(*should_stop) (void *arg);
	void	   *stop_arg;
} LrOptions;

/*
 * A fitted model.  Arrays have p + 1 entries, index 0 the intercept; a
 * dropped (collinear or constant) feature has coef NaN and std_err NaN and
 * contributes nothing to a score.
 */
typedef struct LrModel
{
	int			p;
	int64_t		rows;
	int64_t		positives;
	double		l2;
	double		log_likelihood;
	int			iterations;
	int			converged;
	int			separation;
	double		condition_number;
	double	   *coef;
	double	   *std_err;
} LrModel;

/* Fit.  out->coef and out->std_err must hold p + 1 doubles each. */
extern LrStatus lr_fit(const LrRows *rows, const LrOptions *opt, LrModel *out);

/*
 * Hint that a big, not yet written buffer should get transparent huge pages
 * (fewer page faults); a no-op where unsupported.
 */
extern void lr_advise_huge(void *ptr, size_t size);

/* Linear predictor and probability of a feature vector of length m->p. */
extern double lr_log_odds(const LrModel *m, const double *x);
extern double lr_sigmoid(double eta);

/* Two-sided normal p-value of a z statistic: erfc(|z| / sqrt 2). */
extern double lr_p_value(double z);

/* Check a model's values (also after binary input); LR_OK or LR_INVALID. */
extern LrStatus lr_model_check(const LrModel *m);

/*
 * Text form, a JSON object with keys in this fixed order:
 *   {"features":2,"rows":20,"positives":10,"l2":0,"log_likelihood":-9.41,
 *    "iterations":5,"converged":true,"separation":false,
 *    "condition_number":106329.6,"coef":[...],"std_err":[...]}
 * dropped features are null in both arrays.  Doubles use the shortest digits
 * that read back exactly, so text round-trips.  lr_model_parse needs
 * coef/std_err arrays of LR_MAX_FEATURES + 1 entries.
 */
extern LrStatus lr_model_parse(const char *str, LrModel *out);
extern size_t lr_model_text_size(int p);	/* buffer size always enough */
extern int	lr_model_format(const LrModel *m, char *buf, size_t buflen);
extern int	lr_format_double(double x, char *buf, size_t buflen);

#endif							/* CRMSCM_LOGREG_H */
