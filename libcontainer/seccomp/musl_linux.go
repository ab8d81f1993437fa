//go:build musl

package seccomp

// libseccomp.a comes from the distribution, built against glibc with
// _FORTIFY_SOURCE: its text dump (seccomp_export_pfc, which ocirun never
// calls) uses glibc's checked fprintf. Linked against musl for the init,
// it gets the unchecked one.

/*
#include <stdarg.h>
#include <stdio.h>

int __fprintf_chk(FILE *f, int flag, const char *fmt, ...)
{
	(void)flag;
	va_list ap;
	va_start(ap, fmt);
	int n = vfprintf(f, fmt, ap);
	va_end(ap);
	return n;
}
*/
import "C"
