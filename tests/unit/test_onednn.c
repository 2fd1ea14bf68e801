/*
 * oneDNN backend tests: tiny ONNX models (one op family each, written at
 * test time by an embedded Python/onnx script into a temporary folder) are
 * run twice, with the oneDNN backend and with the reference kernels only
 * (axon_model_opts.disable_onednn), and the outputs must agree to 1e-4
 * relative. Each model also states how many plan steps the oneDNN backend
 * must own, so a test fails if the backend silently declines an op it
 * claims, and the blocked-layout test checks that an intermediate value
 * really carries a private layout. The whole set runs a second time in a
 * child process with oneDNN capped at AVX2.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "axon/engine.h"
#include "common/common.h"
#include "engine/backend/onednn/onednn_int.h"
#include "engine/engine_int.h"
#include "test.h"

/* Model generator. Every model: inputs named in0.., one or more outputs.
 * The manifest line: name expected_onednn_steps n_inputs {ndim dims...}. */
static const char *gen_py =
    "import sys, os, numpy as np, onnx\n"
    "from onnx import helper as h, TensorProto as T, numpy_helper as nh\n"
    "out = sys.argv[1]\n"
    "rng = np.random.default_rng(7)\n"
    "man = open(os.path.join(out, 'manifest.txt'), 'w')\n"
    "def W(name, *shape):\n"
    "    return nh.from_array((rng.standard_normal(shape) * 0.3)"
    ".astype(np.float32), name)\n"
    "def save(name, nodes, inputs, outputs, inits, expect, opset=14):\n"
    "    vi = [h.make_tensor_value_info('in%d' % i, T.FLOAT, s) "
    "for i, s in enumerate(inputs)]\n"
    "    vo = [h.make_tensor_value_info(o, T.FLOAT, None) for o in outputs]\n"
    "    g = h.make_graph(nodes, name, vi, vo, inits)\n"
    "    m = h.make_model(g, opset_imports=[h.make_opsetid('', opset)])\n"
    "    m.ir_version = 8\n"
    "    onnx.save(m, os.path.join(out, name + '.onnx'))\n"
    "    man.write('%s %d %d %s\\n' % (name, expect, len(inputs), ' '.join("
    "'%d %s' % (len(s), ' '.join(map(str, s))) for s in inputs)))\n"
    "def conv(name, x, y, cin, cout, k, bias=True, **kw):\n"
    "    g = kw.get('group', 1)\n"
    "    ks = k if isinstance(k, tuple) else (k, k)\n"
    "    inits = [W(name + '_w', cout, cin // g, *ks)]\n"
    "    ins = [x, name + '_w']\n"
    "    if bias:\n"
    "        inits.append(W(name + '_b', cout)); ins.append(name + '_b')\n"
    "    return h.make_node('Conv', ins, [y], name=name, **kw), inits\n"
    "def one_conv(name, shape, cout, k, act=None, expect=1, **kw):\n"
    "    n, i = conv('c', 'in0', 't' if act else 'y', shape[1], cout, k, "
    "**kw)\n"
    "    nodes = [n]\n"
    "    if act:\n"
    "        nodes.append(h.make_node(act[0], ['t'] + act[2], ['y'], "
    "**act[1]))\n"
    "        i += act[3]\n"
    "    save(name, nodes, [shape], ['y'], i, expect)\n"
    "one_conv('conv_basic', [1, 3, 10, 10], 8, 3, pads=[1, 1, 1, 1])\n"
    "one_conv('conv_nobias', [2, 16, 9, 11], 32, 3, bias=False, "
    "strides=[2, 2], pads=[0, 1, 2, 1])\n"
    "one_conv('conv_grouped', [1, 16, 8, 8], 24, 3, group=4, "
    "pads=[1, 1, 1, 1])\n"
    "one_conv('conv_depthwise', [1, 32, 14, 14], 32, 3, group=32, "
    "strides=[2, 2], pads=[1, 1, 1, 1])\n"
    "one_conv('conv_dilated', [1, 8, 12, 12], 16, 3, dilations=[2, 2], "
    "pads=[2, 2, 2, 2])\n"
    "one_conv('conv_same_upper', [1, 8, 11, 11], 8, 3, strides=[2, 2], "
    "auto_pad='SAME_UPPER')\n"
    "one_conv('conv_same_lower', [1, 8, 10, 10], 8, 4, strides=[2, 2], "
    "auto_pad='SAME_LOWER')\n"
    "one_conv('conv_rect_1d', [1, 4, 16], 8, (5,), pads=[2, 1])\n"
    "one_conv('conv_valid_rect', [1, 8, 9, 13], 16, (1, 3), "
    "auto_pad='VALID')\n"
    "one_conv('conv_3d_grouped', [1, 4, 6, 5, 7], 8, (3, 3, 3), group=2, "
    "pads=[1, 0, 1, 1, 1, 0], strides=[1, 2, 1])\n"
    "save('maxpool_3d', [h.make_node('MaxPool', ['in0'], ['y'], "
    "kernel_shape=[2, 2, 2], strides=[2, 1, 2])], [[1, 3, 6, 5, 7]], "
    "['y'], [], 1)\n"
    "one_conv('conv_relu', [1, 8, 10, 10], 16, 1, "
    "act=('Relu', {}, [], []))\n"
    "one_conv('conv_leaky', [1, 8, 10, 10], 16, 3, pads=[1, 1, 1, 1], "
    "act=('LeakyRelu', {'alpha': 0.2}, [], []))\n"
    "one_conv('conv_sigmoid', [1, 8, 6, 6], 8, 3, "
    "act=('Sigmoid', {}, [], []))\n"
    "one_conv('conv_tanh', [1, 8, 6, 6], 8, 3, act=('Tanh', {}, [], []))\n"
    "one_conv('conv_hardswish', [1, 8, 6, 6], 8, 3, "
    "act=('HardSwish', {}, [], []))\n"
    "one_conv('conv_hardsigmoid', [1, 8, 6, 6], 8, 3, "
    "act=('HardSigmoid', {'alpha': 0.3, 'beta': 0.4}, [], []))\n"
    "one_conv('conv_clip6', [1, 16, 8, 8], 16, 3, group=16, "
    "pads=[1, 1, 1, 1], act=('Clip', {}, ['lo', 'hi'], "
    "[nh.from_array(np.array(0, np.float32), 'lo'), "
    "nh.from_array(np.array(0.5, np.float32), 'hi')]))\n"
    /* residual block: blocked intermediates, fused sum + relu, a value
     * read by two convs, and a graph output that is also read */
    "n1, i1 = conv('c1', 'in0', 'a', 16, 16, 3, pads=[1, 1, 1, 1])\n"
    "n2, i2 = conv('c2', 'ar', 'b', 16, 16, 3, pads=[1, 1, 1, 1])\n"
    "n3, i3 = conv('c3', 'ar', 'c', 16, 16, 1)\n"
    "nodes = [n1, h.make_node('Relu', ['a'], ['ar']), n2, n3,\n"
    "         h.make_node('Add', ['b', 'c'], ['s']),\n"
    "         h.make_node('Relu', ['s'], ['y']),\n"
    "         h.make_node('MaxPool', ['y'], ['p'], kernel_shape=[2, 2], "
    "strides=[2, 2])]\n"
    "save('residual', nodes, [[1, 16, 12, 12]], ['y', 'p'], i1 + i2 + i3, "
    "4)\n"
    /* a conv output read by a oneDNN conv and by a reference op (Flatten)
     * must stay dense; the first conv has 12 channels (not a multiple of
     * the block size) */
    "n1, i1 = conv('c1', 'in0', 'a', 5, 12, 3, pads=[1, 1, 1, 1])\n"
    "n2, i2 = conv('c2', 'a', 'y', 12, 8, 3, strides=[2, 2])\n"
    "save('mixed_consumers', [n1, n2, h.make_node('Flatten', ['a'], "
    "['f']), h.make_node('Relu', ['f'], ['z'])], [[1, 5, 9, 9]], "
    "['y', 'z'], i1 + i2, 3)\n"
    /* Concat: channel axis on blocked inputs (one not a multiple of the
     * block), on mixed dense/blocked inputs, and on another axis */
    "n1, i1 = conv('c1', 'in0', 'a', 8, 16, 3, pads=[1, 1, 1, 1])\n"
    "n2, i2 = conv('c2', 'in0', 'b', 8, 12, 1)\n"
    "n3, i3 = conv('c3', 'cat', 'y', 36, 8, 3)\n"
    "save('concat_channels', [n1, n2, h.make_node('Concat', "
    "['a', 'b', 'in0'], ['cat'], axis=1), n3], [[1, 8, 9, 9]], ['y'], "
    "i1 + i2 + i3, 4)\n"
    "save('concat_axis', [h.make_node('Concat', ['in0', 'in1'], ['y'], "
    "axis=-2)], [[2, 3, 4], [2, 5, 4]], ['y'], [], 1)\n"
    /* free batch dimension: plans for two batch sizes share weights */
    "n1, i1 = conv('c1', 'in0', 'a', 8, 16, 3, pads=[1, 1, 1, 1])\n"
    "n2, i2 = conv('c2', 'a', 'y', 16, 8, 1)\n"
    "save('dynbatch', [n1, n2], [['N', 8, 10, 10]], ['y'], i1 + i2, 2)\n"
    /* residual operand straight from a graph input (dense) */
    "n1, i1 = conv('c1', 'in0', 'a', 8, 8, 3, pads=[1, 1, 1, 1])\n"
    "save('sum_dense', [n1, h.make_node('Add', ['in1', 'a'], ['y'])], "
    "[[1, 8, 7, 7], [1, 8, 7, 7]], ['y'], i1, 1)\n"
    /* standalone eltwise / binary ops on blocked data (swish, scale) */
    "n1, i1 = conv('c1', 'in0', 'a', 8, 16, 3)\n"
    "n2, i2 = conv('c2', 'm', 'y', 16, 8, 1)\n"
    "sc = W('sc', 1, 16, 1, 1)\n"
    "nodes = [n1, h.make_node('Sigmoid', ['a'], ['sg']),\n"
    "         h.make_node('Mul', ['a', 'sg'], ['sw']),\n"
    "         h.make_node('Mul', ['sc', 'sw'], ['m0']),\n"
    "         h.make_node('Tanh', ['m0'], ['m1']),\n"
    "         h.make_node('Add', ['m1', 'm0'], ['m']), n2]\n"
    "save('eltwise_blocked', nodes, [[1, 8, 9, 9]], ['y'], i1 + i2 + [sc], "
    "7)\n"
    "nodes = [h.make_node('Relu', ['in0'], ['r']),\n"
    "         h.make_node('LeakyRelu', ['r'], ['l'], alpha=0.1),\n"
    "         h.make_node('Clip', ['in0', 'lo', 'hi'], ['c']),\n"
    "         h.make_node('HardSigmoid', ['in0'], ['hs']),\n"
    "         h.make_node('HardSwish', ['in0'], ['hw']),\n"
    "         h.make_node('Sub', ['c', 'hs'], ['d']),\n"
    "         h.make_node('Div', ['hw', 'dd'], ['e'])]\n"
    "save('eltwise_dense', nodes, [[2, 3, 5, 7]], ['l', 'd', 'e'], "
    "[nh.from_array(np.array(-0.5, np.float32), 'lo'), "
    "nh.from_array(np.array(0.7, np.float32), 'hi'), "
    "nh.from_array(np.array([1.5, 2, -3, 4, 0.5, 1, 2], np.float32), "
    "'dd')], 7)\n"
    /* pooling, on blocked (after a conv) and dense inputs */
    "def pool(name, op, expect, shape=[1, 16, 13, 13], after_conv=True, "
    "**kw):\n"
    "    inits = []; nodes = []; x = 'in0'\n"
    "    if after_conv:\n"
    "        n, inits = conv('c', 'in0', 'a', shape[1], 16, 3, "
    "pads=[1, 1, 1, 1]); nodes.append(n); x = 'a'\n"
    "    nodes.append(h.make_node(op, [x], ['y'], **kw))\n"
    "    save(name, nodes, [shape], ['y'], inits, expect)\n"
    "pool('maxpool', 'MaxPool', 2, kernel_shape=[3, 3], strides=[2, 2], "
    "pads=[1, 1, 1, 1])\n"
    "pool('maxpool_ceil', 'MaxPool', 2, kernel_shape=[3, 3], "
    "strides=[2, 2], ceil_mode=1)\n"
    "pool('maxpool_dilated', 'MaxPool', 1, after_conv=False, "
    "kernel_shape=[2, 2], dilations=[2, 2])\n"
    "pool('avgpool_excl', 'AveragePool', 2, kernel_shape=[3, 3], "
    "strides=[2, 2], pads=[1, 1, 1, 1])\n"
    "pool('avgpool_incl', 'AveragePool', 2, kernel_shape=[3, 3], "
    "strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=1)\n"
    "pool('avgpool_ceil', 'AveragePool', 2, kernel_shape=[2, 2], "
    "strides=[2, 2], ceil_mode=1)\n"
    "pool('avgpool_ceil_incl_declined', 'AveragePool', 1, "
    "kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1, "
    "count_include_pad=1)\n"
    "pool('avgpool_dense', 'AveragePool', 1, after_conv=False, "
    "kernel_shape=[2, 3], strides=[1, 2])\n"
    "pool('gap', 'GlobalAveragePool', 2)\n"
    "pool('gmp', 'GlobalMaxPool', 1, after_conv=False)\n"
    /* ResNet tail: GAP -> Flatten (reference) -> Gemm */
    "n1, i1 = conv('c1', 'in0', 'a', 8, 32, 3)\n"
    "nodes = [n1, h.make_node('GlobalAveragePool', ['a'], ['g']),\n"
    "         h.make_node('Flatten', ['g'], ['f']),\n"
    "         h.make_node('Gemm', ['f', 'fw', 'fb'], ['y'], transB=1)]\n"
    "save('tail_gemm', nodes, [[2, 8, 7, 7]], ['y'], "
    "i1 + [W('fw', 10, 32), W('fb', 10)], 3)\n"
    /* BatchNormalization on a graph input (not foldable) */
    "bn = [W('s', 6), W('bb', 6), W('mu', 6), "
    "nh.from_array((rng.random(6) + 0.5).astype(np.float32), 'var')]\n"
    "save('batchnorm', [h.make_node('BatchNormalization', "
    "['in0', 's', 'bb', 'mu', 'var'], ['y'], epsilon=1e-3)], "
    "[[2, 6, 5, 5]], ['y'], bn, 1)\n"
    /* Gemm variants */
    "def gemm(name, a, b, c, expect=1, b_input=False, c_input=False, "
    "**kw):\n"
    "    inits = []; ins = [a]; names = ['in0']\n"
    "    if b_input:\n"
    "        ins.append(b); names.append('in%d' % len(names))\n"
    "    else:\n"
    "        inits.append(W('B', *b)); names.append('B')\n"
    "    if c is not None:\n"
    "        if c_input:\n"
    "            ins.append(c); names.append('in%d' % (len(ins) - 1))\n"
    "        else:\n"
    "            inits.append(W('C', *c)); names.append('C')\n"
    "    save(name, [h.make_node('Gemm', names, ['y'], **kw)], ins, ['y'], "
    "inits, expect)\n"
    "gemm('gemm_plain', [4, 6], [6, 5], [5])\n"
    "gemm('gemm_transA', [6, 4], [6, 5], [1, 5], transA=1, alpha=0.5, "
    "beta=2.0)\n"
    "gemm('gemm_transB', [4, 6], [5, 6], [4, 5], transB=1, beta=0.5)\n"
    "gemm('gemm_transAB_noc', [6, 4], [5, 6], None, transA=1, transB=1, "
    "alpha=1.5)\n"
    "gemm('gemm_scalar_c', [3, 7], [7, 2], [1], beta=3.0)\n"
    "gemm('gemm_b_input', [4, 6], [6, 5], [4, 5], b_input=True, "
    "alpha=0.25, beta=0.5)\n"
    "gemm('gemm_c_input', [4, 6], [6, 5], [5], c_input=True)\n"
    "gemm('gemm_bc_input_full', [3, 6], [5, 6], [3, 5], b_input=True, "
    "c_input=True, transB=1)\n"
    "gemm('gemm_c_col_declined', [4, 6], [6, 5], [4, 1], expect=0)\n"
    /* Gemm + fused Relu */
    "save('gemm_relu', [h.make_node('Gemm', ['in0', 'B', 'C'], ['t']), "
    "h.make_node('Relu', ['t'], ['y'])], [[3, 8]], ['y'], "
    "[W('B', 8, 4), W('C', 4)], 1)\n"
    /* MatMul variants */
    "def mm(name, a, b, b_const=True, expect=1):\n"
    "    if b_const:\n"
    "        save(name, [h.make_node('MatMul', ['in0', 'B'], ['y'])], [a], "
    "['y'], [W('B', *b)], expect)\n"
    "    else:\n"
    "        save(name, [h.make_node('MatMul', ['in0', 'in1'], ['y'])], "
    "[a, b], ['y'], [], expect)\n"
    "mm('matmul_2d', [5, 7], [7, 3])\n"
    "mm('matmul_3d_const', [2, 5, 7], [7, 3])\n"
    "mm('matmul_batched', [2, 5, 7], [2, 7, 3], b_const=False)\n"
    "mm('matmul_bcast', [2, 3, 5, 7], [3, 7, 4], b_const=False)\n"
    "mm('matmul_vec', [7], [7, 3])\n"
    "mm('matmul_vec_b', [2, 5, 7], [7], b_const=False)\n"
    "save('matmul_sigmoid', [h.make_node('MatMul', ['in0', 'B'], ['t']), "
    "h.make_node('Sigmoid', ['t'], ['y'])], [[2, 3, 6]], ['y'], "
    "[W('B', 6, 5)], 1)\n"
    "nodes = [h.make_node('Softmax', ['in0'], ['a'], axis=1),\n"
    "         h.make_node('LogSoftmax', ['in0'], ['b']),\n"
    "         h.make_node('Softmax', ['in0'], ['c'], axis=-3)]\n"
    "save('softmax', nodes, [[2, 3, 4, 5]], ['a', 'b', 'c'], [], 3)\n"
    "nodes = [h.make_node('Softmax', ['in0'], ['a'], axis=2),\n"
    "         h.make_node('LogSoftmax', ['in0'], ['b'])]\n"
    "save('softmax_opset11', nodes, [[2, 3, 4, 5]], ['a', 'b'], [], 2, "
    "opset=11)\n"
    "nodes = [h.make_node('LayerNormalization', ['in0', 'g', 'be'], ['a'], "
    "epsilon=1e-3), h.make_node('LayerNormalization', ['in0', 'g'], ['b'], "
    "axis=2)]\n"
    "save('layernorm', nodes, [[2, 3, 6]], ['a', 'b'], "
    "[W('g', 6), W('be', 6)], 2, opset=17)\n"
    "man.close()\n";

static char tmpdir[256];
static int generated;

static int generate(void)
{
    if (generated)
        return generated > 0;
    generated = -1;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/axon_onednn_XXXXXX");
    if (!mkdtemp(tmpdir))
        return 0;
    char script[300], cmd[700];
    snprintf(script, sizeof(script), "%s/gen.py", tmpdir);
    FILE *f = fopen(script, "w");
    if (!f)
        return 0;
    fputs(gen_py, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s %s", script, tmpdir);
    if (system(cmd) != 0)
        return 0;
    generated = 1;
    return 1;
}

static void cleanup(void)
{
    char cmd[400];
    if (generated > 0 || tmpdir[0]) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "cannot remove %s\n", tmpdir);
    }
}

typedef struct spec {
    char name[64];
    int expect;
    int n_in;
    int ndim[4];
    int64_t dims[4][AXON_MAX_DIMS];
} spec;

static int find_spec(const char *name, spec *sp)
{
    char path[400];
    snprintf(path, sizeof(path), "%s/manifest.txt", tmpdir);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int found = 0;
    while (!found && fscanf(f, "%63s %d %d", sp->name, &sp->expect,
                            &sp->n_in) == 3) {
        for (int i = 0; i < sp->n_in && i < 4; i++) {
            if (fscanf(f, "%d", &sp->ndim[i]) != 1)
                break;
            for (int d = 0; d < sp->ndim[i]; d++) {
                long long v = 0;
                if (fscanf(f, "%lld", &v) != 1)
                    break;
                sp->dims[i][d] = v;
            }
        }
        found = strcmp(sp->name, name) == 0;
    }
    fclose(f);
    return found;
}

static axon_model *load(const char *name, int disable)
{
    char path[400];
    axon_model_opts o = {.threads = 2, .disable_onednn = disable};
    axon_model *m = NULL;
    axon_errinfo ei;
    snprintf(path, sizeof(path), "%s/%s.onnx", tmpdir, name);
    if (axon_model_load_file(path, &o, &m, &ei) != AXON_ERR_OK) {
        fprintf(stderr, "  load %s: %s\n", name, ei.msg);
        return NULL;
    }
    return m;
}

static int count_onednn_steps(const axon_session *s)
{
    int c = 0;
    for (int i = 0; s->plan && i < s->plan->n_steps; i++)
        c += s->plan->steps[i].backend == &axon__backend_onednn;
    return c;
}

static int count_layouts(const axon_session *s)
{
    int c = 0;
    for (int v = 0; s->plan && v < s->plan->g->n_values; v++)
        c += s->plan->vals[v].layout != NULL;
    return c;
}

/* Runs model `name` with and without oneDNN; checks outputs agree and the
 * backend owned the expected number of steps. *layouts receives how many
 * values carried a private layout (may be NULL). */
static int check_model(const char *name, int *layouts)
{
    spec sp;
    int ok = 0;
    axon_model *m1 = NULL, *m0 = NULL;
    axon_session *s1 = NULL, *s0 = NULL;
    float *data[4] = {0};
    axon_tensor in[4];
    if (!generate()) {
        fprintf(stderr, "  model generation failed\n");
        return 0;
    }
    if (!find_spec(name, &sp)) {
        fprintf(stderr, "  no model %s\n", name);
        return 0;
    }
    m1 = load(name, 0);
    m0 = load(name, 1);
    if (!m1 || !m0 || axon_session_create(m1, &s1) != AXON_ERR_OK ||
        axon_session_create(m0, &s0) != AXON_ERR_OK)
        goto out;
    for (int i = 0; i < sp.n_in; i++) {
        int64_t n = 1;
        for (int d = 0; d < sp.ndim[i]; d++)
            n *= sp.dims[i][d];
        data[i] = malloc((size_t)n * sizeof(float));
        for (int64_t j = 0; j < n; j++)
            data[i][j] = (float)sin((double)j * 0.731 + i * 1.7) * 1.5f;
        memset(&in[i], 0, sizeof(in[i]));
        in[i].dtype = AXON_DTYPE_FLOAT;
        in[i].ndim = sp.ndim[i];
        memcpy(in[i].dims, sp.dims[i], sizeof(int64_t) * AXON_MAX_DIMS);
        in[i].data = data[i];
    }
    size_t no = axon_model_output_count(m1);
    axon_tensor o1[4], o0[4];
    /* two runs on the oneDNN side: the second reuses the plan */
    for (int rep = 0; rep < 2; rep++)
        if (axon_session_run(s1, in, (size_t)sp.n_in, o1, no) != AXON_ERR_OK) {
            fprintf(stderr, "  %s onednn run: %s\n", name,
                    axon_session_errmsg(s1));
            goto out;
        }
    if (axon_session_run(s0, in, (size_t)sp.n_in, o0, no) != AXON_ERR_OK) {
        fprintf(stderr, "  %s reference run: %s\n", name,
                axon_session_errmsg(s0));
        goto out;
    }
    ok = 1;
    int steps = count_onednn_steps(s1);
    if (steps != sp.expect) {
        fprintf(stderr, "  %s: %d onednn steps, expected %d\n", name, steps,
                sp.expect);
        ok = 0;
    }
    if (layouts)
        *layouts = count_layouts(s1);
    for (size_t k = 0; k < no; k++) {
        int64_t n = axon_tensor_numel(&o0[k]);
        if (o1[k].ndim != o0[k].ndim || axon_tensor_numel(&o1[k]) != n) {
            fprintf(stderr, "  %s: output %zu shape differs\n", name, k);
            ok = 0;
            continue;
        }
        const float *a = o1[k].data, *b = o0[k].data;
        double scale = 1.0, worst = 0;
        int64_t wi = 0;
        for (int64_t j = 0; j < n; j++)
            if (fabs(b[j]) > scale)
                scale = fabs(b[j]);
        for (int64_t j = 0; j < n; j++) {
            double d = fabs((double)a[j] - b[j]);
            if (!(d <= worst)) {
                worst = d;
                wi = j;
            }
        }
        if (!(worst <= 1e-4 * scale)) {
            fprintf(stderr, "  %s: output %zu differs at %lld: %g vs %g\n",
                    name, k, (long long)wi, a[wi], b[wi]);
            ok = 0;
        }
    }
out:
    for (int i = 0; i < 4; i++)
        free(data[i]);
    axon_session_free(s1);
    axon_session_free(s0);
    axon_model_free(m1);
    axon_model_free(m0);
    return ok;
}

#define MODEL_TEST(nm)                                                       \
    TEST(nm) { CHECK(check_model(#nm, NULL)); }

MODEL_TEST(conv_basic)
MODEL_TEST(conv_nobias)
MODEL_TEST(conv_grouped)
MODEL_TEST(conv_depthwise)
MODEL_TEST(conv_dilated)
MODEL_TEST(conv_same_upper)
MODEL_TEST(conv_same_lower)
MODEL_TEST(conv_rect_1d)
MODEL_TEST(conv_valid_rect)
MODEL_TEST(conv_3d_grouped)
MODEL_TEST(maxpool_3d)
MODEL_TEST(conv_relu)
MODEL_TEST(conv_leaky)
MODEL_TEST(conv_sigmoid)
MODEL_TEST(conv_tanh)
MODEL_TEST(conv_hardswish)
MODEL_TEST(conv_hardsigmoid)
MODEL_TEST(conv_clip6)
MODEL_TEST(sum_dense)
MODEL_TEST(eltwise_dense)
MODEL_TEST(maxpool)
MODEL_TEST(maxpool_ceil)
MODEL_TEST(maxpool_dilated)
MODEL_TEST(avgpool_excl)
MODEL_TEST(avgpool_incl)
MODEL_TEST(avgpool_ceil)
MODEL_TEST(avgpool_ceil_incl_declined)
MODEL_TEST(avgpool_dense)
MODEL_TEST(gap)
MODEL_TEST(gmp)
MODEL_TEST(tail_gemm)
MODEL_TEST(batchnorm)
MODEL_TEST(gemm_plain)
MODEL_TEST(gemm_transA)
MODEL_TEST(gemm_transB)
MODEL_TEST(gemm_transAB_noc)
MODEL_TEST(gemm_scalar_c)
MODEL_TEST(gemm_b_input)
MODEL_TEST(gemm_c_input)
MODEL_TEST(gemm_bc_input_full)
MODEL_TEST(gemm_c_col_declined)
MODEL_TEST(gemm_relu)
MODEL_TEST(concat_channels)
MODEL_TEST(concat_axis)
MODEL_TEST(matmul_2d)
MODEL_TEST(matmul_3d_const)
MODEL_TEST(matmul_batched)
MODEL_TEST(matmul_bcast)
MODEL_TEST(matmul_vec)
MODEL_TEST(matmul_vec_b)
MODEL_TEST(matmul_sigmoid)
MODEL_TEST(softmax)
MODEL_TEST(softmax_opset11)
MODEL_TEST(layernorm)

/* Conv -> Relu -> two convs -> fused Add+Relu -> MaxPool: the values read
 * only by oneDNN nodes keep a blocked layout; graph outputs stay dense. */
TEST(residual_keeps_blocked_layout)
{
    int layouts = -1;
    CHECK(check_model("residual", &layouts));
    CHECK(layouts >= 2);
}

TEST(eltwise_blocked_chain)
{
    int layouts = -1;
    CHECK(check_model("eltwise_blocked", &layouts));
    CHECK(layouts >= 3);
}

TEST(mixed_consumers_stay_dense)
{
    int layouts = -1;
    CHECK(check_model("mixed_consumers", &layouts));
    CHECK_EQ_INT(layouts, 0);
}

/* Several sessions run the same prepared kernels at once (reentrancy:
 * per-run memory objects, per-thread streams, scratchpads in the run
 * arena). Each thread checks its results against a single-thread run. */
typedef struct mt_arg {
    axon_model *m;
    const float *x;
    const float *want;
    int64_t n_out;
    int ok;
} mt_arg;

static void *mt_worker(void *p)
{
    mt_arg *a = p;
    axon_session *s = NULL;
    a->ok = axon_session_create(a->m, &s) == AXON_ERR_OK;
    axon_tensor in = {.dtype = AXON_DTYPE_FLOAT, .ndim = 4,
                      .dims = {1, 16, 12, 12}, .data = (void *)a->x};
    for (int it = 0; a->ok && it < 20; it++) {
        axon_tensor out[2];
        if (axon_session_run(s, &in, 1, out, 2) != AXON_ERR_OK) {
            a->ok = 0;
            break;
        }
        a->ok = memcmp(out[0].data, a->want,
                       (size_t)a->n_out * sizeof(float)) == 0;
    }
    axon_session_free(s);
    return NULL;
}

TEST(concurrent_sessions_share_kernels)
{
    CHECK(generate());
    axon_model *m = load("residual", 0);
    CHECK(m != NULL);
    if (!m)
        return;
    static float x[16 * 12 * 12];
    for (int i = 0; i < 16 * 12 * 12; i++)
        x[i] = (float)cos(i * 0.37) * 2.0f;
    axon_session *s = NULL;
    axon_tensor in = {.dtype = AXON_DTYPE_FLOAT, .ndim = 4,
                      .dims = {1, 16, 12, 12}, .data = x};
    axon_tensor out[2];
    CHECK(axon_session_create(m, &s) == AXON_ERR_OK);
    CHECK(axon_session_run(s, &in, 1, out, 2) == AXON_ERR_OK);
    int64_t n = axon_tensor_numel(&out[0]);
    float *want = malloc((size_t)n * sizeof(float));
    memcpy(want, out[0].data, (size_t)n * sizeof(float));
    axon_session_set_threads(s, 1);
    pthread_t th[3];
    mt_arg args[3];
    for (int t = 0; t < 3; t++) {
        args[t] = (mt_arg){m, x, want, n, 0};
        pthread_create(&th[t], NULL, mt_worker, &args[t]);
    }
    for (int t = 0; t < 3; t++) {
        pthread_join(th[t], NULL);
        CHECK(args[t].ok);
    }
    free(want);
    axon_session_free(s);
    axon_model_free(m);
}

/* The weights pointer of the first Conv step of a plan. */
static const void *conv_weights(const axon__plan *p)
{
    for (int i = 0; p && i < p->n_steps; i++) {
        const od_kstate *ks = p->steps[i].k.state;
        if (p->steps[i].backend != &axon__backend_onednn || !ks)
            continue;
        for (int e = 0; e < ks->n_exec; e++)
            for (int a = 0; a < ks->exec[e].n_args; a++)
                if (ks->exec[e].args[a].arg == DNNL_ARG_WEIGHTS)
                    return ks->exec[e].args[a].buf.ptr;
    }
    return NULL;
}

TEST(plans_for_two_batch_sizes_share_weights)
{
    CHECK(generate());
    axon_model *m1 = load("dynbatch", 0), *m0 = load("dynbatch", 1);
    axon_session *s1 = NULL, *s0 = NULL;
    CHECK(m1 && m0);
    if (!m1 || !m0)
        goto out;
    CHECK(axon_session_create(m1, &s1) == AXON_ERR_OK);
    CHECK(axon_session_create(m0, &s0) == AXON_ERR_OK);
    static float x[3 * 8 * 10 * 10];
    for (int i = 0; i < 3 * 8 * 100; i++)
        x[i] = (float)sin(i * 0.19);
    const void *w[2] = {0};
    for (int bs = 1; bs <= 2; bs++) {
        axon_tensor in = {.dtype = AXON_DTYPE_FLOAT, .ndim = 4,
                          .dims = {bs + 1, 8, 10, 10}, .data = x};
        axon_tensor o1, o0;
        CHECK(axon_session_run(s1, &in, 1, &o1, 1) == AXON_ERR_OK);
        CHECK(axon_session_run(s0, &in, 1, &o0, 1) == AXON_ERR_OK);
        CHECK_EQ_INT(o1.dims[0], bs + 1);
        int64_t n = axon_tensor_numel(&o0);
        for (int64_t j = 0; j < n; j++)
            CHECK_NEAR(((float *)o1.data)[j], ((float *)o0.data)[j], 1e-4);
        w[bs - 1] = conv_weights(s1->plan);
    }
    CHECK(w[0] != NULL);
    CHECK(w[0] == w[1]);
out:
    axon_session_free(s1);
    axon_session_free(s0);
    axon_model_free(m1);
    axon_model_free(m0);
}

/* The deployment CPUs are AVX2 only, where oneDNN picks other kernels and
 * layouts (nChw8c) than on AVX-512: rerun this whole file with oneDNN
 * capped at AVX2 (the cap must be set before oneDNN's first use, hence a
 * child process). */
TEST(all_tests_again_with_isa_capped_at_avx2)
{
    if (getenv("AXON_ONEDNN_TEST_CHILD"))
        return;
    char self[512], cmd[700];
    ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
    CHECK(len > 0);
    if (len <= 0)
        return;
    self[len] = '\0';
    snprintf(cmd, sizeof(cmd),
             "AXON_ONEDNN_TEST_CHILD=1 ONEDNN_MAX_CPU_ISA=AVX2 '%s' "
             ">/dev/null", self);
    int rc = system(cmd);
    CHECK_EQ_INT(rc, 0);
}

TEST(zz_cleanup)
{
    cleanup();
}

TEST_MAIN()
