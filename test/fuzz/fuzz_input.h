/*
 * fuzz_input.h — read numbers from a libFuzzer input for the harnesses of
 * the numeric kernels.  Past the end of the input every read gives 0.
 *
 * fz_double returns the next 8 bytes as a double, any bit pattern: NaN,
 * infinities, denormals and 1e308 come straight from the mutator.  The
 * harnesses filter what the SQL layer would reject (NaN, negative counts),
 * so a finding is a path a client can reach.
 */
#ifndef CRMSCM_FUZZ_INPUT_H
#define CRMSCM_FUZZ_INPUT_H

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct FzIn
{
	const uint8_t *p;
	size_t		left;
} FzIn;

static inline uint8_t
fz_u8(FzIn *in)
{
	uint8_t		v = 0;

	if (in->left > 0)
	{
		v = *in->p++;
		in->left--;
	}
	return v;
}

static inline uint32_t
fz_u32(FzIn *in)
{
	uint32_t	v = 0;

	for (int i = 0; i < 4; i++)
		v = (v << 8) | fz_u8(in);
	return v;
}

static inline double
fz_double(FzIn *in)
{
	double		v = 0;

	if (in->left >= sizeof(double))
	{
		memcpy(&v, in->p, sizeof(double));
		in->p += sizeof(double);
		in->left -= sizeof(double);
	}
	else
		in->left = 0;
	return v;
}

/* abort() with a message: libFuzzer saves the input as a crash */
#define FZ_CHECK(cond, what) \
	do { if (!(cond)) { fprintf(stderr, "property violated: %s\n", what); abort(); } } while (0)

#endif							/* CRMSCM_FUZZ_INPUT_H */
