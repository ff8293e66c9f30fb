/* gpu.c: elastic:gpu: compute through OpenCL 1.2 (Debian's ocl-icd loader; any ICD: a GPU
 * driver, or pocl's CPU device): list devices, make buffers, build a kernel from OpenCL C
 * source, set its arguments, run it over a 1- to 3-dimensional range, read results. The
 * first GPU device found is used, else the first device of any type. Without a device
 * (none installed, or the operator's gpu_enabled = 0) the capability is reported absent
 * and every call fails with no-device. */
#include <stdio.h>
#include <stdlib.h>

#include <CL/cl.h>

#include "hal_impl.h"

enum { /* gpu-error */
    E_NO_DEVICE = 0,
    E_INVALID_ARGUMENT = 1,
    E_OUT_OF_RESOURCES = 2,
    E_BUILD_FAILED = 3,
    E_LAUNCH_FAILED = 4,
};
#define MAX_BUFFER (256u << 20)
#define MAX_READ (16u << 20)
#define MAX_ARGS 32

struct hal_gpu {
    int probed, ok;
    char why[160];
    cl_platform_id platform;
    cl_device_id device;
    cl_context ctx;
    cl_command_queue queue;
    char *build_log;
};

typedef struct gpu_buffer {
    cl_mem mem;
    uint64_t size;
} gpu_buffer;

typedef struct gpu_kernel {
    cl_program program;
    cl_kernel kernel;
    cl_uint nargs;
    cl_mem args[MAX_ARGS]; /* buffers bound, retained while bound */
} gpu_kernel;

/* Finds a device and makes its context and queue, once. */
static hal_gpu *gpu_get(elvm_hal *h) {
    if (!h->gpu && !(h->gpu = calloc(1, sizeof *h->gpu))) return NULL;
    hal_gpu *g = h->gpu;
    if (g->probed) return g->ok ? g : NULL;
    g->probed = 1;
    if (!h->cfg.gpu_enabled) {
        snprintf(g->why, sizeof g->why, "GPU access not granted by the host");
        return NULL;
    }
    cl_platform_id plats[16];
    cl_uint np = 0;
    if (clGetPlatformIDs(16, plats, &np) != CL_SUCCESS || np == 0) {
        snprintf(g->why, sizeof g->why, "no OpenCL platform (no ICD installed)");
        return NULL;
    }
    cl_device_type types[2] = {CL_DEVICE_TYPE_GPU, CL_DEVICE_TYPE_ALL};
    for (int t = 0; t < 2 && !g->device; t++)
        for (cl_uint i = 0; i < np && !g->device; i++) {
            cl_uint nd = 0;
            if (clGetDeviceIDs(plats[i], types[t], 1, &g->device, &nd) != CL_SUCCESS || !nd)
                g->device = NULL;
            else
                g->platform = plats[i];
        }
    if (!g->device) {
        snprintf(g->why, sizeof g->why, "no OpenCL device");
        return NULL;
    }
    cl_int err;
    g->ctx = clCreateContext(NULL, 1, &g->device, NULL, NULL, &err);
    if (g->ctx) g->queue = clCreateCommandQueue(g->ctx, g->device, 0, &err);
    if (!g->queue) {
        snprintf(g->why, sizeof g->why, "OpenCL context creation failed (%d)", (int)err);
        return NULL;
    }
    g->ok = 1;
    return g;
}

int elvm__hal_gpu_available(elvm_hal *h, char *detail, size_t len) {
    hal_gpu *g = gpu_get(h);
    if (!g) {
        snprintf(detail, len, "%s", h->gpu ? h->gpu->why : "out of host memory");
        return 0;
    }
    char name[128] = "?";
    clGetDeviceInfo(g->device, CL_DEVICE_NAME, sizeof name, name, NULL);
    snprintf(detail, len, "OpenCL device %s", name);
    return 1;
}

void elvm__hal_gpu_free(elvm_hal *h) {
    hal_gpu *g = h->gpu;
    if (!g) return;
    if (g->queue) clReleaseCommandQueue(g->queue);
    if (g->ctx) clReleaseContext(g->ctx);
    free(g->build_log);
    free(g);
    h->gpu = NULL;
}

static void buffer_drop(elvm_hal *h, void *obj) {
    (void)h;
    gpu_buffer *b = obj;
    clReleaseMemObject(b->mem);
    free(b);
}

static void kernel_drop(elvm_hal *h, void *obj) {
    (void)h;
    gpu_kernel *k = obj;
    for (cl_uint i = 0; i < MAX_ARGS; i++)
        if (k->args[i]) clReleaseMemObject(k->args[i]);
    clReleaseKernel(k->kernel);
    clReleaseProgram(k->program);
    free(k);
}

void elvm__hal_gpu_setup(elvm_hal *h) {
    h->drop[HAL_RES_GPU_BUFFER] = buffer_drop;
    h->drop[HAL_RES_GPU_KERNEL] = kernel_drop;
}

static int cl_error(cl_int e) {
    return e == CL_OUT_OF_RESOURCES || e == CL_OUT_OF_HOST_MEMORY ||
                   e == CL_MEM_OBJECT_ALLOCATION_FAILURE || e == CL_INVALID_BUFFER_SIZE
               ? E_OUT_OF_RESOURCES
               : E_INVALID_ARGUMENT;
}

/* ---- devices ---------------------------------------------------------------------------------- */

static int put_str(hal_call *c, uint32_t at, uint32_t base, uint32_t size, const char *s) {
    uint32_t p;
    size_t n = strlen(s);
    HAL_TRY(hal_alloc(c, s, n, 1, &p));
    HAL_TRY(hal_retarea(c, base, size, 8));
    hal_st32(c, at, p);
    hal_st32(c, at + 4, (uint32_t)n);
    return 0;
}

/* list-devices: func() -> list<device-info>: the device in use (none: an empty list).
 * record device-info: name @0, vendor @8, device-type @16 (strings), compute-units u32
 * @24, global-memory u64 @32, max-work-group-size u64 @40; 48 bytes, align 8. */
static int g_list(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    uint32_t ret = hal_u32(a, 0), arr = 0;
    HAL_TRY(hal_retarea(c, ret, 8, 4));
    hal_gpu *g = gpu_get(c->h);
    if (g) {
        char name[128] = "", vendor[128] = "";
        cl_device_type type = 0;
        cl_uint cu = 0;
        cl_ulong mem = 0;
        size_t wg = 0;
        clGetDeviceInfo(g->device, CL_DEVICE_NAME, sizeof name, name, NULL);
        clGetDeviceInfo(g->device, CL_DEVICE_VENDOR, sizeof vendor, vendor, NULL);
        clGetDeviceInfo(g->device, CL_DEVICE_TYPE, sizeof type, &type, NULL);
        clGetDeviceInfo(g->device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof cu, &cu, NULL);
        clGetDeviceInfo(g->device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof mem, &mem, NULL);
        clGetDeviceInfo(g->device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof wg, &wg, NULL);
        const char *ts = type & CL_DEVICE_TYPE_GPU ? "gpu"
                       : type & CL_DEVICE_TYPE_CPU ? "cpu"
                       : type & CL_DEVICE_TYPE_ACCELERATOR ? "accelerator"
                                                           : "other";
        HAL_TRY(hal_alloc(c, NULL, 48, 8, &arr));
        HAL_TRY(put_str(c, arr, arr, 48, name));
        HAL_TRY(put_str(c, arr + 8, arr, 48, vendor));
        HAL_TRY(put_str(c, arr + 16, arr, 48, ts));
        hal_st32(c, arr + 24, cu);
        hal_st64(c, arr + 32, mem);
        hal_st64(c, arr + 40, wg);
    }
    HAL_TRY(hal_retarea(c, ret, 8, 4));
    hal_st32(c, ret, g ? arr : 8);
    hal_st32(c, ret + 4, g ? 1 : 0);
    return 0;
}

/* ---- buffers ---------------------------------------------------------------------------------- */

/* [static]buffer.create: func(size: u64) -> result<buffer, gpu-error> */
static int b_create(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    uint64_t size = hal_u64(a, 0);
    uint32_t ret = hal_u32(a, 1);
    HAL_TRY(hal_retarea(c, ret, 8, 4));
    hal_gpu *g = gpu_get(c->h);
    if (!g) return hal_ret_u32(c, ret, 0, E_NO_DEVICE);
    if (size == 0 || size > MAX_BUFFER) return hal_ret_u32(c, ret, 0, E_INVALID_ARGUMENT);
    cl_int err;
    cl_mem m = clCreateBuffer(g->ctx, CL_MEM_READ_WRITE, (size_t)size, NULL, &err);
    if (!m) return hal_ret_u32(c, ret, 0, cl_error(err));
    /* Zero it: a guest never sees what another left in device memory. */
    static const uint8_t zero = 0;
    if (clEnqueueFillBuffer(g->queue, m, &zero, 1, 0, (size_t)size, 0, NULL, NULL) != CL_SUCCESS ||
        clFinish(g->queue) != CL_SUCCESS) {
        clReleaseMemObject(m);
        return hal_ret_u32(c, ret, 0, E_OUT_OF_RESOURCES);
    }
    gpu_buffer *b = malloc(sizeof *b);
    uint32_t handle = b ? hal_handle_new(c->h, HAL_RES_GPU_BUFFER, b) : 0;
    if (!handle) {
        free(b);
        clReleaseMemObject(m);
        return hal_trap(c, ELVM_TRAP_HOST, "out of host memory");
    }
    b->mem = m;
    b->size = size;
    return hal_ret_u32(c, ret, handle, -1);
}

/* [method]buffer.write: func(offset: u64, data: list<u8>) -> result<_, gpu-error> */
static int b_write(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    gpu_buffer *b;
    const uint8_t *data;
    uint64_t off = hal_u64(a, 1);
    uint32_t n = hal_u32(a, 3), ret = hal_u32(a, 4);
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_GPU_BUFFER, (void **)&b));
    HAL_TRY(hal_in(c, hal_u32(a, 2), n, "data", &data));
    HAL_TRY(hal_retarea(c, ret, 2, 1));
    if (off > b->size || n > b->size - off) return hal_ret_unit(c, ret, E_INVALID_ARGUMENT);
    if (!n) return hal_ret_unit(c, ret, -1);
    cl_int e = clEnqueueWriteBuffer(c->h->gpu->queue, b->mem, CL_TRUE, (size_t)off, n, data, 0,
                                    NULL, NULL);
    return hal_ret_unit(c, ret, e == CL_SUCCESS ? -1 : cl_error(e));
}

/* [method]buffer.read: func(offset: u64, length: u32) -> result<list<u8>, gpu-error> */
static int b_read(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    gpu_buffer *b;
    uint64_t off = hal_u64(a, 1);
    uint32_t n = hal_u32(a, 2), ret = hal_u32(a, 3);
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_GPU_BUFFER, (void **)&b));
    HAL_TRY(hal_retarea(c, ret, 12, 4));
    if (off > b->size || n > b->size - off || n > MAX_READ)
        return hal_ret_bytes(c, ret, NULL, 0, E_INVALID_ARGUMENT);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) return hal_trap(c, ELVM_TRAP_HOST, "out of host memory");
    cl_int e = n ? clEnqueueReadBuffer(c->h->gpu->queue, b->mem, CL_TRUE, (size_t)off, n, buf, 0,
                                       NULL, NULL)
                 : CL_SUCCESS;
    int rc = e == CL_SUCCESS ? hal_ret_bytes(c, ret, buf, n, -1)
                             : hal_ret_bytes(c, ret, NULL, 0, cl_error(e));
    free(buf);
    return rc;
}

/* [method]buffer.size: func() -> u64 */
static int b_size(hal_call *c, const elvm_val *a, elvm_val *r) {
    gpu_buffer *b;
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_GPU_BUFFER, (void **)&b));
    hal_set_i64(r, b->size);
    return 0;
}

static int b_drop(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    return hal_drop(c, hal_u32(a, 0), HAL_RES_GPU_BUFFER);
}

/* ---- kernels ---------------------------------------------------------------------------------- */

/* [static]kernel.build: func(source: string, entry-point: string) -> result<kernel, gpu-error>
 * A failed build keeps its log for build-log. */
static int k_build(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    uint32_t ret = hal_u32(a, 4);
    char *src = NULL, *entry = NULL;
    int nul = 0;
    HAL_TRY(hal_retarea(c, ret, 8, 4));
    HAL_TRY(hal_string(c, hal_u32(a, 0), hal_u32(a, 1), "source", &src, NULL));
    int rc = hal_string(c, hal_u32(a, 2), hal_u32(a, 3), "entry-point", &entry, &nul);
    if (rc) {
        free(src);
        return rc;
    }
    hal_gpu *g = gpu_get(c->h);
    int e = -1;
    cl_int err = CL_SUCCESS;
    cl_program prog = NULL;
    cl_kernel kern = NULL;
    if (!g) e = E_NO_DEVICE;
    else if (nul || !entry[0] || !src[0]) e = E_INVALID_ARGUMENT;
    if (e < 0) {
        const char *s = src;
        prog = clCreateProgramWithSource(g->ctx, 1, &s, NULL, &err);
        if (!prog) e = cl_error(err);
    }
    if (e < 0 && clBuildProgram(prog, 1, &g->device, "", NULL, NULL) != CL_SUCCESS) {
        size_t n = 0;
        clGetProgramBuildInfo(prog, g->device, CL_PROGRAM_BUILD_LOG, 0, NULL, &n);
        free(g->build_log);
        g->build_log = malloc(n + 1);
        if (g->build_log) {
            clGetProgramBuildInfo(prog, g->device, CL_PROGRAM_BUILD_LOG, n, g->build_log, NULL);
            g->build_log[n] = 0;
        }
        e = E_BUILD_FAILED;
    }
    if (e < 0 && !(kern = clCreateKernel(prog, entry, &err))) e = E_INVALID_ARGUMENT;
    free(src);
    free(entry);
    if (e >= 0) {
        if (prog) clReleaseProgram(prog);
        return hal_ret_u32(c, ret, 0, e);
    }
    gpu_kernel *k = calloc(1, sizeof *k);
    uint32_t handle = k ? hal_handle_new(c->h, HAL_RES_GPU_KERNEL, k) : 0;
    if (!handle) {
        free(k);
        clReleaseKernel(kern);
        clReleaseProgram(prog);
        return hal_trap(c, ELVM_TRAP_HOST, "out of host memory");
    }
    k->program = prog;
    k->kernel = kern;
    clGetKernelInfo(kern, CL_KERNEL_NUM_ARGS, sizeof k->nargs, &k->nargs, NULL);
    return hal_ret_u32(c, ret, handle, -1);
}

/* [method]kernel.arg-count: func() -> u32 */
static int k_nargs(hal_call *c, const elvm_val *a, elvm_val *r) {
    gpu_kernel *k;
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_GPU_KERNEL, (void **)&k));
    hal_set_i32(r, k->nargs);
    return 0;
}

/* [method]kernel.set-buffer-arg: func(index: u32, buffer: borrow<buffer>) -> result<_, gpu-error> */
static int k_set_buffer(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    gpu_kernel *k;
    gpu_buffer *b;
    uint32_t idx = hal_u32(a, 1), ret = hal_u32(a, 3);
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_GPU_KERNEL, (void **)&k));
    HAL_TRY(hal_handle_get(c, hal_u32(a, 2), HAL_RES_GPU_BUFFER, (void **)&b));
    HAL_TRY(hal_retarea(c, ret, 2, 1));
    if (idx >= k->nargs || idx >= MAX_ARGS) return hal_ret_unit(c, ret, E_INVALID_ARGUMENT);
    if (clSetKernelArg(k->kernel, idx, sizeof b->mem, &b->mem) != CL_SUCCESS)
        return hal_ret_unit(c, ret, E_INVALID_ARGUMENT);
    /* Kept alive while bound: dropping the buffer must not free what the kernel uses. */
    clRetainMemObject(b->mem);
    if (k->args[idx]) clReleaseMemObject(k->args[idx]);
    k->args[idx] = b->mem;
    return hal_ret_unit(c, ret, -1);
}

/* A scalar argument of `size` bytes. */
static int set_scalar(hal_call *c, gpu_kernel *k, uint32_t idx, const void *v, size_t size,
                      uint32_t ret) {
    HAL_TRY(hal_retarea(c, ret, 2, 1));
    if (idx >= k->nargs || idx >= MAX_ARGS) return hal_ret_unit(c, ret, E_INVALID_ARGUMENT);
    if (clSetKernelArg(k->kernel, idx, size, v) != CL_SUCCESS)
        return hal_ret_unit(c, ret, E_INVALID_ARGUMENT);
    if (k->args[idx]) {
        clReleaseMemObject(k->args[idx]);
        k->args[idx] = NULL;
    }
    return hal_ret_unit(c, ret, -1);
}

/* [method]kernel.set-u32-arg: func(index: u32, value: u32) -> result<_, gpu-error> */
static int k_set_u32(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    gpu_kernel *k;
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_GPU_KERNEL, (void **)&k));
    cl_uint v = hal_u32(a, 2);
    return set_scalar(c, k, hal_u32(a, 1), &v, sizeof v, hal_u32(a, 3));
}

/* [method]kernel.set-f32-arg: func(index: u32, value: f32) -> result<_, gpu-error> */
static int k_set_f32(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    gpu_kernel *k;
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_GPU_KERNEL, (void **)&k));
    uint32_t bits = a[2].of.f32_bits;
    cl_float v;
    memcpy(&v, &bits, sizeof v);
    return set_scalar(c, k, hal_u32(a, 1), &v, sizeof v, hal_u32(a, 3));
}

/* [method]kernel.run: func(global-x: u32, global-y: u32, global-z: u32)
 *   -> result<_, gpu-error>: an NDRange of 1 to 3 dimensions (a trailing 0 ends it);
 * returns when the kernel finished. */
static int k_run(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    gpu_kernel *k;
    uint32_t ret = hal_u32(a, 4);
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_GPU_KERNEL, (void **)&k));
    HAL_TRY(hal_retarea(c, ret, 2, 1));
    size_t global[3];
    cl_uint dims = 0;
    for (int i = 1; i <= 3 && hal_u32(a, i); i++) global[dims++] = hal_u32(a, i);
    if (!dims) return hal_ret_unit(c, ret, E_INVALID_ARGUMENT);
    hal_gpu *g = c->h->gpu;
    cl_int e = clEnqueueNDRangeKernel(g->queue, k->kernel, dims, NULL, global, NULL, 0, NULL, NULL);
    if (e == CL_SUCCESS) e = clFinish(g->queue);
    if (e == CL_INVALID_KERNEL_ARGS) {
        hal_log(c->h, "error", "gpu: run: a kernel argument was never set");
        return hal_ret_unit(c, ret, E_INVALID_ARGUMENT);
    }
    return hal_ret_unit(c, ret, e == CL_SUCCESS ? -1 : E_LAUNCH_FAILED);
}

static int k_drop(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    return hal_drop(c, hal_u32(a, 0), HAL_RES_GPU_KERNEL);
}

/* build-log: func() -> string: the compiler's log of the last failed build. */
static int g_build_log(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    const char *s = c->h->gpu && c->h->gpu->build_log ? c->h->gpu->build_log : "";
    return hal_ret_list(c, hal_u32(a, 0), s, strlen(s));
}

static const hal_func funcs[] = {
    {"list-devices", "i", "", g_list},
    {"[static]buffer.create", "Ii", "", b_create},
    {"[method]buffer.write", "iIiii", "", b_write},
    {"[method]buffer.read", "iIii", "", b_read},
    {"[method]buffer.size", "i", "I", b_size},
    {"[resource-drop]buffer", "i", "", b_drop},
    {"[static]kernel.build", "iiiii", "", k_build},
    {"[method]kernel.arg-count", "i", "i", k_nargs},
    {"[method]kernel.set-buffer-arg", "iiii", "", k_set_buffer},
    {"[method]kernel.set-u32-arg", "iiii", "", k_set_u32},
    {"[method]kernel.set-f32-arg", "iifi", "", k_set_f32},
    {"[method]kernel.run", "iiiii", "", k_run},
    {"[resource-drop]kernel", "i", "", k_drop},
    {"build-log", "i", "", g_build_log},
};

const hal_iface_desc elvm__hal_GPU = {ELVM_HAL_GPU, HAL_MODULE("gpu"), funcs,
                                      sizeof funcs / sizeof funcs[0]};
