/*
 * stage-creds.c: who the process is and what it may do: groups, uid and
 * gid, capabilities, no_new_privs, seccomp. Their order matters and the
 * program decides it: setresuid(2) away from uid 0 empties the permitted
 * set unless keepcaps is set, capset(2) can only shrink the permitted set,
 * and a seccomp filter may forbid the syscalls of later steps
 * (capabilities(7), "Effect of user ID changes on capabilities").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "stage.h"

/* Ids are 32 bits; a wider number is a mistake, not a wrap-around. */
static int id_arg(const struct step *s, uint32_t i, uint32_t *id)
{
    uint64_t v = arg_num(s, i);
    if (v > UINT32_MAX)
        return EINVAL;
    *id = (uint32_t)v;
    return 0;
}

int op_setgroups(const struct step *s)
{
    gid_t *gids = calloc(s->argc + 1, sizeof *gids);
    if (!gids)
        return ENOMEM;
    int err = 0;
    for (uint32_t i = 0; i < s->argc && !err; i++)
        err = id_arg(s, i, &gids[i]);
    if (!err && setgroups(s->argc, gids) < 0)
        err = errno;
    free(gids);
    return err;
}

int op_setresgid(const struct step *s)
{
    uint32_t gid;
    int err = id_arg(s, 0, &gid);
    if (err)
        return err;
    return setresgid(gid, gid, gid) < 0 ? errno : 0;
}

int op_setresuid(const struct step *s)
{
    uint32_t uid;
    int err = id_arg(s, 0, &uid);
    if (err)
        return err;
    return setresuid(uid, uid, uid) < 0 ? errno : 0;
}

int op_keepcaps(const struct step *s)
{
    return prctl(PR_SET_KEEPCAPS, (unsigned long)arg_num(s, 0), 0, 0, 0) < 0 ? errno : 0;
}

/*
 * The bounding set limits what execve(2) can ever grant, setuid binaries
 * and file capabilities included. PR_CAPBSET_READ answers EINVAL past the
 * kernel's last capability (the value of /proc/sys/kernel/cap_last_cap), so
 * the loop covers exactly the capabilities this kernel has. Dropping needs
 * CAP_SETPCAP: a capability already absent is left alone.
 */
int op_cap_bounding(const struct step *s)
{
    uint64_t keep = arg_num(s, 0);
    for (unsigned long cap = 0;; cap++) {
        int in = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
        if (in < 0)
            return errno == EINVAL ? 0 : errno;
        int wanted = cap < 64 && (keep & (1ULL << cap));
        if (in && !wanted && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
            return errno;
    }
}

/* capset(2) has no glibc wrapper; version 3 takes the sets as two 32-bit
 * words each, low word first. */
int op_capset(const struct step *s)
{
    struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
    uint64_t eff = arg_num(s, 0), perm = arg_num(s, 1), inh = arg_num(s, 2);
    for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
        data[i].effective = (uint32_t)(eff >> (32 * i));
        data[i].permitted = (uint32_t)(perm >> (32 * i));
        data[i].inheritable = (uint32_t)(inh >> (32 * i));
    }
    return syscall(SYS_capset, &hdr, data) < 0 ? errno : 0;
}

/* Ambient capabilities (Linux 4.3) survive execve(2) of an unprivileged
 * program; each must also be permitted and inheritable, or the raise fails
 * with EPERM (capabilities(7)). */
int op_cap_ambient(const struct step *s)
{
    uint64_t mask = arg_num(s, 0);
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
        return errno;
    for (unsigned long cap = 0; cap < 64; cap++)
        if ((mask & (1ULL << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
            return errno;
    return 0;
}

int op_no_new_privs(const struct step *s)
{
    (void)s;
    return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? errno : 0;
}

/*
 * prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER) is seccomp(2)'s
 * SECCOMP_SET_MODE_FILTER with no flags. Without no_new_privs the caller
 * needs CAP_SYS_ADMIN. The filter is copied to an aligned buffer: in the
 * program it sits at any byte offset.
 */
int op_seccomp(const struct step *s)
{
    size_t n = s->arg[0].len / sizeof(struct sock_filter);
    struct sock_filter *filter = malloc(n ? s->arg[0].len : 1);
    if (!filter)
        return ENOMEM;
    memcpy(filter, s->arg[0].p, s->arg[0].len);
    struct sock_fprog prog = { .len = (unsigned short)n, .filter = filter };
    int err = 0;
    if (n > 0xffff)
        err = EINVAL;
    else if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
        err = errno;
    free(filter);
    return err;
}
