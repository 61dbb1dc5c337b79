#include "chip/transformer_layer.hpp"

namespace clustersim::chip {
namespace {

std::vector<Operation> layer(const DenseLayerShape& s, std::int64_t batch, std::int64_t seq_q, std::int64_t seq_kv,
                             DType dtype) {
    const std::int64_t tokens = batch * seq_q;
    const std::int64_t q_width = s.heads_q * s.head_dim;
    const std::int64_t kv_width = s.heads_kv * s.head_dim;
    // Norms, activations and residuals stay in 16-bit even when the matrix products use FP8.
    const DType act = DType::bf16;
    Attention attention;
    attention.batch = batch;
    attention.heads_q = s.heads_q;
    attention.heads_kv = s.heads_kv;
    attention.head_dim = s.head_dim;
    attention.seq_q = seq_q;
    attention.seq_kv = seq_kv;
    attention.causal = true;
    attention.pass = Pass::forward;
    attention.dtype = dtype == DType::fp4 ? DType::fp8 : dtype;
    return {
        normalization(tokens * s.hidden, act),
        Matmul{tokens, q_width + 2 * kv_width, s.hidden, 1, dtype},
        attention,
        Matmul{tokens, s.hidden, q_width, 1, dtype},
        elementwise(tokens * s.hidden, act),
        normalization(tokens * s.hidden, act),
        Matmul{tokens, 2 * s.ffn, s.hidden, 1, dtype},
        swiglu(tokens * s.ffn, act),
        Matmul{tokens, s.hidden, s.ffn, 1, dtype},
        elementwise(tokens * s.hidden, act),
    };
}

}  // namespace

std::vector<Operation> decode_layer(const DenseLayerShape& s, std::int64_t batch, std::int64_t context, DType dtype) {
    return layer(s, batch, 1, context, dtype);
}

std::vector<Operation> prefill_layer(const DenseLayerShape& s, std::int64_t batch, std::int64_t seq, DType dtype) {
    return layer(s, batch, seq, seq, dtype);
}

SequenceCost cost(const ChipModel& chip, const std::vector<Operation>& ops) {
    SequenceCost total;
    for (const auto& op : ops) {
        const OpCost c = cost(chip, op);
        total.time_s += c.time_s;
        total.flops += c.flops;
        total.bytes += c.bytes;
        if (c.bound == Bound::memory) total.memory_bound_s += c.time_s;
    }
    return total;
}

}  // namespace clustersim::chip
