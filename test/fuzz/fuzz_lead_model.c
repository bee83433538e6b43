/*
 * libFuzzer harness for the text form of crmscm.lead_model
 * (src/core/logreg_format.c): parse arbitrary bytes; whatever parses must format and re-parse to the same
 * text.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc/core \
 *       test/fuzz/fuzz_lead_model.c src/core/logreg_format.c -lm -o /tmp/fuzz_lead_model
 *   /tmp/fuzz_lead_model -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "logreg.h"

static double c1[LR_MAX_FEATURES + 1], s1[LR_MAX_FEATURES + 1];
static double c2[LR_MAX_FEATURES + 1], s2[LR_MAX_FEATURES + 1];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *str = malloc(size + 1);
	LrModel		m = {.coef = c1,.std_err = s1};
	LrModel		m2 = {.coef = c2,.std_err = s2};

	memcpy(str, data, size);
	str[size] = '\0';
	if (lr_model_parse(str, &m) == LR_OK)
	{
		size_t		len = lr_model_text_size(m.p);
		char	   *a = malloc(len),
				   *b = malloc(len);

		if (lr_model_format(&m, a, len) < 0 || lr_model_parse(a, &m2) != LR_OK ||
			lr_model_format(&m2, b, len) < 0 || strcmp(a, b) != 0)
			abort();
		free(a);
		free(b);
	}
	free(str);
	return 0;
}
