/* SPDX-License-Identifier: Apache-2.0 */
/* The one public header of the C shim. Plain C types only: no libseccomp or libcap types here. */
#ifndef RW_CSHIMS_H
#define RW_CSHIMS_H
#include <stdint.h>
#include "rw_connect_audit.h"
#endif
