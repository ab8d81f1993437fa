// Shared by the C of the init: stage 0 (nsenter.c) and the finisher
// (cmd/ocirun-exec). The protocol and the payload layouts are package
// initproto's; initproto.h holds its numbers.
#ifndef OCIRUN_NSENTER_H
#define OCIRUN_NSENTER_H

#include <stdint.h>

#include "initproto.h"

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

// ocirun_nsenter is stage 0: it returns at once unless $_OCIRUN_SYNC_FD is
// set, and as stage 1 (the forked child, or stage 0 itself when it needs no
// child) when there is no plan to finish.
void ocirun_nsenter(void);

#endif
