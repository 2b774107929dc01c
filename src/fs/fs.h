/* SPDX-License-Identifier: MIT */
/*
 * The filesystem face of bpffs-user (libfuse3 low-level API) and the
 * command-line entry. Only src/fs includes FUSE headers.
 */
#ifndef BPFFS_FS_H
#define BPFFS_FS_H

/*
 * Command-line subcommands usable without mounting (`bpffs-user run FILE`,
 * `bpffs-user asm FILE`, ...). Returns -1 if argv[1] is not a subcommand
 * (main() then treats the arguments as a mount), else the exit status.
 */
int bpffs_cli_dispatch(int argc, char **argv);

#endif /* BPFFS_FS_H */
