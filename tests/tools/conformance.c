// SPDX-License-Identifier: MIT
/*
 * Runner for the bpf_conformance corpus (shared/conformance): every `.data`
 * file is read, assembled, structurally checked, prepared and run directly
 * on the engine (no verifier: some files deliberately step outside what a
 * verifier accepts), with r1 = a private writable copy of `-- mem` (or 0) and
 * r2 = its length; the full 64-bit r0 is compared with `-- result`. Output is
 * TAP, one line per file. Each file runs in a child process, so a crash or a
 * hang is reported against its file instead of ending the run.
 *
 *   conformance --runtime interp|checked|jit DIR_OR_FILE...
 *   conformance --negative DIR     negative/ files must be rejected (see below)
 *   conformance --has-jit          exit 0 iff the JIT is built and works
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/core.h"

#if defined(__has_include)
#if __has_include("jit/jit.h")
#include "jit/jit.h"
#define CONF_HAVE_JIT 1
#endif
#endif

#define CONF_TIMEOUT_S 10

/*
 * Files not run, each with the reason. The list must be empty when the
 * foundation issue is resolved; a new entry needs a reason a reviewer accepts.
 */
static const struct { const char *stem, *reason; } conf_skips[] = {
	{ NULL, NULL },
};

/* How far a file got. */
enum conf_stage {
	CONF_READ,	/* reading, parsing or assembling the file failed */
	CONF_CHECK,	/* bpffs_insns_check rejected the program */
	CONF_LOAD,	/* allocation, preparation or JIT failed */
	CONF_FAULT,	/* checked mode stopped the run */
	CONF_RAN,	/* ran to exit; r0 in .r0 */
	CONF_CRASH,	/* the child died or timed out */
};

static const char *const conf_stage_names[] = {
	[CONF_READ] = "read", [CONF_CHECK] = "check", [CONF_LOAD] = "load",
	[CONF_FAULT] = "fault", [CONF_RAN] = "ran", [CONF_CRASH] = "crash",
};

/* Sent from the child to the parent through a pipe. */
struct conf_outcome {
	enum conf_stage stage;
	u64 r0;
	bool has_result;
	u64 result;
	bool has_error;
	char msg[400];		/* first log line of the failure */
};

static enum bpffs_runtime conf_runtime = BPFFS_RUNTIME_INTERP;
static bool conf_fork = true;

static void conf_msg(struct conf_outcome *out, const struct bpffs_vlog *log)
{
	const char *text = bpffs_vlog_text(log);
	size_t n = strcspn(text, "\n");

	if (n >= sizeof(out->msg))
		n = sizeof(out->msg) - 1;
	memcpy(out->msg, text, n);
	out->msg[n] = '\0';
}

static char *conf_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (!fseek(f, 0, SEEK_END) && (n = ftell(f)) >= 0 && !fseek(f, 0, SEEK_SET)) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else if (buf) {
			buf[n] = '\0';
			*len = (size_t)n;
		}
	}
	fclose(f);
	return buf;
}

static bool conf_jit_works(void)
{
#ifdef CONF_HAVE_JIT
	return bpffs_jit_available();
#else
	return false;
#endif
}

/* Prepare @prog for the selected runtime; the JIT must really compile it. */
static int conf_prepare(struct bpffs_prog *prog, struct bpffs_vlog *log)
{
	int err;

	prog->runtime = conf_runtime;
	err = bpffs_prog_prepare(prog, log);
	if (err || conf_runtime != BPFFS_RUNTIME_JIT || prog->jited)
		return err;
#ifdef CONF_HAVE_JIT
	/* prepare falls back silently; compile again to learn why */
	err = bpffs_jit_compile(prog, log);
	if (!err && prog->jited)
		return 0;
#endif
	bpffs_vlog_printf(log, "JIT did not compile the program (interpreter fallback)\n");
	return -EINVAL;
}

static void conf_exec(struct bpffs_prog *prog, const struct bpffs_data_file *df,
		      struct conf_outcome *out)
{
	struct bpffs_run_ctx rc;
	u8 *mem = NULL;

	if (df->mem_len) {
		mem = malloc(df->mem_len);
		if (!mem) {
			snprintf(out->msg, sizeof(out->msg), "out of memory");
			out->stage = CONF_LOAD;
			return;
		}
		memcpy(mem, df->mem, df->mem_len);
	}
	memset(&rc, 0, sizeof(rc));
	rc.checked = conf_runtime == BPFFS_RUNTIME_CHECKED;
	bpffs_run_ctx_add_region(&rc, mem, df->mem_len, true);
	out->r0 = bpffs_prog_run(prog, (u64)(uintptr_t)mem, mem ? df->mem_len : 0, &rc);
	out->stage = CONF_RAN;
	if (rc.fault) {
		out->stage = CONF_FAULT;
		snprintf(out->msg, sizeof(out->msg), "%u: %s", rc.fault_insn, rc.fault_msg);
	}
	free(mem);
}

/* Every stage of one file, in this process. */
static void conf_file(const char *path, struct conf_outcome *out)
{
	struct bpffs_data_file df = { 0 };
	struct bpffs_prog *prog = NULL;
	struct bpf_insn *insns = NULL;
	char logbuf[4096] = "";
	struct bpffs_vlog log = { .level = 1, .buf = logbuf, .size = sizeof(logbuf) };
	size_t len = 0;
	char *text;
	u32 cnt;

	memset(out, 0, sizeof(*out));
	out->stage = CONF_READ;
	text = conf_slurp(path, &len);
	if (!text) {
		snprintf(out->msg, sizeof(out->msg), "cannot read: %s", strerror(errno));
		return;
	}
	if (bpffs_data_file_parse(text, len, &df, &log) ||
	    bpffs_data_file_insns(&df, &insns, &cnt, &log))
		goto out_msg;
	out->has_result = df.has_result;
	out->result = df.result;
	out->has_error = df.error != NULL;
	out->stage = CONF_CHECK;
	if (bpffs_insns_check(insns, cnt, &log))
		goto out_msg;
	out->stage = CONF_LOAD;
	if (bpffs_prog_alloc("conformance", 0, insns, cnt, &prog) ||
	    conf_prepare(prog, &log))
		goto out_msg;
	conf_exec(prog, &df, out);
	goto out_free;
out_msg:
	conf_msg(out, &log);
out_free:
	bpffs_prog_put(prog);
	free(insns);
	bpffs_data_file_fini(&df);
	free(text);
}

/* conf_file in a child process, so crashes and hangs are contained. */
static void conf_file_isolated(const char *path, struct conf_outcome *out)
{
	int fds[2], status = 0;
	ssize_t n = 0;
	pid_t pid;

	if (!conf_fork || pipe(fds)) {
		conf_file(path, out);
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		alarm(CONF_TIMEOUT_S);
		conf_file(path, out);
		n = write(fds[1], out, sizeof(*out));
		_exit(n == (ssize_t)sizeof(*out) ? 0 : 1);
	}
	close(fds[1]);
	if (pid > 0)
		n = read(fds[0], out, sizeof(*out));
	close(fds[0]);
	if (pid > 0)
		waitpid(pid, &status, 0);
	if (pid < 0 || n != (ssize_t)sizeof(*out)) {
		memset(out, 0, sizeof(*out));
		out->stage = CONF_CRASH;
		if (pid > 0 && WIFSIGNALED(status))
			snprintf(out->msg, sizeof(out->msg), "killed by signal %d (%s)",
				 WTERMSIG(status), WTERMSIG(status) == SIGALRM ?
				 "timeout" : strsignal(WTERMSIG(status)));
		else
			snprintf(out->msg, sizeof(out->msg), "runner child failed");
	}
}

/*
 * The positive verdict: true if the file behaved as it declares (ran and
 * matched its result, or failed when it expects an error). @why explains.
 */
static bool conf_verdict(const struct conf_outcome *o, char *why, size_t size)
{
	if (o->stage == CONF_RAN && o->has_error) {
		snprintf(why, size, "ran (r0 0x%llx) but the file expects an error",
			 (unsigned long long)o->r0);
		return false;
	}
	if (o->stage == CONF_CRASH) {
		snprintf(why, size, "crashed: %s", o->msg);
		return false;
	}
	if (o->stage != CONF_RAN) {
		snprintf(why, size, "%s failed: %s", conf_stage_names[o->stage], o->msg);
		return o->has_error;
	}
	if (!o->has_result) {
		snprintf(why, size, "file has neither -- result nor -- error");
		return false;
	}
	snprintf(why, size, "got 0x%llx want 0x%llx", (unsigned long long)o->r0,
		 (unsigned long long)o->result);
	return o->r0 == o->result;
}

/*
 * What a negative/ file must do: unused-* are rejected by the reader or the
 * structural check, invalid_* and empty* by the reader/assembler, the two
 * harness self-tests fail the positive verdict. NULL: unclassified.
 */
static const char *conf_negative_expect(const char *stem, const struct conf_outcome *o,
					bool *ok)
{
	char why[512];
	bool pass = conf_verdict(o, why, sizeof(why));

	if (!strncmp(stem, "unused-", 7)) {
		*ok = o->stage == CONF_READ || o->stage == CONF_CHECK;
		return "rejected by the reader or the structural check";
	}
	if (!strncmp(stem, "invalid_", 8) || !strncmp(stem, "empty", 5)) {
		*ok = o->stage == CONF_READ;
		return "rejected by the reader/assembler";
	}
	if (!strcmp(stem, "incorrect_return_value_high_bits")) {
		*ok = o->stage == CONF_RAN && !pass;
		return "runs, and the runner reports the result mismatch";
	}
	if (!strcmp(stem, "error")) {
		*ok = !pass;
		return "the runner reports a failure";
	}
	return NULL;
}

static const char *conf_skip_reason(const char *stem)
{
	for (size_t i = 0; i < BPFFS_ARRAY_SIZE(conf_skips); i++)
		if (conf_skips[i].stem && !strcmp(conf_skips[i].stem, stem))
			return conf_skips[i].reason;
	return NULL;
}

static void conf_stem(const char *path, char *stem, size_t size)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 5 && !strcmp(base + n - 5, ".data"))
		n -= 5;
	snprintf(stem, size, "%.*s", (int)n, base);
}

/* One TAP line for @path; returns true if it passed. */
static bool conf_report(int n, const char *path, bool negative)
{
	struct conf_outcome o;
	const char *skip, *expect;
	char stem[256], why[600];
	bool ok;

	conf_stem(path, stem, sizeof(stem));
	skip = conf_skip_reason(stem);
	if (skip) {
		printf("ok %d - %s # SKIP %s\n", n, stem, skip);
		return true;
	}
	conf_file_isolated(path, &o);
	ok = conf_verdict(&o, why, sizeof(why));
	if (negative) {
		expect = conf_negative_expect(stem, &o, &ok);
		if (!expect)
			ok = false;
		printf("%sok %d - %s: %s # %s\n", ok ? "" : "not ", n, stem,
		       expect ? expect : "unclassified negative file", why);
	} else {
		printf("%sok %d - %s", ok ? "" : "not ", n, stem);
		printf(ok ? "\n" : " # %s\n", why);
	}
	fflush(stdout);
	return ok;
}

static int conf_is_data(const struct dirent *de)
{
	size_t n = strlen(de->d_name);

	return n > 5 && !strcmp(de->d_name + n - 5, ".data");
}

/* Run @path (a file, or every .data in a directory, sorted); returns failures. */
static int conf_path(const char *path, int *n, bool negative)
{
	struct dirent **list;
	struct stat stt;
	int cnt, fails = 0;

	if (stat(path, &stt) || !S_ISDIR(stt.st_mode))
		return conf_report(++*n, path, negative) ? 0 : 1;
	cnt = scandir(path, &list, conf_is_data, alphasort);
	if (cnt < 0) {
		printf("not ok %d - %s # cannot read directory: %s\n", ++*n, path, strerror(errno));
		return 1;
	}
	for (int i = 0; i < cnt; i++) {
		char full[4096];

		snprintf(full, sizeof(full), "%s/%s", path, list[i]->d_name);
		fails += conf_report(++*n, full, negative) ? 0 : 1;
		free(list[i]);
	}
	free(list);
	return fails;
}

static int conf_usage(void)
{
	fprintf(stderr, "usage: conformance [--runtime interp|checked|jit] [--no-fork] "
		"DIR_OR_FILE...\n"
		"       conformance --negative DIR\n"
		"       conformance --has-jit\n");
	return 2;
}

static int conf_set_runtime(const char *name)
{
	if (!strcmp(name, "interp"))
		conf_runtime = BPFFS_RUNTIME_INTERP;
	else if (!strcmp(name, "checked"))
		conf_runtime = BPFFS_RUNTIME_CHECKED;
	else if (!strcmp(name, "jit"))
		conf_runtime = BPFFS_RUNTIME_JIT;
	else
		return -EINVAL;
	if (conf_runtime == BPFFS_RUNTIME_JIT && !conf_jit_works()) {
		fprintf(stderr, "conformance: the JIT is not available in this build\n");
		return -EOPNOTSUPP;
	}
	return 0;
}

int main(int argc, char **argv)
{
	bool negative = false;
	int i, n = 0, fails = 0, paths = 0;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--has-jit"))
			return conf_jit_works() ? 0 : 1;
		if (!strcmp(argv[i], "--runtime") && i + 1 < argc) {
			if (conf_set_runtime(argv[++i]))
				return 2;
		} else if (!strcmp(argv[i], "--negative")) {
			negative = true;
		} else if (!strcmp(argv[i], "--no-fork")) {
			conf_fork = false;
		} else {
			return conf_usage();
		}
	}
	for (; i < argc; i++, paths++)
		fails += conf_path(argv[i], &n, negative);
	if (!paths)
		return conf_usage();
	printf("1..%d\n", n);
	return fails ? 1 : 0;
}
