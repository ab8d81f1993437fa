/*
 * rawsyscall NR [ARG...]: makes system call NR with the given integer
 * arguments and prints "ok RESULT" or "errno N". The tests run it inside
 * containers to see what a seccomp filter answers for a syscall no libc
 * wrapper would let through unchanged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long a[6] = {0};
	if (argc < 2 || argc > 8) {
		fprintf(stderr, "usage: rawsyscall NR [ARG...]\n");
		return 2;
	}
	for (int i = 2; i < argc; i++)
		a[i - 2] = strtol(argv[i], NULL, 0);
	long r = syscall(strtol(argv[1], NULL, 0), a[0], a[1], a[2], a[3], a[4], a[5]);
	if (r < 0)
		printf("errno %d\n", errno);
	else
		printf("ok %ld\n", r);
	return 0;
}
