// SPDX-License-Identifier: MIT
/*
 * Command-line subcommands that work without mounting: `run` a program on an
 * input and print r0, `asm` and `disasm` in the bpf_conformance dialect,
 * `check` bytecode structurally. Programs come in as `.data` test files,
 * `.s`/`.asm` text, or raw `.bin` bytecode (little-endian 8-byte slots); each
 * input format is one row of cli_formats[]. Every failure prints a line
 * naming the file and, for bytecode, the instruction index, and exits 1
 * (2 for usage errors); nothing here may crash on bad input.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fs.h"
#include "../core/core.h"
#include "../jit/jit.h"
#include "../verifier/verifier.h"

#define CLI_MAX_REPEAT 10000000UL

/* A program as instructions, with what its file says about running it. */
struct cli_code {
	struct bpf_insn *insns;
	u32 cnt;
	u8 *mem;		/* default input (a .data file's -- mem), or NULL */
	size_t mem_len;
	bool has_result;	/* a .data file's -- result */
	u64 result;
};

/* Options of `run`. */
struct cli_run_opts {
	enum bpffs_runtime runtime;
	bool runtime_given;
	const char *mem_file;
	const char *mem_hex;
	unsigned long repeat;
	bool repeat_given;
	const char *prog_name;	/* --prog: which program of an object file */
};

/*
 * One input format. @exts lists the file name endings that select it; when
 * none matches, the first format whose @sniff accepts the bytes wins. @read
 * decodes to instructions. An object format (ELF) can add a row whose @load
 * builds a prepared program directly; `run` then uses @load instead of @read.
 */
struct cli_format {
	const char *name;
	const char *const *exts;
	bool (*sniff)(const char *data, size_t len);
	int (*read)(const char *data, size_t len, struct cli_code *code, struct bpffs_vlog *log);
	int (*load)(const char *path, const char *data, size_t len,
		    const struct cli_run_opts *o, struct bpffs_prog **prog,
		    struct bpffs_vlog *log);
};

/* ---- formats ------------------------------------------------------------- */

static bool cli_is_text(const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)data[i];

		if (c == 0 || (c < 0x20 && c != '\n' && c != '\r' && c != '\t'))
			return false;
	}
	return len > 0;
}

static bool cli_sniff_data(const char *data, size_t len)
{
	return cli_is_text(data, len) &&
	       (!strncmp(data, "--", 2) || strstr(data, "\n--"));
}

static bool cli_sniff_asm(const char *data, size_t len)
{
	return cli_is_text(data, len);
}

static bool cli_sniff_any(const char *data, size_t len)
{
	return true;
}

static int cli_read_data(const char *data, size_t len, struct cli_code *code,
			 struct bpffs_vlog *log)
{
	struct bpffs_data_file df;
	int err;

	err = bpffs_data_file_parse(data, len, &df, log);
	if (err)
		return err;
	err = bpffs_data_file_insns(&df, &code->insns, &code->cnt, log);
	if (!err) {
		code->mem = df.mem;
		code->mem_len = df.mem_len;
		df.mem = NULL;
		code->has_result = df.has_result;
		code->result = df.result;
	}
	bpffs_data_file_fini(&df);
	return err;
}

static int cli_read_asm(const char *data, size_t len, struct cli_code *code,
			struct bpffs_vlog *log)
{
	if (memchr(data, '\0', len)) {
		bpffs_vlog_printf(log, "NUL byte in assembly text\n");
		return -EINVAL;
	}
	return bpffs_asm(data, &code->insns, &code->cnt, log);
}

static int cli_read_raw(const char *data, size_t len, struct cli_code *code,
			struct bpffs_vlog *log)
{
	size_t cnt = len / sizeof(struct bpf_insn);

	if (!len) {
		bpffs_vlog_printf(log, "empty program\n");
		return -EINVAL;
	}
	if (len % sizeof(struct bpf_insn)) {
		bpffs_vlog_printf(log, "%zu: truncated instruction: file size %zu is not a multiple of 8\n",
				  cnt, len);
		return -EINVAL;
	}
	if (cnt > BPFFS_MAX_INSNS) {
		bpffs_vlog_printf(log, "program of %zu insns exceeds the limit of %u\n", cnt,
				  BPFFS_MAX_INSNS);
		return -E2BIG;
	}
	code->insns = malloc(len);
	if (!code->insns)
		return -ENOMEM;
	memcpy(code->insns, data, len);	/* slots are little-endian, as on the host */
	code->cnt = (u32)cnt;
	return 0;
}

static bool cli_sniff_elf(const char *data, size_t len)
{
	return len >= 4 && !memcmp(data, "\177ELF", 4);
}

/*
 * An ELF object: instantiate program --prog (default: the first) with its
 * maps, verify it as a load through the mount would, then prepare it. The
 * input bytes are the program's raw context (r1), their length r2.
 */
static int cli_load_elf(const char *path, const char *data, size_t len,
			const struct cli_run_opts *o, struct bpffs_prog **prog,
			struct bpffs_vlog *log)
{
	int err;

	err = bpffs_object_load_buf(data, len, path, o->prog_name, NULL, log, prog);
	if (err)
		return err;
	switch ((*prog)->type) {
	case BPF_PROG_TYPE_SOCKET_FILTER:
	case BPF_PROG_TYPE_XDP:
	case BPF_PROG_TYPE_SCHED_CLS:
	case BPF_PROG_TYPE_SCHED_ACT:
		/* their context points into a packet the CLI does not build */
		bpffs_vlog_printf(log, "program '%s' is a packet program: test-run it through a mount (MNT/progs/%s/run)\n",
				  (*prog)->name, (*prog)->name);
		return -EOPNOTSUPP;
	}
	err = bpffs_verify(*prog, NULL, log);
	if (err)
		return err;
	(*prog)->runtime = o->runtime;
	return bpffs_prog_prepare(*prog, log);
}

static const char *const cli_data_exts[] = { ".data", NULL };
static const char *const cli_elf_exts[] = { ".o", NULL };
static const char *const cli_asm_exts[] = { ".s", ".asm", NULL };
static const char *const cli_raw_exts[] = { ".bin", NULL };

static const struct cli_format cli_formats[] = {
	{ "ELF object", cli_elf_exts, cli_sniff_elf, NULL, cli_load_elf },
	{ "conformance .data", cli_data_exts, cli_sniff_data, cli_read_data, NULL },
	{ "assembly text", cli_asm_exts, cli_sniff_asm, cli_read_asm, NULL },
	{ "raw bytecode", cli_raw_exts, cli_sniff_any, cli_read_raw, NULL },
};

static bool cli_has_ext(const char *path, const char *const *exts)
{
	size_t n = strlen(path);

	for (; exts && *exts; exts++) {
		size_t e = strlen(*exts);

		if (n > e && !strcmp(path + n - e, *exts))
			return true;
	}
	return false;
}

static const struct cli_format *cli_format_for(const char *path, const char *data, size_t len)
{
	size_t i;

	for (i = 0; i < BPFFS_ARRAY_SIZE(cli_formats); i++)
		if (cli_has_ext(path, cli_formats[i].exts))
			return &cli_formats[i];
	for (i = 0; i < BPFFS_ARRAY_SIZE(cli_formats); i++)
		if (cli_formats[i].sniff && cli_formats[i].sniff(data, len))
			return &cli_formats[i];
	return &cli_formats[BPFFS_ARRAY_SIZE(cli_formats) - 1];
}

/* ---- common steps ---------------------------------------------------------- */

/* Print every line of @log as "bpffs-user: FILE: line". */
static void cli_print_log(const char *path, const struct bpffs_vlog *log, const char *fallback)
{
	const char *p = bpffs_vlog_text(log);

	if (!*p) {
		fprintf(stderr, "bpffs-user: %s: %s\n", path, fallback);
		return;
	}
	while (*p) {
		size_t n = strcspn(p, "\n");

		fprintf(stderr, "bpffs-user: %s: %.*s\n", path, (int)n, p);
		p += n + (p[n] == '\n');
	}
	if (log->truncated)
		fprintf(stderr, "bpffs-user: %s: (log truncated)\n", path);
}

static char *cli_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL, *p;
	size_t cap = 0, n;

	*len = 0;
	if (!f) {
		fprintf(stderr, "bpffs-user: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	do {
		if (*len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			p = realloc(buf, cap);
			if (!p) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = p;
		}
		n = fread(buf + *len, 1, cap - *len - 1, f);
		*len += n;
	} while (n > 0);
	if (buf && ferror(f)) {
		fprintf(stderr, "bpffs-user: %s: read error\n", path);
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[*len] = '\0';
	fclose(f);
	return buf;
}

static void cli_code_free(struct cli_code *code)
{
	free(code->insns);
	free(code->mem);
	memset(code, 0, sizeof(*code));
}

/* Turn the result of a format op into an exit status, printing its log on failure. */
static int cli_with_log(const char *path, int err, const struct bpffs_vlog *log)
{
	if (err)
		cli_print_log(path, log, strerror(err < 0 ? -err : EINVAL));
	return err ? 1 : 0;
}

/* Decode @data of @path (in format @fmt) into @code. Returns 0 or 1 (printed). */
static int cli_decode(const char *path, const char *data, size_t len,
		      const struct cli_format *fmt, struct cli_code *code)
{
	struct bpffs_vlog log;
	int err;

	memset(code, 0, sizeof(*code));
	if (!fmt->read) {
		fprintf(stderr, "bpffs-user: %s: %s files hold objects, not one program\n",
			path, fmt->name);
		return 1;
	}
	if (bpffs_vlog_alloc(&log, BPFFS_LOG_ERRORS, 16384))
		return 1;
	err = cli_with_log(path, fmt->read(data, len, code, &log), &log);
	bpffs_vlog_free(&log);
	return err;
}

/* Read @path in its format into @code. Returns 0 or 1 (message printed). */
static int cli_read(const char *path, struct cli_code *code)
{
	size_t len;
	char *data;
	int ret;

	memset(code, 0, sizeof(*code));
	data = cli_slurp(path, &len);
	if (!data)
		return 1;
	ret = cli_decode(path, data, len, cli_format_for(path, data, len), code);
	free(data);
	return ret;
}

/* Structural check; prints the log on failure. Returns 0 or 1. */
static int cli_check_code(const char *path, const struct cli_code *code)
{
	struct bpffs_vlog log;
	int err;

	if (bpffs_vlog_alloc(&log, BPFFS_LOG_ERRORS, 16384))
		return 1;
	err = bpffs_insns_check(code->insns, code->cnt, &log);
	if (err)
		cli_print_log(path, &log, strerror(-err));
	bpffs_vlog_free(&log);
	return err ? 1 : 0;
}

/* ---- run ----------------------------------------------------------------------- */

static int cli_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "aabb cc" or "0xaabbcc" into bytes; returns 0 or -EINVAL. */
static int cli_parse_hex(const char *hex, u8 **out, size_t *len)
{
	size_t n = 0;
	u8 *buf = malloc(strlen(hex) / 2 + 1);
	int hi = -1;

	if (!buf)
		return -ENOMEM;
	if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
		hex += 2;
	for (; *hex; hex++) {
		int d = cli_hex_digit(*hex);

		if (*hex == ' ' || *hex == '\t' || *hex == '\n' || *hex == ':')
			continue;
		if (d < 0)
			goto err_free;
		if (hi < 0) {
			hi = d;
			continue;
		}
		buf[n++] = (u8)(hi << 4 | d);
		hi = -1;
	}
	if (hi >= 0)
		goto err_free;
	*out = buf;
	*len = n;
	return 0;
err_free:
	free(buf);
	return -EINVAL;
}

/* The input bytes: --mem, --mem-hex, else the file's own -- mem. Returns 0/1. */
static int cli_input(const struct cli_run_opts *o, struct cli_code *code)
{
	u8 *mem = NULL;
	size_t len = 0;

	if (o->mem_file) {
		mem = (u8 *)cli_slurp(o->mem_file, &len);
		if (!mem)
			return 1;
	} else if (o->mem_hex) {
		if (cli_parse_hex(o->mem_hex, &mem, &len)) {
			fprintf(stderr, "bpffs-user: --mem-hex: '%s' is not a sequence of hex bytes\n",
				o->mem_hex);
			return 1;
		}
	} else {
		return 0;
	}
	free(code->mem);
	code->mem = mem;
	code->mem_len = len;
	return 0;
}

static int cli_prog_load(const char *path, const struct cli_code *code,
			 const struct cli_run_opts *o, struct bpffs_prog **prog)
{
	struct bpffs_vlog log;
	int err;

	if (cli_check_code(path, code))
		return 1;
	err = bpffs_prog_alloc("cli", 0, code->insns, code->cnt, prog);
	if (err) {
		fprintf(stderr, "bpffs-user: %s: %s\n", path, strerror(-err));
		return 1;
	}
	(*prog)->runtime = o->runtime;
	if (bpffs_vlog_alloc(&log, BPFFS_LOG_ERRORS, 16384))
		return 1;
	err = bpffs_prog_prepare(*prog, &log);
	if (err)
		cli_print_log(path, &log, strerror(-err));
	bpffs_vlog_free(&log);
	/* like the kernel, a program the JIT refuses still runs, interpreted */
	if (!err && o->runtime == BPFFS_RUNTIME_JIT && o->runtime_given && !(*prog)->jited)
		fprintf(stderr, "bpffs-user: %s: %s; running in the interpreter\n", path,
			bpffs_jit_available() ? "the JIT refused this program" :
			"no JIT on this machine");
	return err ? 1 : 0;
}

static u64 cli_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

static int cli_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* One run on a fresh copy of the input; returns 0, or 1 after a checked-mode fault. */
static int cli_run_once(const char *path, const struct bpffs_prog *prog,
			const struct cli_code *code, u8 *buf, u64 *r0, u64 *ns)
{
	struct bpffs_run_ctx rc;
	u64 start;

	memset(&rc, 0, sizeof(rc));
	rc.checked = prog->runtime == BPFFS_RUNTIME_CHECKED;
	if (code->mem_len)
		memcpy(buf, code->mem, code->mem_len);
	bpffs_run_ctx_add_region(&rc, buf, code->mem_len, true);
	start = cli_now_ns();
	*r0 = bpffs_prog_run(prog, code->mem_len ? (u64)(uintptr_t)buf : 0, code->mem_len, &rc);
	*ns = cli_now_ns() - start;
	if (!rc.fault)
		return 0;
	fprintf(stderr, "bpffs-user: %s: %u: run stopped by the checked mode: %s\n", path,
		rc.fault_insn, rc.fault_msg);
	return 1;
}

/*
 * Unverified bytecode may touch memory it does not own. A fault in the fast
 * runtimes jumps back here, and the program is run again in checked mode,
 * which names the offending instruction instead of crashing.
 */
static sigjmp_buf cli_fault_env;
static const int cli_fault_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL };

static void cli_fault_handler(int sig)
{
	siglongjmp(cli_fault_env, sig);
}

static void cli_fault_catch(bool on)
{
	struct sigaction sa = { .sa_handler = on ? cli_fault_handler : SIG_DFL };

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_NODEFER;
	for (size_t i = 0; i < BPFFS_ARRAY_SIZE(cli_fault_signals); i++)
		sigaction(cli_fault_signals[i], &sa, NULL);
}

static int cli_locate_fault(const char *path, struct bpffs_prog *prog,
			    const struct cli_code *code, u8 *buf, int sig)
{
	u64 r0, ns;

	fprintf(stderr, "bpffs-user: %s: the program faulted (%s); locating the access in "
		"checked mode\n", path, strsignal(sig));
	prog->runtime = BPFFS_RUNTIME_CHECKED;
	if (!cli_run_once(path, prog, code, buf, &r0, &ns))
		fprintf(stderr, "bpffs-user: %s: checked mode found no faulting access\n", path);
	return 1;
}

/* @o->repeat runs; prints retval and, with --repeat, the median duration. */
static int cli_run_prog(const char *path, struct bpffs_prog *prog,
			const struct cli_code *code, const struct cli_run_opts *o)
{
	u8 *buf = malloc(code->mem_len ? code->mem_len : 1);
	u64 *times = calloc(o->repeat, sizeof(*times));
	volatile int ret = 0;
	u64 r0 = 0;
	int sig;

	if (!buf || !times) {
		fprintf(stderr, "bpffs-user: out of memory\n");
		ret = 1;
	}
	sig = sigsetjmp(cli_fault_env, 1);
	if (sig) {
		cli_fault_catch(false);
		ret = cli_locate_fault(path, prog, code, buf, sig);
	} else if (!ret) {
		cli_fault_catch(true);
		for (unsigned long i = 0; !ret && i < o->repeat; i++)
			ret = cli_run_once(path, prog, code, buf, &r0, &times[i]);
		cli_fault_catch(false);
	}
	if (!ret) {
		printf("retval: 0x%llx\n", (unsigned long long)r0);
		if (o->repeat_given) {
			qsort(times, o->repeat, sizeof(*times), cli_cmp_u64);
			printf("duration_ns: %llu\n", (unsigned long long)times[o->repeat / 2]);
		}
	}
	if (!ret && code->has_result && r0 != code->result) {
		fprintf(stderr, "bpffs-user: %s: r0 0x%llx differs from the file's result 0x%llx\n",
			path, (unsigned long long)r0, (unsigned long long)code->result);
		ret = 1;
	}
	free(times);
	free(buf);
	return ret;
}

static int cli_usage(FILE *out)
{
	fprintf(out,
		"usage: bpffs-user run [--runtime interp|checked|jit] [--mem FILE|--mem-hex HEX]\n"
		"                      [--repeat N] [--prog NAME] PROGRAM\n"
		"       bpffs-user asm [-o OUT.bin] FILE\n"
		"       bpffs-user disasm FILE\n"
		"       bpffs-user check FILE\n"
		"       bpffs-user MOUNTPOINT [mount options]\n"
		"\n"
		"PROGRAM/FILE: a bpf_conformance .data file, .s/.asm text in its dialect,\n"
		"an ELF object (.o: verified before it runs; not packet programs), or\n"
		"raw .bin bytecode (little-endian 8-byte instructions). `run` prints r0 as\n"
		"'retval: 0x...' (and the median 'duration_ns:' with --repeat); r1 points to a\n"
		"private copy of the input (--mem, --mem-hex, or the .data file's -- mem) and r2\n"
		"holds its length. --prog NAME picks the program of an object file.\n");
	return out == stdout ? 0 : 2;
}

static int cli_parse_runtime(const char *name, struct cli_run_opts *o)
{
	static const struct { const char *name; enum bpffs_runtime rt; } rts[] = {
		{ "interp", BPFFS_RUNTIME_INTERP },
		{ "checked", BPFFS_RUNTIME_CHECKED },
		{ "jit", BPFFS_RUNTIME_JIT },
	};

	for (size_t i = 0; i < BPFFS_ARRAY_SIZE(rts); i++) {
		if (!strcmp(name, rts[i].name)) {
			o->runtime = rts[i].rt;
			o->runtime_given = true;
			return 0;
		}
	}
	fprintf(stderr, "bpffs-user: unknown runtime '%s' (interp, checked or jit)\n", name);
	return -EINVAL;
}

static int cli_parse_repeat(const char *s, struct cli_run_opts *o)
{
	char *end;

	errno = 0;
	o->repeat = strtoul(s, &end, 10);
	if (errno || *end || !*s || s[0] == '-' || !o->repeat || o->repeat > CLI_MAX_REPEAT) {
		fprintf(stderr, "bpffs-user: --repeat: '%s' is not a count in 1..%lu\n", s,
			CLI_MAX_REPEAT);
		return -EINVAL;
	}
	o->repeat_given = true;
	return 0;
}

/* Options of `run`; returns the index of PROGRAM, or -1 after a message. */
static int cli_run_args(int argc, char **argv, struct cli_run_opts *o)
{
	int i;

	for (i = 2; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(opt, "--")) {
			i++;
			break;
		}
		if (!val) {
			fprintf(stderr, "bpffs-user: run: %s needs a value\n", opt);
			return -1;
		}
		i++;
		if (!strcmp(opt, "--runtime")) {
			if (cli_parse_runtime(val, o))
				return -1;
		} else if (!strcmp(opt, "--mem")) {
			o->mem_file = val;
		} else if (!strcmp(opt, "--mem-hex")) {
			o->mem_hex = val;
		} else if (!strcmp(opt, "--repeat")) {
			if (cli_parse_repeat(val, o))
				return -1;
		} else if (!strcmp(opt, "--prog")) {
			o->prog_name = val;
		} else {
			fprintf(stderr, "bpffs-user: run: unknown option '%s'\n", opt);
			return -1;
		}
	}
	if (o->mem_file && o->mem_hex) {
		fprintf(stderr, "bpffs-user: run: --mem and --mem-hex exclude each other\n");
		return -1;
	}
	if (i != argc - 1) {
		fprintf(stderr, "bpffs-user: run: expected exactly one PROGRAM\n");
		return -1;
	}
	return i;
}

/* An object format (ELF) builds the prepared program itself. */
static int cli_load_object(const char *path, const char *data, size_t len,
			   const struct cli_format *fmt, const struct cli_run_opts *o,
			   struct bpffs_prog **prog)
{
	struct bpffs_vlog log;
	int ret;

	if (bpffs_vlog_alloc(&log, BPFFS_LOG_ERRORS, 65536))
		return 1;
	ret = cli_with_log(path, fmt->load(path, data, len, o, prog, &log), &log);
	bpffs_vlog_free(&log);
	return ret;
}

static int cli_cmd_run(int argc, char **argv)
{
	struct cli_run_opts o = { .runtime = BPFFS_RUNTIME_JIT, .repeat = 1 };
	const struct cli_format *fmt;
	struct bpffs_prog *prog = NULL;
	struct cli_code code = { 0 };
	const char *path;
	char *data;
	size_t len;
	int idx, ret;

	idx = cli_run_args(argc, argv, &o);
	if (idx < 0)
		return cli_usage(stderr);
	path = argv[idx];
	data = cli_slurp(path, &len);
	if (!data)
		return 1;
	fmt = cli_format_for(path, data, len);
	if (o.prog_name && !fmt->load) {
		fprintf(stderr, "bpffs-user: %s: --prog applies to object files, not %s\n",
			path, fmt->name);
		ret = 1;
	} else if (fmt->load) {
		ret = cli_load_object(path, data, len, fmt, &o, &prog);
	} else {
		ret = cli_decode(path, data, len, fmt, &code) ||
		      cli_prog_load(path, &code, &o, &prog);
	}
	if (!ret)
		ret = cli_input(&o, &code);
	if (!ret)
		ret = cli_run_prog(path, prog, &code, &o);
	bpffs_prog_put(prog);
	cli_code_free(&code);
	free(data);
	return ret;
}

/* ---- asm, disasm, check -------------------------------------------------------- */

static int cli_write_bin(const char *out, const struct cli_code *code)
{
	FILE *f = fopen(out, "wb");
	size_t n;

	if (!f) {
		fprintf(stderr, "bpffs-user: %s: %s\n", out, strerror(errno));
		return 1;
	}
	n = fwrite(code->insns, sizeof(*code->insns), code->cnt, f);
	if (fclose(f) || n != code->cnt) {
		fprintf(stderr, "bpffs-user: %s: write error\n", out);
		return 1;
	}
	return 0;
}

static int cli_cmd_asm(int argc, char **argv)
{
	const char *out = NULL, *path;
	struct cli_code code;
	int ret;

	if (argc == 5 && !strcmp(argv[2], "-o")) {
		out = argv[3];
		path = argv[4];
	} else if (argc == 3) {
		path = argv[2];
	} else {
		return cli_usage(stderr);
	}
	ret = cli_read(path, &code);
	if (!ret && out) {
		ret = cli_write_bin(out, &code);
	} else if (!ret) {
		/* one 64-bit number per slot: the `-- raw` layout of .data files */
		for (u32 i = 0; i < code.cnt; i++) {
			u64 v;

			memcpy(&v, &code.insns[i], sizeof(v));
			printf("0x%016llx\n", (unsigned long long)v);
		}
	}
	cli_code_free(&code);
	return ret;
}

static int cli_cmd_disasm(int argc, char **argv)
{
	struct cli_code code;
	char text[128];
	long bad = -1;
	u32 i;
	int n;

	if (argc != 3)
		return cli_usage(stderr);
	if (cli_read(argv[2], &code))
		return 1;
	for (i = 0; i < code.cnt; i += n > 0 ? (u32)n : 1) {
		if (bpffs_insn_is_wide(&code.insns[i]) && i + 1 == code.cnt) {
			snprintf(text, sizeof(text), "(bad) lddw without its second slot");
			n = -EINVAL;
		} else {
			n = bpffs_disasm_insn(&code.insns[i], text, sizeof(text));
		}
		printf("%5u: %s\n", i, text);
		if (n < 0 && bad < 0)
			bad = i;
	}
	if (bad >= 0)
		fprintf(stderr, "bpffs-user: %s: %ld: instruction cannot be disassembled "
			"(unknown opcode or reserved field set)\n", argv[2], bad);
	cli_code_free(&code);
	return bad >= 0 ? 1 : 0;
}

static int cli_cmd_check(int argc, char **argv)
{
	struct cli_code code;
	int ret;

	if (argc != 3)
		return cli_usage(stderr);
	if (cli_read(argv[2], &code))
		return 1;
	ret = cli_check_code(argv[2], &code);
	if (!ret)
		printf("OK: %u instructions\n", code.cnt);
	cli_code_free(&code);
	return ret;
}

static int cli_cmd_help(int argc, char **argv)
{
	return cli_usage(stdout);
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} cli_cmds[] = {
	{ "run", cli_cmd_run },
	{ "asm", cli_cmd_asm },
	{ "disasm", cli_cmd_disasm },
	{ "check", cli_cmd_check },
	{ "help", cli_cmd_help },
};

int bpffs_cli_dispatch(int argc, char **argv)
{
	if (argc < 2)
		return -1;
	for (size_t i = 0; i < BPFFS_ARRAY_SIZE(cli_cmds); i++)
		if (!strcmp(argv[1], cli_cmds[i].name))
			return cli_cmds[i].fn(argc, argv);
	return -1;
}
