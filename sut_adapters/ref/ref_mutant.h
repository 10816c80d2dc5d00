/* ref_mutant.h: compile-time switch for ref's seeded bugs (one per line of mutants.tsv).
 * Without -DREF_MUTANT every ref_mutant() call folds to 0 and the bug code is dead. */
#ifndef REF_MUTANT_H
#define REF_MUTANT_H

#include <string.h>

static inline int ref_mutant(const char *name)
{
#ifdef REF_MUTANT
	return strcmp(REF_MUTANT, name) == 0;
#else
	(void)name;
	return 0;
#endif
}

#endif
