// CIntrinsics is header-only (include/CIntrinsics.h); SwiftPM wants one source file per C target.
#include "CIntrinsics.h"
