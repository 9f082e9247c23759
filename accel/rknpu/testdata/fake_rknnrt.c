/*
 * fake_rknnrt.c: an ABI double of librknnrt.so's matmul API, for testing
 * accel/rknpu on machines without a Rockchip NPU.
 *
 * It exports the same functions with the same struct layouts
 * (rknn_abi.h), computes int8 x int8 -> int32 products on the CPU, and
 * checks what a careful caller must do and what the hardware requires:
 * a context is created before it is used, K <= 10240, K and N are
 * 32-aligned, the io_attr passed to set_io_mem is the one create returned
 * (same name, dims, size), memory is big enough and belongs to the context,
 * every tensor is bound before run, memory is destroyed before its context
 * and nothing is used after it is destroyed. Every call is appended to a
 * log, and every broken rule is logged as a line starting "VIOLATION", which
 * the test reads back through fake_rknn_log / fake_rknn_violations.
 *
 * Behaviour knobs for the tests: fake_rknn_set_native_subn picks the N tile
 * of the native B layout it reports (32 like RK3588, 16 like RK3566), and
 * fake_rknn_set_create_error makes rknn_matmul_create fail (no NPU).
 *
 * Not thread-safe, like the Go side's use of it (one mutex per backend).
 * Build: gcc -O2 -shared -fPIC -o libfake_rknnrt.so fake_rknnrt.c
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rknn_abi.h"

#define MAX_CTX 4096
#define MAX_MEM_PER_CTX 16

typedef struct {
    int live;
    rknn_matmul_info info;
    rknn_matmul_io_attr io;
    rknn_tensor_mem *mems[MAX_MEM_PER_CTX];
    rknn_tensor_mem *bound[3]; /* A, B, C */
    int core_mask_set;
} fake_ctx;

static fake_ctx ctxs[MAX_CTX + 1]; /* index = handle; 0 is never valid */
static int next_ctx = 1;
static char *logbuf;
static size_t loglen, logcap;
static int violations;
static int native_subn = 32;
static int create_error;
static long live_mems;
static long runs;

static void logf_(const char *fmt, ...) {
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if (n > (int)sizeof line - 2) n = sizeof line - 2;
    line[n++] = '\n';
    if (loglen + n + 1 > logcap) {
        size_t cap = logcap ? logcap * 2 : 4096;
        while (cap < loglen + n + 1) cap *= 2;
        char *nb = realloc(logbuf, cap);
        if (!nb) return;
        logbuf = nb;
        logcap = cap;
    }
    memcpy(logbuf + loglen, line, n);
    loglen += n;
    logbuf[loglen] = 0;
}

/* An expression, so that "VIOLATION(...), bad = 1;" works after an if. */
#define VIOLATION(...) (violations++, logf_("VIOLATION " __VA_ARGS__))

/* Test hooks. */
const char *fake_rknn_log(void) { return logbuf ? logbuf : ""; }
int fake_rknn_violations(void) { return violations; }
long fake_rknn_runs(void) { return runs; }
void fake_rknn_reset(void) {
    loglen = 0;
    if (logbuf) logbuf[0] = 0;
    violations = 0;
    runs = 0;
}
void fake_rknn_set_native_subn(int n) { native_subn = n; }
void fake_rknn_set_create_error(int e) { create_error = e; }
/* Live contexts plus live memory objects: 0 when everything was freed. */
long fake_rknn_live(void) {
    long n = live_mems;
    for (int i = 1; i < next_ctx && i <= MAX_CTX; i++) n += ctxs[i].live;
    return n;
}

static fake_ctx *get_ctx(rknn_matmul_ctx h, const char *fn) {
    if (h == 0 || h >= (rknn_matmul_ctx)next_ctx || h > MAX_CTX) {
        VIOLATION("%s: unknown context %llu", fn, (unsigned long long)h);
        return NULL;
    }
    if (!ctxs[h].live) {
        VIOLATION("%s: context %llu used after destroy", fn, (unsigned long long)h);
        return NULL;
    }
    return &ctxs[h];
}

static void set_attr(rknn_matmul_tensor_attr *a, const char *name, int n_dims, const uint32_t *dims, uint32_t size,
                     rknn_tensor_type type) {
    memset(a, 0, sizeof *a);
    snprintf(a->name, sizeof a->name, "%s", name);
    a->n_dims = n_dims;
    for (int i = 0; i < n_dims; i++) a->dims[i] = dims[i];
    a->size = size;
    a->type = type;
}

int rknn_matmul_create(rknn_matmul_ctx *ctx, rknn_matmul_info *info, rknn_matmul_io_attr *io_attr) {
    if (!ctx || !info || !io_attr) {
        VIOLATION("create: NULL argument");
        return RKNN_ERR_PARAM_INVALID;
    }
    logf_("create M=%d K=%d N=%d type=%d B_layout=%d AC_layout=%d", info->M, info->K, info->N, info->type,
          info->B_layout, info->AC_layout);
    if (create_error) return create_error;
    int bad = 0;
    if (info->M <= 0 || info->K <= 0 || info->N <= 0) VIOLATION("create: non-positive shape"), bad = 1;
    if (info->K > 10240) VIOLATION("create: K=%d exceeds 10240", info->K), bad = 1;
    if (info->K % 32) VIOLATION("create: K=%d not 32-aligned", info->K), bad = 1;
    if (info->N % 32) VIOLATION("create: N=%d not 32-aligned", info->N), bad = 1;
    if (info->type != RKNN_INT8_MM_INT8_TO_INT32) VIOLATION("create: type %d not emulated", info->type), bad = 1;
    if (info->B_layout != RKNN_MM_LAYOUT_NORM && info->B_layout != RKNN_MM_LAYOUT_NATIVE)
        VIOLATION("create: B_layout %d", info->B_layout), bad = 1;
    if (info->AC_layout != RKNN_MM_LAYOUT_NORM) VIOLATION("create: AC_layout %d not emulated", info->AC_layout), bad = 1;
    if (info->B_quant_type || info->AC_quant_type || info->iommu_domain_id || info->group_size)
        VIOLATION("create: quant/iommu/group fields set"), bad = 1;
    for (int i = 0; i < 34; i++)
        if (info->reserved[i]) {
            VIOLATION("create: reserved[%d] not zero", i);
            bad = 1;
            break;
        }
    if (info->B_layout == RKNN_MM_LAYOUT_NATIVE && info->N % native_subn)
        VIOLATION("create: N=%d not a multiple of the native N tile %d", info->N, native_subn), bad = 1;
    if (bad) return RKNN_ERR_PARAM_INVALID;
    if (next_ctx > MAX_CTX) return RKNN_ERR_MALLOC_FAIL;

    int h = next_ctx++;
    fake_ctx *c = &ctxs[h];
    memset(c, 0, sizeof *c);
    c->live = 1;
    c->info = *info;
    uint32_t M = info->M, K = info->K, N = info->N;
    uint32_t da[2] = {M, K}, dc[2] = {M, N};
    set_attr(&c->io.A, "A", 2, da, M * K, RKNN_TENSOR_INT8);
    if (info->B_layout == RKNN_MM_LAYOUT_NATIVE) {
        /* (N/subN, K/32, subN, 32), as RK3588 (subN 32) and RK3566 (16). */
        uint32_t db[4] = {N / native_subn, K / 32, native_subn, 32};
        set_attr(&c->io.B, "B", 4, db, K * N, RKNN_TENSOR_INT8);
    } else {
        uint32_t db[2] = {K, N};
        set_attr(&c->io.B, "B", 2, db, K * N, RKNN_TENSOR_INT8);
    }
    set_attr(&c->io.C, "C", 2, dc, M * N * 4, RKNN_TENSOR_INT32);
    *io_attr = c->io;
    *ctx = h;
    logf_("  -> ctx %d", h);
    return RKNN_SUCC;
}

int rknn_matmul_set_core_mask(rknn_matmul_ctx h, rknn_core_mask mask) {
    logf_("set_core_mask ctx=%llu mask=%d", (unsigned long long)h, (int)mask);
    fake_ctx *c = get_ctx(h, "set_core_mask");
    if (!c) return RKNN_ERR_CTX_INVALID;
    switch ((int)mask) {
    case 0: case 1: case 2: case 4: case 3: case 7: case 0xffff:
        break;
    default:
        VIOLATION("set_core_mask: invalid mask %d", (int)mask);
        return RKNN_ERR_PARAM_INVALID;
    }
    c->core_mask_set = 1;
    return RKNN_SUCC;
}

rknn_tensor_mem *rknn_create_mem(rknn_context h, uint32_t size) {
    logf_("create_mem ctx=%llu size=%u", (unsigned long long)h, size);
    fake_ctx *c = get_ctx(h, "create_mem");
    if (!c) return NULL;
    if (size == 0) {
        VIOLATION("create_mem: size 0");
        return NULL;
    }
    int slot = -1;
    for (int i = 0; i < MAX_MEM_PER_CTX; i++)
        if (!c->mems[i]) {
            slot = i;
            break;
        }
    if (slot < 0) {
        VIOLATION("create_mem: more than %d buffers on one context", MAX_MEM_PER_CTX);
        return NULL;
    }
    rknn_tensor_mem *m = calloc(1, sizeof *m);
    void *buf = calloc(1, size);
    if (!m || !buf) {
        free(m);
        free(buf);
        return NULL;
    }
    memset(buf, 0x5a, size); /* not zero: a caller that forgets to fill padding sees garbage */
    m->virt_addr = buf;
    m->phys_addr = 0;
    m->fd = -1;
    m->offset = 0;
    m->size = size;
    m->flags = 1; /* RKNN_TENSOR_MEMORY_FLAGS_ALLOC_INSIDE */
    m->priv_data = c;
    c->mems[slot] = m;
    live_mems++;
    return m;
}

static int owns(fake_ctx *c, rknn_tensor_mem *m) {
    for (int i = 0; i < MAX_MEM_PER_CTX; i++)
        if (c->mems[i] == m) return i;
    return -1;
}

int rknn_matmul_set_io_mem(rknn_matmul_ctx h, rknn_tensor_mem *mem, rknn_matmul_tensor_attr *attr) {
    logf_("set_io_mem ctx=%llu tensor=%s size=%u", (unsigned long long)h, attr ? attr->name : "(null)",
          attr ? attr->size : 0);
    fake_ctx *c = get_ctx(h, "set_io_mem");
    if (!c) return RKNN_ERR_CTX_INVALID;
    if (!mem || !attr) {
        VIOLATION("set_io_mem: NULL argument");
        return RKNN_ERR_PARAM_INVALID;
    }
    if (owns(c, mem) < 0) {
        VIOLATION("set_io_mem: memory not created on this context");
        return RKNN_ERR_PARAM_INVALID;
    }
    rknn_matmul_tensor_attr *want = NULL;
    int which = -1;
    if (!strcmp(attr->name, "A")) want = &c->io.A, which = 0;
    else if (!strcmp(attr->name, "B")) want = &c->io.B, which = 1;
    else if (!strcmp(attr->name, "C")) want = &c->io.C, which = 2;
    if (!want) {
        VIOLATION("set_io_mem: unknown tensor name \"%.16s\"", attr->name);
        return RKNN_ERR_PARAM_INVALID;
    }
    if (memcmp(want, attr, sizeof *want)) {
        VIOLATION("set_io_mem: attr of %s differs from the one create returned", attr->name);
        return RKNN_ERR_PARAM_INVALID;
    }
    if (mem->size < attr->size) {
        VIOLATION("set_io_mem: %s memory of %u bytes < tensor size %u", attr->name, mem->size, attr->size);
        return RKNN_ERR_PARAM_INVALID;
    }
    c->bound[which] = mem;
    return RKNN_SUCC;
}

int rknn_matmul_run(rknn_matmul_ctx h) {
    fake_ctx *c = get_ctx(h, "run");
    if (!c) return RKNN_ERR_CTX_INVALID;
    for (int i = 0; i < 3; i++)
        if (!c->bound[i] || owns(c, c->bound[i]) < 0) {
            VIOLATION("run: tensor %c not bound (or its memory destroyed)", "ABC"[i]);
            return RKNN_ERR_PARAM_INVALID;
        }
    runs++;
    const int M = c->info.M, K = c->info.K, N = c->info.N;
    const int8_t *A = c->bound[0]->virt_addr;
    const int8_t *B = c->bound[1]->virt_addr;
    int32_t *C = c->bound[2]->virt_addr;
    const int native = c->info.B_layout == RKNN_MM_LAYOUT_NATIVE;
    const int subn = native_subn, kt = K / 32;
    for (int m = 0; m < M; m++) {
        for (int n = 0; n < N; n++) {
            int32_t s = 0;
            for (int k = 0; k < K; k++) {
                size_t bi;
                if (native)
                    bi = ((((size_t)(n / subn) * kt + k / 32) * subn + n % subn) * 32) + k % 32;
                else
                    bi = (size_t)k * N + n;
                s += (int32_t)A[(size_t)m * K + k] * (int32_t)B[bi];
            }
            C[(size_t)m * N + n] = s;
        }
    }
    return RKNN_SUCC;
}

int rknn_destroy_mem(rknn_context h, rknn_tensor_mem *mem) {
    logf_("destroy_mem ctx=%llu", (unsigned long long)h);
    fake_ctx *c = get_ctx(h, "destroy_mem");
    if (!c) return RKNN_ERR_CTX_INVALID;
    int i = mem ? owns(c, mem) : -1;
    if (i < 0) {
        VIOLATION("destroy_mem: memory not created on this context (or destroyed twice)");
        return RKNN_ERR_PARAM_INVALID;
    }
    c->mems[i] = NULL;
    for (int j = 0; j < 3; j++)
        if (c->bound[j] == mem) c->bound[j] = NULL;
    free(mem->virt_addr);
    free(mem);
    live_mems--;
    return RKNN_SUCC;
}

int rknn_matmul_destroy(rknn_matmul_ctx h) {
    logf_("destroy ctx=%llu", (unsigned long long)h);
    fake_ctx *c = get_ctx(h, "destroy");
    if (!c) return RKNN_ERR_CTX_INVALID;
    for (int i = 0; i < MAX_MEM_PER_CTX; i++)
        if (c->mems[i]) {
            VIOLATION("destroy: context %llu still has memory (destroy_mem first)", (unsigned long long)h);
            break;
        }
    c->live = 0;
    return RKNN_SUCC;
}
