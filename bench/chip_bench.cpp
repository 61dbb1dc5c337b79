// Operation-cost evaluations per second on one core (issue 3 aims at tens of millions per
// second: plan searches call these inside loops over millions of plans).
//   cmake --build --preset release && ./build/release/bench/chip_bench
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "chip/chip_model.hpp"
#include "chip/op_cost.hpp"
#include "chip/transformer_layer.hpp"
#include "scenario/catalog_loader.hpp"

using clock_type = std::chrono::steady_clock;
using namespace clustersim;

namespace {

template <class F>
void measure(const char* name, std::size_t n, F&& f) {
    double sink = 0;
    const auto t0 = clock_type::now();
    for (std::size_t i = 0; i < n; ++i) sink += f(i);
    const double s = std::chrono::duration<double>(clock_type::now() - t0).count();
    std::printf("%-44s %12.1f M evaluations/s  (%.1f ns each; checksum %.3g)\n", name, static_cast<double>(n) / s / 1e6,
                s / static_cast<double>(n) * 1e9, sink);
}

}  // namespace

int main() {
#if !defined(__OPTIMIZE__)
    std::printf("WARNING: built without optimisation; use the release preset for figures worth reporting\n");
#endif
    const auto cat = scenario::load_catalog(std::filesystem::path(CLUSTERSIM_SOURCE_DIR) / "models");
    const auto chip = std::get<chip::ChipModel>(chip::make_chip_model(cat.chips.at("nvidia_h100_sxm")));
    constexpr std::size_t n = 20'000'000;
    measure("matmul cost (varying m, n, k)", n, [&](std::size_t i) {
        const auto k = static_cast<std::int64_t>(i & 1023);
        return chip::cost(chip, chip::Matmul{1 + k, 4096 + k, 8192 - k, 1, chip::DType::bf16}).time_s;
    });
    measure("attention cost (varying context)", n, [&](std::size_t i) {
        chip::Attention a;
        a.heads_q = 64;
        a.heads_kv = 8;
        a.seq_q = 1;
        a.seq_kv = 1 + static_cast<std::int64_t>(i & 65535);
        return chip::cost(chip, a).time_s;
    });
    measure("memory-bound op cost", n, [&](std::size_t i) {
        return chip::cost(chip, chip::normalization(static_cast<std::int64_t>(1 + (i & 1048575)), chip::DType::bf16)).time_s;
    });
    const auto ops = chip::decode_layer(chip::llama3_70b_layer, 32, 4096, chip::DType::bf16);
    measure("decode layer (10 kernels, summed)", n / 10, [&](std::size_t) { return chip::cost(chip, ops).time_s; });
    return 0;
}
