/* test_gpu.c: elastic:gpu from a guest. "compute": a device is there (pocl's CPU device in
 * the tests): buffers, a vector kernel in 1 and 2 dimensions, arguments, build failures.
 * "absent": the host has no device (or hides it): everything fails with no-device. */
#include "guest_test.h"

static const char *src =
    "__kernel void saxpy(__global const float *x, __global float *y, float a, uint n) {\n"
    "    uint i = get_global_id(0);\n"
    "    if (i < n) y[i] = a * x[i] + y[i];\n"
    "}\n"
    "__kernel void grid(__global uint *out, uint w) {\n"
    "    uint x = get_global_id(0), y = get_global_id(1);\n"
    "    out[y * w + x] = y * 1000 + x;\n"
    "}\n";

static void compute(void) {
    elastic_gpu_device d[2];
    size_t nd = elastic_gpu_list_devices(d, 2);
    CHECK(nd == 1);
    if (nd) {
        printf("gpu: device %s (%s, %s), %u compute units\n", d[0].name, d[0].vendor,
               d[0].device_type, d[0].compute_units);
        CHECK(d[0].compute_units > 0 && d[0].global_memory > 0);
        elastic_gpu_device_free(&d[0]);
    }
    enum { N = 1000 };
    static float x[N], y[N];
    for (int i = 0; i < N; i++) x[i] = (float)i, y[i] = 1.0f;
    elastic_gpu_buffer bx, by, bad;
    CHECK_RC(elastic_gpu_buffer_create(sizeof x, &bx), 0);
    CHECK_RC(elastic_gpu_buffer_create(sizeof y, &by), 0);
    CHECK(elastic_gpu_buffer_size(bx) == sizeof x);
    CHECK_RC(elastic_gpu_buffer_create(0, &bad), ELASTIC_GPU_ERR_INVALID_ARGUMENT);
    CHECK_RC(elastic_gpu_buffer_create(1ull << 40, &bad), ELASTIC_GPU_ERR_INVALID_ARGUMENT);
    elastic_bytes m;
    CHECK_RC(elastic_gpu_buffer_read(bx, 0, 16, &m), 0); /* new buffers are zeroed */
    CHECK(m.len == 16 && m.ptr[0] == 0 && m.ptr[15] == 0);
    elastic_bytes_free(&m);
    CHECK_RC(elastic_gpu_buffer_write(bx, 0, x, sizeof x), 0);
    CHECK_RC(elastic_gpu_buffer_write(by, 0, y, sizeof y), 0);
    CHECK_RC(elastic_gpu_buffer_write(bx, sizeof x - 2, x, 4), ELASTIC_GPU_ERR_INVALID_ARGUMENT);
    CHECK_RC(elastic_gpu_buffer_read(bx, sizeof x, 1, &m), ELASTIC_GPU_ERR_INVALID_ARGUMENT);

    elastic_gpu_kernel k, k2;
    CHECK_RC(elastic_gpu_kernel_build(src, "saxpy", &k), 0);
    CHECK(elastic_gpu_kernel_arg_count(k) == 4);
    CHECK_RC(elastic_gpu_kernel_run(k, N, 0, 0), ELASTIC_GPU_ERR_INVALID_ARGUMENT); /* args unset */
    CHECK_RC(elastic_gpu_kernel_set_buffer_arg(k, 0, bx), 0);
    CHECK_RC(elastic_gpu_kernel_set_buffer_arg(k, 1, by), 0);
    CHECK_RC(elastic_gpu_kernel_set_f32_arg(k, 2, 2.5f), 0);
    CHECK_RC(elastic_gpu_kernel_set_u32_arg(k, 3, N), 0);
    CHECK_RC(elastic_gpu_kernel_set_u32_arg(k, 4, 1), ELASTIC_GPU_ERR_INVALID_ARGUMENT);
    /* The kernel keeps its buffers alive even when the guest drops its handle. */
    elastic_gpu_buffer_drop(bx);
    CHECK_RC(elastic_gpu_kernel_run(k, N, 0, 0), 0);
    CHECK_RC(elastic_gpu_kernel_run(k, 0, 0, 0), ELASTIC_GPU_ERR_INVALID_ARGUMENT);
    CHECK_RC(elastic_gpu_buffer_read(by, 0, sizeof y, &m), 0);
    int ok = m.len == sizeof y;
    for (int i = 0; ok && i < N; i++) {
        float v;
        memcpy(&v, m.ptr + 4 * i, 4);
        ok = v == 2.5f * (float)i + 1.0f;
    }
    CHECK(ok);
    elastic_bytes_free(&m);

    /* Two dimensions. */
    elastic_gpu_buffer bo;
    CHECK_RC(elastic_gpu_buffer_create(16 * 8 * 4, &bo), 0);
    CHECK_RC(elastic_gpu_kernel_build(src, "grid", &k2), 0);
    CHECK_RC(elastic_gpu_kernel_set_buffer_arg(k2, 0, bo), 0);
    CHECK_RC(elastic_gpu_kernel_set_u32_arg(k2, 1, 16), 0);
    CHECK_RC(elastic_gpu_kernel_run(k2, 16, 8, 0), 0);
    CHECK_RC(elastic_gpu_buffer_read(bo, 0, 16 * 8 * 4, &m), 0);
    uint32_t v;
    memcpy(&v, m.ptr + 4 * (7 * 16 + 5), 4);
    CHECK(v == 7005);
    elastic_bytes_free(&m);

    /* Build errors. */
    elastic_gpu_kernel kb;
    CHECK_RC(elastic_gpu_kernel_build("__kernel void f( { syntax error", "f", &kb),
             ELASTIC_GPU_ERR_BUILD_FAILED);
    char *log = elastic_gpu_build_log();
    CHECK(log && strlen(log) > 0);
    free(log);
    CHECK_RC(elastic_gpu_kernel_build(src, "missing", &kb), ELASTIC_GPU_ERR_INVALID_ARGUMENT);
    CHECK_RC(elastic_gpu_kernel_build(src, "", &kb), ELASTIC_GPU_ERR_INVALID_ARGUMENT);
    elastic_gpu_kernel_drop(k);
    elastic_gpu_kernel_drop(k2);
    elastic_gpu_buffer_drop(by);
    elastic_gpu_buffer_drop(bo);
}

static void absent(void) {
    elastic_gpu_device d[1];
    CHECK(elastic_gpu_list_devices(d, 1) == 0);
    elastic_gpu_buffer b;
    elastic_gpu_kernel k;
    CHECK_RC(elastic_gpu_buffer_create(16, &b), ELASTIC_GPU_ERR_NO_DEVICE);
    CHECK_RC(elastic_gpu_kernel_build(src, "saxpy", &k), ELASTIC_GPU_ERR_NO_DEVICE);
    CHECK(!elastic_capabilities_has("gpu"));
    elastic_capability c;
    CHECK(elastic_capabilities_get("gpu", &c));
    printf("gpu: absent: %s\n", c.detail);
    free(c.name), free(c.detail);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "compute";
    if (!strcmp(mode, "absent")) absent();
    else compute();
    char label[32];
    snprintf(label, sizeof label, "gpu %s", mode);
    return t_done(label);
}
