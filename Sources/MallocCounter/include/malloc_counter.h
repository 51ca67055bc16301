#ifndef MALLOC_COUNTER_H
#define MALLOC_COUNTER_H
#include <stddef.h>

/* Heap allocations (malloc, calloc, realloc and the aligned variants) the process made so far. */
size_t malloc_counter_calls(void);

#endif
