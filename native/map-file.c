/*
 * map-file.c: build/mini-run-map.node, a Node-API addon that the CLI's
 * launcher (src/cli/launcher.cts) loads with process.dlopen to read a
 * bundle and its code cache without copying them (text, bytes), and to
 * have libraries loaded ahead (preload).
 *
 * Why: reading a file into a fresh buffer faults in each of its pages, and
 * making a V8 string of the bundle copies it again into fresh heap pages: a
 * page fault each, ~10 us on this kind of VM, about 180 of them per run.
 * A private read-only mapping of the file instead shares the page cache's
 * pages, faulted in 16 at a time and only where they are read; and a V8
 * string over the mapping (an external one-byte string) is never copied.
 * With a code cache V8 reads little of the source: the functions it holds
 * are deserialized, not parsed.
 *
 * It holds no policy and no state: text and bytes map the open file they are
 * given (an fd the launcher opened and fstat'ed, so the size is the one
 * its cache key names) and gives the mapping back to V8, which unmaps it
 * when the value is collected. The file must not change under the mapping
 * (a page not yet read would show the new bytes, or SIGBUS past a new end):
 * the build unlinks a bundle before it writes a new one, and the caches are
 * written to a temporary file and renamed, so a running mini-run keeps the
 * inode it mapped.
 *
 * preload has libraries loaded on a thread of its own while the launcher
 * goes on: ffi-rs's addon (1126 relocations) and libminirun.so, which the
 * runtime loads later through ffi-rs and then finds loaded (a dlopen of a
 * loaded library takes a reference). The work moves to the other core:
 * 0.8-0.9 ms of a run (120 interleaved rounds, paired). The paths are the
 * launcher's; what fails to load here fails again where it is needed, and
 * says so there.
 *
 * v8Flag sets one V8 flag, as node:v8's setFlagsFromString would: the
 * launcher moves V8's scavenge task for a foreground run, and back
 * (src/cli/late-scavenge.ts says which flag, when, and why back).
 * Node-API has no call for V8's flags and node:v8's load costs more than
 * the gain, so this calls V8's own v8::V8::SetFlagsFromString, which the
 * node executable exports for addons: a C++ function with C arguments,
 * named by its Itanium mangling, declared weak. A Node without it (another
 * engine) keeps its flags, and the run its scavenge.
 *
 * The Node-API declarations are written out here, not taken from
 * <node_api.h>: Node-API is a stable ABI, and a machine with Node but not
 * its headers (Debian's nodejs without libnode-dev) still builds this.
 * node_api_create_external_string_latin1 came in Node 20.4 (Node-API 10):
 * declared weak, so that on an older Node `text` gives undefined and the
 * launcher reads the file as before.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

typedef struct napi_env__ *napi_env;
typedef struct napi_value__ *napi_value;
typedef struct napi_callback_info__ *napi_callback_info;
typedef int napi_status; /* napi_ok is 0 */
typedef napi_value (*napi_callback)(napi_env env, napi_callback_info info);
typedef void (*napi_finalize)(napi_env env, void *data, void *hint);

napi_status napi_get_cb_info(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv, napi_value *this_arg, void **data);
napi_status napi_get_value_string_utf8(napi_env env, napi_value value, char *buf, size_t size, size_t *result);
napi_status napi_get_value_int64(napi_env env, napi_value value, int64_t *result);
napi_status napi_get_undefined(napi_env env, napi_value *result);
napi_status napi_create_external_buffer(napi_env env, size_t length, void *data, napi_finalize finalize, void *hint, napi_value *result);
napi_status napi_create_function(napi_env env, const char *name, size_t length, napi_callback cb, void *data, napi_value *result);
napi_status napi_set_named_property(napi_env env, napi_value object, const char *name, napi_value value);
__attribute__((weak)) napi_status node_api_create_external_string_latin1(napi_env env, char *str, size_t length, napi_finalize finalize, void *hint, napi_value *result, bool *copied);

/* v8::V8::SetFlagsFromString(const char *, size_t) */
__attribute__((weak)) void _ZN2v82V818SetFlagsFromStringEPKcm(const char *flags, size_t length);

#define EXPORT __attribute__((visibility("default")))

static void unmap(napi_env env, void *data, void *hint)
{
    (void)env;
    munmap(data, (size_t)(uintptr_t)hint);
}

/* The (fd, size) arguments mapped read-only and private, or NULL. */
static void *map_arguments(napi_env env, napi_callback_info info, size_t *size)
{
    size_t argc = 2;
    napi_value argv[2];
    int64_t fd, length;
    if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc < 2)
        return NULL;
    if (napi_get_value_int64(env, argv[0], &fd) != 0 || napi_get_value_int64(env, argv[1], &length) != 0)
        return NULL;
    if (fd < 0 || fd > INT32_MAX || length <= 0 || (uint64_t)length > SIZE_MAX)
        return NULL;
    void *p = mmap(NULL, (size_t)length, PROT_READ, MAP_PRIVATE, (int)fd, 0);
    if (p == MAP_FAILED)
        return NULL;
    *size = (size_t)length;
    return p;
}

/* text(fd, size): the file's first size bytes as a latin1 string over its mapping, or undefined */
static napi_value text(napi_env env, napi_callback_info info)
{
    napi_value result;
    napi_get_undefined(env, &result);
    if (node_api_create_external_string_latin1 == NULL)
        return result;
    size_t size;
    char *p = map_arguments(env, info, &size);
    if (p == NULL)
        return result;
    bool copied = false;
    /* when Node copied it (a short string), it has called unmap already */
    if (node_api_create_external_string_latin1(env, p, size, unmap, (void *)(uintptr_t)size, &result, &copied) != 0) {
        munmap(p, size);
        napi_get_undefined(env, &result);
    }
    return result;
}

/* bytes(fd, size): a Buffer over the file's first size bytes, mapped, or undefined */
static napi_value bytes(napi_env env, napi_callback_info info)
{
    napi_value result;
    napi_get_undefined(env, &result);
    size_t size;
    void *p = map_arguments(env, info, &size);
    if (p == NULL)
        return result;
    if (napi_create_external_buffer(env, size, p, unmap, (void *)(uintptr_t)size, &result) != 0) {
        munmap(p, size);
        napi_get_undefined(env, &result);
    }
    return result;
}

#define PRELOAD_MAX 4

/*
 * The paths to load, NULL-terminated, each malloc'ed with the array.
 * The addon's Node-API registration must not depend on the thread that
 * loads it: ffi-rs's (napi-rs) exports napi_register_module_v1, which Node
 * calls on its own dlopen. One that registered from a static constructor
 * (NODE_MODULE, napi_module_register) would record itself on this thread,
 * and Node's load would then say it "did not self-register": every run
 * loads ffi-rs's addon through here, so the tests would show it.
 */
static void *preload_thread(void *arg)
{
    char **paths = arg;
    /* a library that will not load is the loader's to report, when it asks for it */
    for (char **p = paths; *p != NULL; p++) {
        dlopen(*p, RTLD_LAZY);
        free(*p);
    }
    free(paths);
    return NULL;
}

/* preload(path, ...): up to PRELOAD_MAX libraries loaded on a detached thread; undefined */
static napi_value preload(napi_env env, napi_callback_info info)
{
    napi_value result;
    napi_get_undefined(env, &result);
    size_t argc = PRELOAD_MAX;
    napi_value argv[PRELOAD_MAX];
    if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc == 0)
        return result;
    if (argc > PRELOAD_MAX)
        argc = PRELOAD_MAX;
    char **paths = calloc(argc + 1, sizeof *paths);
    if (paths == NULL)
        return result;
    size_t n = 0;
    for (size_t i = 0; i < argc; i++) {
        char path[4096];
        size_t length;
        /* a path the buffer cut short is left out */
        if (napi_get_value_string_utf8(env, argv[i], path, sizeof path, &length) != 0 || length >= sizeof path - 1)
            continue;
        if ((paths[n] = strdup(path)) != NULL)
            n++;
    }
    pthread_attr_t attr;
    pthread_t thread;
    int started = n > 0 && pthread_attr_init(&attr) == 0;
    if (started) {
        /* a loader's stack, not the default 8 MiB of address space */
        pthread_attr_setstacksize(&attr, 256 * 1024);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        started = pthread_create(&thread, &attr, preload_thread, paths) == 0;
        pthread_attr_destroy(&attr);
    }
    if (!started) {
        for (size_t i = 0; i < n; i++)
            free(paths[i]);
        free(paths);
    }
    return result;
}

/* v8Flag(flag): one V8 flag (its text, at most 255 bytes of UTF-8) given to V8; undefined */
static napi_value v8_flag(napi_env env, napi_callback_info info)
{
    napi_value result;
    napi_get_undefined(env, &result);
    size_t argc = 1;
    napi_value argv[1];
    char flag[256];
    size_t length;
    if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc < 1)
        return result;
    /* its whole length first: a flag the buffer would cut short (at a character, maybe before its end) is not given */
    if (napi_get_value_string_utf8(env, argv[0], NULL, 0, &length) != 0 || length >= sizeof flag)
        return result;
    if (napi_get_value_string_utf8(env, argv[0], flag, sizeof flag, &length) != 0)
        return result;
    _ZN2v82V818SetFlagsFromStringEPKcm(flag, length);
    return result;
}

EXPORT int32_t node_api_module_get_api_version_v1(void)
{
    return 8;
}

EXPORT napi_value napi_register_module_v1(napi_env env, napi_value exports)
{
    napi_value f;
    if (napi_create_function(env, "text", 4, text, NULL, &f) == 0)
        napi_set_named_property(env, exports, "text", f);
    if (napi_create_function(env, "bytes", 5, bytes, NULL, &f) == 0)
        napi_set_named_property(env, exports, "bytes", f);
    if (napi_create_function(env, "preload", 7, preload, NULL, &f) == 0)
        napi_set_named_property(env, exports, "preload", f);
    /* absent on a Node without V8's call: the launcher then leaves V8's flags alone */
    if (_ZN2v82V818SetFlagsFromStringEPKcm != NULL && napi_create_function(env, "v8Flag", 6, v8_flag, NULL, &f) == 0)
        napi_set_named_property(env, exports, "v8Flag", f);
    return exports;
}
