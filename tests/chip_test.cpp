// Chip performance model (docs/models/chip.md): properties of the operation costs, the published
// measurements it must stay close to, and the calibration round trip.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "chip/calibration.hpp"
#include "chip/chip_model.hpp"
#include "chip/op_cost.hpp"
#include "chip/transformer_layer.hpp"
#include "diag/diagnostic.hpp"
#include "scenario/measurements_loader.hpp"
#include "test_support.hpp"

using namespace clustersim;
using chip::DType;

namespace {

chip::ChipModel model_of(const std::string& id) {
    auto m = chip::make_chip_model(test::source_catalog().chips.at(id));
    REQUIRE_MESSAGE(std::holds_alternative<chip::ChipModel>(m), test::error_of(m));
    return std::get<chip::ChipModel>(m);
}

/// The B200 HGX without its block-scaled FP8 pair: a chip whose block-scaled products take the chip-wide figures.
chip::ChipModel b200_without_fp8_block_pair() {
    auto spec = test::source_catalog().chips.at("nvidia_b200_hgx");
    spec.fp8_block_matmul_efficiency = {};
    spec.fp8_block_matmul_tile_overhead = {};
    auto m = chip::make_chip_model(spec);
    REQUIRE_MESSAGE(std::holds_alternative<chip::ChipModel>(m), test::error_of(m));
    return std::get<chip::ChipModel>(m);
}

std::vector<chip::ChipModel> modelled_chips() {
    std::vector<chip::ChipModel> out;
    for (const auto& [id, spec] : test::source_catalog().chips) {
        auto m = chip::make_chip_model(spec);
        if (auto* ok = std::get_if<chip::ChipModel>(&m)) out.push_back(*ok);
    }
    return out;
}

const std::vector<std::int64_t> sizes{1, 7, 64, 100, 1000, 4096, 12288};

}  // namespace

TEST_CASE("chip: every chip with known peaks and parameters is modelled; the others say what is missing") {
    CHECK(modelled_chips().size() >= 15);
    auto kunlun = chip::make_chip_model(test::source_catalog().chips.at("kunlun_p800"));
    REQUIRE(std::holds_alternative<std::string>(kunlun));
    CHECK(std::get<std::string>(kunlun).find("hbm_bandwidth") != std::string::npos);
    CHECK(std::get<std::string>(kunlun).find("matmul_efficiency") != std::string::npos);
    // The TPU v4 is modelled with estimates, among them no per-tile overhead ("0 us" is a valid overhead).
    const auto tpu = model_of("google_tpu_v4");
    CHECK(tpu.tile_overhead_s == 0);
    CHECK(tpu.compute_units == 8);
    chip::Matmul mm{4096, 4096, 4096, 1, DType::bf16};
    const double flops = 2.0 * 4096 * 4096 * 4096;
    CHECK(chip::cost(tpu, mm).compute_s == doctest::Approx(flops / (tpu.peak(DType::bf16) * tpu.matmul_efficiency)));
}

TEST_CASE("chip: matrix product time never falls below the roofline and grows with every dimension") {
    for (const auto& c : modelled_chips()) {
        for (const auto d : chip::all_dtypes) {
            if (!c.supports(d)) continue;
            for (auto m : sizes) {
                for (auto n : sizes) {
                    for (auto k : sizes) {
                        for (const bool block : {false, true}) {
                            if (block && d != DType::fp8) continue;
                            const chip::Matmul op{m, n, k, 1, d, block};
                            const auto cst = chip::cost(c, op);
                            INFO(c.id, " ", chip::to_string(d), block ? " block-scaled " : " ", m, "x", n, "x", k);
                            // Roofline bound (Williams et al. 2009) at 100% of both peaks.
                            CHECK(cst.time_s >= cst.flops / c.peak(d));
                            CHECK(cst.time_s >= cst.bytes / c.hbm_bytes_per_s);
                            CHECK(cst.delivered_flop_per_s() <= c.peak(d) * c.matmul_efficiency_for(d, block) * (1 + 1e-12));
                            CHECK(chip::cost(c, chip::Matmul{2 * m, n, k, 1, d, block}).time_s >= cst.time_s);
                            CHECK(chip::cost(c, chip::Matmul{m, 2 * n, k, 1, d, block}).time_s >= cst.time_s);
                            CHECK(chip::cost(c, chip::Matmul{m, n, 2 * k, 1, d, block}).time_s >= cst.time_s);
                        }
                    }
                }
            }
        }
    }
}

TEST_CASE("chip: lower precision is never slower on a chip that supports it, but for block-scaled FP8's tile overhead") {
    // Per-tensor-scaled FP8 (the default) is never slower than BF16. Block-scaled FP8 on a chip with figures of
    // its own (DeepGEMM on Hopper) pays a larger fixed cost per tile: a short product may then take up to that
    // difference per wave longer than the BF16 one (DeepGEMM's 64-row products run no faster than BF16's memory
    // bound); a large one is still faster.
    for (const auto& c : modelled_chips()) {
        for (auto m : sizes) {
            for (auto k : sizes) {
                const chip::Matmul bf16{m, 8192, k, 1, DType::bf16};
                chip::Matmul fp8 = bf16;
                fp8.dtype = DType::fp8;
                chip::Matmul fp4 = bf16;
                fp4.dtype = DType::fp4;
                if (c.supports(DType::bf16) && c.supports(DType::fp8)) {
                    CHECK(chip::cost(c, fp8).time_s <= chip::cost(c, bf16).time_s);
                    chip::Matmul block = fp8;
                    block.block_scaled = true;
                    const double waves = chip::matmul_tiling(c, block).waves;
                    const double extra = waves * std::max(0.0, c.tile_overhead_for(DType::fp8, true) - c.tile_overhead_s);
                    CHECK(chip::cost(c, block).time_s <= chip::cost(c, bf16).time_s + extra * (1 + 1e-12));
                    if (m >= 4096 && k >= 4096) CHECK(chip::cost(c, block).time_s < chip::cost(c, bf16).time_s);
                }
                if (c.supports(DType::fp8) && c.supports(DType::fp4)) {
                    CHECK(chip::cost(c, fp4).time_s <= chip::cost(c, fp8).time_s);
                }
            }
        }
    }
}

TEST_CASE("chip: an unsupported dtype is a clear error (FP8 on Ascend 910B)") {
    const auto c = model_of("ascend_910b");
    CHECK_FALSE(c.supports(DType::fp8));
    try {
        (void)chip::cost(c, chip::Matmul{1024, 1024, 1024, 1, DType::fp8});
        FAIL("expected UnsupportedDType");
    } catch (const chip::UnsupportedDType& e) {
        CHECK(std::string(e.what()) == "chip 'ascend_910b' has no fp8 peak in the catalog; supported: bf16, fp16, int8");
    }
}

TEST_CASE("chip: attention counts causal pairs, backward is 2.5x forward, decode is memory-bound") {
    const auto c = model_of("nvidia_h100_sxm");
    chip::Attention a;
    a.heads_q = 64;
    a.heads_kv = 8;
    a.head_dim = 128;
    a.seq_q = a.seq_kv = 4096;
    a.causal = false;
    const auto full = chip::cost(c, a);
    CHECK(full.flops == doctest::Approx(4.0 * 64 * 128 * 4096.0 * 4096.0));
    a.causal = true;
    const auto causal = chip::cost(c, a);
    CHECK(causal.flops == doctest::Approx(4.0 * 64 * 128 * (4096.0 * 4096.0 - 4096.0 * 4095.0 / 2)));
    CHECK(causal.time_s < full.time_s);
    // Every fused kernel pays 168 keys' worth of time per query row (the H100's attention_query_extra_keys: its query
    // blocks' prologue and epilogue), and a causal one 155 more (causal_attention_extra_keys, the fit across NVIDIA's
    // kernels): time, not useful FLOPs. At 4K the causal rate per useful FLOP is (s + 168) / (s + 646) of the
    // unmasked one.
    REQUIRE(c.query_extra_keys == 168);
    REQUIRE(c.causal_extra_keys == 155);
    const double kept = 4096.0 * 4096.0 - 4096.0 * 4095.0 / 2;
    const double square = 4096.0 * 4096.0;
    CHECK(causal.compute_s == doctest::Approx(full.compute_s * (kept + 4096.0 * (155 + 168)) / (square + 4096.0 * 168)));
    CHECK((causal.flops / causal.compute_s) / (full.flops / full.compute_s) ==
          doctest::Approx((4096.0 + 168) / (4096.0 + 646)).epsilon(0.001));
    auto no_extra = c;
    no_extra.causal_extra_keys = 0;
    no_extra.query_extra_keys = 0;
    CHECK(chip::cost(no_extra, a).compute_s ==
          doctest::Approx(full.compute_s * kept / (square + 4096.0 * 168)));
    // Run as a context-parallel ring's 4 kernels, the queries pay the per-query cost, and a launch, in each: the pairs
    // and their causal extra keys once.
    chip::Attention ring = a;
    ring.query_passes = 4;
    const auto steps = chip::cost(c, ring);
    CHECK(steps.flops == causal.flops);
    CHECK(steps.compute_s == doctest::Approx(full.compute_s * (kept + 4096.0 * (155 + 4 * 168)) / (square + 4096.0 * 168)));
    CHECK(steps.overhead_s == doctest::Approx(4 * causal.overhead_s));
    CHECK(steps.time_s == doctest::Approx(steps.compute_s + steps.overhead_s));
    // Never more than the full rectangle: a short chunk of queries against a long cache pays at most every pair.
    chip::Attention chunk = a;
    chunk.seq_q = 16;
    chunk.seq_kv = 8192;
    auto rectangle = chunk;
    rectangle.causal = false;
    CHECK(chip::cost(c, chunk).compute_s <= chip::cost(c, rectangle).compute_s * (1 + 1e-12));
    a.pass = chip::Pass::backward;
    CHECK(chip::cost(c, a).flops == doctest::Approx(2.5 * causal.flops));
    chip::Attention decode = a;
    decode.pass = chip::Pass::forward;
    decode.seq_q = 1;
    decode.seq_kv = 32768;
    decode.batch = 64;
    for (const auto& m : modelled_chips()) {
        if (m.supports(DType::bf16)) CHECK(chip::cost(m, decode).bound == chip::Bound::memory);
    }
}

TEST_CASE("chip: activation quantisation reads 2 bytes and writes 1 per value, and an FP32 scale per group") {
    // DeepSeek's H800 trace: 8,192 x 16,384 BF16 values to FP8 with one scale per 128: 406.8 MB
    // (docs/research/activation-quant-kernels.md section 3).
    const auto block = chip::quantization(8192, 16384, chip::DType::fp8, 128);
    CHECK(block.bytes == doctest::Approx(8192.0 * 16384 * 3 + 8192.0 * 128 * 4));
    CHECK(block.bytes / 1e6 == doctest::Approx(406.8).epsilon(1e-3));
    // Per token (INT8, group = the row): one scale per row; a group wider than the row is the row.
    CHECK(chip::quantization(100, 7168, chip::DType::int8, 7168).bytes == doctest::Approx(100.0 * 7168 * 3 + 400));
    CHECK(chip::quantization(100, 7168, chip::DType::int8, 1 << 20).bytes ==
          doctest::Approx(chip::quantization(100, 7168, chip::DType::int8, 7168).bytes));
    // A last group narrower than the others still has its scale.
    CHECK(chip::quantization(1, 200, chip::DType::fp8, 128).bytes == doctest::Approx(600.0 + 8));
}

TEST_CASE("chip: published measurements the model must stay close to (docs/models/chip.md)") {
    // The matmul efficiencies are sustained (fitted to H200 MSMF and power-limited A100 rows, see the
    // calibration test below), so every published burst maximum must sit above the model, by about the
    // sustained/burst ratio measured on the same die: MSMF/MAMF 0.86-0.89 on H200, 0.82-0.84 on B200
    // (docs/research/sustained-efficiency.md 1.2). The v1 MAMF tables (back-to-back iterations, no L2 reset)
    // sit between burst and sustained, hence the band [0.80, 0.95]. Reverting to a burst fit (ratio 1.0)
    // or derating far beyond the measured ratio fails it.
    const auto h100 = model_of("nvidia_h100_sxm");
    const auto h200 = model_of("nvidia_h200_sxm");
    const auto a100 = model_of("nvidia_a100_sxm");
    struct Burst {
        const chip::ChipModel* chip;
        chip::Matmul op;
        double tflops;
        const char* what;
    };
    const Burst bursts[] = {
        {&h100, {6144, 17920, 2816, 1, DType::bf16}, 792.1, "H100 SXM MAMF v1 [MAMF]"},
        {&h100, {11264, 19712, 1536, 1, DType::bf16}, 821.0, "GH200 MAMF v1, same SM, higher power limit [MAMF]"},
        {&h200, {3072, 2816, 20480, 1, DType::bf16}, 842.3, "H200 SXM MAMF v4 burst at 1980 MHz [MSMF]"},
        {&a100, {6912, 16384, 2048, 1, DType::bf16}, 267.9, "A100 SXM MAMF v1 [MAMF]"},
    };
    for (const auto& b : bursts) {
        INFO(b.what);
        const double ratio = chip::cost(*b.chip, b.op).delivered_flop_per_s() / (b.tflops * 1e12);
        CHECK(ratio >= 0.80);
        CHECK(ratio <= 0.95);
    }
    // H200 copy bandwidth 4.26 of 4.8 TB/s as measured on this project's H200 (models/calibration/
    // nvidia_h200_sxm_device.csv; 4.3 in the device notes): a 4 GiB copy reads and writes 4 GiB (the model's 0.869,
    // fitted to that part's streaming kernels, is 2% below a plain copy).
    const double gib4 = 4.0 * 1073741824.0;
    const auto copy = chip::cost(h200, chip::MemoryOp{2 * gib4, 0});
    CHECK(test::within(2 * gib4 / copy.time_s, 4.26e12, 0.03));
}

TEST_CASE("chip: H20 beats the 910C on small-batch decode; the 910C wins on training shapes and large batches") {
    const auto h20 = model_of("nvidia_h20");
    const auto a910c = model_of("ascend_910c");
    const auto& l = chip::llama3_70b_layer;
    auto decode = [&](const chip::ChipModel& c, std::int64_t b) { return chip::cost(c, chip::decode_layer(l, b, 4096, DType::bf16)).time_s; };
    CHECK(decode(h20, 1) < decode(a910c, 1));
    CHECK(decode(h20, 32) < decode(a910c, 32));
    CHECK(decode(h20, 256) > decode(a910c, 256));
    const auto train = [&](const chip::ChipModel& c) { return chip::cost(c, chip::prefill_layer(l, 1, 8192, DType::bf16)).time_s; };
    CHECK(train(a910c) < train(h20) / 4);
}

TEST_CASE("chip: the block-scaled FP8 pair predicts DeepGEMM's held-out decode shapes") {
    // models/calibration/nvidia_h100_sxm_heldout.csv: DeepGEMM's 12 memory-bound shapes (M = 64, 128), not
    // fitted. The catalog's H100 (the H800's die) puts them within -11% to +39% (the two one-wave products with
    // K = 2,048 are the slowest), RMS under 16%. The pair's refit with Hopper's measured 4 wave slices (which these
    // split-K shapes do not use) made them 3 points slower than the whole-wave fit did (+36%, RMS 15%).
    const auto h100 = model_of("nvidia_h100_sxm");
    const auto rows = scenario::load_measurements(test::source_dir() / "models" / "calibration" / "nvidia_h100_sxm_heldout.csv");
    REQUIRE(rows.size() == 12);
    double sum = 0;
    for (const auto& r : rows) {
        INFO(r.label);
        REQUIRE(std::get<chip::Matmul>(r.op).block_scaled);
        const double e = chip::cost(h100, r.op).time_s / r.time_s - 1;
        CHECK(e > -0.11);
        CHECK(e < 0.40);
        sum += e * e;
    }
    CHECK(std::sqrt(sum / static_cast<double>(rows.size())) < 0.16);
}

TEST_CASE("chip: calibration recovers known parameters from noisy measurements within 1%") {
    chip::ChipModel truth = model_of("nvidia_h100_sxm");
    truth.matmul_efficiency = 0.78;
    truth.tile_overhead_s = 0.8e-6;
    truth.attention_efficiency = 0.66;
    truth.memory_efficiency = 0.87;
    truth.kernel_overhead_s = 4.5e-6;
    truth.attention_backward_efficiency = 0.55;
    truth.fp8_block_matmul_efficiency = 0.72;
    truth.fp8_block_tile_overhead_s = 3.0e-6;
    std::mt19937 rng(12345);
    std::uniform_real_distribution<double> noise(-0.002, 0.002);
    std::vector<chip::Measurement> rows;
    auto add = [&](const chip::Operation& op) {
        rows.push_back({op, chip::cost(truth, op).time_s * (1.0 + noise(rng)), "row" + std::to_string(rows.size())});
    };
    for (std::int64_t m : {1024, 4096, 8192}) {
        for (std::int64_t k : {256, 1024, 4096, 16384}) {
            add(chip::Matmul{m, 8192, k, 1, DType::bf16});
            add(chip::Matmul{m, 8192, k, 1, DType::fp8, true});
        }
    }
    for (std::int64_t s : {1024, 4096, 16384}) {
        chip::Attention a;
        a.heads_q = 32;
        a.heads_kv = 8;
        a.seq_q = a.seq_kv = s;
        add(a);  // causal: its extra keys' time is part of the fitted rate's coefficient
        a.pass = chip::Pass::backward;
        add(a);
        a.causal = false;
        add(a);
    }
    for (double bytes : {1e5, 1e6, 1e7, 1e8, 1e9, 1e10}) add(chip::MemoryOp{bytes, 0});
    const auto start = model_of("nvidia_h100_sxm");
    auto r = chip::calibrate(start, rows, chip::parameters_for(rows));
    REQUIRE_MESSAGE(std::holds_alternative<chip::CalibrationResult>(r), test::error_of(r));
    const auto& fit = std::get<chip::CalibrationResult>(r);
    for (const auto p : chip::all_parameters) {
        INFO(chip::to_string(p));
        CHECK(test::within(chip::get(fit.fitted, p), chip::get(truth, p), 0.01));
    }
    CHECK(fit.rms_relative_error_after < 0.003);
    CHECK(fit.rms_relative_error_after < fit.rms_relative_error_before);
}

TEST_CASE("chip: the backward attention and block-scaled FP8 products take their own figures") {
    const auto h100 = model_of("nvidia_h100_sxm");
    REQUIRE(h100.attention_backward_efficiency < h100.attention_efficiency);
    chip::Attention a;
    a.heads_q = a.heads_kv = 16;
    a.seq_q = a.seq_kv = 8192;
    const auto fwd = chip::cost(h100, a);
    a.pass = chip::Pass::backward;
    const auto bwd = chip::cost(h100, a);
    // 2.5x the FLOPs at the backward efficiency.
    CHECK(bwd.compute_s == doctest::Approx(2.5 * fwd.compute_s * h100.attention_efficiency / h100.attention_backward_efficiency));
    // Block-scaled FP8 with the chip's own pair: one wave of 128x256 tiles over K = 512 costs the tile time plus
    // the FP8 overhead; per-tensor FP8 its own efficiency (the H100's own FP8/BF16 ratio in MAMF, 0.883, times the
    // sustained BF16 fit: at the power cap the ratio is the burst one, MSMF on H200 and B200) with the chip-wide
    // tile overhead.
    REQUIRE(h100.fp8_block_matmul_efficiency > 0);
    REQUIRE(h100.fp8_matmul_efficiency == doctest::Approx(std::round(h100.matmul_efficiency * 0.883 * 1000) / 1000));
    CHECK(h100.fp8_operand_copies == 2);
    const double per_unit = h100.peak(DType::fp8) / h100.compute_units;
    const double main_loop = 2.0 * 128 * 256 * 512 / per_unit;
    chip::Matmul mm{128, 256 * 132, 512, 1, DType::fp8};
    CHECK(chip::cost(h100, mm).compute_s == doctest::Approx(main_loop / h100.fp8_matmul_efficiency + h100.tile_overhead_s));
    // Per-tensor FP8 rows inform fp8_matmul_efficiency, which a fit recovers.
    chip::Matmul big{8192, 8192, 8192, 1, DType::fp8};
    const chip::Measurement fp8_row{big, chip::cost(h100, big).time_s * 1.1, "fp8"};
    const auto informed = chip::parameters_for({fp8_row});
    CHECK(std::find(informed.begin(), informed.end(), chip::Parameter::fp8_matmul_efficiency) != informed.end());
    CHECK(std::find(informed.begin(), informed.end(), chip::Parameter::matmul_efficiency) == informed.end());
    auto refit = chip::calibrate(h100, {fp8_row}, {chip::Parameter::fp8_matmul_efficiency});
    REQUIRE(std::holds_alternative<chip::CalibrationResult>(refit));
    CHECK(std::get<chip::CalibrationResult>(refit).fitted.fp8_matmul_efficiency < h100.fp8_matmul_efficiency);
    CHECK(std::get<chip::CalibrationResult>(refit).fitted.matmul_efficiency == h100.matmul_efficiency);
    // A chip without the figure starts the fit from matmul_efficiency; its BF16 efficiency stays.
    const auto b300 = model_of("nvidia_b300_hgx");
    REQUIRE(b300.fp8_matmul_efficiency == 0);
    const chip::Measurement b300_row{big, chip::cost(b300, big).time_s * 1.05, "b300 fp8"};
    auto fresh = chip::calibrate(b300, {b300_row}, {chip::Parameter::fp8_matmul_efficiency});
    REQUIRE(std::holds_alternative<chip::CalibrationResult>(fresh));
    const auto& fitted = std::get<chip::CalibrationResult>(fresh).fitted;
    CHECK(fitted.fp8_matmul_efficiency > 0);
    CHECK(fitted.fp8_matmul_efficiency < b300.matmul_efficiency);
    CHECK(fitted.matmul_efficiency == b300.matmul_efficiency);
    mm.block_scaled = true;
    CHECK(chip::cost(h100, mm).compute_s ==
          doctest::Approx(main_loop / h100.fp8_block_matmul_efficiency + h100.fp8_block_tile_overhead_s));
    // Without the pair, block-scaled FP8 products take the chip-wide figures.
    const auto b200 = b200_without_fp8_block_pair();
    REQUIRE(b200.fp8_block_matmul_efficiency == 0);
    const double b200_unit = b200.peak(DType::fp8) / b200.compute_units;
    const chip::Matmul mm_b{128, 256 * static_cast<std::int64_t>(b200.compute_units), 512, 1, DType::fp8, true};
    CHECK(chip::cost(b200, mm_b).compute_s ==
          doctest::Approx(2.0 * 128 * 256 * 512 / (b200_unit * b200.matmul_efficiency) + b200.tile_overhead_s));
    // The pair comes whole: one half is an error that names the other.
    auto spec = test::source_catalog().chips.at("nvidia_h100_sxm");
    spec.fp8_block_matmul_tile_overhead = {};
    const auto made = chip::make_chip_model(spec);
    REQUIRE(std::holds_alternative<std::string>(made));
    CHECK(std::get<std::string>(made).find("fp8_block_matmul_tile_overhead (fp8_block_matmul_efficiency is known)") !=
          std::string::npos);
}

TEST_CASE("chip: FlashAttention's Triton kernel takes its own pair, where the chip has one") {
    for (const char* id : {"nvidia_a100_sxm", "nvidia_h100_sxm"}) {
        const auto m = model_of(id);
        REQUIRE(m.has(chip::AttentionKernel::flash_triton));
        // Below the chip's own (best-library) figures in both passes, the backward pass further below.
        CHECK(m.flash_triton_attention_efficiency < m.attention_efficiency);
        CHECK(m.flash_triton_attention_backward_efficiency < m.attention_backward_efficiency);
        CHECK(m.flash_triton_attention_backward_efficiency < m.flash_triton_attention_efficiency);
        chip::Attention a;
        a.heads_q = a.heads_kv = 16;
        a.seq_q = a.seq_kv = 8192;
        for (const auto pass : {chip::Pass::forward, chip::Pass::backward}) {
            a.pass = pass;
            a.kernel = chip::AttentionKernel::standard;
            const auto standard = chip::cost(m, a);
            a.kernel = chip::AttentionKernel::flash_triton;
            const auto triton = chip::cost(m, a);
            CHECK(triton.compute_s == doctest::Approx(standard.compute_s * m.attention_efficiency_for(pass, chip::AttentionKernel::standard) /
                                                      m.attention_efficiency_for(pass, chip::AttentionKernel::flash_triton)));
        }
    }
    // Other chips have no such figures; the standard kernel is always there.
    const auto b200 = model_of("nvidia_b200_hgx");
    CHECK_FALSE(b200.has(chip::AttentionKernel::flash_triton));
    CHECK(b200.has(chip::AttentionKernel::standard));
    // The pair comes whole.
    auto spec = test::source_catalog().chips.at("nvidia_a100_sxm");
    spec.flash_triton_attention_backward_efficiency = {};
    const auto made = chip::make_chip_model(spec);
    REQUIRE(std::holds_alternative<std::string>(made));
    CHECK(std::get<std::string>(made).find(
              "flash_triton_attention_backward_efficiency (flash_triton_attention_efficiency is known)") != std::string::npos);
}

TEST_CASE("chip: the absorbed latent-attention kernel takes its own figure where the chip has one") {
    // The 910C's MLA decode operator (65.4 % of peak, CloudMatrix-Infer) against its FlashAttention (0.404,
    // the 910B2's fit in the 910C's peak convention): an absorbed-MLA decode core (one shared latent head) is
    // costed at the first.
    const auto m = model_of("ascend_910c");
    REQUIRE(m.latent_attention_efficiency == doctest::Approx(0.654));
    REQUIRE(m.attention_efficiency == doctest::Approx(0.404));
    chip::Attention a;
    a.batch = 48;
    a.heads_q = 128;
    a.heads_kv = 1;
    a.head_dim = 576;
    a.head_dim_v = 512;
    a.seq_q = 2;
    a.seq_kv = 4096;
    a.shared_kv = true;
    const auto latent = chip::cost(m, a);
    a.shared_kv = false;
    const auto standard = chip::cost(m, a);
    CHECK(latent.compute_s == doctest::Approx(standard.compute_s * 0.404 / 0.654));
    // A chip without the figure costs the latent kernel as any fused attention.
    const auto h100 = model_of("nvidia_h100_sxm");
    CHECK(h100.latent_attention_efficiency == 0.0);
    a.shared_kv = true;
    const auto h100_latent = chip::cost(h100, a);
    a.shared_kv = false;
    CHECK(h100_latent.compute_s == doctest::Approx(chip::cost(h100, a).compute_s));
}

TEST_CASE("chip: fitting the block-scaled FP8 pair on a chip without it starts from the chip-wide figures") {
    const auto b200 = b200_without_fp8_block_pair();
    chip::ChipModel truth = b200;
    truth.fp8_block_matmul_efficiency = 0.7;
    truth.fp8_block_tile_overhead_s = 2e-6;
    std::vector<chip::Measurement> rows;
    for (std::int64_t k : {512, 2048, 8192, 16384}) {
        const chip::Matmul mm{8192, 8192, k, 1, DType::fp8, true};
        rows.push_back({mm, chip::cost(truth, mm).time_s, "k" + std::to_string(k)});
    }
    // Block-scaled rows inform the pair, not the chip-wide figures that BF16 products use.
    const auto ps = chip::parameters_for(rows);
    CHECK(std::find(ps.begin(), ps.end(), chip::Parameter::fp8_block_matmul_efficiency) != ps.end());
    CHECK(std::find(ps.begin(), ps.end(), chip::Parameter::matmul_efficiency) == ps.end());
    auto r = chip::calibrate(b200, rows, {chip::Parameter::fp8_block_matmul_efficiency, chip::Parameter::fp8_block_matmul_tile_overhead});
    REQUIRE_MESSAGE(std::holds_alternative<chip::CalibrationResult>(r), test::error_of(r));
    const auto& fit = std::get<chip::CalibrationResult>(r).fitted;
    CHECK(fit.fp8_block_matmul_efficiency == doctest::Approx(0.7).epsilon(1e-6));
    CHECK(fit.fp8_block_tile_overhead_s == doctest::Approx(2e-6).epsilon(1e-6));
    CHECK(fit.matmul_efficiency == b200.matmul_efficiency);
    // One half alone would leave the chip with half a pair: refused.
    r = chip::calibrate(b200, rows, {chip::Parameter::fp8_block_matmul_efficiency});
    REQUIRE(std::holds_alternative<std::string>(r));
    CHECK(std::get<std::string>(r).find("fit fp8_block_matmul_efficiency and fp8_block_matmul_tile_overhead together") !=
          std::string::npos);
}

TEST_CASE("chip: calibration refuses what the data cannot determine") {
    const auto c = model_of("nvidia_h100_sxm");
    const chip::Measurement one{chip::Matmul{4096, 4096, 4096, 1, DType::bf16}, 2e-4, "one"};
    auto r = chip::calibrate(c, {one}, chip::parameters_for({one}));
    REQUIRE(std::holds_alternative<std::string>(r));
    CHECK(std::get<std::string>(r).find("cannot fit 3 parameters to 1 measurement") != std::string::npos);
    CHECK(std::holds_alternative<chip::CalibrationResult>(chip::calibrate(c, {one}, {chip::Parameter::matmul_efficiency})));
    const chip::Measurement zero{chip::Matmul{4096, 4096, 4096, 1, DType::bf16}, 0.0, "zero"};
    r = chip::calibrate(c, {zero}, {chip::Parameter::matmul_efficiency});
    CHECK(std::get<std::string>(r) == "zero: measured time must be positive");
    // Faster than the peak allows: an efficiency above 1 is refused, not reported.
    const chip::Measurement too_fast{chip::Matmul{8192, 8192, 8192, 1, DType::bf16}, 1e-4, "fast"};
    r = chip::calibrate(c, {too_fast}, {chip::Parameter::matmul_efficiency});
    CHECK(std::get<std::string>(r).find("outside (0, 1]") != std::string::npos);
    // Memory rows cannot inform the matmul efficiency.
    const chip::Measurement mem{chip::MemoryOp{1e9, 0}, 3e-4, "mem"};
    r = chip::calibrate(c, {mem}, {chip::Parameter::matmul_efficiency});
    CHECK(std::get<std::string>(r).find("do not determine matmul_efficiency") != std::string::npos);
    // FP8 rows on a chip without FP8.
    const auto a910b = model_of("ascend_910b");
    const chip::Measurement fp8{chip::Matmul{4096, 4096, 4096, 1, DType::fp8}, 1e-3, "fp8"};
    r = chip::calibrate(a910b, {fp8}, {chip::Parameter::matmul_efficiency});
    CHECK(std::get<std::string>(r).find("fp8: chip 'ascend_910b' has no fp8 peak") != std::string::npos);
}

TEST_CASE("chip: measurement files report every bad row at FILE:LINE:COL") {
    const auto dir = std::filesystem::temp_directory_path() / ("clustersim_chip_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto file = dir / "m.csv";
    std::ofstream(file) << "# comment\n"
                           "operation,dtype,m,n,k,time_s\n"
                           "matmul,bf16,4096,4096,4096,0.0002\n"
                           "convolution,bf16,1,1,1,0.1\n"
                           "matmul,bf8,4096,4096,4096,0.0002\n"
                           "matmul,bf16,4096,4096,4096,0\n";
    try {
        (void)scenario::load_measurements(file);
        FAIL("expected InputError");
    } catch (const diag::InputError& e) {
        const auto& d = e.diagnostics();
        REQUIRE(d.size() == 3);
        CHECK(diag::format(d[0]) == file.string() +
                                        ":4:1: error: operation: 'convolution' is not valid; valid: matmul, attention, memory");
        CHECK(diag::format(d[1]).find(":5:8: error: dtype: 'bf8' is not valid (did you mean 'bf16'?)") != std::string::npos);
        CHECK(diag::format(d[2]).find(":6:28: error: time_s: expected a positive number, got '0'") != std::string::npos);
    }
    // fp8_block is a matrix product's dtype: on an attention row it is named as such.
    std::ofstream(file) << "operation,dtype,batch,heads_q,heads_kv,head_dim,seq_q,seq_kv,causal,pass,time_s\n"
                           "attention,fp8_block,1,16,16,128,4096,4096,false,forward,0.001\n";
    CHECK_THROWS_WITH_AS(scenario::load_measurements(file),
                         doctest::Contains(":2:11: error: dtype: fp8_block marks a matrix product with block scales (matmul rows only)"),
                         diag::InputError);
    std::ofstream(file) << "operation,dtype,m,n,k,time_s\nmatmul,fp8_block,4096,4096,4096,0.0002\n";
    const auto block = scenario::load_measurements(file);
    REQUIRE(block.size() == 1);
    CHECK(std::get<chip::Matmul>(block[0].op).block_scaled);
    CHECK(std::get<chip::Matmul>(block[0].op).dtype == DType::fp8);
    std::ofstream(file) << "operation,time_s,colour\n";
    CHECK_THROWS_WITH_AS(scenario::load_measurements(file), doctest::Contains("unknown column 'colour'"), diag::InputError);
    std::ofstream(file) << "operation,time_s\n";
    CHECK_THROWS_WITH_AS(scenario::load_measurements(file), doctest::Contains("no measurement rows"), diag::InputError);
    std::ofstream(file) << "";
    CHECK_THROWS_WITH_AS(scenario::load_measurements(file), doctest::Contains("empty file"), diag::InputError);
    std::filesystem::remove_all(dir);
}

TEST_CASE("chip: the Ascend 910B's FlashAttention and matrix-product efficiencies are the fit of its calibration file") {
    // models/calibration/ascend_910b.csv: torch_npu's npu_fusion_attention forward at 41-45 % of peak and six
    // GEMMs of 6k-14k a side at 82-90 %; the chip file stores the fit rounded to 3 decimals (0.4294 -> 0.429,
    // 0.8734 -> 0.873), RMS 3.71 % over the 10 rows. The 910C takes both in its 376-TFLOPS-per-die convention.
    const auto c = model_of("ascend_910b");
    const auto rows = scenario::load_measurements(test::source_dir() / "models" / "calibration" / "ascend_910b.csv");
    REQUIRE(rows.size() == 10);
    auto r = chip::calibrate(c, rows, {chip::Parameter::attention_efficiency, chip::Parameter::matmul_efficiency});
    REQUIRE_MESSAGE(std::holds_alternative<chip::CalibrationResult>(r), test::error_of(r));
    const auto& fit = std::get<chip::CalibrationResult>(r);
    CHECK(std::abs(fit.fitted.attention_efficiency - c.attention_efficiency) <= 0.0005 + 1e-12);
    CHECK(std::abs(fit.fitted.matmul_efficiency - c.matmul_efficiency) <= 0.0005 + 1e-12);
    CHECK(fit.rms_relative_error_after == doctest::Approx(0.0371).epsilon(0.01).scale(0));
    const auto c910c = model_of("ascend_910c");
    CHECK(c910c.matmul_efficiency == doctest::Approx(std::round(fit.fitted.matmul_efficiency * 353.9 / 376.0 * 1000) / 1000));
    CHECK(c910c.attention_efficiency ==
          doctest::Approx(std::round(fit.fitted.attention_efficiency * 353.9 / 376.0 * 1000) / 1000));
}

TEST_CASE("chip: the Blackwell parts' sustained BF16 and the GB200's block-scaled FP8 efficiencies are the fits of their calibration files") {
    // models/calibration/nvidia_gb200.csv: two DeepGEMM SM100 GEMMs on a GB200 (one N and K, so only the
    // efficiency is fitted; the per-tile cost is the H100's, held) and one derived sustained BF16 row (the GB200's
    // MAMF maximum times the B200's sustained-to-burst ratio). nvidia_b200_hgx.csv: the B200's measured sustained
    // rate; nvidia_b300_hgx.csv: the B300's maximum derived the GB200's way. The catalog stores the fits rounded;
    // the GB300 and Rubin, unmeasured, take the B300's.
    using P = chip::Parameter;
    const auto dir = test::source_dir() / "models" / "calibration";
    const auto c = model_of("nvidia_gb200");
    const auto rows = scenario::load_measurements(dir / "nvidia_gb200.csv");
    CHECK(rows.size() == 3);
    auto r = chip::calibrate(c, rows, {P::matmul_efficiency, P::fp8_block_matmul_efficiency});
    REQUIRE_MESSAGE(std::holds_alternative<chip::CalibrationResult>(r), test::error_of(r));
    const auto& fit = std::get<chip::CalibrationResult>(r);
    CHECK(std::abs(fit.fitted.fp8_block_matmul_efficiency - c.fp8_block_matmul_efficiency) <= 0.0005 + 1e-12);
    CHECK(std::abs(fit.fitted.matmul_efficiency - c.matmul_efficiency) <= 0.0005 + 1e-12);
    CHECK(fit.rms_relative_error_after < 0.02);
    CHECK(c.fp8_block_tile_overhead_s == doctest::Approx(model_of("nvidia_h100_sxm").fp8_block_tile_overhead_s));
    for (const char* id : {"nvidia_b200_hgx", "nvidia_b300_hgx"}) {
        INFO(id);
        const auto b = model_of(id);
        auto rb = chip::calibrate(b, scenario::load_measurements(dir / (std::string(id) + ".csv")), {P::matmul_efficiency});
        REQUIRE_MESSAGE(std::holds_alternative<chip::CalibrationResult>(rb), test::error_of(rb));
        CHECK(std::abs(std::get<chip::CalibrationResult>(rb).fitted.matmul_efficiency - b.matmul_efficiency) <= 0.0005 + 1e-12);
        // Blackwell sustains less of its peak than Hopper (B200 0.63 of peak against the H200's 0.75).
        CHECK(b.matmul_efficiency < model_of("nvidia_h100_sxm").matmul_efficiency - 0.05);
    }
    for (const char* id : {"nvidia_gb300", "nvidia_rubin"}) {
        INFO(id);
        CHECK(model_of(id).matmul_efficiency == model_of("nvidia_b300_hgx").matmul_efficiency);
    }
}

TEST_CASE("chip: the catalog's sustained efficiencies are the fit of their calibration files; burst files fit higher") {
    // models/calibration/<chip>.csv holds the rows the catalog was fitted to, with the --fit list its chip file
    // states; the catalog stores the fit rounded (efficiencies to 3 decimals, overheads to 0.01 us), so a refit
    // must land within half a unit of it, with the RMS relative error the chip file states (5.19%, 5.61%).
    // <chip>_burst.csv holds the MAMF burst maxima, left out of the fit; they must fit a clearly higher matmul
    // efficiency (0.868 and 0.847; with the H100's tile overhead estimated before, 0.835, its value before the sustained
    // recalibration).
    using P = chip::Parameter;
    struct Case {
        const char* id;
        std::vector<P> fit;
        double rms_after;
        double burst_matmul;
    };
    const std::vector<Case> cases{
        {"nvidia_a100_sxm", {P::matmul_efficiency, P::attention_efficiency, P::attention_backward_efficiency}, 0.0519, 0.8682},
        {"nvidia_h100_sxm",
         {P::matmul_efficiency, P::attention_efficiency, P::attention_backward_efficiency, P::fp8_block_matmul_efficiency,
          P::fp8_block_matmul_tile_overhead},
         0.0561, 0.8473}};
    for (const auto& k : cases) {
        INFO(k.id);
        const auto c = model_of(k.id);
        const auto dir = test::source_dir() / "models" / "calibration";
        const auto rows = scenario::load_measurements(dir / (std::string(k.id) + ".csv"));
        CHECK(rows.size() >= 10);
        auto r = chip::calibrate(c, rows, k.fit);
        REQUIRE_MESSAGE(std::holds_alternative<chip::CalibrationResult>(r), test::error_of(r));
        const auto& fit = std::get<chip::CalibrationResult>(r);
        for (const auto p : k.fit) {
            INFO(chip::to_string(p));
            const double half_unit = chip::is_time(p) ? 0.005e-6 : 0.0005;
            CHECK(std::abs(chip::get(fit.fitted, p) - chip::get(c, p)) <= half_unit + 1e-12);
        }
        CHECK(fit.rms_relative_error_after == doctest::Approx(k.rms_after).epsilon(0.01).scale(0));
        const auto burst = scenario::load_measurements(dir / (std::string(k.id) + "_burst.csv"));
        auto b = chip::calibrate(c, burst, {P::matmul_efficiency});
        REQUIRE_MESSAGE(std::holds_alternative<chip::CalibrationResult>(b), test::error_of(b));
        const double burst_eff = std::get<chip::CalibrationResult>(b).fitted.matmul_efficiency;
        CHECK(burst_eff == doctest::Approx(k.burst_matmul).epsilon(0.001));
        CHECK(burst_eff > c.matmul_efficiency + 0.05);
    }
    // <chip>_memory.csv: single-kernel memory-bound times (Liger's fused kernels; the H200's own streaming kernels),
    // which fit memory_efficiency.
    for (const auto& [id, rms] : {std::pair{"nvidia_a100_sxm", 0.0475}, std::pair{"nvidia_h100_sxm", 0.0046},
                                  std::pair{"nvidia_h200_sxm", 0.0374}}) {
        INFO(id);
        const auto c = model_of(id);
        const auto rows = scenario::load_measurements(test::source_dir() / "models" / "calibration" / (std::string(id) + "_memory.csv"));
        auto r = chip::calibrate(c, rows, {P::memory_efficiency});
        REQUIRE_MESSAGE(std::holds_alternative<chip::CalibrationResult>(r), test::error_of(r));
        const auto& fit = std::get<chip::CalibrationResult>(r);
        CHECK(std::abs(fit.fitted.memory_efficiency - c.memory_efficiency) <= 0.0005 + 1e-12);
        CHECK(fit.rms_relative_error_after == doctest::Approx(rms).epsilon(0.02).scale(0));
        CHECK(c.memory_efficiency < 0.9);  // below a plain copy's 90%
    }
    // Chips whose parameters are the H100's by analogy (same Hopper SM) stay equal to it; the tile overhead and wave
    // slices are the H200's measurement, for the whole family.
    const auto h100 = model_of("nvidia_h100_sxm");
    for (const char* id : {"nvidia_h100_sxm", "nvidia_h800_sxm", "nvidia_h20"}) {
        INFO(id);
        CHECK(model_of(id).tile_overhead_s == model_of("nvidia_h200_sxm").tile_overhead_s);
        CHECK(model_of(id).wave_slices == 4);
    }
    CHECK(model_of("nvidia_h800_sxm").memory_efficiency == h100.memory_efficiency);  // the same die and HBM3
    for (const char* id : {"nvidia_h200_sxm", "nvidia_h800_sxm", "nvidia_h20"}) {
        INFO(id);
        CHECK(model_of(id).matmul_efficiency == h100.matmul_efficiency);
        CHECK(model_of(id).attention_efficiency == h100.attention_efficiency);
        CHECK(model_of(id).attention_backward_efficiency == h100.attention_backward_efficiency);
        CHECK(model_of(id).fp8_block_matmul_efficiency == h100.fp8_block_matmul_efficiency);
        CHECK(model_of(id).fp8_block_tile_overhead_s == h100.fp8_block_tile_overhead_s);
    }
    // Per-tensor FP8: the H800 and H20 take the H100's; the H200 has its own sustained FP8/BF16 ratio (MSMF, 0.896).
    CHECK(model_of("nvidia_h800_sxm").fp8_matmul_efficiency == h100.fp8_matmul_efficiency);
    CHECK(model_of("nvidia_h20").fp8_matmul_efficiency == h100.fp8_matmul_efficiency);
    CHECK(model_of("nvidia_h200_sxm").fp8_matmul_efficiency == doctest::Approx(std::round(h100.matmul_efficiency * 0.896 * 1000) / 1000));
}

TEST_CASE("chip: the H200's measured products fit its tile overhead, and 4 wave slices beat whole waves") {
    // models/calibration/nvidia_h200_sxm.csv: 46 BF16 products measured on this project's H200 at the power cap.
    // With the catalog's 4 wave slices they fit the catalog's tile overhead (1.51 us) and that one part's
    // efficiency, 0.707 (the catalog keeps the H100's fit to MSMF's 8-GPU medians); whole waves fit three times worse,
    // because cuBLAS spreads a partial last wave: 133 tiles of 128 x 256 on 132 SMs run 3.4% longer than 132, not 2x.
    const auto h200 = model_of("nvidia_h200_sxm");
    REQUIRE(h200.wave_slices == 4);
    const auto rows = scenario::load_measurements(test::source_dir() / "models" / "calibration" / "nvidia_h200_sxm.csv");
    REQUIRE(rows.size() == 46);
    const std::vector<chip::Parameter> fit_list{chip::Parameter::matmul_efficiency, chip::Parameter::matmul_tile_overhead};
    auto fitted = [&](const chip::ChipModel& c) {
        auto r = chip::calibrate(c, rows, fit_list);
        REQUIRE_MESSAGE(std::holds_alternative<chip::CalibrationResult>(r), test::error_of(r));
        return std::get<chip::CalibrationResult>(r);
    };
    const auto sliced = fitted(h200);
    CHECK(std::abs(sliced.fitted.tile_overhead_s - h200.tile_overhead_s) <= 0.005e-6 + 1e-12);
    CHECK(sliced.fitted.matmul_efficiency == doctest::Approx(0.707).epsilon(0.002));
    CHECK(sliced.rms_relative_error_after < 0.035);
    auto whole = h200;
    whole.wave_slices = 1;
    CHECK(fitted(whole).rms_relative_error_after > 3 * sliced.rms_relative_error_after);
    // The wave boundary itself: 132 and 133 output tiles of 128 x 256.
    const chip::Matmul full{16896, 256, 4096, 1, DType::bf16};
    const chip::Matmul one_more{17024, 256, 4096, 1, DType::bf16};
    CHECK(chip::matmul_tiling(h200, full).waves == 1.0);
    CHECK(chip::matmul_tiling(h200, one_more).waves == 1.25);  // ceil(1 x 4 / 132) / 4
    CHECK(chip::matmul_tiling(whole, one_more).waves == 2.0);
    // Split-K below one wave is unchanged: 28 tiles split 4 ways fill 112 of 132 units, one round.
    CHECK(chip::matmul_tiling(h200, chip::Matmul{64, 7168, 2048, 1, DType::bf16}).waves == 1.0);
    // 67 tiles, too many to split in two: four slices each, 268 slices in three rounds of 132.
    CHECK(chip::matmul_tiling(h200, chip::Matmul{128, 67 * 256, 4096, 1, DType::bf16}).waves == 0.75);
}

TEST_CASE("chip: the causal kernels' extra keys reconcile the H200's causal and unmasked attention rows") {
    // models/calibration/nvidia_h200_sxm_attention.csv: cuDNN's fused attention at 2K-16K tokens, with and without a
    // causal mask. With the catalog's per-query terms (195 keys' worth per query row, 155 more for a causal kernel)
    // one forward and one backward efficiency fit both kinds within 3% RMS; without the causal keys, or without the
    // per-query ones, the fit is at least 1.5 times worse.
    const auto h200 = model_of("nvidia_h200_sxm");
    REQUIRE(h200.query_extra_keys == 195);
    REQUIRE(h200.causal_extra_keys == 155);
    const auto rows = scenario::load_measurements(test::source_dir() / "models" / "calibration" / "nvidia_h200_sxm_attention.csv");
    REQUIRE(rows.size() == 32);
    const std::vector<chip::Parameter> fit_list{chip::Parameter::attention_efficiency,
                                                chip::Parameter::attention_backward_efficiency};
    auto rms = [&](const chip::ChipModel& c) {
        auto r = chip::calibrate(c, rows, fit_list);
        REQUIRE_MESSAGE(std::holds_alternative<chip::CalibrationResult>(r), test::error_of(r));
        return std::get<chip::CalibrationResult>(r).rms_relative_error_after;
    };
    const double both = rms(h200);
    CHECK(both < 0.03);
    auto kept_only = h200;
    kept_only.causal_extra_keys = 0;
    CHECK(rms(kept_only) > 1.5 * both);
    auto no_query = h200;
    no_query.query_extra_keys = 0;
    CHECK(rms(no_query) > 1.5 * both);
}

TEST_CASE("chip: each chip's per-query attention keys are the best fit of its calibration file") {
    // A fused kernel's rate at s keys is s / (s + c) of its long-sequence rate (attention_query_extra_keys c: its
    // query blocks' prologue and epilogue). Each chip that has its own rows at several lengths stores the integer c
    // whose refitted efficiencies leave the least RMS error over its calibration file
    // (docs/research/attention-sequence-length.md), and without the term the file fits clearly worse.
    using P = chip::Parameter;
    struct Case {
        const char* id;
        const char* file;
        std::vector<P> fit;
    };
    const std::vector<P> attention{P::attention_efficiency, P::attention_backward_efficiency};
    const std::vector<Case> cases{
        {"nvidia_a100_sxm", "nvidia_a100_sxm.csv", {P::matmul_efficiency, P::attention_efficiency, P::attention_backward_efficiency}},
        {"nvidia_h100_sxm", "nvidia_h100_sxm.csv",
         {P::matmul_efficiency, P::attention_efficiency, P::attention_backward_efficiency, P::fp8_block_matmul_efficiency,
          P::fp8_block_matmul_tile_overhead}},
        {"nvidia_h200_sxm", "nvidia_h200_sxm_attention.csv", attention},
        {"nvidia_gb200", "nvidia_gb200_attention.csv", attention},
        {"nvidia_gb300", "nvidia_gb300_attention.csv", attention}};
    for (const auto& k : cases) {
        INFO(k.id);
        const auto c = model_of(k.id);
        const auto rows = scenario::load_measurements(test::source_dir() / "models" / "calibration" / k.file);
        auto rms = [&](double keys) {
            auto m = c;
            m.query_extra_keys = keys;
            auto r = chip::calibrate(m, rows, k.fit);
            REQUIRE_MESSAGE(std::holds_alternative<chip::CalibrationResult>(r), test::error_of(r));
            return std::get<chip::CalibrationResult>(r).rms_relative_error_after;
        };
        REQUIRE(c.query_extra_keys > 0);
        const double at_catalog = rms(c.query_extra_keys);
        CHECK(rms(c.query_extra_keys - 1) >= at_catalog);
        CHECK(rms(c.query_extra_keys + 1) >= at_catalog);
        CHECK(rms(0) > at_catalog * 1.02);
        // calibrate's scan over whole numbers finds the same count, with the same refitted efficiencies.
        auto with_count = k.fit;
        with_count.push_back(P::attention_query_extra_keys);
        auto scanned = chip::calibrate(c, rows, with_count);
        REQUIRE_MESSAGE(std::holds_alternative<chip::CalibrationResult>(scanned), test::error_of(scanned));
        const auto& fit = std::get<chip::CalibrationResult>(scanned);
        CHECK(fit.fitted.query_extra_keys == c.query_extra_keys);
        CHECK(fit.rms_relative_error_after == doctest::Approx(at_catalog).epsilon(1e-12).scale(0));
        // The H200's file is a cross-check: its catalog efficiencies are the H100's.
        if (std::string_view(k.id) != "nvidia_h200_sxm") {
            CHECK(std::abs(fit.fitted.attention_efficiency - c.attention_efficiency) <= 0.0005 + 1e-12);
        }
    }
    // The chips without rows of their own take a measured part's value: the H800 and H20 the H100's, the B200 the
    // GB200's, the B300 and Rubin the GB300's. The 910B's four rows run faster at 4K than at 10K tokens: none.
    CHECK(model_of("nvidia_h800_sxm").query_extra_keys == model_of("nvidia_h100_sxm").query_extra_keys);
    CHECK(model_of("nvidia_h20").query_extra_keys == model_of("nvidia_h100_sxm").query_extra_keys);
    CHECK(model_of("nvidia_b200_hgx").query_extra_keys == model_of("nvidia_gb200").query_extra_keys);
    CHECK(model_of("nvidia_b300_hgx").query_extra_keys == model_of("nvidia_gb300").query_extra_keys);
    CHECK(model_of("nvidia_rubin").query_extra_keys == model_of("nvidia_gb300").query_extra_keys);
    CHECK(model_of("ascend_910b").query_extra_keys == 0);
    // The term itself: an unmasked kernel at s keys runs at s / (s + c) of its long-sequence rate; absorbed latent
    // attention (decode's shared_kv kernels, with an efficiency of their own) does not pay it.
    const auto h100 = model_of("nvidia_h100_sxm");
    chip::Attention a;
    a.heads_q = a.heads_kv = 16;
    a.head_dim = 128;
    a.causal = false;
    auto rate = [&](const chip::ChipModel& m, std::int64_t s) {
        a.seq_q = a.seq_kv = s;
        const auto cost = chip::cost(m, a);
        return cost.flops / cost.compute_s;
    };
    auto none = h100;
    none.query_extra_keys = 0;
    for (const std::int64_t s : {2048, 8192}) {
        CHECK(rate(h100, s) / rate(none, s) == doctest::Approx(static_cast<double>(s) / (static_cast<double>(s) + 168.0)).epsilon(1e-9));
    }
    a.seq_q = 1;
    a.seq_kv = 4096;
    a.shared_kv = true;
    CHECK(chip::cost(h100, a).compute_s == doctest::Approx(chip::cost(none, a).compute_s).epsilon(1e-12));
}
