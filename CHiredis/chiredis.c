/* CHiredis has no out-of-line code: everything is static inline in CHiredis.h. This file only
 * gives SwiftPM a C source to compile for the target (and the target its link to hiredis). */
#include "CHiredis.h"
