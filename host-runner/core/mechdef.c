// SPDX-License-Identifier: MIT
/*
 * mechdef.c - the mechanisms' pure table, made from HR_MECHS (mechdef.h).
 */
#include <string.h>

#include "mechdef.h"

#define NAME_(K, sym, name) name,
const char *const hr_mech_names[HR_MECH_N + 1] = { HR_MECHS(NAME_) NULL };
#undef NAME_

/* Every name, the template's last (it is not one of mechanism='s values). */
#define NAME_(K, sym, name) [HR_MECH_##K] = name,
static const char *const all_names[HR_MECH_ALL] = { HR_MECHS(NAME_) [HR_MECH_SKELETON] = "skeleton" };
#undef NAME_

#define ROW_(K, sym, name) [HR_MECH_##K] = &hr_mech_##sym,
static const struct hr_mech_def *const defs[HR_MECH_ALL] = {
	HR_MECHS(ROW_)
	[HR_MECH_SKELETON] = &hr_mech_skeleton,
};
#undef ROW_
_Static_assert(sizeof(defs) / sizeof(defs[0]) == HR_MECH_ALL, "a row for every kind");

const struct hr_mech_def *hr_mech_def(int kind)
{
	return defs[kind >= 0 && kind < HR_MECH_ALL ? kind : HR_MECH_BALLOON];
}

const char *hr_mech_name(int kind)
{
	return all_names[kind >= 0 && kind < HR_MECH_ALL ? kind : HR_MECH_BALLOON];
}

int hr_mech_kind(const char *name)
{
	for (int k = 0; k < HR_MECH_ALL; k++)
		if (!strcmp(all_names[k], name))
			return k;
	return -1;
}

int hr_mech_check_job(const char *path, const struct hr_job *j)
{
	const struct hr_mech_def *m = hr_mech_def(j->mechanism);

	return m->check_job ? m->check_job(path, j) : 0;
}
