/* SPDX-License-Identifier: MIT */
/* SHA-256 for program tags (see sha256.c). */
#ifndef BPFFS_SHA256_H
#define BPFFS_SHA256_H

#include "types.h"

void bpffs_sha256(const void *data, size_t len, u8 out[32]);

#endif /* BPFFS_SHA256_H */
