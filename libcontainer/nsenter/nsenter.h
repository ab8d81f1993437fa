// Shared by the C parts of the init: stage 0 (nsenter.c), the exec plan it
// may run (exec.c) and the start waiter (waiter.c). The protocol and the
// payload layouts are package initproto's.
#ifndef OCIRUN_NSENTER_H
#define OCIRUN_NSENTER_H

#include <stdint.h>

static inline uint32_t ocirun_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t ocirun_u64(const uint8_t *p)
{
	return (uint64_t)ocirun_u32(p) | (uint64_t)ocirun_u32(p + 4) << 32;
}

// ocirun_next_attr reads the attribute at *off of an attribute list (a
// 2-byte type, a 4-byte length, the value; all little-endian) and moves *off
// past it. It returns 1 for an attribute, 0 at the end of the list and -1
// when the list is truncated.
static inline int ocirun_next_attr(const uint8_t *p, uint32_t len, uint32_t *off, uint16_t *type,
				   const uint8_t **value, uint32_t *n)
{
	if (*off == len)
		return 0;
	if (len - *off < 6)
		return -1;
	*type = (uint16_t)(p[*off] | p[*off + 1] << 8);
	*n = ocirun_u32(p + *off + 2);
	*off += 6;
	if (*n > len - *off)
		return -1;
	*value = p + *off;
	*off += *n;
	return 1;
}

// ocirun_bail sends the error to the runtime as MsgError on the sync socket,
// which shows it to the user as the final error line, and exits.
void __attribute__((noreturn, format(printf, 1, 2))) ocirun_bail(const char *fmt, ...);

// ocirun_run_exec_plan applies an initproto.ExecPlan to this process and
// execs its program; it only returns through ocirun_bail.
void __attribute__((noreturn)) ocirun_run_exec_plan(const uint8_t *plan, uint32_t len);

#endif
