/* Out-of-line shims (those that need _GNU_SOURCE or are not hot) go here. */
#include "CShims.h"
int shim_cshims_linked(void) { return 1; }
