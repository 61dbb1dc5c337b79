#pragma once
// Reads measured operation times for `clustersim calibrate` (docs/models/chip.md#calibration).
// CSV with a header; columns:
//   operation   matmul | attention | memory                            (required)
//   time_s      measured time of one operation, seconds                (required, > 0)
//   dtype       bf16 | fp16 | fp8 | fp4 | int8 (matmul, attention); fp8_block: FP8 with block scales (matmul)
//   m, n, k     matrix product C(m x n) = A(m x k) B(k x n)             (matmul)
//   batch       batched products, or attention batch (empty = 1)
//   heads_q, heads_kv, head_dim, seq_q, seq_kv, causal (true|false), pass (forward|backward)   (attention)
//   bytes       bytes read plus written                                 (memory)
//   source      free text: where the row comes from                     (optional)
#include <filesystem>
#include <vector>

#include "chip/calibration.hpp"

namespace clustersim::scenario {

/// Throws diag::InputError (every bad row, FILE:LINE:COL) or diag::IoError.
std::vector<chip::Measurement> load_measurements(const std::filesystem::path& file);

}  // namespace clustersim::scenario
