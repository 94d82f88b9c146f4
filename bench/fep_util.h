/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest-side loads and stores that KVM must emulate: the forced emulation
 * prefix (KVM_FEP, needs kvm.force_emulation_prefix=1) in front of a movq.
 */
#ifndef FEP_UTIL_H
#define FEP_UTIL_H

#include "processor.h"

static inline u64 fep_load(u64 *p)
{
	u64 v;

	asm volatile(KVM_FEP "movq (%[p]), %[v]" : [v] "=r"(v) : [p] "r"(p) : "memory");
	return v;
}

static inline void fep_store(u64 *p, u64 v)
{
	asm volatile(KVM_FEP "movq %[v], (%[p])" : : [v] "r"(v), [p] "r"(p) : "memory");
}

#endif /* FEP_UTIL_H */
